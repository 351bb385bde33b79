// A decoded command with its strings held inline, so it can cross a ring between threads (the
// decoder's buffers are reused for the next line). Plain data, fixed size.
#pragma once

#include <cstring>
#include <type_traits>

#include "cpx/engine/command.hpp"

namespace cpx {

struct CommandEnvelope {
  Command command;
  bool end_of_stream = false;
  uint8_t account_length = 0;
  uint8_t client_order_id_length = 0;
  uint8_t site_length = 0;
  char account[id_length_max];
  char client_order_id[id_length_max];
  char site[id_length_max];  // an ask's or a site command's (docs/delivery.md)

  static CommandEnvelope wrap(const Command& command) {
    CommandEnvelope envelope;
    envelope.command = command;
    envelope.own_strings_in_place();  // copied out: unwrap() points the strings again
    return envelope;
  }

  // After `command` was written where this envelope stands (a ring slot, by
  // CommandDecoder::decode_into): copies its strings into this envelope's arrays and points them
  // there, so the command is usable in place for as long as the envelope neither moves nor is
  // copied.
  void own_strings_in_place() {
    end_of_stream = false;
    account_length = uint8_t(command.account.size());
    client_order_id_length = uint8_t(command.client_order_id.size());
    if (account_length != 0) std::memcpy(account, command.account.data(), account_length);
    if (client_order_id_length != 0) {
      std::memcpy(client_order_id, command.client_order_id.data(), client_order_id_length);
    }
    command.account = std::string_view(account, account_length);
    command.client_order_id = std::string_view(client_order_id, client_order_id_length);
    site_length = uint8_t(command.site.size());
    if (site_length != 0) [[unlikely]] {
      std::memcpy(site, command.site.data(), site_length);
      command.site = std::string_view(site, site_length);
    }
  }

  // The command, its strings pointing into this envelope (valid while it lives).
  Command unwrap() const {
    Command out = command;
    out.account = std::string_view(account, account_length);
    out.client_order_id = std::string_view(client_order_id, client_order_id_length);
    if (site_length != 0) out.site = std::string_view(site, site_length);
    return out;
  }
};
static_assert(std::is_trivially_copyable_v<CommandEnvelope>);
// Decoded ids are at most id_length_max long, so they always fit.
static_assert(id_length_max <= UINT8_MAX);

}  // namespace cpx
