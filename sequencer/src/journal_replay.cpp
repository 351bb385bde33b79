#include "cpx/sequencer/journal_replay.hpp"

#include <stdexcept>

#include "cpx/ledger/state.hpp"
#include "cpx/sequencer/journal_codec.hpp"

namespace cpx::sequencer {

void request_payload(const Request& request, const Venue::Caller& caller,
                     std::vector<unsigned char>& out) {
  out.clear();
  out.push_back(uint8_t(PayloadType::request));
  encode_request(request, caller.account, caller.role, out);
}

JournalReplay replay_journal(const std::string& dir, uint64_t after, Venue& venue,
                             const std::function<void()>& ready, bool truncate_torn_tail) {
  JournalReplay result;
  result.read = journal::read(
      dir,
      [&](uint64_t, std::span<const unsigned char> payload) {
        if (payload.empty()) throw std::runtime_error("an empty journal record");
        ++result.replayed;
        if (payload[0] == uint8_t(PayloadType::restore)) {
          const std::string text(payload.begin() + 1, payload.end());
          venue.restore(ledger::parse_state(text));
          ready();
          return;
        }
        const std::optional<JournaledRequest> journaled =
            payload[0] == uint8_t(PayloadType::request) ? decode_request(payload.subspan(1))
                                                        : std::nullopt;
        if (!journaled) {
          throw std::runtime_error(
              "a journal record this build cannot read (written by another version?)");
        }
        ready();
        venue.replay(journaled->request, Venue::Caller{journaled->account, journaled->role},
                     journaled->signature_fingerprint);
      },
      truncate_torn_tail, after);
  return result;
}

std::optional<journal::SnapshotFile> load_first_snapshot(
    const std::vector<journal::SnapshotFile>& candidates, std::unique_ptr<Venue>& venue,
    const std::function<std::unique_ptr<Venue>()>& fresh,
    const std::function<void(const std::string&)>& unusable) {
  for (const journal::SnapshotFile& file : candidates) {
    try {
      journal::SnapshotReader in(file.path);
      venue->load(in);
      return file;
    } catch (const journal::SnapshotError& error) {
      unusable(error.what());
      venue = fresh();
    }
  }
  return std::nullopt;
}

}  // namespace cpx::sequencer
