// The sequencer's side of a restart (docs/durability.md, "Recovery"): which snapshot to start
// from, whether the journal lost what was acknowledged, and setting a lost journal aside. The
// server combines them with the ledger's state (gateway/src/server.cpp, Server::recover).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cpx/journal/journal.hpp"
#include "cpx/journal/snapshot.hpp"
#include "cpx/venue/venue.hpp"

namespace cpx::sequencer {

using venue::Venue;

// Loads into `venue` the newest snapshot of `dir` that is usable: the ledger settled all it
// holds (its seq is at most `ledger_seq`; UINT64_MAX without a ledger) and the journal goes on
// from its last record, and that reads whole (a damaged one is named on stderr and an older one
// tried; `fresh` makes a new venue each time). Unfinished snapshots are removed first. Nothing
// when none was loaded; throws std::runtime_error when the journal begins after record 1 and
// no snapshot covers what comes before.
std::optional<journal::SnapshotFile> recover_snapshot(
    const std::string& dir, uint64_t ledger_seq, std::unique_ptr<Venue>& venue,
    const std::function<std::unique_ptr<Venue>()>& fresh);

// What the journal lost of what is known to have been acknowledged (empty: nothing): the mark
// the journal writer keeps, and the commands the ledger settled (`ledger_seq`, when there is a
// ledger; `describe_ledger_after(seq)` says what it holds past seq). `records` is the journal's
// last record, `engine_seq` the last command seq the replay rebuilt. A folder that never held a
// record is a new journal, not a lost one.
std::string lost_acknowledged(const std::string& dir, uint64_t records,
                              const journal::Acknowledged& acked, uint64_t engine_seq,
                              std::optional<uint64_t> ledger_seq,
                              const std::function<std::string(uint64_t)>& describe_ledger_after);

// Moves every segment, snapshot and the acknowledgement mark of `dir` into a new folder
// `dir/lost-<UTC time>` (nothing is deleted) and returns its path.
std::string move_journal_aside(const std::string& dir);

}  // namespace cpx::sequencer
