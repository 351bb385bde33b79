// The snapshot policy of the sequencer stage: when to take a snapshot of the venue (every N
// journal records or S seconds), taking it in a forked copy of the process, and pruning the
// journal segments and snapshots the newest settled ones make unnecessary.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cpx/journal/snapshot.hpp"
#include "cpx/venue/venue.hpp"

namespace cpx::sequencer {

using venue::Venue;

// Snapshots of the whole state (docs/durability.md, "Snapshots"). The matcher forks between
// two groups: the child holds the state as of that instant (copy-on-write), writes it, syncs it
// and exits, while the matcher goes on at once; its only pause is the fork itself. Once the
// ledger has settled what a snapshot holds, the journal segments and snapshots older than the
// second newest such snapshot are deleted: two stay, so a damaged newest one still leaves an
// older one and the journal after it.
class Snapshots {
 public:
  // `settled_seq` tells how far the ledger has settled (empty: no ledger, everything counts as
  // settled); `journal_index` is the journal's last record at the start.
  Snapshots(std::string dir, uint64_t every, uint32_t interval_s,
            std::function<uint64_t()> settled_seq, uint64_t journal_index)
      : dir_(std::move(dir)),
        every_(every),
        interval_(std::chrono::seconds(interval_s)),
        settled_seq_(std::move(settled_seq)),
        last_index_(journal_index),
        last_time_(std::chrono::steady_clock::now()) {}
  Snapshots(const Snapshots&) = delete;
  Snapshots& operator=(const Snapshots&) = delete;

  // Between groups, on the matcher thread: `journal_index` records are journaled and acted on.
  void tick(const Venue& venue, uint64_t journal_index);

  // When the server stops: lets a snapshot being written finish.
  void finish() {
    if (child_ > 0) poll(true);
  }

 private:
  void start(const Venue& venue, uint64_t journal_index, std::chrono::steady_clock::time_point now);

  void poll(bool wait);

  void prune();

  std::string dir_;
  uint64_t every_;
  std::chrono::seconds interval_;
  std::function<uint64_t()> settled_seq_;
  uint64_t last_index_;
  std::chrono::steady_clock::time_point last_time_;
  std::chrono::steady_clock::time_point last_prune_{};
  std::chrono::steady_clock::time_point started_{};
  int64_t fork_us_ = 0;
  pid_t child_ = -1;
  journal::SnapshotFile pending_;
  std::vector<journal::SnapshotFile> taken_;  // by this run, oldest first
  uint64_t pruned_through_ = 0;
};

}  // namespace cpx::sequencer
