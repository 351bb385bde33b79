// JSON command text -> Command, applying the spec's shape and field checks in its order.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/engine/command.hpp"
#include "cpx/engine/config.hpp"

namespace cpx {

// Longest command line a decoder accepts; longer lines are bad_request without parsing.
inline constexpr std::size_t command_bytes_max = 64 * 1024;
// Readable bytes a caller must leave after the text it hands to decode().
inline constexpr std::size_t command_padding = simdjson::SIMDJSON_PADDING;

// What a gateway request fixes outside its JSON body: the op from the method and path, the
// account from the API key, the client order id from the path, and the side a body may omit.
struct RequestContext {
  Op op = Op::new_order;
  std::string_view account;          // empty: from the body (operators naming an account)
  std::string_view client_order_id;  // empty: from the body
  Side default_side = Side::bid;     // a body without "side" places this side
  std::string_view site;             // a site command's site from the path; empty: the body's
  uint64_t trade_id = 0;             // a contract command's trade id from the path; 0: the body's
  // The gateway's rule beyond the spec's (which ignores fields a command does not use): a key
  // that names no field of any command is bad_request, naming the key, unless it is one of
  // `envelope_keys` (the WebSocket's "req_id").
  bool strict = false;
  std::span<const std::string_view> envelope_keys;
};

// Why the last decode found a command malformed (spec check 1): the message names the field
// and what is wrong with it.
enum class ShapeProblem : uint8_t {
  none,
  too_long,
  not_json,
  not_an_object,
  duplicate_key,
  unknown_key,
  unknown_op,
  missing_field,
  bad_field,
  amend_without_change,
};

// How a decoder reads the JSON. Flat objects of plain strings (no escapes, ASCII) and integers
// of up to 18 digits, the form every client sends, are read directly in one pass; any other
// text (escapes, non-ASCII, fractions, exponents, nesting, literals, anything malformed) goes to
// simdjson's DOM parser, which decides. Both give the same commands (tests/engine/
// test_mutations.cpp compares them line by line); `simdjson_only` is there for that test.
enum class JsonPath { direct_then_simdjson, simdjson_only };

class CommandDecoder {
 public:
  explicit CommandDecoder(const Config& config, JsonPath path = JsonPath::direct_then_simdjson);

  // Decodes one command. The text must be followed by command_padding readable bytes. The
  // command's strings point into the decoder and stay valid until the next call.
  Command decode(const char* text, std::size_t length);
  // The same, into `command` where it stands (a ring slot), so no copy of it is made.
  void decode_into(const char* text, std::size_t length, Command& command);
  // Decodes a gateway request body (a JSON object, or empty for none) under `context`. A body's
  // own "op" is ignored, and so is its "account" when the context names one. Same padding rule as
  // decode().
  Command decode(const char* text, std::size_t length, const RequestContext& context);

  // What was wrong with the last command decoded as bad_request, as a message for its sender
  // ("origin is required for a bid", "duplicate key qty"); empty when it was not malformed.
  std::string shape_message() const;

  // Lines the direct reader decided (the rest went to simdjson).
  uint64_t direct_count() const { return direct_count_; }

  struct Value;  // one field's JSON value, from either reader
  struct Fields;
  enum class Field : uint8_t;

 private:
  enum class Direct : uint8_t { object, not_an_object, undecided };
  bool collect(const char* text, std::size_t length, Fields& fields);
  Direct collect_direct(const char* text, std::size_t length, Fields& fields);
  bool note_key(std::string_view key, const Value& value, Fields& fields);
  void decode_object(const Fields& fields, Command& command, const RequestContext* context);
  void decode_order_fields(const Fields& fields, Command& command);
  // The delivery-hour fields (docs/delivery.md): an order's delivery and site, a tick, a site.
  void decode_delivery(const Fields& fields, Command& command);
  bool decode_tick(const Fields& fields, Command& command);
  bool decode_contract(const Fields& fields, Command& command);
  bool decode_site(const Fields& fields, Command& command);
  Value read_profile(simdjson::dom::element value);
  // A new order's side, required fields and post_only; false (and malformed()) when missing.
  bool decode_new(const Fields& fields, Command& command, const RequestContext* context);
  // Notes why `command` is malformed (its shape_reason stays bad_request).
  void malformed(ShapeProblem problem, Field field, Side side = Side::bid);
  void bad_client_order_id(const Fields& fields, const RequestContext* context);
  // An id the context gives, or the field's text copied into `copy`; false when not a valid id.
  static bool read_id(const Fields& fields, Field field, std::string_view given, char* copy,
                      std::string_view& out);
  bool strict_keys(const RequestContext& context);
  bool strict_fields(const RequestContext& context, const Fields& fields);
  std::string_view context_site_;  // decode(): the context's site and trade id
  uint64_t context_trade_id_ = 0;

  // Chip or region ids to their indexes in the config, for the order fields: an open-addressing
  // table keyed by an id's length and its first, second and last characters, confirmed by one
  // comparison with the config's id.
  class IdIndex {
   public:
    template <class Item>
    explicit IdIndex(const std::vector<Item>& items);
    template <class Item>
    std::optional<uint32_t> find(const std::vector<Item>& items, std::string_view id) const;

   private:
    static uint32_t hash(std::string_view id);
    std::vector<uint32_t> slots_;  // an index into the items plus one; 0 for an empty slot
    uint32_t mask_ = 0;
  };

  const Config& config_;
  IdIndex chips_;
  IdIndex regions_;
  JsonPath path_;
  simdjson::dom::parser parser_;
  std::vector<std::string_view> keys_;
  uint64_t direct_count_ = 0;
  ShapeProblem problem_ = ShapeProblem::none;
  Field problem_field_{};
  Side problem_side_ = Side::bid;
  Op problem_op_ = Op::new_order;
  std::string problem_key_;  // the repeated or unknown key; simdjson's error for not_json
  // The ids a command carries out of decode(), copied here when the direct reader found them
  // in the caller's text, so that they live as long as the decoder's own strings do.
  char account_[id_length_max];
  char client_order_id_[id_length_max];
  char site_[id_length_max];
  uint8_t green_profile_[hours_per_day] = {};  // the last green_profile read
};

}  // namespace cpx
