// The sequencer stage, run by the matcher thread (docs/architecture.md): each group of requests
// taken off the inbound ring is admitted, journaled, committed and only then acted on, so
// nothing is acknowledged before its command is durable (docs/durability.md).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "cpx/journal/journal.hpp"
#include "cpx/sequencer/snapshots.hpp"
#include "cpx/venue/venue.hpp"

namespace cpx::sequencer {

// Requests the matcher takes (and journals) as one group at most.
inline constexpr std::size_t group_max = 1024;

class Sequencer {
 public:
  // `journal` and `snapshots` may be null (no journal folder, no snapshot policy); `flush`
  // hands the venue's output written so far to the I/O threads.
  Sequencer(Venue& venue, journal::Writer* journal, Snapshots* snapshots,
            std::function<void()> flush);

  // One group (at most group_max requests): admits each (the venue answers a refusal itself),
  // appends the admitted ones that change state to the journal, commits them (one write, one
  // fdatasync), flushes the refusals, acts on each admitted request and flushes what it said,
  // and gives the snapshot policy its turn.
  void process(std::span<const venue::Request> group);
  // When the server stops: a snapshot being written is let finish.
  void finish();

 private:
  Venue& venue_;
  journal::Writer* journal_;
  Snapshots* snapshots_;
  std::function<void()> flush_;
  std::vector<Venue::Caller> callers_;
  std::vector<bool> admitted_;
  std::vector<unsigned char> payload_;
};

}  // namespace cpx::sequencer
