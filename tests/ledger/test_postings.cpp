// The double-entry rules as a pure unit: what each record posts, to which books, and that every
// command's postings sum to zero and leave the books where the engine's balances are.
#include <doctest/doctest.h>

#include <map>
#include <vector>

#include "cpx/ledger/postings.hpp"

namespace cpx::ledger {
namespace {

constexpr int128 cny = 10'000'000;  // one CNY in amount units

Record deposit(uint64_t seq, uint32_t account, int128 amount) {
  Record r;
  r.kind = RecordKind::deposit;
  r.seq = seq;
  r.account = account;
  r.amount_e7 = amount;
  r.last = true;
  return r;
}

Record accepted(uint64_t seq, uint64_t order_id, uint32_t account, Side side, int64_t price_ticks,
                int64_t qty_milli, bool last) {
  Record r;
  r.kind = RecordKind::accepted;
  r.seq = seq;
  r.id = order_id;
  r.account = account;
  r.side = side;
  r.price_ticks = price_ticks;
  r.qty_milli = qty_milli;
  r.last = last;
  return r;
}

Record trade(uint64_t seq, uint64_t trade_id, uint32_t bid_account, uint64_t bid_order,
             int64_t bid_price, uint32_t ask_account, uint64_t ask_order, int64_t price,
             int64_t qty, bool last) {
  Record r;
  r.kind = RecordKind::trade;
  r.seq = seq;
  r.id = trade_id;
  r.account = bid_account;
  r.bid_order_id = bid_order;
  r.hold_price_ticks = bid_price;
  r.ask_account = ask_account;
  r.ask_order_id = ask_order;
  r.price_ticks = price;
  r.qty_milli = qty;
  r.last = last;
  return r;
}

Record ended(uint64_t seq, uint64_t order_id, uint32_t account, int128 released, bool last) {
  Record r;
  r.kind = RecordKind::ended;
  r.seq = seq;
  r.id = order_id;
  r.account = account;
  r.amount_e7 = released;
  r.last = last;
  return r;
}

// The books of each account after the postings.
struct Books {
  std::map<std::pair<uint32_t, Book>, int128> amount;
  int128 operator()(uint32_t account, Book book) const {
    const auto it = amount.find({account, book});
    return it == amount.end() ? 0 : it->second;
  }
};

// Applies one command's records; checks its postings sum to zero.
std::vector<Posting> command(PostingRules& rules, Books& books,
                             std::initializer_list<Record> records) {
  std::vector<Posting> out;
  for (const Record& record : records) rules.apply(record, out);
  int128 sum = 0;
  for (const Posting& posting : out) {
    CHECK(posting.amount_e7 != 0);
    sum += posting.amount_e7;
    books.amount[{posting.account, posting.book}] += posting.amount_e7;
  }
  CHECK(sum == 0);
  return out;
}

}  // namespace

TEST_CASE("a deposit moves money from the deposits book to available") {
  PostingRules rules;
  Books books;
  const auto out = command(rules, books, {deposit(1, 0, 100 * cny)});
  REQUIRE(out.size() == 2);
  CHECK(out[0].book == Book::deposits);
  CHECK(out[0].kind == PostingKind::deposit);
  CHECK(to_string(out[1].book) == "available");
  CHECK(books(0, Book::available) == 100 * cny);
  CHECK(books(0, Book::deposits) == -100 * cny);
}

TEST_CASE(
    "a resting bid holds its notional; a later trade pays from the hold; its ending "
    "releases the rest") {
  PostingRules rules;
  Books books;
  command(rules, books, {deposit(1, 0, 1000 * cny)});
  // Bid 5 PFLOPS-h at 12 CNY: 60 CNY held.
  command(rules, books, {accepted(2, 1, 0, Side::bid, 120'000, 5'000, true)});
  CHECK(books(0, Book::held) == 60 * cny);
  CHECK(books(0, Book::available) == 940 * cny);
  // An ask trades 2 at the resting bid's 12: the buyer pays 24 from its hold.
  const auto out =
      command(rules, books,
              {accepted(3, 2, 1, Side::ask, 100'000, 2'000, false),
               trade(3, 1, 0, 1, 120'000, 1, 2, 120'000, 2'000, false), ended(3, 2, 1, 0, true)});
  CHECK(books(0, Book::held) == 36 * cny);
  CHECK(books(1, Book::available) == 24 * cny);
  CHECK(out.front().kind == PostingKind::trade);
  // Cancelled: the 36 held go back.
  command(rules, books, {ended(4, 1, 0, 36 * cny, true)});
  CHECK(books(0, Book::held) == 0);
  CHECK(books(0, Book::available) == 976 * cny);
}

TEST_CASE("an aggressive bid pays its own trades from available and holds only what rests") {
  PostingRules rules;
  Books books;
  command(rules, books, {deposit(1, 0, 1000 * cny)});
  command(rules, books, {accepted(2, 1, 1, Side::ask, 100'000, 3'000, true)});
  // Bid 5 at 12 takes the 3 resting at 10: 30 paid; 2 rest at 12: 24 held.
  const auto out =
      command(rules, books,
              {accepted(3, 2, 0, Side::bid, 120'000, 5'000, false),
               trade(3, 1, 0, 2, 120'000, 1, 1, 100'000, 3'000, false), ended(3, 1, 1, 0, true)});
  CHECK(books(0, Book::available) == 1000 * cny - 30 * cny - 24 * cny);
  CHECK(books(0, Book::held) == 24 * cny);
  CHECK(books(1, Book::available) == 30 * cny);
  CHECK(out.back().kind == PostingKind::hold);
  // A bid filled whole in its own command holds nothing.
  PostingRules fresh;
  Books other;
  command(fresh, other, {deposit(1, 0, 100 * cny)});
  command(fresh, other, {accepted(2, 1, 1, Side::ask, 100'000, 1'000, true)});
  command(fresh, other,
          {accepted(3, 2, 0, Side::bid, 100'000, 1'000, false),
           trade(3, 1, 0, 2, 100'000, 1, 1, 100'000, 1'000, false), ended(3, 2, 0, 0, false),
           ended(3, 1, 1, 0, true)});
  CHECK(other(0, Book::held) == 0);
  CHECK(other(0, Book::available) == 90 * cny);
}

TEST_CASE("amends move the hold's change between available and held") {
  PostingRules rules;
  Books books;
  command(rules, books, {deposit(1, 0, 100 * cny)});
  command(rules, books, {accepted(2, 1, 0, Side::bid, 100'000, 1'000, true)});
  Record up;
  up.kind = RecordKind::amended;
  up.seq = 3;
  up.id = 1;
  up.amount_e7 = 5 * cny;
  up.last = true;
  auto out = command(rules, books, {up});
  REQUIRE(out.size() == 2);
  CHECK(out[1].kind == PostingKind::amend);
  CHECK(books(0, Book::held) == 15 * cny);
  Record down = up;
  down.seq = 4;
  down.amount_e7 = -12 * cny;
  command(rules, books, {down});
  CHECK(books(0, Book::held) == 3 * cny);
  CHECK(books(0, Book::available) == 97 * cny);
  // Accounts and keys post nothing.
  Record account;
  account.kind = RecordKind::account;
  account.last = true;
  CHECK(command(rules, books, {account}).empty());
}

}  // namespace cpx::ledger
