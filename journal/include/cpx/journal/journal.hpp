// The command journal: every command that reaches the matcher is appended here before the
// matcher acts on it, and made durable in groups (one write and one fdatasync per group). On
// start the journal is read back and replayed, so the exchange comes back in the state it left.
// docs/durability.md has the format and the rules.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace cpx::journal {

// On disk: a folder of segments named segment-<records before it, 16 digits>.cpxj, each a
// 16-byte header ("CPXJRNL1", u32 format version, u32 zero) and then records:
//   u32 payload length, u32 CRC-32 of (number, payload), u64 number, payload
// all little-endian. A record's number counts the journal's records from 1 (it is not the
// engine's command seq: admitted requests that change nothing are not journaled, and a restore
// record has none). A segment is never rewritten: a new one starts at each open and when one
// passes segment_bytes.
inline constexpr uint32_t format_version = 1;
inline constexpr std::size_t header_bytes = 16;
inline constexpr std::size_t record_header_bytes = 16;
inline constexpr uint32_t payload_bytes_max = 1u << 20;

struct Settings {
  std::string dir;
  bool sync = true;  // fdatasync each group (--durability sync); false: leave it to the OS
  uint64_t segment_bytes = uint64_t(256) << 20;
};

class Writer {
 public:
  // Opens (creating) the folder and starts a new segment after the existing ones; throws
  // std::runtime_error naming the path on failure.
  Writer(Settings settings, uint64_t next_index);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Adds record number `record` to the current group (memory only).
  void append(uint64_t record, std::span<const unsigned char> payload);
  // Writes the group and, in sync mode, waits until it is on disk. Throws on an I/O error (the
  // exchange must stop: it cannot promise durability any more).
  void commit();

  uint64_t records() const { return index_; }
  uint64_t groups() const { return groups_; }

 private:
  void open_segment();
  void mark_acknowledged();

  Settings settings_;
  int fd_ = -1;
  int acked_fd_ = -1;  // the acknowledgement mark (see read_acknowledged)
  uint64_t segment_written_ = 0;
  uint64_t index_ = 0;  // records appended so far, over all segments
  uint64_t groups_ = 0;
  std::vector<unsigned char> group_;
};

struct ReadResult {
  bool ok = true;
  std::string error;     // what is wrong: the file, the offset and the number of the bad record
  uint64_t records = 0;  // read and checked (passed on or not)
  uint64_t first_record = 0;  // of the first record read (0: none)
  uint64_t last_record = 0;   // of the last whole record
  // A bad end of the newest segment with no whole record after it: the last record cut short
  // or damaged up to the end of the file, as a write that a crash interrupted leaves it. Only
  // a candidate: it is a torn write only if no acknowledged record is lost with it (the caller
  // compares with the acknowledgement mark and the ledger), and only then cut_torn_tail().
  bool torn_tail = false;
  uint64_t torn_bytes = 0;
  std::string torn_path;     // the newest segment
  uint64_t torn_offset = 0;  // where the bad end starts
  std::string torn_why;      // what is wrong there
};

// Reads every record of the journal in `dir` in order, calling on_record. A bad end of the
// newest segment is reported as a torn tail (see ReadResult) and, with truncate_torn_tail, cut
// off at once; a bad record anywhere else, or one with a whole record after it (damage, not a
// torn write: the resynchronising scan finds the record behind it), stops the read with ok =
// false and an error naming the file, offset and record number: nothing after it is trusted,
// nothing is silently skipped. Records numbered `after` or less (a snapshot covers them) are
// checked but not passed on, and segments holding only such records are not read at all.
ReadResult read(
    const std::string& dir,
    const std::function<void(uint64_t record, std::span<const unsigned char>)>& on_record,
    bool truncate_torn_tail = true, uint64_t after = 0);

// Cuts off the torn tail a read() reported (truncating the newest segment to its last whole
// record, or removing it when not even its header is whole); an error text, empty on success.
std::string cut_torn_tail(const ReadResult& read);

// The acknowledgement mark: `DIR/acknowledged`, written by the Writer after each group is
// written (and, in sync mode, synced) and before anything of the group is acted on or answered,
// so it never names a record that is not in the journal, and every acknowledged record is at
// or below it. Recovery refuses a journal that ends below it (docs/durability.md). 16 bytes:
// u64 records, u32 CRC-32 of them, u32 zero. Not synced on its own: after a crash of the
// machine it may be older (lower) than the journal, never newer.
struct Acknowledged {
  bool present = false;  // false: no mark (a journal of an older build, or none yet)
  uint64_t records = 0;
  std::string error;  // the mark is unreadable (damaged): present is false then
};
Acknowledged read_acknowledged(const std::string& dir);
inline constexpr const char* acknowledged_file = "acknowledged";

// The CRC-32 records and snapshot blocks carry (the zlib/PNG polynomial: boost::crc_32_type's).
uint32_t crc32(std::span<const unsigned char> bytes);
// The CRC-32C (Castagnoli) snapshot blocks carry: by the CPU's instruction where it has one,
// else (or with table_only) by a table; both give the same values.
uint32_t crc32c(std::span<const unsigned char> bytes, bool table_only = false);

// The segment files of `dir`, oldest first.
std::vector<std::string> segments(const std::string& dir);
// The records before a segment, from its name.
uint64_t segment_records_before(const std::string& path);
// Deletes the segments whose records are all numbered `through` or less (a snapshot covers
// them), never the newest; returns how many went.
std::size_t prune(const std::string& dir, uint64_t through);

}  // namespace cpx::journal
