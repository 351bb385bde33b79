// load_state(): what a restarting server takes back from the ledger.
#include <pqxx/pqxx>

#include "cpx/ledger/writer.hpp"
#include "cpx/engine/decimal.hpp"
#include "pq_text.hpp"

namespace cpx::ledger {

namespace {

Role role_of(std::string_view text) {
  if (text == "provider") return Role::provider;
  if (text == "auditor") return Role::auditor;
  if (text == "operator") return Role::operator_;
  return Role::enterprise;
}

}  // namespace

LedgerState load_state(const std::string& url, const Config& config) {
  (void)config;
  LedgerState state;
  pqxx::connection connection(url);
  pqxx::read_transaction work(connection);
  const pqxx::row last = work.exec1(
      "SELECT coalesce(max(batch_id), 0), coalesce(max(last_seq), 0),"
      " (SELECT coalesce(max(trade_id), 0) FROM trades) FROM settlement_batches");
  state.last_batch_id = last[0].as<uint64_t>();
  state.last_seq = last[1].as<uint64_t>();
  state.last_trade_id = last[2].as<uint64_t>();

  const pqxx::result accounts = work.exec(
      "SELECT a.account, a.role, coalesce(b.available, 0)::text, coalesce(b.held, 0)::text"
      " FROM accounts a LEFT JOIN (SELECT DISTINCT ON (account) account, available, held"
      "   FROM balances ORDER BY account, batch_id DESC) b USING (account)"
      " ORDER BY a.seq, a.account");
  for (const auto& row : accounts) {
    LedgerState::AccountState& account = state.accounts.emplace_back();
    account.name = row[0].as<std::string>();
    account.role = role_of(row[1].c_str());
    account.available_e7 = parse_numeric(row[2].c_str(), amount_frac_digits);
    account.held_e7 = parse_numeric(row[3].c_str(), amount_frac_digits);
  }
  for (const auto& row : work.exec("SELECT key_id, account, secret FROM api_keys ORDER BY "
                                   "created_at, key_id")) {
    state.keys.push_back(LedgerState::KeyState{row[0].as<std::string>(),
                                               row[1].as<std::string>(),
                                               row[2].as<std::string>()});
  }
  // Open orders with what they hold and have filled: joins and one pass over postings and trades
  // each (neither is indexed by order; a subquery per open order would scan them per order).
  const pqxx::result open = work.exec(
      "WITH open AS (SELECT o.order_id, o.account, o.side, o.price FROM orders o"
      "   WHERE o.end_seq IS NULL"
      "   AND NOT EXISTS (SELECT 1 FROM order_endings e WHERE e.order_id = o.order_id)),"
      " held AS (SELECT p.order_id, sum(p.amount) AS amount FROM postings p"
      "   JOIN open USING (order_id) WHERE p.book = 'held' GROUP BY p.order_id),"
      " filled AS (SELECT order_id, sum(qty) AS qty FROM ("
      "   SELECT t.bid_order_id AS order_id, t.qty FROM trades t"
      "     JOIN open o ON o.order_id = t.bid_order_id"
      "   UNION ALL SELECT t.ask_order_id, t.qty FROM trades t"
      "     JOIN open o ON o.order_id = t.ask_order_id) f GROUP BY order_id)"
      " SELECT open.order_id, open.account, open.side, open.price::text,"
      "  coalesce(held.amount, 0)::text, coalesce(filled.qty, 0)::text"
      " FROM open LEFT JOIN held USING (order_id) LEFT JOIN filled USING (order_id)"
      " ORDER BY open.order_id");
  for (const auto& row : open) {
    LedgerState::OpenOrder& order = state.open_orders.emplace_back();
    order.order_id = row[0].as<uint64_t>();
    order.account = row[1].as<std::string>();
    order.side = std::string_view(row[2].c_str()) == "ask" ? Side::ask : Side::bid;
    order.price_ticks = int64_t(parse_numeric(row[3].c_str(), price_frac_digits));
    order.held_e7 = parse_numeric(row[4].c_str(), amount_frac_digits);
    order.filled_milli = int64_t(parse_numeric(row[5].c_str(), qty_frac_digits));
  }
  return state;
}

namespace {

std::string int128_text(int128 value) {
  std::string out;
  append_int128(out, value);
  return out;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const std::size_t space = line.find(' ');
    out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return out;
}

uint64_t number(std::string_view text) { return uint64_t(parse_numeric(text, 0)); }

}  // namespace

std::string serialize(const LedgerState& state) {
  std::string out = "resume " + std::to_string(state.last_seq) + " " +
                    std::to_string(state.last_trade_id) + " " +
                    std::to_string(state.last_batch_id) + "\n";
  for (const auto& account : state.accounts) {
    out += "account " + account.name + " " + std::string(to_string(account.role)) + " " +
           int128_text(account.available_e7) + " " + int128_text(account.held_e7) + "\n";
  }
  for (const auto& key : state.keys) {
    out += "key " + key.key_id + " " + key.account + " " + key.secret + "\n";
  }
  for (const auto& order : state.open_orders) {
    out += "open " + std::to_string(order.order_id) + " " + order.account + " " +
           std::string(to_string(order.side)) + " " + std::to_string(order.price_ticks) + " " +
           std::to_string(order.filled_milli) + " " + int128_text(order.held_e7) + "\n";
  }
  return out;
}

LedgerState parse_state(std::string_view text) {
  LedgerState state;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::vector<std::string_view> f = split(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (f.empty()) continue;
    if (f[0] == "resume" && f.size() == 4) {
      state.last_seq = number(f[1]);
      state.last_trade_id = number(f[2]);
      state.last_batch_id = number(f[3]);
    } else if (f[0] == "account" && f.size() == 5) {
      state.accounts.push_back(LedgerState::AccountState{
          std::string(f[1]), role_of(f[2]), parse_numeric(f[3], 0), parse_numeric(f[4], 0)});
    } else if (f[0] == "key" && f.size() == 4) {
      state.keys.push_back(
          LedgerState::KeyState{std::string(f[1]), std::string(f[2]), std::string(f[3])});
    } else if (f[0] == "open" && f.size() == 7) {
      state.open_orders.push_back(LedgerState::OpenOrder{
          number(f[1]), std::string(f[2]), f[3] == "ask" ? Side::ask : Side::bid,
          int64_t(parse_numeric(f[4], 0)), int64_t(parse_numeric(f[5], 0)),
          parse_numeric(f[6], 0)});
    } else {
      throw std::runtime_error("not a ledger state line: " + std::string(f[0]));
    }
  }
  return state;
}

}  // namespace cpx::ledger

