#include "cpx/ledger/postings.hpp"

#include "cpx/engine/wire_names.hpp"

namespace cpx::ledger {

namespace {

constexpr NamedValue<Book> book_names[] = {{Book::deposits, "deposits"},
                                           {Book::available, "available"},
                                           {Book::held, "held"},
                                           {Book::escrow, "escrow"}};
constexpr NamedValue<PostingKind> posting_kind_names[] = {
    {PostingKind::deposit, "deposit"}, {PostingKind::hold, "hold"},
    {PostingKind::amend, "amend"},     {PostingKind::trade, "trade"},
    {PostingKind::release, "release"}, {PostingKind::collateral, "collateral"},
    {PostingKind::reserve, "reserve"}, {PostingKind::escrow, "escrow"},
    {PostingKind::settle, "settle"},   {PostingKind::refund, "refund"},
    {PostingKind::penalty, "penalty"}};
static_assert(is_dense(book_names) && is_dense(posting_kind_names));

}  // namespace

std::string_view to_string(Book book) {
  return name_of(book_names, book);
}
std::string_view to_string(PostingKind kind) {
  return name_of(posting_kind_names, kind);
}

void PostingRules::post(const Posting& posting, std::vector<Posting>& out) {
  if (posting.amount_e7 != 0) out.push_back(posting);
}

void PostingRules::move(uint64_t seq, uint64_t order_id, uint32_t account, Book from, Book to,
                        PostingKind kind, int128 amount, std::vector<Posting>& out) {
  if (amount == 0) return;
  post(Posting{seq, std::nullopt, order_id, account, from, kind, -amount}, out);
  post(Posting{seq, std::nullopt, order_id, account, to, kind, amount}, out);
}

void PostingRules::apply(const Record& record, std::vector<Posting>& out) {
  const uint64_t seq = record.seq;
  switch (record.kind) {
    case RecordKind::account:
    case RecordKind::key:
    case RecordKind::site:
      break;
    case RecordKind::deposit:
    case RecordKind::collateral: {
      const PostingKind kind =
          record.kind == RecordKind::deposit ? PostingKind::deposit : PostingKind::collateral;
      post(Posting{seq, std::nullopt, std::nullopt, record.account, Book::deposits, kind,
                   -record.amount_e7},
           out);
      post(Posting{seq, std::nullopt, std::nullopt, record.account, Book::available, kind,
                   record.amount_e7},
           out);
      break;
    }
    case RecordKind::accepted:
      if (record.side == Side::bid) {
        pending_ = PendingHold{true, seq, record.id, record.account,
                               notional_e7(record.price_ticks, record.qty_milli)};
      } else {  // an hourly ask's penalty reservation (0 for a plain ask)
        move(seq, record.id, record.account, Book::available, Book::held, PostingKind::reserve,
             record.amount_e7, out);
      }
      break;
    case RecordKind::contract:
      if (record.contract_status == ContractStatus::settled) contract_settled(record, out);
      break;
    case RecordKind::amended:
      if (record.amount_e7 > 0) {
        move(seq, record.id, record.account, Book::available, Book::held, PostingKind::amend,
             record.amount_e7, out);
      } else if (record.amount_e7 < 0) {
        move(seq, record.id, record.account, Book::held, Book::available, PostingKind::amend,
             -record.amount_e7, out);
      }
      break;
    case RecordKind::trade: {
      if (record.delivery_ms != 0) {
        contract_trade(record, out);
        break;
      }
      const int128 notional = notional_e7(record.price_ticks, record.qty_milli);
      const int128 hold = notional_e7(record.hold_price_ticks, record.qty_milli);
      if (pending_.active && pending_.order_id == record.bid_order_id) {
        pending_.amount -= hold;
        post(Posting{seq, record.id, record.bid_order_id, record.account, Book::available,
                     PostingKind::trade, -notional},
             out);
      } else {
        post(Posting{seq, record.id, record.bid_order_id, record.account, Book::held,
                     PostingKind::trade, -hold},
             out);
        post(Posting{seq, record.id, record.bid_order_id, record.account, Book::available,
                     PostingKind::release, hold - notional},
             out);
      }
      post(Posting{seq, record.id, record.ask_order_id, record.ask_account, Book::available,
                   PostingKind::trade, notional},
           out);
      break;
    }
    case RecordKind::ended:
      if (pending_.active && pending_.order_id == record.id) {
        pending_.amount -= record.amount_e7;
      } else {
        move(seq, record.id, record.account, Book::held, Book::available, PostingKind::release,
             record.amount_e7, out);
      }
      break;
  }
  if (record.last && pending_.active) {
    // Zero when the bid ended in its own command; negative never, but posted if it were, so
    // that the books still follow the engine's amounts.
    move(pending_.seq, pending_.order_id, pending_.account, Book::available, Book::held,
         PostingKind::hold, pending_.amount, out);
    pending_.active = false;
  }
}

void PostingRules::contract_trade(const Record& record, std::vector<Posting>& out) {
  const uint64_t seq = record.seq;
  const int128 notional = notional_e7(record.price_ticks, record.qty_milli);
  const int128 hold = notional_e7(record.hold_price_ticks, record.qty_milli);
  // The buyer's side as for a plain trade, into its escrow instead of the provider's hands.
  if (pending_.active && pending_.order_id == record.bid_order_id) {
    pending_.amount -= hold;
    post(Posting{seq, record.id, record.bid_order_id, record.account, Book::available,
                 PostingKind::escrow, -notional},
         out);
  } else {
    post(Posting{seq, record.id, record.bid_order_id, record.account, Book::held,
                 PostingKind::escrow, -hold},
         out);
    post(Posting{seq, record.id, record.bid_order_id, record.account, Book::available,
                 PostingKind::release, hold - notional},
         out);
  }
  post(Posting{seq, record.id, record.bid_order_id, record.account, Book::escrow,
               PostingKind::escrow, notional},
       out);
  // The provider's reservation: what the ask gives up, and what the contract takes.
  const int128 released = record.amount_e7;
  post(Posting{seq, record.id, record.ask_order_id, record.ask_account, Book::held,
               PostingKind::reserve, -released},
       out);
  post(Posting{seq, record.id, record.ask_order_id, record.ask_account, Book::available,
               PostingKind::reserve, released},
       out);
  post(Posting{seq, record.id, std::nullopt, record.ask_account, Book::available,
               PostingKind::reserve, -record.reserve_e7},
       out);
  post(Posting{seq, record.id, std::nullopt, record.ask_account, Book::held, PostingKind::reserve,
               record.reserve_e7},
       out);
}

void PostingRules::contract_settled(const Record& record, std::vector<Posting>& out) {
  const uint64_t seq = record.seq;
  const uint64_t trade = record.id;
  const uint32_t buyer = record.account;
  const uint32_t seller = record.ask_account;
  const auto line = [&](uint32_t account, Book book, PostingKind kind, int128 amount) {
    post(Posting{seq, trade, std::nullopt, account, book, kind, amount}, out);
  };
  line(buyer, Book::escrow, PostingKind::settle, -(record.amount_e7 + record.refunded_e7));
  line(seller, Book::available, PostingKind::settle, record.amount_e7);
  line(buyer, Book::available, PostingKind::refund, record.refunded_e7);
  line(seller, Book::available, PostingKind::penalty, -record.penalty_e7);
  line(buyer, Book::available, PostingKind::penalty, record.penalty_e7);
  line(seller, Book::held, PostingKind::release, -record.reserve_e7);
  line(seller, Book::available, PostingKind::release, record.reserve_e7);
}

}  // namespace cpx::ledger
