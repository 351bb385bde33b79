// The ledger's state a restarting server resumes from: what load_state() reads from PostgreSQL,
// and its text form, which the journal keeps so that a replay restores the same state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/engine/config.hpp"
#include "cpx/engine/types.hpp"

namespace cpx::ledger {

struct LedgerState {
  uint64_t last_seq = 0;
  uint64_t last_trade_id = 0;
  uint64_t last_batch_id = 0;
  struct AccountState {
    std::string name;
    Role role = Role::enterprise;
    int128 available_e7 = 0;
    int128 held_e7 = 0;
  };
  std::vector<AccountState> accounts;  // in the order they were created
  struct KeyState {
    std::string key_id;
    std::string account;
    std::string secret;
    int64_t expires_ms = 0;  // 0: none (revoked keys are not read)
  };
  std::vector<KeyState> keys;
  struct OpenOrder {
    uint64_t order_id = 0;
    std::string account;
    Side side = Side::bid;
    int64_t price_ticks = 0;
    int64_t filled_milli = 0;
    int128 held_e7 = 0;  // what its hold still is in the ledger
  };
  std::vector<OpenOrder> open_orders;  // accepted, no ending
  // Contracts not settled (docs/delivery.md): a start from the ledger alone cannot take them
  // back yet, so it is refused while there are any. Not in serialize().
  uint64_t unsettled_contracts = 0;
};

// A role by its name as the ledger's rows hold it (enterprise for any other text).
Role role_of(std::string_view text);

// Reads the state to resume from (throws pqxx errors; the caller reports them).
LedgerState load_state(const std::string& url, const Config& config);

// What the ledger holds after command `seq` (accounts, orders, endings, trades with their ids,
// deposits), as one line for the operator; "holds nothing" when it ends at or before it.
std::string describe_after(const std::string& url, uint64_t seq);

// The state as text and back (a journal record, so a replay restores it the same way); parse
// throws std::runtime_error on text it did not write.
std::string serialize(const LedgerState& state);
LedgerState parse_state(std::string_view text);

}  // namespace cpx::ledger
