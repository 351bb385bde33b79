// The replay loop shared by cpx-replay and its benchmark: JSON command lines in, event lines out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cpx/codec/command_json.hpp"
#include "cpx/engine/engine.hpp"

namespace cpx {

// Reads lines from a file descriptor with bounded memory: a line longer than line_max is
// dropped (reported as overlong) instead of buffered.
class LineReader {
 public:
  LineReader(int fd, std::size_t line_max);
  // False at the end of input. Each line is followed by command_padding readable bytes.
  bool next(std::string_view& line, bool& overlong);

 private:
  bool fill();

  int fd_;
  std::size_t line_max_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
};

struct ReplayStats {
  uint64_t lines = 0;  // commands (non-blank lines)
  uint64_t events = 0;
  uint64_t trades = 0;
};

// Runs every command line from input_fd through the engine and writes the events to output_fd.
ReplayStats replay(int input_fd, int output_fd, Engine& engine);

bool is_blank(std::string_view line);

}  // namespace cpx
