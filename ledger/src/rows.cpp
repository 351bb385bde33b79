#include "cpx/ledger/rows.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "cpx/base/decimal.hpp"

namespace cpx::ledger {

namespace {

// One line of a table's rows, in the canonical text (a tag first, NULL as "-", text as it is)
// or in COPY's text format (no tag, NULL as \N, text escaped, the batch id last).
template <bool Copy>
struct Line {
  std::string& out;
  bool first = true;

  Line(std::string& out_in, std::string_view tag) : out(out_in) {
    if (!Copy) {
      out.append(tag);
      first = false;
    }
  }
  void separate() {
    if (!first) out.push_back('\t');
    first = false;
  }
  void text(std::string_view value) {
    separate();
    // COPY escapes backslash and control characters; names and ids almost never have any.
    const bool plain = !Copy || std::none_of(value.begin(), value.end(), [](char c) {
      return c == '\\' || static_cast<unsigned char>(c) < 0x20;
    });
    if (plain) {
      out.append(value);
      return;
    }
    for (const char c : value) {
      switch (c) {
        case '\\':
          out.append("\\\\");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        default:
          out.push_back(c);
      }
    }
  }
  // The separator and the field in one append.
  char* field_start(char* buffer) {
    if (first) {
      first = false;
      return buffer;
    }
    *buffer = '\t';
    return buffer + 1;
  }
  template <class Integer>
  void number(Integer value) {
    char digits[25];
    const auto end = std::to_chars(field_start(digits), digits + sizeof digits, value).ptr;
    out.append(digits, end);
  }
  void number(const std::optional<uint64_t>& value) {
    if (value) return number(*value);
    separate();
    out.append(Copy ? "\\N" : "-");
  }
  void decimal(int128 scaled, int frac_digits) {
    char digits[decimal_chars_max + 1];
    char* start = field_start(digits);
    start += decimal_to_chars(start, scaled, frac_digits);  // returns the length
    out.append(digits, start);
  }
  template <class Value>
  void optional_decimal(const std::optional<Value>& value, int frac_digits) {
    if (value) return decimal(int128(*value), frac_digits);
    separate();
    out.append(Copy ? "\\N" : "-");
  }
  void end(uint64_t batch_id) {
    if (Copy) number(batch_id);
    out.push_back('\n');
  }
};

template <bool Copy>
void accounts_text(const BatchRows& rows, std::string& out) {
  for (const AccountRow& row : rows.accounts) {
    Line<Copy> line(out, "A");
    line.text(row.account);
    line.text(row.role);
    line.number(row.seq);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void orders_text(const BatchRows& rows, std::string& out) {
  // COPY only: an order that ends in this batch carries its ending (both lists are in
  // order id order).
  auto ending = rows.endings.begin();
  for (const OrderRow& row : rows.orders) {
    Line<Copy> line(out, "O");
    line.number(row.order_id);
    line.number(row.seq);
    line.text(row.account);
    line.text(row.client_order_id);
    line.text(row.side);
    line.text(row.chip);
    line.text(row.region);
    line.text(row.tif);
    line.text(row.urgency);
    line.decimal(row.price_ticks, price_frac_digits);
    line.decimal(row.qty_milli, qty_frac_digits);
    line.number(row.accepted_ms);
    if (Copy) {
      while (ending != rows.endings.end() && ending->order_id < row.order_id) ++ending;
      if (ending != rows.endings.end() && ending->order_id == row.order_id) {
        line.number(ending->seq);
        line.text(ending->reason);
        line.decimal(ending->price_ticks, price_frac_digits);
        line.decimal(ending->filled_milli, qty_frac_digits);
        line.number(ending->ended_ms);
      } else {
        for (int i = 0; i < 5; ++i) line.number(std::optional<uint64_t>());
      }
    }
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void trades_text(const BatchRows& rows, std::string& out) {
  for (const TradeRow& row : rows.trades) {
    Line<Copy> line(out, "T");
    line.number(row.trade_id);
    line.number(row.seq);
    line.text(row.chip);
    line.text(row.region);
    line.decimal(row.price_ticks, price_frac_digits);
    line.decimal(row.qty_milli, qty_frac_digits);
    line.decimal(row.notional_e7, amount_frac_digits);
    line.text(row.aggressor);
    line.text(row.bid_account);
    line.number(row.bid_order_id);
    line.text(row.ask_account);
    line.number(row.ask_order_id);
    line.number(row.traded_ms);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void endings_text(const BatchRows& rows, std::string& out) {
  // COPY only: the endings of orders accepted in an earlier batch.
  auto order = rows.orders.begin();
  for (const EndingRow& row : rows.endings) {
    if (Copy) {
      while (order != rows.orders.end() && order->order_id < row.order_id) ++order;
      if (order != rows.orders.end() && order->order_id == row.order_id) continue;
    }
    Line<Copy> line(out, "E");
    line.number(row.order_id);
    line.number(row.seq);
    line.text(row.reason);
    line.decimal(row.price_ticks, price_frac_digits);
    line.decimal(row.filled_milli, qty_frac_digits);
    line.number(row.ended_ms);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void postings_text(const BatchRows& rows, std::string& out) {
  for (const PostingRow& row : rows.postings) {
    Line<Copy> line(out, "P");
    line.number(row.line);
    line.number(row.seq);
    line.number(row.trade_id);
    line.number(row.order_id);
    line.text(row.account);
    line.text(row.book);
    line.text(row.kind);
    line.decimal(row.amount_e7, amount_frac_digits);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void balances_text(const BatchRows& rows, std::string& out) {
  for (const BalanceRow& row : rows.balances) {
    Line<Copy> line(out, "L");
    line.text(row.account);
    line.decimal(row.available_e7, amount_frac_digits);
    line.decimal(row.held_e7, amount_frac_digits);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void sites_text(const BatchRows& rows, std::string& out) {
  for (const SiteRow& row : rows.sites) {
    Line<Copy> line(out, "S");
    line.text(row.site);
    line.number(row.seq);
    line.text(row.account);
    line.text(row.chip);
    line.text(row.region);
    line.decimal(row.capacity_milli, qty_frac_digits);
    line.number(row.green_pct);
    line.text(row.status);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void contracts_text(const BatchRows& rows, std::string& out) {
  for (const ContractRow& row : rows.contracts) {
    Line<Copy> line(out, "C");
    line.number(row.trade_id);
    line.number(row.seq);
    line.text(row.site);
    line.number(row.delivery_ms);
    line.text(row.buyer);
    line.text(row.seller);
    line.decimal(row.qty_milli, qty_frac_digits);
    line.decimal(row.price_ticks, price_frac_digits);
    line.decimal(row.notional_e7, amount_frac_digits);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void contract_events_text(const BatchRows& rows, std::string& out) {
  for (const ContractEventRow& row : rows.events) {
    Line<Copy> line(out, "V");
    line.number(row.trade_id);
    line.number(row.seq);
    line.text(row.status);
    line.optional_decimal(row.delivered_milli, qty_frac_digits);
    line.optional_decimal(row.paid_e7, amount_frac_digits);
    line.optional_decimal(row.refunded_e7, amount_frac_digits);
    line.optional_decimal(row.penalty_e7, amount_frac_digits);
    line.number(row.event_ms);
    line.end(rows.batch_id);
  }
}

template <bool Copy>
void table_text(const BatchRows& rows, Table table, std::string& out) {
  switch (table) {
    case Table::accounts:
      return accounts_text<Copy>(rows, out);
    case Table::orders:
      return orders_text<Copy>(rows, out);
    case Table::trades:
      return trades_text<Copy>(rows, out);
    case Table::endings:
      return endings_text<Copy>(rows, out);
    case Table::postings:
      return postings_text<Copy>(rows, out);
    case Table::balances:
      return balances_text<Copy>(rows, out);
    case Table::sites:
      return sites_text<Copy>(rows, out);
    case Table::contracts:
      return contracts_text<Copy>(rows, out);
    case Table::contract_events:
      return contract_events_text<Copy>(rows, out);
  }
}

}  // namespace

int128 parse_numeric(std::string_view text, int frac_digits) {
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  int128 value = 0;
  int fraction = -1;  // digits after the point so far; -1 before it
  bool digits = false;
  for (const char c : text) {
    if (c == '.' && fraction < 0) {
      fraction = 0;
    } else if (c >= '0' && c <= '9' && value < int128(1) << 120) {
      if (fraction >= 0 && ++fraction > frac_digits) {
        throw std::runtime_error("more fractional digits than the scale: " + std::string(text));
      }
      value = value * 10 + (c - '0');
      digits = true;
    } else {
      throw std::runtime_error("not a ledger amount: " + std::string(text));
    }
  }
  if (!digits) throw std::runtime_error("not a ledger amount: " + std::string(text));
  for (int i = fraction < 0 ? 0 : fraction; i < frac_digits; ++i) value *= 10;
  return negative ? -value : value;
}

void BatchRows::clear() {
  accounts.clear();
  orders.clear();
  trades.clear();
  endings.clear();
  postings.clear();
  balances.clear();
  sites.clear();
  contracts.clear();
  events.clear();
}

bool BatchRows::empty() const {
  return accounts.empty() && orders.empty() && trades.empty() && endings.empty() &&
         postings.empty() && balances.empty() && sites.empty() && contracts.empty() &&
         events.empty();
}

namespace {

// Most lists arrive in order already (ids and lines grow with the records): checked first.
template <class Rows, class Less>
void sort_rows(Rows& rows, Less less) {
  if (!std::is_sorted(rows.begin(), rows.end(), less)) std::sort(rows.begin(), rows.end(), less);
}

}  // namespace

void BatchRows::sort() {
  sort_rows(accounts, [](const AccountRow& a, const AccountRow& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.account < b.account;
  });
  sort_rows(orders, [](const OrderRow& a, const OrderRow& b) { return a.order_id < b.order_id; });
  sort_rows(trades, [](const TradeRow& a, const TradeRow& b) { return a.trade_id < b.trade_id; });
  sort_rows(endings,
            [](const EndingRow& a, const EndingRow& b) { return a.order_id < b.order_id; });
  sort_rows(postings, [](const PostingRow& a, const PostingRow& b) { return a.line < b.line; });
  sort_rows(balances,
            [](const BalanceRow& a, const BalanceRow& b) { return a.account < b.account; });
  sort_rows(sites, [](const SiteRow& a, const SiteRow& b) {
    return a.site != b.site ? a.site < b.site : a.seq < b.seq;
  });
  sort_rows(contracts,
            [](const ContractRow& a, const ContractRow& b) { return a.trade_id < b.trade_id; });
  sort_rows(events, [](const ContractEventRow& a, const ContractEventRow& b) {
    if (a.trade_id != b.trade_id) return a.trade_id < b.trade_id;
    return a.seq != b.seq ? a.seq < b.seq : a.status < b.status;
  });
}

void canonical_text(const BatchRows& rows, std::string& out) {
  Line<false> header(out, "batch");
  header.number(rows.batch_id);
  header.number(rows.first_seq);
  header.number(rows.last_seq);
  header.number(uint64_t(rows.trades.size()));
  out.push_back('\n');  // the header has no batch id at its end
  for (const Table table : all_tables) table_text<false>(rows, table, out);
}

void copy_text(const BatchRows& rows, Table table, std::string& out) {
  table_text<true>(rows, table, out);
}

std::string_view table_name(Table table) {
  switch (table) {
    case Table::accounts:
      return "accounts";
    case Table::orders:
      return "orders";
    case Table::trades:
      return "trades";
    case Table::endings:
      return "order_endings";
    case Table::postings:
      return "postings";
    case Table::balances:
      return "balances";
    case Table::sites:
      return "sites";
    case Table::contracts:
      return "contracts";
    case Table::contract_events:
      return "contract_events";
  }
  return "";
}

std::string_view copy_columns(Table table) {
  switch (table) {
    case Table::accounts:
      return "account, role, seq, batch_id";
    case Table::orders:
      return "order_id, seq, account, client_order_id, side, chip, region, tif, urgency, price, "
             "qty, accepted_ms, end_seq, end_reason, end_price, filled_qty, ended_ms, batch_id";
    case Table::trades:
      return "trade_id, seq, chip, region, price, qty, notional, aggressor, bid_account, "
             "bid_order_id, ask_account, ask_order_id, traded_ms, batch_id";
    case Table::endings:
      return "order_id, seq, reason, price, filled_qty, ended_ms, batch_id";
    case Table::postings:
      return "line, seq, trade_id, order_id, account, book, kind, amount, batch_id";
    case Table::balances:
      return "account, available, held, batch_id";
    case Table::sites:
      return "site, seq, account, chip, region, capacity_pflops, green_pct, status, batch_id";
    case Table::contracts:
      return "trade_id, seq, site, delivery_ms, buyer, seller, qty, price, notional, batch_id";
    case Table::contract_events:
      return "trade_id, seq, status, delivered, paid, refunded, penalty, event_ms, batch_id";
  }
  return "";
}

std::string copy_target(Table table) {
  return std::string(table_name(table)) + " (" + std::string(copy_columns(table)) + ")";
}

Hash chain_hash(const Hash& previous, std::string_view text) {
  Hash out{};
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  unsigned length = 0;
  const bool ok = context != nullptr && EVP_DigestInit_ex(context, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(context, previous.data(), previous.size()) == 1 &&
                  EVP_DigestUpdate(context, text.data(), text.size()) == 1 &&
                  EVP_DigestFinal_ex(context, out.data(), &length) == 1;
  EVP_MD_CTX_free(context);
  CPX_ASSERT(ok && length == out.size());
  return out;
}

Hash hash_from_hex(std::string_view hex) {
  Hash out{};
  if (hex.size() != out.size() * 2) return out;
  const auto digit = [](char c) -> int {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int high = digit(hex[2 * i]);
    const int low = digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) return Hash{};
    out[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return out;
}

std::string to_hex(const Hash& hash) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char byte : hash) {
    out.push_back(digits[byte >> 4]);
    out.push_back(digits[byte & 15]);
  }
  return out;
}

}  // namespace cpx::ledger
