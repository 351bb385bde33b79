#include "cpx/journal/snapshot.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "bytes.hpp"

namespace cpx::journal {

using namespace detail;

namespace {

constexpr char magic[8] = {'C', 'P', 'X', 'S', 'N', 'A', 'P', '1'};
constexpr std::size_t file_header_bytes = 16;
constexpr std::size_t block_header_bytes = 16;
constexpr std::size_t block_bytes_max = std::size_t(1) << 20;
constexpr uint32_t last_block_flag = 0x8000'0000u;

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const unsigned char* data,
                                                        std::size_t size) {
  uint64_t value = ~crc;
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    value = __builtin_ia32_crc32di(value, word);
    data += 8;
    size -= 8;
  }
  uint32_t low = uint32_t(value);
  while (size-- > 0) low = __builtin_ia32_crc32qi(low, *data++);
  return ~low;
}
#endif

// A block's CRC-32C: of its index's 8 bytes, then its payload.
uint32_t block_checksum(const unsigned char* index_bytes, std::span<const unsigned char> payload) {
  return crc32c_update(crc32c_update(0, index_bytes, 8), payload.data(), payload.size());
}

}  // namespace

uint32_t detail::crc32c_update(uint32_t crc, const unsigned char* data, std::size_t size) {
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  if (hardware) return crc32c_sse42(crc, data, size);
#endif
  return crc_slicing8(crc32c_tables, crc, data, size);
}

uint32_t crc32c(std::span<const unsigned char> bytes, bool table_only) {
  return table_only ? crc_slicing8(crc32c_tables, 0, bytes.data(), bytes.size())
                    : crc32c_update(0, bytes.data(), bytes.size());
}

std::string snapshot_path(const std::string& dir, uint64_t journal_index, uint64_t seq) {
  char name[80];
  std::snprintf(name, sizeof name, "/snapshot-%016llu-%016llu.cpxs",
                static_cast<unsigned long long>(journal_index),
                static_cast<unsigned long long>(seq));
  return dir + name;
}

std::vector<SnapshotFile> snapshots(const std::string& dir) {
  std::vector<SnapshotFile> out;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return out;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name.size() != 47 || !name.starts_with("snapshot-") || !name.ends_with(".cpxs")) continue;
    out.push_back(SnapshotFile{dir + "/" + name, std::strtoull(name.c_str() + 9, nullptr, 10),
                               std::strtoull(name.c_str() + 26, nullptr, 10)});
  }
  ::closedir(handle);
  std::sort(out.begin(), out.end(), [](const SnapshotFile& a, const SnapshotFile& b) {
    return a.journal_index > b.journal_index;
  });
  return out;
}

std::size_t remove_unfinished_snapshots(const std::string& dir) {
  std::vector<std::string> unfinished;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return 0;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name.starts_with("snapshot-") && name.ends_with(".cpxs.tmp")) unfinished.push_back(name);
  }
  ::closedir(handle);
  for (const std::string& name : unfinished) ::unlink((dir + "/" + name).c_str());
  return unfinished.size();
}

SnapshotWriter::SnapshotWriter(const std::string& dir, uint64_t journal_index, uint64_t seq)
    : dir_(dir),
      final_path_(snapshot_path(dir, journal_index, seq)),
      temp_path_(final_path_ + ".tmp") {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd_ < 0) throw std::runtime_error(errno_text("cannot create snapshot", temp_path_));
  unsigned char header[file_header_bytes] = {};
  std::memcpy(header, magic, sizeof magic);
  put32(header + 8, snapshot_format_version);
  write_all(fd_, header, sizeof header, temp_path_);
  block_.reserve(block_header_bytes + block_bytes_max);
  block_.resize(block_header_bytes);
}

SnapshotWriter::~SnapshotWriter() {
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(temp_path_.c_str());  // not finished: leave no half snapshot behind
  }
}

void SnapshotWriter::u16(uint16_t value) {
  const unsigned char out[2] = {static_cast<unsigned char>(value),
                                static_cast<unsigned char>(value >> 8)};
  bytes(out, 2);
}

void SnapshotWriter::u32(uint32_t value) {
  unsigned char out[4];
  put32(out, value);
  bytes(out, 4);
}

void SnapshotWriter::u64(uint64_t value) {
  unsigned char out[8];
  put64(out, value);
  bytes(out, 8);
}

void SnapshotWriter::i128(int128_t value) {
  const auto bits = static_cast<uint128_t>(value);
  u64(uint64_t(bits));
  u64(uint64_t(bits >> 64));
}

void SnapshotWriter::text(std::string_view value) {
  u32(uint32_t(value.size()));
  bytes(value.data(), value.size());
}

