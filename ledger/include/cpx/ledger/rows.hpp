// The rows of one settlement batch, as the writer settles them and the auditor's check reads them
// back, and the canonical byte form they are hashed in (docs/ledger.md, "The hash chain"). Both
// sides hash through canonical_text(), so they cannot drift apart.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/engine/types.hpp"

namespace cpx::ledger {

using Hash = std::array<unsigned char, 32>;

// Text fields are views: into the engine's config and the writer's names, or into the query
// result the check reads.
struct AccountRow {
  std::string_view account;
  std::string_view role;
  uint64_t seq = 0;
};
struct OrderRow {
  uint64_t order_id = 0;
  uint64_t seq = 0;
  std::string_view account;
  std::string_view client_order_id;
  std::string_view side;
  std::string_view chip;
  std::string_view region;
  std::string_view tif;
  std::string_view urgency;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
  int64_t accepted_ms = 0;
};
struct TradeRow {
  uint64_t trade_id = 0;
  uint64_t seq = 0;
  std::string_view chip;
  std::string_view region;
  int64_t price_ticks = 0;
  int64_t qty_milli = 0;
  int128 notional_e7 = 0;
  std::string_view aggressor;
  std::string_view bid_account;
  uint64_t bid_order_id = 0;
  std::string_view ask_account;
  uint64_t ask_order_id = 0;
  int64_t traded_ms = 0;
  // Not settled, not hashed: the engine's indexes of chip and region, for price discovery.
  uint16_t chip_index = 0;
  uint16_t region_index = 0;
  int64_t delivery_ms = 0;  // an hourly market's: its delivery hour (the contract's row has it)
};
struct EndingRow {
  uint64_t order_id = 0;
  uint64_t seq = 0;
  std::string_view reason;
  int64_t price_ticks = 0;
  int64_t filled_milli = 0;
  int64_t ended_ms = 0;
};
struct PostingRow {
  uint32_t line = 0;
  uint64_t seq = 0;
  std::optional<uint64_t> trade_id;
  std::optional<uint64_t> order_id;
  std::string_view account;
  std::string_view book;  // available, held, deposits
  std::string_view kind;  // deposit, hold, amend, trade, release
  int128 amount_e7 = 0;
};
struct BalanceRow {
  std::string_view account;
  int128 available_e7 = 0;
  int128 held_e7 = 0;
};

// docs/delivery.md
struct SiteRow {
  std::string_view site;
  uint64_t seq = 0;
  std::string_view account;
  std::string_view chip;
  std::string_view region;
  int64_t capacity_milli = 0;
  uint32_t green_pct = 0;
  std::string_view status;
};
struct ContractRow {
  uint64_t trade_id = 0;
  uint64_t seq = 0;
  std::string_view site;
  int64_t delivery_ms = 0;
  std::string_view buyer;
  std::string_view seller;
  int64_t qty_milli = 0;
  int64_t price_ticks = 0;
  int128 notional_e7 = 0;
};
struct ContractEventRow {
  uint64_t trade_id = 0;
  uint64_t seq = 0;
  std::string_view status;
  std::optional<int64_t> delivered_milli;  // reported, disputed and settled
  std::optional<int128> paid_e7;           // settled: these three
  std::optional<int128> refunded_e7;
  std::optional<int128> penalty_e7;
  int64_t event_ms = 0;
};

struct BatchRows {
  uint64_t batch_id = 0;
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  std::vector<AccountRow> accounts;      // by seq
  std::vector<OrderRow> orders;          // by order id
  std::vector<TradeRow> trades;          // by trade id
  std::vector<EndingRow> endings;        // by order id
  std::vector<PostingRow> postings;      // by line
  std::vector<BalanceRow> balances;      // by account, bytewise
  std::vector<SiteRow> sites;            // by site, bytewise, then seq
  std::vector<ContractRow> contracts;    // by trade id
  std::vector<ContractEventRow> events;  // by trade id, seq, status bytewise

  void clear();
  bool empty() const;
  // Puts every list in its canonical order (the writer fills endings and balances unordered).
  void sort();
};

// Parses NUMERIC text ("-12.5000") into an integer scaled by 10^frac_digits; throws on text
// that is not a plain decimal or has more fractional digits than the scale.
int128 parse_numeric(std::string_view text, int frac_digits);

// The settled tables, in the order of the canonical text (a batch without delivery rows has the
// text it had before they existed).
enum class Table {
  accounts,
  orders,
  trades,
  endings,
  postings,
  balances,
  sites,
  contracts,
  contract_events
};
inline constexpr Table all_tables[] = {Table::accounts, Table::orders,    Table::trades,
                                       Table::endings,  Table::postings,  Table::balances,
                                       Table::sites,    Table::contracts, Table::contract_events};

// Appends the batch's canonical text (rows in canonical order: call sort() first).
void canonical_text(const BatchRows& rows, std::string& out);
// Appends the batch's rows of `table` in COPY's text format, for COPY `copy_target(table)`:
// the canonical line's fields without its tag, text escaped, NULL as \N, then the batch id.
// An order that ends in the same batch carries its ending's fields (before the batch id), and
// that ending is left out of Table::endings. Call sort() first.
void copy_text(const BatchRows& rows, Table table, std::string& out);
std::string_view table_name(Table table);
std::string_view copy_columns(Table table);  // the fields of copy_text's lines, in order
std::string copy_target(Table table);        // "table (columns)"
// SHA-256 of the previous batch's hash followed by the batch's canonical text.
Hash chain_hash(const Hash& previous, std::string_view text);
std::string to_hex(const Hash& hash);
// The hash from to_hex's text; 32 zero bytes when it is not 64 lowercase hex digits.
Hash hash_from_hex(std::string_view hex);

}  // namespace cpx::ledger
