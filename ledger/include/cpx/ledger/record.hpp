// What the matcher tells the ledger writer, one fixed-size record at a time over an SPSC ring:
// the facts of every command that moved money or orders, already resolved to account indexes
// and amounts, so the writer never asks the engine anything. Plain data only.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "cpx/engine/types.hpp"

namespace cpx::ledger {

enum class RecordKind : uint8_t {
  account,   // account (index), role, text: the account's name
  key,       // account, text: key id, text2: secret (api_keys; outside the hash chain)
  deposit,   // account, amount_e7
  accepted,  // order_id, account, side, tif, urgency, chip, region, price, qty, text: client id
  amended,   // order_id, account, side, price, qty (open), amount_e7: the bid's hold change
  trade,     // trade_id, chip, region, aggressor, price, qty, accounts and order ids of both
             // sides, hold_price_ticks: the bid's price (what its hold was taken at)
  ended,     // order_id, account, side, done reason, price, qty: filled, amount_e7: released
  // docs/delivery.md. An hourly ask's accepted, amended and ended records carry its penalty
  // reservation's change in amount_e7 (reserved, changed, released); an hourly trade (a
  // contract) has delivery_ms, text: its site, amount_e7: what the ask's reservation gives up
  // and reserve_e7: what the contract reserves.
  collateral,  // account (a provider), amount_e7
  site,        // account (its provider), text: site, chip, region, qty: capacity, green_pct,
               // site_status
  contract,    // id: trade id, account: buyer, ask_account: seller, contract_status, qty:
               // delivered (reported or settled; -1 none); settled: amount_e7 paid, refunded_e7,
               // penalty_e7, reserve_e7 (the contract's reservation released)
};

// Why an order ended, in the ledger: the engine's reasons, and `restart` for an order that was
// open when the server stopped (its hold is released when the server starts again).
enum class EndReason : uint8_t { canceled, filled, expired, killed, restart };
std::string_view to_string(EndReason reason);

struct Record {
  RecordKind kind = RecordKind::account;
  // The last record of its command: the writer ends a batch only after one of these, so a batch
  // always holds whole commands.
  bool last = false;
  Side side = Side::bid;
  Side aggressor = Side::bid;
  Role role = Role::enterprise;
  Tif tif = Tif::gtc;
  Urgency urgency = Urgency::standard;
  EndReason reason = EndReason::canceled;
  uint16_t chip = 0;
  uint16_t region = 0;
  uint32_t account = 0;      // the bid's account for a trade
  uint32_t ask_account = 0;  // trade
  uint64_t seq = 0;          // the engine command's sequence number
  uint64_t id = 0;           // order id, or trade id
  uint64_t bid_order_id = 0;
  uint64_t ask_order_id = 0;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
  int64_t hold_price_ticks = 0;
  int64_t time_ms = 0;  // when the command reached the gateway (ms since the epoch)
  int128 amount_e7 = 0;
  int128 refunded_e7 = 0;
  int128 penalty_e7 = 0;
  int128 reserve_e7 = 0;
  int64_t delivery_ms = 0;  // an hourly trade's hour
  // A key: its expiry (0: none); a revocation when revoked_ms != 0 (then the key id only).
  int64_t expires_ms = 0;
  int64_t revoked_ms = 0;
  uint8_t green_pct = 0;
  SiteStatus site_status = SiteStatus::active;
  ContractStatus contract_status = ContractStatus::contracted;
  uint8_t text_length = 0;
  uint8_t text2_length = 0;
  char text[id_length_max];
  char text2[64];

  void set_text(std::string_view value) {
    text_length = uint8_t(value.size() < sizeof text ? value.size() : sizeof text);
    if (text_length) std::memcpy(text, value.data(), text_length);
  }
  void set_text2(std::string_view value) {
    text2_length = uint8_t(value.size() < sizeof text2 ? value.size() : sizeof text2);
    if (text2_length) std::memcpy(text2, value.data(), text2_length);
  }
  std::string_view text_view() const { return {text, text_length}; }
  std::string_view text2_view() const { return {text2, text2_length}; }
};
static_assert(std::is_trivially_copyable_v<Record>);

}  // namespace cpx::ledger
