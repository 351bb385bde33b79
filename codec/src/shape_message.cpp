// What was wrong with a malformed command, in words that name the field.
#include <algorithm>
#include <bit>

#include "decoder_parts.hpp"

namespace cpx {

using namespace decoder_detail;

std::string CommandDecoder::shape_message() const {
  const std::string field(field_names[std::size_t(problem_field_)]);
  switch (problem_) {
    case ShapeProblem::none:
      return "";
    case ShapeProblem::too_long:
      return "a command is at most " + std::to_string(command_bytes_max) + " bytes";
    case ShapeProblem::not_json:
      return "the body is not valid JSON (" + problem_key_ + ")";
    case ShapeProblem::not_an_object:
      return "the body must be a JSON object";
    case ShapeProblem::duplicate_key:
      return "duplicate key " + problem_key_;
    case ShapeProblem::unknown_key:
      return "unknown field " + problem_key_;
    case ShapeProblem::unknown_op:
      return "op must be one of account, deposit, new, cancel, amend, tick, site, collateral, "
             "delivery, dispute, resolve";
    case ShapeProblem::amend_without_change:
      return "an amend needs qty or price (or both)";
    case ShapeProblem::missing_field:
      if (problem_field_ == Field::origin || problem_field_ == Field::region ||
          problem_field_ == Field::chip || problem_field_ == Field::qty ||
          problem_field_ == Field::price) {
        return field + " is required for " + (problem_side_ == Side::bid ? "a bid" : "an ask");
      }
      if (problem_field_ == Field::op) return "op is required";
      return field + " is required for " +
             (problem_op_ == Op::new_order    ? "an order"
              : problem_op_ == Op::account    ? "a new account"
              : problem_op_ == Op::deposit    ? "a deposit"
              : problem_op_ == Op::cancel     ? "a cancel"
              : problem_op_ == Op::tick       ? "a tick"
              : problem_op_ == Op::site       ? "a site"
              : problem_op_ == Op::dispute    ? "a dispute"
              : problem_op_ == Op::collateral ? "collateral"
              : problem_op_ == Op::delivery   ? "a delivery report"
              : problem_op_ == Op::resolve    ? "a resolution"
                                              : "an amend");
    case ShapeProblem::bad_field:
      if (problem_field_ == Field::side) return "side must be bid or ask";
      if (problem_field_ == Field::post_only) return "post_only must be true or false";
      if (problem_field_ == Field::status) return "status must be active, retired or suspended";
      if (problem_field_ == Field::trade_id) return "trade_id must be a positive integer";
      if (problem_field_ == Field::role) {
        return "role must be enterprise, provider, auditor or operator";
      }
      return field + " must be 1-" + std::to_string(id_length_max) +
             " characters of [A-Za-z0-9._:-]";
  }
  return "";
}

void CommandDecoder::bad_client_order_id(const Fields& fields, const RequestContext* context) {
  const bool given =
      (context && !context->client_order_id.empty()) || fields.has(Field::client_order_id);
  malformed(given ? ShapeProblem::bad_field : ShapeProblem::missing_field, Field::client_order_id);
}

bool CommandDecoder::strict_keys(const RequestContext& context) {
  for (const std::string_view key : keys_) {
    if (std::find(context.envelope_keys.begin(), context.envelope_keys.end(), key) !=
        context.envelope_keys.end()) {
      continue;
    }
    problem_ = ShapeProblem::unknown_key;
    problem_key_.assign(key);
    return false;
  }
  return true;
}

bool CommandDecoder::strict_fields(const RequestContext& context, const Fields& fields) {
  // The fields of docs/delivery.md are known to the decoder, but an op that does not use them
  // refuses them like any unknown field.
  const auto bit = [](Field f) { return uint32_t(1) << unsigned(f); };
  uint32_t refused = bit(Field::time_ms) | bit(Field::capacity_pflops) | bit(Field::green_profile) |
                     bit(Field::status) | bit(Field::trade_id) | bit(Field::delivery) |
                     bit(Field::site);
  switch (context.op) {
    case Op::new_order:
      refused &= ~(bit(Field::delivery) | bit(Field::site));
      break;
    case Op::tick:
      refused &= ~bit(Field::time_ms);
      break;
    case Op::site:
      refused &= ~(bit(Field::site) | bit(Field::capacity_pflops) | bit(Field::green_profile) |
                   bit(Field::status));
      break;
    case Op::delivery:
    case Op::dispute:
    case Op::resolve:
      refused &= ~bit(Field::trade_id);
      break;
    default:
      break;
  }
  const uint32_t given = fields.present & refused;
  if (given == 0) return true;
  problem_ = ShapeProblem::unknown_key;
  problem_key_.assign(field_names[std::countr_zero(given)]);
  return false;
}

void CommandDecoder::malformed(ShapeProblem problem, Field field, Side side) {
  problem_ = problem;
  problem_field_ = field;
  problem_side_ = side;
}

}  // namespace cpx
