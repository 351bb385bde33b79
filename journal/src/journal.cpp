#include "cpx/journal/journal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <stdexcept>

#include "bytes.hpp"

namespace cpx::journal {

using namespace detail;

namespace {

constexpr char magic[8] = {'C', 'P', 'X', 'J', 'R', 'N', 'L', '1'};

}  // namespace

void detail::sync_dir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

bool MappedFile::open(const std::string& path) {
  close();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return false;
  }
  size_ = std::size_t(info.st_size);
  if (size_ > 0) {
    void* memory = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (memory == MAP_FAILED) {
      ::close(fd);
      size_ = 0;
      return false;
    }
    data_ = static_cast<unsigned char*>(memory);
    ::madvise(memory, size_, MADV_SEQUENTIAL);
  }
  ::close(fd);
  return true;
}

void MappedFile::close() {
  unmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

void MappedFile::unmap(unsigned char* data, std::size_t size) {
  if (data != nullptr) ::munmap(data, size);
}

namespace {

std::string segment_name(uint64_t first_index) {
  char name[64];
  std::snprintf(name, sizeof name, "segment-%016llu.cpxj",
                static_cast<unsigned long long>(first_index));
  return name;
}

}  // namespace

uint32_t crc32(std::span<const unsigned char> bytes) {
  return crc32_update(0, bytes.data(), bytes.size());
}

uint64_t segment_records_before(const std::string& path) {
  const std::size_t at = path.rfind("segment-");
  return at == std::string::npos ? 0 : std::strtoull(path.c_str() + at + 8, nullptr, 10);
}

std::vector<std::string> segments(const std::string& dir) {
  std::vector<std::string> out;
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return out;
  while (const dirent* entry = ::readdir(handle)) {
    const std::string name = entry->d_name;
    if (name.starts_with("segment-") && name.ends_with(".cpxj")) out.push_back(dir + "/" + name);
  }
  ::closedir(handle);
  std::sort(out.begin(), out.end());
  return out;
}

std::size_t prune(const std::string& dir, uint64_t through) {
  const std::vector<std::string> files = segments(dir);
  std::size_t removed = 0;
  for (std::size_t f = 0; f + 1 < files.size(); ++f) {
    if (segment_records_before(files[f + 1]) > through) break;
    if (::unlink(files[f].c_str()) == 0) ++removed;
  }
  if (removed > 0) sync_dir(dir);
  return removed;
}

Writer::Writer(Settings settings, uint64_t next_index)
    : settings_(std::move(settings)), index_(next_index) {
  if (::mkdir(settings_.dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw std::runtime_error(errno_text("cannot create the journal folder", settings_.dir));
  }
  const std::string acked = settings_.dir + "/" + acknowledged_file;
  acked_fd_ = ::open(acked.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (acked_fd_ < 0) throw std::runtime_error(errno_text("cannot open", acked));
  // Recovery checked the journal against the mark before this: the mark starts at what the
  // journal holds now (lower than before only when the operator accepted a loss), synced once.
  mark_acknowledged();
  ::fdatasync(acked_fd_);
  open_segment();
}

Writer::~Writer() {
  if (fd_ >= 0) ::close(fd_);
  if (acked_fd_ >= 0) ::close(acked_fd_);
}

void Writer::mark_acknowledged() {
  unsigned char mark[16] = {};
  put64(mark, index_);
  put32(mark + 8, crc32(std::span<const unsigned char>(mark, 8)));
  // One aligned 16-byte write at offset 0: it lands whole or not at all.
  if (::pwrite(acked_fd_, mark, sizeof mark, 0) != ssize_t(sizeof mark)) {
    throw std::runtime_error(errno_text("cannot write", settings_.dir + "/" + acknowledged_file));
  }
}

Acknowledged read_acknowledged(const std::string& dir) {
  Acknowledged out;
  const std::string path = dir + "/" + acknowledged_file;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  unsigned char mark[16] = {};
  const ssize_t n = ::pread(fd, mark, sizeof mark, 0);
  ::close(fd);
  if (n != ssize_t(sizeof mark) ||
      get32(mark + 8) != crc32(std::span<const unsigned char>(mark, 8)) || get32(mark + 12) != 0) {
    out.error =
        path + " is damaged (" + std::to_string(n) + " bytes, or its checksum does not match)";
    return out;
  }
  out.present = true;
  out.records = get64(mark);
  return out;
}

void Writer::open_segment() {
  if (fd_ >= 0) ::close(fd_);
  const std::string path = settings_.dir + "/" + segment_name(index_);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  struct stat info {};
  if (fd_ < 0 && errno == EEXIST && ::stat(path.c_str(), &info) == 0 &&
      info.st_size <= off_t(header_bytes)) {
    // A segment the last run opened but wrote no record to (it stopped at once): replace it.
    ::unlink(path.c_str());
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
  }
  if (fd_ < 0) throw std::runtime_error(errno_text("cannot create journal segment", path));
  unsigned char header[header_bytes] = {};
  std::memcpy(header, magic, sizeof magic);
  put32(header + 8, format_version);
  write_all(fd_, header, sizeof header, path);
  if (settings_.sync) {
    ::fdatasync(fd_);
    sync_dir(settings_.dir);
  }
  segment_written_ = header_bytes;
}

void Writer::append(uint64_t record, std::span<const unsigned char> payload) {
  if (payload.size() > payload_bytes_max) throw std::runtime_error("journal record too large");
  const std::size_t at = group_.size();
  group_.resize(at + record_header_bytes + payload.size());
  unsigned char* out = group_.data() + at;
  put32(out, uint32_t(payload.size()));
  put64(out + 8, record);
  put32(out + 4, checksum(out + 8, payload));
  if (!payload.empty()) std::memcpy(out + record_header_bytes, payload.data(), payload.size());
  ++index_;
}

void Writer::commit() {
  if (group_.empty()) return;
  write_all(fd_, group_.data(), group_.size(), settings_.dir);
  if (settings_.sync && ::fdatasync(fd_) != 0) {
    throw std::runtime_error(errno_text("cannot sync the journal", settings_.dir));
  }
  segment_written_ += group_.size();
  group_.clear();
  ++groups_;
  mark_acknowledged();  // before the matcher acts on the group and answers it
  if (segment_written_ >= settings_.segment_bytes) open_segment();
}

namespace {

// Where the first whole, valid record numbered above `after_seq` starts in [from, size), if
// any: proof that the bad bytes before it are damage, not the end a torn write left. A record
// found must have a plausible length and number (at most 2^20 past after_seq) before its
// checksum is computed, so random bytes cost a few compares an offset.
std::optional<std::size_t> find_record(const unsigned char* data, std::size_t size,
                                       std::size_t from, uint64_t after_seq) {
  for (std::size_t at = from; size >= record_header_bytes && at <= size - record_header_bytes;
       ++at) {
    const uint32_t length = get32(data + at);
    const uint64_t seq = get64(data + at + 8);
    if (length > payload_bytes_max || size - at - record_header_bytes < length) continue;
    if (seq <= after_seq || seq - after_seq > (uint64_t(1) << 20)) continue;
    if (checksum(data + at + 8, {data + at + record_header_bytes, length}) ==
        get32(data + at + 4)) {
      return at;
    }
  }
  return std::nullopt;
}

// Where a segment's bad part starts, and why (empty when the file is whole); header_bad when
// it cannot be a torn write (a foreign header, a record out of place).
struct SegmentScan {
  std::size_t bad_at = 0;
  std::string why;
  bool header_bad = false;
};

// Hands every whole record of one segment numbered above `after` to on_record, counting them
// into `result`, up to the first bad byte.
SegmentScan scan_segment(
    const unsigned char* data, std::size_t size, uint64_t after,
    const std::function<void(uint64_t, std::span<const unsigned char>)>& on_record,
    ReadResult& result) {
  if (size < header_bytes) return SegmentScan{0, "the segment header is cut short", false};
  if (std::memcmp(data, magic, sizeof magic) != 0 || get32(data + 8) != format_version) {
    return SegmentScan{0, "not a journal segment of this version", true};
  }
  for (std::size_t at = header_bytes; at < size;) {
    if (size - at < record_header_bytes) return SegmentScan{at, "a record header is cut short"};
    const uint32_t length = get32(data + at);
    const uint32_t crc = get32(data + at + 4);
    const uint64_t number = get64(data + at + 8);
    if (length > payload_bytes_max) {
      return SegmentScan{at,
                         "a record length is impossible (" + std::to_string(length) + " bytes)"};
    }
    if (size - at - record_header_bytes < length) return SegmentScan{at, "a record is cut short"};
    const std::span<const unsigned char> payload(data + at + record_header_bytes, length);
    if (checksum(data + at + 8, payload) != crc) {
      return SegmentScan{at, "a record's checksum does not match"};
    }
    if (result.records > 0 && number != result.last_record + 1) {
      // A whole record out of place: never a torn write.
      return SegmentScan{at, "a record's sequence number does not follow the one before it", true};
    }
    if (result.records == 0) result.first_record = number;
    if (number > after) on_record(number, payload);
    ++result.records;
    result.last_record = number;
    at += record_header_bytes + length;
  }
  return SegmentScan{};
}

}  // namespace

ReadResult read(const std::string& dir,
                const std::function<void(uint64_t, std::span<const unsigned char>)>& on_record,
                bool truncate_torn_tail, uint64_t after) {
  ReadResult result;
  const std::vector<std::string> files = segments(dir);
  MappedFile bytes;
  for (std::size_t f = 0; f < files.size(); ++f) {
    const std::string& path = files[f];
    const bool last_file = f + 1 == files.size();
    // A segment is named after the records before it: when the next one's name is at most
    // `after`, every record of this one is, and it need not be read.
    if (!last_file && segment_records_before(files[f + 1]) <= after) continue;
    if (!bytes.open(path)) {
      result.ok = false;
      result.error = errno_text("cannot open", path);
      return result;
    }
    const SegmentScan scan = scan_segment(bytes.data(), bytes.size(), after, on_record, result);
    const std::size_t bad_at = scan.bad_at;
    const std::string& why = scan.why;
    const bool header_bad = scan.header_bad;
    if (why.empty()) continue;
    const uint64_t record =
        result.records > 0 ? result.last_record + 1 : segment_records_before(path) + 1;
    // A bad end of the newest segment may be a torn write; any whole record after it proves
    // damage instead (an impossible length in the middle of the file, say).
    const std::optional<std::size_t> behind =
        last_file && !header_bad ? find_record(bytes.data(), bytes.size(), bad_at + 1, record - 1)
                                 : std::nullopt;
    if (last_file && !header_bad && !behind) {
      result.torn_tail = true;
      result.torn_bytes = bytes.size() - bad_at;
      result.torn_path = path;
      result.torn_offset = bad_at;
      result.torn_why = why + " (record " + std::to_string(record) + ")";
      bytes.close();
      if (truncate_torn_tail) {
        result.error = cut_torn_tail(result);
        result.ok = result.error.empty();
      }
      return result;
    }
    result.ok = false;
    result.error = path + " at offset " + std::to_string(bad_at) + ", record " +
                   std::to_string(record) + ": " + why +
                   (behind ? ", with a whole record after it at offset " + std::to_string(*behind)
                           : std::string()) +
                   " (a damaged journal: restore it from a copy, or remove what follows with "
                   "care; nothing was replayed past this point)";
    return result;
  }
  return result;
}

std::string cut_torn_tail(const ReadResult& read) {
  if (!read.torn_tail) return {};
  if (read.torn_offset == 0) {
    if (::unlink(read.torn_path.c_str()) != 0) {
      return errno_text("cannot remove the torn segment", read.torn_path);
    }
  } else if (::truncate(read.torn_path.c_str(), off_t(read.torn_offset)) != 0) {
    return errno_text("cannot cut the torn tail off", read.torn_path);
  }
  return {};
}

}  // namespace cpx::journal