void SnapshotWriter::bytes(const void* data, std::size_t size) {
  const auto* in = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const std::size_t room = block_header_bytes + block_bytes_max - block_.size();
    const std::size_t take = std::min(room, size);
    block_.insert(block_.end(), in, in + take);
    in += take;
    size -= take;
    if (block_.size() == block_header_bytes + block_bytes_max) flush_block(false);
  }
}

void SnapshotWriter::flush_block(bool last) {
  unsigned char* header = block_.data();
  const std::size_t length = block_.size() - block_header_bytes;
  put32(header, uint32_t(length) | (last ? last_block_flag : 0));
  put64(header + 8, block_index_++);
  put32(header + 4, block_checksum(header + 8, {block_.data() + block_header_bytes, length}));
  write_all(fd_, block_.data(), block_.size(), temp_path_);
  block_.resize(block_header_bytes);
}

void SnapshotWriter::finish() {
  flush_block(true);
  if (::fdatasync(fd_) != 0) throw std::runtime_error(errno_text("cannot sync", temp_path_));
  ::close(fd_);
  fd_ = -1;
  if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
    ::unlink(temp_path_.c_str());
    throw std::runtime_error(errno_text("cannot rename the snapshot to", final_path_));
  }
  sync_dir(dir_);
}

SnapshotReader::SnapshotReader(const std::string& path) : path_(path) {
  MappedFile file;
  if (!file.open(path)) throw SnapshotError(errno_text("cannot open", path));
  auto bad = [&](std::size_t offset, std::string_view why) {
    throw SnapshotError(path + " at offset " + std::to_string(offset) + ": " + std::string(why));
  };
  const unsigned char* data = file.data();
  const std::size_t size = file.size();
  if (size < file_header_bytes || std::memcmp(data, magic, sizeof magic) != 0) {
    bad(0, "not a snapshot");
  }
  if (get32(data + 8) != snapshot_format_version) {
    bad(8, "a snapshot format this build cannot read");
  }
  std::size_t at = file_header_bytes;
  for (uint64_t index = 0;; ++index) {
    if (size - at < block_header_bytes) bad(at, "the snapshot ends before its last block");
    const uint32_t word = get32(data + at);
    const uint32_t length = word & ~last_block_flag;
    if (length > block_bytes_max || size - at - block_header_bytes < length) {
      bad(at, "a block length is impossible or the block is cut short");
    }
    const std::span<const unsigned char> payload(data + at + block_header_bytes, length);
    if (block_checksum(data + at + 8, payload) != get32(data + at + 4)) {
      bad(at, "a block's checksum does not match");
    }
    if (get64(data + at + 8) != index) bad(at, "a block is out of place");
    blocks_.push_back(Block{payload.data(), length, content_size_});
    content_size_ += length;
    at += block_header_bytes + length;
    if ((word & last_block_flag) != 0) break;
  }
  if (at != size) bad(at, "bytes follow the last block");
  map_size_ = size;
  map_ = file.release();
  at_ = blocks_.front().data;
  end_ = at_ + blocks_.front().size;
}

SnapshotReader::~SnapshotReader() {
  MappedFile::unmap(map_, map_size_);
}

std::size_t SnapshotReader::content_offset() const {
  return blocks_[block_].content_offset + std::size_t(at_ - blocks_[block_].data);
}

std::size_t SnapshotReader::content_left() const {
  return content_size_ - content_offset();
}

void SnapshotReader::fail(std::string_view why) const {
  throw SnapshotError(path_ + " at content offset " + std::to_string(content_offset()) + ": " +
                      std::string(why));
}

void SnapshotReader::bytes_across(unsigned char* out, std::size_t size) {
  if (content_left() < size) fail("the snapshot's content ends early");
  while (size > 0) {
    if (at_ == end_) {
      ++block_;
      at_ = blocks_[block_].data;
      end_ = at_ + blocks_[block_].size;
      continue;
    }
    const std::size_t take = std::min(size, std::size_t(end_ - at_));
    std::memcpy(out, at_, take);
    out += take;
    at_ += take;
    size -= take;
  }
}

std::string SnapshotReader::text() {
  const uint32_t size = u32();
  if (content_left() < size) fail("a text runs past the snapshot's content");
  std::string out(size, '\0');
  bytes(out.data(), size);
  return out;
}

uint64_t SnapshotReader::count(std::size_t item_bytes) {
  const uint64_t n = u64();
  if (item_bytes > 0 && n > content_left() / item_bytes) {
    fail("a count larger than the rest of the snapshot can hold");
  }
  return n;
}

}  // namespace cpx::journal
