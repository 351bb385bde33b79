#include "cpx/app/replay_stream.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "cpx/codec/event_json.hpp"
#include "cpx/engine/command_envelope.hpp"
#include "cpx/pipeline/doorbell.hpp"
#include "cpx/pipeline/spsc_ring.hpp"

namespace cpx {
namespace {

constexpr std::size_t read_chunk_bytes = 1 << 20;
constexpr std::size_t write_chunk_bytes = 1 << 20;
constexpr std::size_t ring_capacity = 4096;  // decoded commands in flight (about 1 MiB)

void write_all(int fd, OutputBuffer& out) {
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::write(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    CPX_ASSERT(n > 0 && "writing events failed");
    done += std::size_t(n);
  }
  out.clear();
}

}  // namespace

LineReader::LineReader(int fd, std::size_t line_max)
    : fd_(fd), line_max_(line_max), buffer_(line_max + read_chunk_bytes + command_padding) {}

bool LineReader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  const std::size_t room = buffer_.size() - command_padding - end_;
  if (room == 0 || eof_) return false;
  ssize_t n;
  do {
    n = ::read(fd_, buffer_.data() + end_, room);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  end_ += std::size_t(n);
  return true;
}

bool LineReader::next(std::string_view& line, bool& overlong) {
  overlong = false;
  std::size_t scanned = begin_;
  for (;;) {
    const void* newline = std::memchr(buffer_.data() + scanned, '\n', end_ - scanned);
    if (newline != nullptr) {
      const std::size_t at = std::size_t(static_cast<const char*>(newline) - buffer_.data());
      line = std::string_view(buffer_.data() + begin_, at - begin_);
      begin_ = at + 1;
      if (overlong || line.size() > line_max_) {
        overlong = true;
        line = {};
      }
      return true;
    }
    if (end_ - begin_ > line_max_) {
      // Too long to keep: drop what is buffered and keep dropping up to the next newline.
      overlong = true;
      begin_ = end_ = 0;
      scanned = 0;
      if (!fill()) {
        line = {};
        return true;
      }
      continue;
    }
    scanned = end_ - begin_;
    if (!fill()) {
      if (end_ == begin_ && !overlong) return false;
      line =
          overlong ? std::string_view{} : std::string_view(buffer_.data() + begin_, end_ - begin_);
      begin_ = end_;
      return true;
    }
    // fill() moved the data to the front of the buffer.
  }
}

bool is_blank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
  }
  return true;
}

ReplayStats replay(int input_fd, int output_fd, Engine& engine) {
  // Two stages on two cores, as in the exchange's pipeline: this thread's partner reads and
  // decodes lines (the decoder needs only the immutable config), this thread matches, renders
  // and writes. One ring between them keeps the order, so the output is byte for byte the same.
  pipeline::SpscRing<CommandEnvelope> ring(ring_capacity);
  pipeline::Doorbell items;
  pipeline::Doorbell space;
  std::thread reader_thread([&] {
    LineReader reader(input_fd, command_bytes_max);
    CommandDecoder decoder(engine.config());
    std::string_view line;
    bool overlong;
    // Each command is written straight into its ring slot (an envelope is ~250 bytes).
    auto next_slot = [&] {
      CommandEnvelope* slot = nullptr;
      space.wait_for([&] { return (slot = ring.claim()) != nullptr; });
      return slot;
    };
    auto hand_over = [&] {
      ring.publish();
      items.ring();
    };
    while (reader.next(line, overlong)) {
      if (!overlong && is_blank(line)) continue;
      CommandEnvelope* slot = next_slot();
      if (overlong) {
        slot->command = Command{};
        slot->command.shape_reason = Reason::bad_request;
      } else {
        decoder.decode_into(line.data(), line.size(), slot->command);
      }
      slot->own_strings_in_place();
      hand_over();
    }
    next_slot()->end_of_stream = true;
    hand_over();
  });

  EventList events;
  events.reserve(1024);
  OutputBuffer out(write_chunk_bytes + 64 * 1024);
  ReplayStats stats;
  for (uint64_t taken = 1;; ++taken) {
    const CommandEnvelope* envelope = nullptr;
    items.wait_for([&] { return (envelope = ring.front()) != nullptr; });
    if (envelope->end_of_stream) {
      ring.release();
      space.ring();
      break;
    }
    const Command& command = envelope->command;  // its strings point into the slot
    events.clear();
    engine.execute(command, events);
    ++stats.lines;
    stats.events += events.size();
    for (const Event& event : events) {
      stats.trades += event.type == EventType::trade;
      append_event_json(out, event, command, engine);
    }
    ring.release();
    if (taken % 64 == 0) space.ring();
    if (out.size() >= write_chunk_bytes) write_all(output_fd, out);
  }
  reader_thread.join();
  write_all(output_fd, out);
  return stats;
}

}  // namespace cpx
