// A small JSON Schema checker for the keywords schemas/ uses ($ref across files and to $defs,
// type, const, enum, properties, required, additionalProperties, items, pattern, minimum,
// maximum, allOf, anyOf, oneOf), so tests can hold the server's real answers to the schemas.
#pragma once

#include <simdjson.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cpx::test {

class SchemaSet {
 public:
  explicit SchemaSet(std::string folder) : folder_(std::move(folder)) {}

  // Checks `json` against `reference` ("rest.schema.json#/$defs/Order"). Empty when valid,
  // otherwise what is wrong and where.
  std::string check(const std::string& reference, const std::string& json);

 private:
  struct Document {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
  };
  const Document& load(const std::string& file);
  simdjson::dom::element resolve(const std::string& file, const std::string& pointer);
  bool validate(const std::string& file, simdjson::dom::element schema,
                simdjson::dom::element value, const std::string& path, std::string& why);

  std::string folder_;
  std::map<std::string, std::unique_ptr<Document>> documents_;
};

// Holds a real answer to schemas/ (a doctest CHECK; the answer is shown when it fails).
void expect_schema_of(const std::string& reference, const std::string& json);

}  // namespace cpx::test
