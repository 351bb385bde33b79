#include "cpx/sequencer/sequencer.hpp"

#include "cpx/base/assert.hpp"
#include "cpx/sequencer/journal_replay.hpp"

namespace cpx::sequencer {

Sequencer::Sequencer(Venue& venue, journal::Writer* journal, Snapshots* snapshots,
                     std::function<void()> flush)
    : venue_(venue),
      journal_(journal),
      snapshots_(snapshots),
      flush_(std::move(flush)),
      callers_(group_max),
      admitted_(group_max) {}

void Sequencer::process(std::span<const venue::Request> group) {
  CPX_ASSERT(group.size() <= group_max);
  for (std::size_t i = 0; i < group.size(); ++i) {
    admitted_[i] = venue_.admit_request(group[i], callers_[i]);
    if (admitted_[i] && journal_ && Venue::journaled(group[i])) {
      request_payload(group[i], callers_[i], payload_);
      journal_->append(journal_->records() + 1, payload_);
    }
  }
  if (journal_) journal_->commit();
  flush_();  // the refusals
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (!admitted_[i]) continue;
    venue_.act(group[i], callers_[i]);
    flush_();
  }
  if (snapshots_) snapshots_->tick(venue_, journal_->records());
}

void Sequencer::finish() {
  if (snapshots_) snapshots_->finish();
}

}  // namespace cpx::sequencer
