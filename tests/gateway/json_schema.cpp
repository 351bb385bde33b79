#include "json_schema.hpp"

#include <doctest/doctest.h>

#include <regex>
#include <stdexcept>

namespace cpx::test {

using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

bool has_type(element value, std::string_view type) {
  switch (value.type()) {
    case element_type::INT64:
    case element_type::UINT64:
      return type == "integer" || type == "number";
    case element_type::DOUBLE:
      return type == "number";
    case element_type::STRING:
      return type == "string";
    case element_type::ARRAY:
      return type == "array";
    case element_type::OBJECT:
      return type == "object";
    case element_type::BOOL:
      return type == "boolean";
    case element_type::NULL_VALUE:
      return type == "null";
    default:
      return false;
  }
}

}  // namespace

const SchemaSet::Document& SchemaSet::load(const std::string& file) {
  auto& slot = documents_[file];
  if (!slot) {
    slot = std::make_unique<Document>();
    if (slot->parser.load(folder_ + "/" + file).get(slot->root) != simdjson::SUCCESS) {
      throw std::runtime_error("cannot read schema " + file);
    }
  }
  return *slot;
}

element SchemaSet::resolve(const std::string& file, const std::string& pointer) {
  element root = load(file).root;
  if (pointer.empty()) return root;
  element target;
  if (root.at_pointer(pointer).get(target) != simdjson::SUCCESS) {
    throw std::runtime_error("no " + pointer + " in " + file);
  }
  return target;
}

std::string SchemaSet::check(const std::string& reference, const std::string& json) {
  const std::size_t hash = reference.find('#');
  const std::string file = reference.substr(0, hash);
  const std::string pointer = hash == std::string::npos ? "" : reference.substr(hash + 1);
  simdjson::dom::parser parser;
  element value;
  if (parser.parse(json).get(value) != simdjson::SUCCESS) return "not JSON: " + json;
  std::string why;
  if (!validate(file, resolve(file, pointer), value, "$", why)) return why + " in " + json;
  return "";
}

bool SchemaSet::validate(const std::string& file, element schema, element value,
                         const std::string& path, std::string& why) {
  simdjson::dom::object keywords;
  if (schema.get_object().get(keywords) != simdjson::SUCCESS) return true;
  for (auto [key, rule] : keywords) {
    if (key == "$ref") {
      const std::string reference(rule.get_string().value());
      const std::size_t hash = reference.find('#');
      const std::string target_file = hash == 0 ? file : reference.substr(0, hash);
      const std::string pointer = hash == std::string::npos ? "" : reference.substr(hash + 1);
      if (!validate(target_file, resolve(target_file, pointer), value, path, why)) return false;
    } else if (key == "type") {
      bool ok = false;
      if (rule.is_string()) {
        ok = has_type(value, rule.get_string().value());
      } else {
        for (element type : rule.get_array()) ok = ok || has_type(value, type.get_string().value());
      }
      if (!ok) {
        why = path + ": not of type " + simdjson::to_string(rule);
        return false;
      }
    } else if (key == "const") {
      if (simdjson::to_string(rule) != simdjson::to_string(value)) {
        why = path + ": not " + simdjson::to_string(rule);
        return false;
      }
    } else if (key == "enum") {
      bool ok = false;
      for (element option : rule.get_array()) {
        ok = ok || simdjson::to_string(option) == simdjson::to_string(value);
      }
      if (!ok) {
        why = path + ": not one of " + simdjson::to_string(rule);
        return false;
      }
    } else if (key == "pattern" && value.is_string()) {
      const std::regex pattern{std::string(rule.get_string().value())};
      if (!std::regex_search(std::string(value.get_string().value()), pattern)) {
        why = path + ": does not match " + std::string(rule.get_string().value());
        return false;
      }
    } else if ((key == "minimum" || key == "maximum") && value.is_int64()) {
      const int64_t bound = rule.get_int64().value();
      const int64_t number = value.get_int64().value();
      if (key == "minimum" ? number < bound : number > bound) {
        why = path + ": out of range";
        return false;
      }
    } else if (key == "required" && value.is_object()) {
      for (element name : rule.get_array()) {
        element ignored;
        if (value.get_object().value()[name.get_string().value()].get(ignored) !=
            simdjson::SUCCESS) {
          why = path + ": missing " + std::string(name.get_string().value());
          return false;
        }
      }
    } else if (key == "properties" && value.is_object()) {
      for (auto [name, item] : value.get_object()) {
        element property;
        if (rule.get_object().value()[name].get(property) == simdjson::SUCCESS &&
            !validate(file, property, item, path + "." + std::string(name), why)) {
          return false;
        }
      }
    } else if (key == "additionalProperties" && value.is_object()) {
      if (rule.is_bool() && !rule.get_bool().value()) {
        element properties;
        const bool listed = keywords["properties"].get(properties) == simdjson::SUCCESS;
        for (auto [name, item] : value.get_object()) {
          element ignored;
          if (!listed || properties.get_object().value()[name].get(ignored) != simdjson::SUCCESS) {
            why = path + ": unexpected property " + std::string(name);
            return false;
          }
        }
      }
    } else if (key == "items" && value.is_array()) {
      std::size_t i = 0;
      for (element item : value.get_array()) {
        if (!validate(file, rule, item, path + "[" + std::to_string(i++) + "]", why)) return false;
      }
    } else if (key == "allOf" || key == "anyOf" || key == "oneOf") {
      int matched = 0;
      int total = 0;
      std::string last;
      for (element branch : rule.get_array()) {
        ++total;
        std::string branch_why;
        if (validate(file, branch, value, path, branch_why)) {
          ++matched;
        } else {
          last = branch_why;
        }
      }
      const bool ok = key == "allOf"   ? matched == total
                      : key == "anyOf" ? matched >= 1
                                       : matched == 1;
      if (!ok) {
        why = path + ": " + std::string(key) + " matched " + std::to_string(matched) + " of " +
              std::to_string(total) + (last.empty() ? "" : " (" + last + ")");
        return false;
      }
    }
  }
  return true;
}

void expect_schema_of(const std::string& reference, const std::string& json) {
  static SchemaSet schemas{CPX_SCHEMAS_DIR};
  INFO(reference, " ", json);
  CHECK(schemas.check(reference, json) == "");
}

}  // namespace cpx::test
