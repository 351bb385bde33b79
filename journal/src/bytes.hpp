// Little-endian integers, CRC-32 and whole writes: shared by the journal and the snapshots.
#pragma once

#include <unistd.h>

#include <boost/crc.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace cpx::journal::detail {

inline void put32(unsigned char* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}
inline void put64(unsigned char* out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}
inline uint32_t get32(const unsigned char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t(in[i]) << (8 * i);
  return value;
}
inline uint64_t get64(const unsigned char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t(in[i]) << (8 * i);
  return value;
}

// CRC-32 of the 8 bytes of a record's sequence number (or block index) and its payload.
inline uint32_t checksum(const unsigned char* seq_bytes, std::span<const unsigned char> payload) {
  boost::crc_32_type crc;
  crc.process_bytes(seq_bytes, 8);
  crc.process_bytes(payload.data(), payload.size());
  return crc.checksum();
}

inline std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

inline void write_all(int fd, const unsigned char* data, std::size_t size,
                      const std::string& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(errno_text("cannot write", path));
    }
    data += n;
    size -= std::size_t(n);
  }
}

void sync_dir(const std::string& dir);

// The whole file into `out`; false (errno set) when it cannot be opened.
bool read_file(const std::string& path, std::vector<unsigned char>& out);

}  // namespace cpx::journal::detail
