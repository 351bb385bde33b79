#include "cpx/ledger/rows.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include "cpx/engine/decimal.hpp"

namespace cpx::ledger {

namespace {

void field(std::string& out, std::string_view text) {
  out.push_back('\t');
  out.append(text);
}

void field(std::string& out, uint64_t value) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  out.push_back('\t');
  out.append(text, end);
}

void field(std::string& out, int64_t value) {
  char text[24];
  const auto end = std::to_chars(text, text + sizeof text, value).ptr;
  out.push_back('\t');
  out.append(text, end);
}

void field(std::string& out, const std::optional<uint64_t>& value) {
  if (value) return field(out, *value);
  out.append("\t-");
}

void decimal(std::string& out, int128 scaled, int frac_digits) {
  out.push_back('\t');
  append_decimal(out, scaled, frac_digits);
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
}

bool BatchRows::empty() const {
  return accounts.empty() && orders.empty() && trades.empty() && endings.empty() &&
         postings.empty() && balances.empty();
}

void BatchRows::sort() {
  std::sort(accounts.begin(), accounts.end(), [](const AccountRow& a, const AccountRow& b) {
    return a.seq != b.seq ? a.seq < b.seq : a.account < b.account;
  });
  std::sort(orders.begin(), orders.end(),
            [](const OrderRow& a, const OrderRow& b) { return a.order_id < b.order_id; });
  std::sort(trades.begin(), trades.end(),
            [](const TradeRow& a, const TradeRow& b) { return a.trade_id < b.trade_id; });
  std::sort(endings.begin(), endings.end(),
            [](const EndingRow& a, const EndingRow& b) { return a.order_id < b.order_id; });
  std::sort(postings.begin(), postings.end(),
            [](const PostingRow& a, const PostingRow& b) { return a.line < b.line; });
  std::sort(balances.begin(), balances.end(),
            [](const BalanceRow& a, const BalanceRow& b) { return a.account < b.account; });
}

void canonical_text(const BatchRows& rows, std::string& out) {
  out.append("batch");
  field(out, rows.batch_id);
  field(out, rows.first_seq);
  field(out, rows.last_seq);
  field(out, uint64_t(rows.trades.size()));
  out.push_back('\n');
  for (const AccountRow& row : rows.accounts) {
    out.push_back('A');
    field(out, row.account);
    field(out, row.role);
    field(out, row.seq);
    out.push_back('\n');
  }
  for (const OrderRow& row : rows.orders) {
    out.push_back('O');
    field(out, row.order_id);
    field(out, row.seq);
    field(out, row.account);
    field(out, row.client_order_id);
    field(out, row.side);
    field(out, row.chip);
    field(out, row.region);
    field(out, row.tif);
    field(out, row.urgency);
    decimal(out, row.price_ticks, price_frac_digits);
    decimal(out, row.qty_milli, qty_frac_digits);
    field(out, row.accepted_ms);
    out.push_back('\n');
  }
  for (const TradeRow& row : rows.trades) {
    out.push_back('T');
    field(out, row.trade_id);
    field(out, row.seq);
    field(out, row.chip);
    field(out, row.region);
    decimal(out, row.price_ticks, price_frac_digits);
    decimal(out, row.qty_milli, qty_frac_digits);
    decimal(out, row.notional_e7, amount_frac_digits);
    field(out, row.aggressor);
    field(out, row.bid_account);
    field(out, row.bid_order_id);
    field(out, row.ask_account);
    field(out, row.ask_order_id);
    field(out, row.traded_ms);
    out.push_back('\n');
  }
  for (const EndingRow& row : rows.endings) {
    out.push_back('E');
    field(out, row.order_id);
    field(out, row.seq);
    field(out, row.reason);
    decimal(out, row.price_ticks, price_frac_digits);
    decimal(out, row.filled_milli, qty_frac_digits);
    field(out, row.ended_ms);
    out.push_back('\n');
  }
  for (const PostingRow& row : rows.postings) {
    out.push_back('P');
    field(out, uint64_t(row.line));
    field(out, row.seq);
    field(out, row.trade_id);
    field(out, row.order_id);
    field(out, row.account);
    field(out, row.book);
    field(out, row.kind);
    decimal(out, row.amount_e7, amount_frac_digits);
    out.push_back('\n');
  }
  for (const BalanceRow& row : rows.balances) {
    out.push_back('L');
    field(out, row.account);
    decimal(out, row.available_e7, amount_frac_digits);
    decimal(out, row.held_e7, amount_frac_digits);
    out.push_back('\n');
  }
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
