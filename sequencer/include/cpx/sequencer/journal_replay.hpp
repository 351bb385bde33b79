// Replaying the command journal through a venue: what cpx-server does at start and what
// cpx-replay --journal does to print the events of a live run again. docs/durability.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cpx/journal/journal.hpp"
#include "cpx/journal/snapshot.hpp"
#include "cpx/venue/venue.hpp"

namespace cpx::sequencer {

using venue::Request;
using venue::Venue;

// A journal record's payload starts with its type: an encoded request (journal_codec.hpp), or
// the text of a ledger restore (what a server without a journal took back from the ledger).
enum class PayloadType : uint8_t { request = 1, restore = 2 };

// The payload of a request the venue admitted for `caller`.
void request_payload(const Request& request, const Venue::Caller& caller,
                     std::vector<unsigned char>& out);

struct JournalReplay {
  journal::ReadResult read;
  uint64_t replayed = 0;  // records acted on (after `after`)
};

// Acts on every record of the journal in `dir` numbered above `after` (a snapshot holds the
// others), each as the caller it names. `ready` runs once the venue has its accounts: after a
// restore record, or before the first request (the server adds its operator key there; it must
// be idempotent). Throws std::runtime_error on a record this build cannot read; damage to the
// journal is in the result's read.
JournalReplay replay_journal(const std::string& dir, uint64_t after, Venue& venue,
                             const std::function<void()>& ready, bool truncate_torn_tail = true);

// Loads into `venue` the first of `candidates` that reads whole (each is checked before it is
// loaded). A damaged one is handed to `unusable` (its file, offset and what is wrong) and
// `venue` is made afresh by `fresh` before the next is tried. Returns the one loaded, or
// nothing when none was.
std::optional<journal::SnapshotFile> load_first_snapshot(
    const std::vector<journal::SnapshotFile>& candidates, std::unique_ptr<Venue>& venue,
    const std::function<std::unique_ptr<Venue>()>& fresh,
    const std::function<void(const std::string&)>& unusable);

}  // namespace cpx::sequencer
