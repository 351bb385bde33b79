// load_state() and describe_after(): what a restarting server reads back from the ledger.
#include "cpx/ledger/state.hpp"

#include <pqxx/pqxx>

#include "cpx/base/decimal.hpp"
#include "pq_text.hpp"

namespace cpx::ledger {

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
  for (const auto& row :
       work.exec("SELECT key_id, account, secret, coalesce(expires_ms, 0) FROM api_keys"
                 " WHERE revoked_ms IS NULL ORDER BY created_at, key_id")) {
    state.keys.push_back(LedgerState::KeyState{row[0].as<std::string>(), row[1].as<std::string>(),
                                               row[2].as<std::string>(), row[3].as<int64_t>()});
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
  state.unsettled_contracts =
      work.exec1(
              "SELECT count(*) FROM contracts c WHERE NOT EXISTS (SELECT 1 FROM contract_events e"
              " WHERE e.trade_id = c.trade_id AND e.status = 'settled')")[0]
          .as<uint64_t>();
  return state;
}

std::string describe_after(const std::string& url, uint64_t seq) {
  pqxx::connection connection(url);
  pqxx::read_transaction work(connection);
  const std::string after = std::to_string(seq);
  const pqxx::row row = work.exec1(
      "SELECT (SELECT count(*) FROM accounts WHERE seq > " + after +
      "),"
      " (SELECT count(*) FROM orders WHERE seq > " +
      after +
      "),"
      " (SELECT count(*) FROM order_endings WHERE seq > " +
      after +
      "),"
      " (SELECT count(*) FROM trades WHERE seq > " +
      after +
      "),"
      " (SELECT coalesce(min(trade_id), 0) FROM trades WHERE seq > " +
      after +
      "),"
      " (SELECT coalesce(max(trade_id), 0) FROM trades WHERE seq > " +
      after +
      "),"
      " (SELECT count(*) FROM postings WHERE kind = 'deposit' AND book = 'deposits' AND seq > " +
      after +
      "),"
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
