// Snapshot files: the whole exchange state as of one journal record, so that recovery replays
// only the journal after it. docs/durability.md has the format and the rules.
//
// On disk, in the journal's folder: snapshot-<journal records it covers, 16 digits>-<the
// matcher's command seq then, 16 digits>.cpxs (the seq tells recovery, without reading the
// file, whether the ledger has settled everything the snapshot holds), a 16-byte
// header ("CPXSNAP1", u32 format version, u32 zero) and then blocks of at most 1 MiB:
//   u32 payload length (top bit set on the last block), u32 CRC-32 of (index, payload),
//   u64 block index (0, 1, ...), payload
// all little-endian. A snapshot is written under a temporary name, synced, then renamed: a file
// with the final name is complete unless the disk damaged it, and a damaged one is named with
// the offset of the bad block.
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cpx::journal {

inline constexpr uint32_t snapshot_format_version = 1;
__extension__ typedef __int128 int128_t;
__extension__ typedef unsigned __int128 uint128_t;

struct SnapshotFile {
  std::string path;
  uint64_t journal_index = 0;  // the journal records it covers: 1 .. journal_index
  uint64_t seq = 0;            // the matcher's last command seq when it was taken
};

// The snapshots of `dir`, newest (highest journal index) first.
std::vector<SnapshotFile> snapshots(const std::string& dir);
std::string snapshot_path(const std::string& dir, uint64_t journal_index, uint64_t seq);
// Removes what a snapshot writer left when it was stopped mid-way (*.cpxs.tmp).
std::size_t remove_unfinished_snapshots(const std::string& dir);

// Why a snapshot cannot be read: the file, the offset and what is wrong.
class SnapshotError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class SnapshotWriter {
 public:
  // Creates <dir>/snapshot-<journal_index>-<seq>.cpxs.tmp; throws std::runtime_error on
  // failure.
  SnapshotWriter(const std::string& dir, uint64_t journal_index, uint64_t seq);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  void u8(uint8_t value) { bytes(&value, 1); }
  void u16(uint16_t value);
  void u32(uint32_t value);
  void u64(uint64_t value);
  void i64(int64_t value) { u64(uint64_t(value)); }
  void i128(int128_t value);
  void text(std::string_view value);  // u32 length, bytes
  void bytes(const void* data, std::size_t size);

  // Writes the last block, syncs, renames to the final name and syncs the folder.
  void finish();
  const std::string& path() const { return final_path_; }

 private:
  void flush_block(bool last);

  std::string dir_;
  std::string final_path_;
  std::string temp_path_;
  int fd_ = -1;
  uint64_t block_index_ = 0;
  std::vector<unsigned char> block_;
};

class SnapshotReader {
 public:
  // Maps the file and checks it whole (header, every block's CRC and index, the last block)
  // before anything is read from it; throws SnapshotError naming the file and offset of what is
  // wrong. The content is read in place, block after block: nothing is copied first.
  explicit SnapshotReader(const std::string& path);
  ~SnapshotReader();
  SnapshotReader(const SnapshotReader&) = delete;
  SnapshotReader& operator=(const SnapshotReader&) = delete;

  uint8_t u8() {
    uint8_t value;
    bytes(&value, 1);
    return value;
  }
  uint16_t u16() {
    unsigned char in[2];
    bytes(in, 2);
    return uint16_t(in[0] | in[1] << 8);
  }
  uint32_t u32() {
    unsigned char in[4];
    bytes(in, 4);
    return uint32_t(in[0]) | uint32_t(in[1]) << 8 | uint32_t(in[2]) << 16 | uint32_t(in[3]) << 24;
  }
  uint64_t u64() {
    unsigned char in[8];
    bytes(in, 8);
    uint64_t value = 0;
    for (int i = 7; i >= 0; --i) value = value << 8 | in[i];
    return value;
  }
  int64_t i64() { return int64_t(u64()); }
  int128_t i128() {
    const uint64_t low = u64();
    const uint64_t high = u64();
    return static_cast<int128_t>((static_cast<uint128_t>(high) << 64) | low);
  }
  std::string text();
  void bytes(void* out, std::size_t size) {
    if (size == 0) return;  // (an empty vector's data() may be null: memcpy must not see it)
    if (size <= std::size_t(end_ - at_)) {
      std::memcpy(out, at_, size);
      at_ += size;
      return;
    }
    bytes_across(static_cast<unsigned char*>(out), size);
  }
  // A count of items, each at least `item_bytes` long: refused when the rest cannot hold them.
  uint64_t count(std::size_t item_bytes);
  bool at_end() const { return content_left() == 0; }
  // Throws SnapshotError naming the file and the content offset.
  [[noreturn]] void fail(std::string_view why) const;
  const std::string& path() const { return path_; }

 private:
  struct Block {
    const unsigned char* data;
    std::size_t size;
    std::size_t content_offset;  // of its first byte in the content
  };
  void bytes_across(unsigned char* out, std::size_t size);
  std::size_t content_offset() const;
  std::size_t content_left() const;

  std::string path_;
  unsigned char* map_ = nullptr;
  std::size_t map_size_ = 0;
  std::vector<Block> blocks_;
  std::size_t content_size_ = 0;
  std::size_t block_ = 0;  // the block being read
  const unsigned char* at_ = nullptr;
  const unsigned char* end_ = nullptr;
};

}  // namespace cpx::journal
