// Little-endian integers, CRC-32 and whole writes: shared by the journal and the snapshots.
#pragma once

#include <unistd.h>

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

// CRC-32 (the zlib/PNG polynomial, reflected: the same values as boost::crc_32_type), eight
// bytes a step with eight tables ("slicing-by-8"): recovery reads every journal byte through it.
template <uint32_t Polynomial>  // reflected
struct Crc32Tables {
  uint32_t t[8][256];
  constexpr Crc32Tables() : t{} {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? Polynomial ^ (c >> 1) : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i) {
      for (int s = 1; s < 8; ++s) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xff];
    }
  }
};
inline constexpr Crc32Tables<0xEDB88320u> crc32_tables{};
inline constexpr Crc32Tables<0x82F63B78u> crc32c_tables{};  // Castagnoli

template <uint32_t Polynomial>
inline uint32_t crc_slicing8(const Crc32Tables<Polynomial>& tables, uint32_t crc,
                             const unsigned char* data, std::size_t size) {
  const auto& t = tables.t;
  crc = ~crc;
  while (size >= 8) {
    const uint32_t low = crc ^ (uint32_t(data[0]) | uint32_t(data[1]) << 8 |
                                uint32_t(data[2]) << 16 | uint32_t(data[3]) << 24);
    crc = t[7][low & 0xff] ^ t[6][(low >> 8) & 0xff] ^ t[5][(low >> 16) & 0xff] ^ t[4][low >> 24] ^
          t[3][data[4]] ^ t[2][data[5]] ^ t[1][data[6]] ^ t[0][data[7]];
    data += 8;
    size -= 8;
  }
  while (size-- > 0) crc = t[0][(crc ^ *data++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// Continues a CRC-32 over `size` bytes (start with crc = 0).
inline uint32_t crc32_update(uint32_t crc, const unsigned char* data, std::size_t size) {
  return crc_slicing8(crc32_tables, crc, data, size);
}

// CRC-32C (Castagnoli) for snapshot blocks: the SSE4.2 instruction where the CPU has it (about
// four times the table's speed: a snapshot is read whole at every start), the table otherwise.
// Continues like crc32_update (start with crc = 0).
uint32_t crc32c_update(uint32_t crc, const unsigned char* data, std::size_t size);

// CRC-32 of the 8 bytes of a record's sequence number (or block index) and its payload.
inline uint32_t checksum(const unsigned char* seq_bytes, std::span<const unsigned char> payload) {
  return crc32_update(crc32_update(0, seq_bytes, 8), payload.data(), payload.size());
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

// A file mapped read-only for one pass from start to end (no copy, read ahead by the kernel).
class MappedFile {
 public:
  // False (errno set) when it cannot be opened or mapped.
  bool open(const std::string& path);
  ~MappedFile() { close(); }
  void close();
  // Hands the mapping over (to be unmapped with unmap()).
  unsigned char* release() {
    unsigned char* data = data_;
    data_ = nullptr;
    size_ = 0;
    return data;
  }
  static void unmap(unsigned char* data, std::size_t size);
  const unsigned char* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  unsigned char* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace cpx::journal::detail
