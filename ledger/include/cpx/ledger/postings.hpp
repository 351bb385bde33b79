// The double-entry rules (docs/ledger.md, "Double entry"): the postings each matcher record
// makes, between the books of an account. A pure unit: no PostgreSQL, no threads; the writer
// applies it to every record it settles (and to every record it absorbs after a restart).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "cpx/ledger/record.hpp"

namespace cpx::ledger {

// Where an account's money is: paid in (`deposits`, which only ever goes negative, so that
// every posting has its counterpart), free to use, held for open bids (and a provider's penalty
// reservations), or a buyer's in the escrow of its unsettled contracts (docs/delivery.md).
enum class Book : uint8_t { deposits, available, held, escrow };
// Why money moved.
enum class PostingKind : uint8_t {
  deposit,
  hold,
  amend,
  trade,
  release,
  collateral,  // a provider's deposit
  reserve,     // a provider's penalty reservation for an hourly ask or a contract
  escrow,      // a buyer's money into a contract's escrow
  settle,      // the escrow out: paid to the provider
  refund,      // the escrow out: back to the buyer for what was not delivered
  penalty,     // from the provider to the buyer, on what was not delivered
};
std::string_view to_string(Book book);
std::string_view to_string(PostingKind kind);

struct Posting {
  uint64_t seq = 0;
  std::optional<uint64_t> trade_id;
  std::optional<uint64_t> order_id;
  uint32_t account = 0;
  Book book = Book::available;
  PostingKind kind = PostingKind::deposit;
  int128 amount_e7 = 0;  // never 0
};

class PostingRules {
 public:
  // Appends the postings of `record` to `out`. A command's records come one after another, its
  // last one marked: a bid accepted in a command holds, when the command ends, only what is
  // still open, so an aggressor's own trades pay from `available` directly.
  void apply(const Record& record, std::vector<Posting>& out);

 private:
  void post(const Posting& posting, std::vector<Posting>& out);
  // Two postings moving `amount` from one book of the account to another.
  void move(uint64_t seq, uint64_t order_id, uint32_t account, Book from, Book to, PostingKind kind,
            int128 amount, std::vector<Posting>& out);
  // A trade of a delivery hour: the buyer's money into escrow, the provider's reservation from
  // its ask to the contract.
  void contract_trade(const Record& record, std::vector<Posting>& out);
  void contract_settled(const Record& record, std::vector<Posting>& out);

  // The hold of a bid accepted in the command being applied, less what its own trades and its
  // ending in that command used.
  struct PendingHold {
    bool active = false;
    uint64_t seq = 0;
    uint64_t order_id = 0;
    uint32_t account = 0;
    int128 amount = 0;
  } pending_;
};

}  // namespace cpx::ledger
