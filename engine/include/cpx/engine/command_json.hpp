// JSON command text -> Command, applying the spec's shape and field checks in its order.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <string_view>
#include <vector>

#include "cpx/engine/command.hpp"
#include "cpx/engine/config.hpp"

namespace cpx {

// Longest command line a decoder accepts; longer lines are bad_request without parsing.
inline constexpr std::size_t command_bytes_max = 64 * 1024;
// Readable bytes a caller must leave after the text it hands to decode().
inline constexpr std::size_t command_padding = simdjson::SIMDJSON_PADDING;

class CommandDecoder {
 public:
  explicit CommandDecoder(const Config& config);

  // Decodes one command. The text must be followed by command_padding readable bytes. The
  // command's strings point into the decoder and stay valid until the next call.
  Command decode(const char* text, std::size_t length);

 private:
  struct Fields;
  void decode_object(const Fields& fields, Command& command);
  void decode_order_fields(const Fields& fields, Command& command);

  const Config& config_;
  simdjson::dom::parser parser_;
  std::vector<std::string_view> keys_;
};

}  // namespace cpx