namespace cpx::ledger {

std::string describe_after(const std::string& url, uint64_t seq) {
  pqxx::connection connection(url);
  pqxx::read_transaction work(connection);
  const std::string after = std::to_string(seq);
  const pqxx::row row = work.exec1(
      "SELECT (SELECT count(*) FROM accounts WHERE seq > " + after + "),"
      " (SELECT count(*) FROM orders WHERE seq > " + after + "),"
      " (SELECT count(*) FROM order_endings WHERE seq > " + after + "),"
      " (SELECT count(*) FROM trades WHERE seq > " + after + "),"
      " (SELECT coalesce(min(trade_id), 0) FROM trades WHERE seq > " + after + "),"
      " (SELECT coalesce(max(trade_id), 0) FROM trades WHERE seq > " + after + "),"
      " (SELECT count(*) FROM postings WHERE kind = 'deposit' AND book = 'deposits' AND seq > " +
      after + "),"
      " (SELECT coalesce(max(last_seq), 0) FROM settlement_batches)");
  const uint64_t last = row[7].as<uint64_t>();
  if (last <= seq) return "the ledger holds nothing after seq " + after;
  std::string out = "the ledger holds seqs " + std::to_string(seq + 1) + "-" +
                    std::to_string(last) + " beyond it: " + row[0].as<std::string>() +
                    " account(s), " + row[1].as<std::string>() + " order(s) accepted, " +
                    row[2].as<std::string>() + " order ending(s), " + row[3].as<std::string>() +
                    " trade(s)";
  if (row[3].as<uint64_t>() > 0) {
    out += " (ids " + row[4].as<std::string>() + "-" + row[5].as<std::string>() + ")";
  }
  return out + ", " + row[6].as<std::string>() + " deposit(s)";
}

}  // namespace cpx::ledger
