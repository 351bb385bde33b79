#include "cpx/sequencer/snapshots.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cpx/journal/journal.hpp"

namespace cpx::sequencer {

void Snapshots::tick(const Venue& venue, uint64_t journal_index) {
  if (child_ > 0) poll(false);
  if (child_ > 0) return;
  const auto now = std::chrono::steady_clock::now();
  const bool due =
      journal_index > last_index_ && ((every_ > 0 && journal_index - last_index_ >= every_) ||
                                      (interval_.count() > 0 && now - last_time_ >= interval_));
  if (due) {
    start(venue, journal_index, now);
  } else if (!taken_.empty() && now - last_prune_ >= std::chrono::seconds(1)) {
    last_prune_ = now;
    prune();
  }
}
void Snapshots::start(const Venue& venue, uint64_t journal_index,
                      std::chrono::steady_clock::time_point now) {
  last_index_ = journal_index;
  last_time_ = now;
  const uint64_t seq = venue.engine().last_seq();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The child: only this thread exists. It dies with the server, holds none of its
    // sockets, and reports through its exit status (stdio locks may be held by threads that
    // did not come along).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(3);
    ::close_range(3, ~0U, 0);
    try {
      journal::SnapshotWriter out(dir_, journal_index, seq);
      venue.save(out);
      out.finish();
      ::_exit(0);
    } catch (const std::exception& error) {
      const std::string text = std::string("cpx-server: snapshot: ") + error.what() + "\n";
      [[maybe_unused]] const ssize_t n = ::write(2, text.data(), text.size());
      ::_exit(1);
    }
  }
  const auto forked = std::chrono::steady_clock::now();
  if (pid < 0) {
    std::fprintf(stderr, "cpx-server: cannot fork to take a snapshot: %s\n", std::strerror(errno));
    return;
  }
  child_ = pid;
  pending_ =
      journal::SnapshotFile{journal::snapshot_path(dir_, journal_index, seq), journal_index, seq};
  started_ = now;
  fork_us_ = std::chrono::duration_cast<std::chrono::microseconds>(forked - now).count();
}
void Snapshots::poll(bool wait) {
  int status = 0;
  const pid_t done = ::waitpid(child_, &status, wait ? 0 : WNOHANG);
  if (done == 0) return;
  child_ = -1;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started_)
                      .count();
  if (done < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "cpx-server: the snapshot at journal record %llu failed (see above)\n",
                 static_cast<unsigned long long>(pending_.journal_index));
    return;
  }
  std::fprintf(
      stderr, "snapshot: %s (journal records 1-%llu, seq %llu; fork %lld us, written in %lld ms)\n",
      pending_.path.c_str(), static_cast<unsigned long long>(pending_.journal_index),
      static_cast<unsigned long long>(pending_.seq), static_cast<long long>(fork_us_),
      static_cast<long long>(ms));
  taken_.push_back(pending_);
  prune();
}
void Snapshots::prune() {
  const uint64_t settled = settled_seq_ ? settled_seq_() : UINT64_MAX;
  std::vector<const journal::SnapshotFile*> settled_snapshots;
  for (const journal::SnapshotFile& file : taken_) {
    if (file.seq <= settled) settled_snapshots.push_back(&file);
  }
  if (settled_snapshots.size() < 2) return;
  const journal::SnapshotFile point = *settled_snapshots[settled_snapshots.size() - 2];
  if (point.journal_index <= pruned_through_) return;
  journal::prune(dir_, point.journal_index);
  for (const journal::SnapshotFile& file : journal::snapshots(dir_)) {
    if (file.journal_index < point.journal_index) ::unlink(file.path.c_str());
  }
  std::erase_if(taken_, [&](const journal::SnapshotFile& file) {
    return file.journal_index < point.journal_index;
  });
  pruned_through_ = point.journal_index;
}
}  // namespace cpx::sequencer
