#include "cpx/sequencer/recovery.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "cpx/sequencer/journal_replay.hpp"

namespace cpx::sequencer {

std::optional<journal::SnapshotFile> recover_snapshot(
    const std::string& dir, uint64_t ledger_seq, std::unique_ptr<Venue>& venue,
    const std::function<std::unique_ptr<Venue>()>& fresh) {
  journal::remove_unfinished_snapshots(dir);
  const std::vector<std::string> segments = journal::segments(dir);
  const uint64_t journal_from =
      segments.empty() ? 0 : journal::segment_records_before(segments.front());
  std::string passed_over;
  std::vector<journal::SnapshotFile> usable;
  for (const journal::SnapshotFile& file : journal::snapshots(dir)) {  // newest first
    if (file.seq > ledger_seq) {
      passed_over += "; " + file.path + " is past what the ledger settled (seq " +
                     std::to_string(ledger_seq) + ")";
    } else if (journal_from > file.journal_index) {
      passed_over += "; " + file.path + " is older than the journal's first segment";
    } else {
      usable.push_back(file);
    }
  }
  // Never silently: a damaged one is named with its offset, then an older snapshot and a
  // longer journal are tried; the start stops below if none is left to cover the journal's
  // beginning.
  const std::optional<journal::SnapshotFile> loaded =
      load_first_snapshot(usable, venue, fresh, [&](const std::string& why) {
        std::fprintf(stderr, "cpx-server: snapshot unusable: %s\n", why.c_str());
        passed_over += "; " + why;
      });
  if (loaded) {
    if (!passed_over.empty()) {
      std::fprintf(stderr, "cpx-server: recovering from an older snapshot%s\n",
                   passed_over.c_str());
    }
    return loaded;
  }
  if (journal_from > 0) {
    throw std::runtime_error("journal: " + dir + " begins after record " +
                             std::to_string(journal_from) +
                             " and no snapshot covers the records before it" + passed_over);
  }
  return std::nullopt;
}

std::string lost_acknowledged(const std::string& dir, uint64_t records,
                              const journal::Acknowledged& acked, uint64_t engine_seq,
                              std::optional<uint64_t> ledger_seq,
                              const std::function<std::string(uint64_t)>& describe_ledger_after) {
  const bool journal_used = records > 0 || (acked.present && acked.records > 0);
  std::string loss;
  if (acked.present && records < acked.records) {
    loss += "; the journal ends at record " + std::to_string(records) + " but records through " +
            std::to_string(acked.records) + " were acknowledged (" + dir + "/" +
            journal::acknowledged_file + ")";
  }
  if (ledger_seq && journal_used && engine_seq < *ledger_seq) {
    loss += "; the journal's commands end at seq " + std::to_string(engine_seq) +
            " but the ledger settled through seq " + std::to_string(*ledger_seq) + " (" +
            describe_ledger_after(engine_seq) + ")";
  }
  return loss;
}

std::string move_journal_aside(const std::string& dir) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::string aside = dir + "/lost-" + stamp;
  for (int n = 2; ::mkdir(aside.c_str(), 0700) != 0; ++n) {
    if (errno != EEXIST || n > 100) {
      throw std::runtime_error("journal: cannot create " + aside + ": " + std::strerror(errno));
    }
    aside = dir + "/lost-" + stamp + "-" + std::to_string(n);
  }
  std::vector<std::string> files = journal::segments(dir);
  for (const journal::SnapshotFile& file : journal::snapshots(dir)) files.push_back(file.path);
  const std::string acked = dir + "/" + journal::acknowledged_file;
  if (::access(acked.c_str(), F_OK) == 0) files.push_back(acked);
  for (const std::string& file : files) {
    const std::string to = aside + file.substr(file.rfind('/'));
    if (::rename(file.c_str(), to.c_str()) != 0) {
      throw std::runtime_error("journal: cannot move " + file + " to " + to + ": " +
                               std::strerror(errno));
    }
  }
  return aside;
}

}  // namespace cpx::sequencer
