#include "cpx/ledger/verify.hpp"

#include <algorithm>
#include <pqxx/pqxx>

#include "cpx/base/json_text.hpp"
#include "cpx/ledger/migrations.hpp"
#include "cpx/ledger/rows.hpp"
#include "pq_text.hpp"

namespace cpx::ledger {

namespace {

constexpr uint64_t batches_per_read = 500;
constexpr std::size_t problems_max = 50;

std::string_view view(const pqxx::field& field) {
  return {field.c_str(), field.size()};
}

std::optional<uint64_t> optional_id(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<uint64_t>();
}

Hash hash_of(const pqxx::field& field) {
  const pqxx::binarystring bytes(field);
  Hash out{};
  if (bytes.size() == out.size()) std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

void add_problem(VerifyReport& report, std::string problem) {
  if (report.problems.size() < problems_max) report.problems.push_back(std::move(problem));
}

// A cursor over one table's rows of a batch range, ordered by batch then canonical key.
struct TableRows {
  pqxx::result rows;
  std::size_t next = 0;
  // The rows of `batch` (they come in batch order): [begin, end).
  std::pair<std::size_t, std::size_t> take(uint64_t batch) {
    const std::size_t begin = next;
    while (next < rows.size() && rows[next][0].as<uint64_t>() == batch) ++next;
    return {begin, next};
  }
};

// One read of batches [low, high]: the batches and every table's rows of them.
struct RangeRows {
  pqxx::result batches;
  TableRows accounts, orders, trades, endings, postings, balances;
  TableRows sites, contracts, events;  // docs/delivery.md
};

void read_delivery_range(pqxx::work& work, const std::string& where, RangeRows& range) {
  range.sites.rows = work.exec(
      "SELECT batch_id, site, seq, account, chip, region, capacity_pflops::text, green_pct,"
      " status FROM sites" +
      where + " ORDER BY batch_id, site COLLATE \"C\", seq");
  range.contracts.rows = work.exec(
      "SELECT batch_id, trade_id, seq, site, delivery_ms, buyer, seller, qty::text,"
      " price::text, notional::text FROM contracts" +
      where + " ORDER BY batch_id, trade_id");
  range.events.rows = work.exec(
      "SELECT batch_id, trade_id, seq, status, delivered::text, paid::text, refunded::text,"
      " penalty::text, event_ms FROM contract_events" +
      where + " ORDER BY batch_id, trade_id, seq, status COLLATE \"C\"");
}

std::optional<int128> optional_amount(const pqxx::field& field, int frac_digits) {
  if (field.is_null()) return std::nullopt;
  return parse_numeric(view(field), frac_digits);
}

void delivery_rows(RangeRows& range, BatchRows& rows) {
  for (auto [i, end] = range.sites.take(rows.batch_id); i < end; ++i) {
    const auto row = range.sites.rows[i];
    rows.sites.push_back(SiteRow{view(row[1]), row[2].as<uint64_t>(), view(row[3]), view(row[4]),
                                 view(row[5]),
                                 int64_t(parse_numeric(view(row[6]), qty_frac_digits)),
                                 row[7].as<uint32_t>(), view(row[8])});
  }
  for (auto [i, end] = range.contracts.take(rows.batch_id); i < end; ++i) {
    const auto row = range.contracts.rows[i];
    rows.contracts.push_back(ContractRow{row[1].as<uint64_t>(), row[2].as<uint64_t>(), view(row[3]),
                                         row[4].as<int64_t>(), view(row[5]), view(row[6]),
                                         int64_t(parse_numeric(view(row[7]), qty_frac_digits)),
                                         int64_t(parse_numeric(view(row[8]), price_frac_digits)),
                                         parse_numeric(view(row[9]), amount_frac_digits)});
  }
  for (auto [i, end] = range.events.take(rows.batch_id); i < end; ++i) {
    const auto row = range.events.rows[i];
    ContractEventRow event;
    event.trade_id = row[1].as<uint64_t>();
    event.seq = row[2].as<uint64_t>();
    event.status = view(row[3]);
    if (const auto delivered = optional_amount(row[4], qty_frac_digits)) {
      event.delivered_milli = int64_t(*delivered);
    }
    event.paid_e7 = optional_amount(row[5], amount_frac_digits);
    event.refunded_e7 = optional_amount(row[6], amount_frac_digits);
    event.penalty_e7 = optional_amount(row[7], amount_frac_digits);
    event.event_ms = row[8].as<int64_t>();
    rows.events.push_back(event);
  }
}

// The escrow identity (docs/delivery.md): the escrow books hold the notional of the contracts
// not settled; a settled contract paid and refunded its notional, no more, no less.
void check_escrow(pqxx::work& work, VerifyReport& report) {
  const pqxx::row escrow = work.exec1(
      "SELECT (SELECT coalesce(sum(amount), 0) FROM postings WHERE book = 'escrow')::text,"
      " (SELECT coalesce(sum(notional), 0) FROM contracts c WHERE NOT EXISTS (SELECT 1 FROM"
      "  contract_events e WHERE e.trade_id = c.trade_id AND e.status = 'settled'))::text");
  if (parse_numeric(view(escrow[0]), amount_frac_digits) !=
      parse_numeric(view(escrow[1]), amount_frac_digits)) {
    add_problem(report, "escrow holds " + std::string(view(escrow[0])) +
                            " but the unsettled contracts' notional is " +
                            std::string(view(escrow[1])));
  }
  const pqxx::result wrong = work.exec(
      "SELECT c.trade_id FROM contracts c JOIN contract_events e ON e.trade_id = c.trade_id"
      " AND e.status = 'settled' WHERE e.paid + e.refunded <> c.notional ORDER BY 1 LIMIT 20");
  for (const auto& row : wrong) {
    add_problem(report, "contract " + std::string(view(row[0])) +
                            " settled for other than its notional (paid + refunded)");
  }
}

RangeRows read_range(pqxx::work& work, uint64_t low, uint64_t high) {
  const std::string where =
      " WHERE batch_id BETWEEN " + std::to_string(low) + " AND " + std::to_string(high);
  RangeRows range;
  range.batches = work.exec(
      "SELECT batch_id, first_seq, last_seq, trade_count, prev_hash, hash FROM "
      "settlement_batches" +
      where + " ORDER BY batch_id");
  range.accounts.rows = work.exec("SELECT batch_id, account, role, seq FROM accounts" + where +
                                  " ORDER BY batch_id, seq, account COLLATE \"C\"");
  range.orders.rows = work.exec(
      "SELECT batch_id, order_id, seq, account, client_order_id, side, chip, region, tif,"
      " urgency, price::text, qty::text, accepted_ms FROM orders" +
      where + " ORDER BY batch_id, order_id");
  range.trades.rows = work.exec(
      "SELECT batch_id, trade_id, seq, chip, region, price::text, qty::text, notional::text,"
      " aggressor, bid_account, bid_order_id, ask_account, ask_order_id, traded_ms FROM "
      "trades" +
      where + " ORDER BY batch_id, trade_id");
  // Endings: in order_endings, or in their order's own row (migration 0004).
  range.endings.rows = work.exec(
      "SELECT batch_id, order_id, seq, reason, price::text, filled_qty::text, ended_ms FROM "
      "order_endings" +
      where +
      " UNION ALL SELECT batch_id, order_id, end_seq, end_reason, end_price::text,"
      " filled_qty::text, ended_ms FROM orders" +
      where + " AND end_seq IS NOT NULL ORDER BY 1, 2");
  range.postings.rows = work.exec(
      "SELECT batch_id, line, seq, trade_id, order_id, account, book, kind, amount::text"
      " FROM postings" +
      where + " ORDER BY batch_id, line");
  range.balances.rows =
      work.exec("SELECT batch_id, account, available::text, held::text FROM balances" + where +
                " ORDER BY batch_id, account COLLATE \"C\"");
  read_delivery_range(work, where, range);
  return range;
}

TradeRow trade_of(const pqxx::row& row) {
  return TradeRow{row[1].as<uint64_t>(),
                  row[2].as<uint64_t>(),
                  view(row[3]),
                  view(row[4]),
                  int64_t(parse_numeric(view(row[5]), price_frac_digits)),
                  int64_t(parse_numeric(view(row[6]), qty_frac_digits)),
                  parse_numeric(view(row[7]), amount_frac_digits),
                  view(row[8]),
                  view(row[9]),
                  row[10].as<uint64_t>(),
                  view(row[11]),
                  row[12].as<uint64_t>(),
                  row[13].as<int64_t>()};
}

// The rows of one batch, as canonical_text() hashes them.
BatchRows batch_rows(RangeRows& range, const pqxx::row& batch) {
  BatchRows rows;
  rows.batch_id = batch[0].as<uint64_t>();
  rows.first_seq = batch[1].as<uint64_t>();
  rows.last_seq = batch[2].as<uint64_t>();
  for (auto [i, end] = range.accounts.take(rows.batch_id); i < end; ++i) {
    const auto row = range.accounts.rows[i];
    rows.accounts.push_back(AccountRow{view(row[1]), view(row[2]), row[3].as<uint64_t>()});
  }
  for (auto [i, end] = range.orders.take(rows.batch_id); i < end; ++i) {
    const auto row = range.orders.rows[i];
    rows.orders.push_back(
        OrderRow{row[1].as<uint64_t>(), row[2].as<uint64_t>(), view(row[3]), view(row[4]),
                 view(row[5]), view(row[6]), view(row[7]), view(row[8]), view(row[9]),
                 int64_t(parse_numeric(view(row[10]), price_frac_digits)),
                 int64_t(parse_numeric(view(row[11]), qty_frac_digits)), row[12].as<int64_t>()});
  }
  for (auto [i, end] = range.trades.take(rows.batch_id); i < end; ++i) {
    rows.trades.push_back(trade_of(range.trades.rows[i]));
  }
  for (auto [i, end] = range.endings.take(rows.batch_id); i < end; ++i) {
    const auto row = range.endings.rows[i];
    rows.endings.push_back(EndingRow{row[1].as<uint64_t>(), row[2].as<uint64_t>(), view(row[3]),
                                     int64_t(parse_numeric(view(row[4]), price_frac_digits)),
                                     int64_t(parse_numeric(view(row[5]), qty_frac_digits)),
                                     row[6].as<int64_t>()});
  }
  for (auto [i, end] = range.postings.take(rows.batch_id); i < end; ++i) {
    const auto row = range.postings.rows[i];
    rows.postings.push_back(PostingRow{
        row[1].as<uint32_t>(), row[2].as<uint64_t>(), optional_id(row[3]), optional_id(row[4]),
        view(row[5]), view(row[6]), view(row[7]), parse_numeric(view(row[8]), amount_frac_digits)});
  }
  for (auto [i, end] = range.balances.take(rows.batch_id); i < end; ++i) {
    const auto row = range.balances.rows[i];
    rows.balances.push_back(BalanceRow{view(row[1]),
                                       parse_numeric(view(row[2]), amount_frac_digits),
                                       parse_numeric(view(row[3]), amount_frac_digits)});
  }
  delivery_rows(range, rows);
  return rows;
}

// What one batch must hold by itself: notionals, balance rows for every account it posts to,
// postings that balance, its trade count, commands after the batch before it.
void check_batch(const BatchRows& rows, uint64_t trade_count, uint64_t previous_last_seq,
                 VerifyReport& report) {
  const std::string name = "batch " + std::to_string(rows.batch_id);
  for (const TradeRow& trade : rows.trades) {
    if (trade.notional_e7 != notional_e7(trade.price_ticks, trade.qty_milli)) {
      add_problem(report, name + ": trade " + std::to_string(trade.trade_id) +
                              "'s notional is not its price times its quantity");
    }
  }
  int128 batch_sum = 0;
  for (const PostingRow& posting : rows.postings) batch_sum += posting.amount_e7;
  // An account's postings are found through its balance rows (docs/ledger.md, "Indexes"), so
  // every account a batch posts to has its balance row in that batch. Balances come in byte
  // order of account (COLLATE "C").
  for (const PostingRow& posting : rows.postings) {
    const auto found = std::lower_bound(
        rows.balances.begin(), rows.balances.end(), posting.account,
        [](const BalanceRow& row, std::string_view account) { return row.account < account; });
    if (found == rows.balances.end() || found->account != posting.account) {
      add_problem(report, name + ": posts to account " + std::string(posting.account) +
                              " but holds no balance row for it");
      break;
    }
  }
  if (batch_sum != 0) {
    add_problem(report, name + ": postings do not balance (they sum to " +
                            format_decimal(batch_sum, amount_frac_digits) + ")");
  }
  if (trade_count != rows.trades.size()) {
    add_problem(report, name + ": says " + std::to_string(trade_count) + " trades, holds " +
                            std::to_string(rows.trades.size()));
  }
  if (rows.batch_id > 1 && rows.first_seq < previous_last_seq) {
    add_problem(report, name + ": its commands overlap the batch before it");
  }
}

// What holds across batches: no row outside the chain, postings that balance in total, and
// every account's latest balance row equal to the sum of its postings.
void check_totals(pqxx::work& work, VerifyReport& report) {
  // Rows that name a batch that does not exist would escape the chain: none may.
  for (const char* table : {"accounts", "orders", "order_endings", "trades", "postings", "balances",
                            "sites", "contracts", "contract_events"}) {
    const uint64_t orphans =
        work.exec1(std::string("SELECT count(*) FROM ") + table +
                   " t WHERE NOT EXISTS (SELECT 1 FROM settlement_batches b WHERE "
                   "b.batch_id = t.batch_id)")[0]
            .as<uint64_t>();
    if (orphans > 0) {
      add_problem(report, std::to_string(orphans) + " row(s) of " + table +
                              " belong to no settlement batch");
    }
  }
  const pqxx::row total = work.exec1("SELECT coalesce(sum(amount), 0)::text FROM postings");
  if (parse_numeric(view(total[0]), amount_frac_digits) != 0) {
    add_problem(report, "postings do not balance in total (they sum to " +
                            std::string(view(total[0])) + ")");
  }
  const pqxx::result disagree = work.exec(
      "WITH latest AS (SELECT DISTINCT ON (account) account, available, held FROM balances"
      "   ORDER BY account, batch_id DESC),"
      " sums AS (SELECT account,"
      "   coalesce(sum(amount) FILTER (WHERE book = 'available'), 0) AS available,"
      "   coalesce(sum(amount) FILTER (WHERE book = 'held'), 0) AS held"
      "   FROM postings GROUP BY account)"
      " SELECT coalesce(l.account, s.account), coalesce(l.available, 0)::text,"
      "   coalesce(s.available, 0)::text, coalesce(l.held, 0)::text, coalesce(s.held, 0)::text"
      " FROM latest l FULL JOIN sums s ON s.account = l.account"
      " WHERE coalesce(l.available, 0) <> coalesce(s.available, 0)"
      "    OR coalesce(l.held, 0) <> coalesce(s.held, 0)"
      " ORDER BY 1 LIMIT 20");
  for (const auto& row : disagree) {
    add_problem(report, "account " + std::string(view(row[0])) + ": balance available " +
                            std::string(view(row[1])) + " held " + std::string(view(row[3])) +
                            ", but its postings say available " + std::string(view(row[2])) +
                            " held " + std::string(view(row[4])));
  }
}

}  // namespace

VerifyReport verify(const std::string& url) {
  VerifyReport report;
  try {
    pqxx::connection connection(url);
    pqxx::work work(connection);
    work.exec0("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    // An auditor (no access to the server's tables) reads the same rows through the views of
    // schema audit_chain (migration 0009), which the unqualified names below then resolve to.
    if (!work.exec1("SELECT has_table_privilege('public.settlement_batches', 'SELECT')")[0]
             .as<bool>()) {
      work.exec0("SET LOCAL search_path TO audit_chain");
    }
    const pqxx::row range =
        work.exec1("SELECT coalesce(max(batch_id), 0), count(*) FROM settlement_batches");
    const uint64_t last = range[0].as<uint64_t>();
    if (range[1].as<uint64_t>() != last) {
      add_problem(report, "batch ids are not 1.." + std::to_string(last) + " without gaps");
    }
    Hash expected_prev{};
    uint64_t previous_last_seq = 0;
    std::string text;
    for (uint64_t low = 1; low <= last; low += batches_per_read) {
      RangeRows rows_of_range = read_range(work, low, std::min(last, low + batches_per_read - 1));
      for (const auto& batch : rows_of_range.batches) {
        const BatchRows rows = batch_rows(rows_of_range, batch);
        check_batch(rows, batch[3].as<uint64_t>(), previous_last_seq, report);
        previous_last_seq = rows.last_seq;
        // The chain: each batch's previous hash is the hash before it, and its rows hash to
        // its stored hash.
        const Hash stored_prev = hash_of(batch[4]);
        const Hash stored = hash_of(batch[5]);
        text.clear();
        canonical_text(rows, text);
        const Hash computed = chain_hash(stored_prev, text);
        if (report.first_broken_batch == 0 &&
            (stored_prev != expected_prev || computed != stored)) {
          report.first_broken_batch = rows.batch_id;
          add_problem(report, "batch " + std::to_string(rows.batch_id) +
                                  (stored_prev != expected_prev
                                       ? ": its previous hash is not the hash of the batch "
                                         "before it"
                                       : ": its rows do not hash to its stored hash (a settled "
                                         "row was changed, added or removed)"));
        }
        expected_prev = stored;
        ++report.batches;
        report.trades += rows.trades.size();
        report.postings += rows.postings.size();
      }
    }
    check_totals(work, report);
    check_escrow(work, report);
    report.ok = report.problems.empty();
  } catch (const std::exception& error) {
    report.error = "ledger database " + redact_url(url) + ": " + error.what();
    report.ok = false;
  }
  return report;
}

std::string to_json(const VerifyReport& report) {
  std::string out = "{\"ok\":";
  out += report.ok ? "true" : "false";
  out += ",\"batches\":" + std::to_string(report.batches);
  out += ",\"trades\":" + std::to_string(report.trades);
  out += ",\"postings\":" + std::to_string(report.postings);
  out += ",\"first_broken_batch\":";
  out += report.first_broken_batch ? std::to_string(report.first_broken_batch) : "null";
  out += ",\"problems\":[";
  for (std::size_t i = 0; i < report.problems.size(); ++i) {
    if (i) out += ',';
    out += json_string(report.problems[i]);
  }
  out += "]";
  if (!report.error.empty()) out += ",\"error\":" + json_string(report.error);
  return out + "}";
}

std::string to_text(const VerifyReport& report) {
  std::string out;
  if (!report.error.empty()) return "cannot verify: " + report.error + "\n";
  out += "batches " + std::to_string(report.batches) + ", trades " + std::to_string(report.trades) +
         ", postings " + std::to_string(report.postings) + "\n";
  for (const std::string& problem : report.problems) out += "problem: " + problem + "\n";
  if (report.first_broken_batch) {
    out += "the chain breaks at batch " + std::to_string(report.first_broken_batch) + "\n";
  }
  out += report.ok ? "ledger verified: the chain holds, postings balance, balances agree\n"
                   : "ledger NOT verified\n";
  return out;
}

}  // namespace cpx::ledger
