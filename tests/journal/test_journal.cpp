// The journal's format: records come back exactly, in order, across segments; a torn last
// record is cut off; damage anywhere else stops the read naming the file and the offset.
// Snapshot files: what is written comes back; a torn or damaged one is refused, naming the file
// and the offset. Pruning and reading after a snapshot.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/crc.hpp>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cpx/journal/journal.hpp"
#include "cpx/journal/snapshot.hpp"

namespace cpx::journal {
namespace {

std::string fresh_dir(const std::string& name) {
  const std::string dir = std::filesystem::temp_directory_path() / ("cpx-test-" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

std::vector<unsigned char> payload_of(uint64_t seq) {
  std::vector<unsigned char> out(seq % 50 + 1);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<unsigned char>(seq * 7 + i);
  return out;
}

void write_records(const std::string& dir, uint64_t first, uint64_t count, uint64_t per_group,
                   uint64_t segment_bytes = uint64_t(256) << 20) {
  Writer writer(Settings{dir, true, segment_bytes}, first - 1);
  for (uint64_t seq = first; seq < first + count; ++seq) {
    writer.append(seq, payload_of(seq));
    if (seq % per_group == 0) writer.commit();
  }
  writer.commit();
}

struct Collected {
  std::vector<uint64_t> seqs;
  bool payloads_right = true;
};

ReadResult collect(const std::string& dir, Collected& out) {
  return read(dir, [&](uint64_t seq, std::span<const unsigned char> payload) {
    out.seqs.push_back(seq);
    const std::vector<unsigned char> want = payload_of(seq);
    out.payloads_right =
        out.payloads_right && std::equal(payload.begin(), payload.end(), want.begin(), want.end());
  });
}

uint64_t file_size(const std::string& path) {
  return std::filesystem::file_size(path);
}

void flip_byte(const std::string& path, uint64_t offset) {
  const int fd = ::open(path.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  unsigned char byte = 0;
  REQUIRE(::pread(fd, &byte, 1, off_t(offset)) == 1);
  byte ^= 0x5a;
  REQUIRE(::pwrite(fd, &byte, 1, off_t(offset)) == 1);
  ::close(fd);
}

}  // namespace

TEST_CASE("the checksum is the standard CRC-32, as boost::crc_32_type computes it") {
  const std::string check = "123456789";
  CHECK(crc32({reinterpret_cast<const unsigned char*>(check.data()), check.size()}) == 0xCBF43926u);
  std::mt19937_64 random(5);
  for (std::size_t size = 0; size < 300; ++size) {
    std::vector<unsigned char> bytes(size);
    for (unsigned char& byte : bytes) byte = static_cast<unsigned char>(random());
    boost::crc_32_type reference;
    reference.process_bytes(bytes.data(), bytes.size());
    REQUIRE(crc32(bytes) == reference.checksum());
  }
}

TEST_CASE("snapshot blocks' CRC-32C is the standard one, by instruction and by table alike") {
  const std::string check = "123456789";
  const std::span<const unsigned char> bytes(reinterpret_cast<const unsigned char*>(check.data()),
                                             check.size());
  CHECK(crc32c(bytes) == 0xE3069283u);
  CHECK(crc32c(bytes, true) == 0xE3069283u);
  std::mt19937_64 random(6);
  for (std::size_t size = 0; size < 300; ++size) {
    std::vector<unsigned char> data(size);
    for (unsigned char& byte : data) byte = static_cast<unsigned char>(random());
    REQUIRE(crc32c(data) == crc32c(data, true));
  }
}

TEST_CASE("records come back exactly and in order, across groups, segments and reopenings") {
  const std::string dir = fresh_dir("journal-roundtrip");
  write_records(dir, 1, 5000, 37, 16 * 1024);  // small segments: many files
  write_records(dir, 5001, 100, 10);           // reopened: a new segment after the others
  CHECK(segments(dir).size() > 5);
  Collected got;
  const ReadResult result = collect(dir, got);
  CHECK(result.ok);
  CHECK_FALSE(result.torn_tail);
  CHECK(result.records == 5100);
  CHECK(result.last_record == 5100);
  REQUIRE(got.seqs.size() == 5100);
  CHECK(got.seqs.front() == 1);
  CHECK(got.seqs.back() == 5100);
  CHECK(got.payloads_right);
}

TEST_CASE("a torn last record is cut off, and the journal goes on from there") {
  // Record 100 is 16 + 1 bytes long: a cut of up to 17 bytes tears it, 30 tears record 99.
  for (const uint64_t cut : {1, 5, 15, 17, 30}) {
    CAPTURE(cut);
    const uint64_t whole = cut <= 17 ? 99 : 98;
    const std::string dir = fresh_dir("journal-torn");
    write_records(dir, 1, 100, 10);
    const std::string last = segments(dir).back();
    std::filesystem::resize_file(last, file_size(last) - cut);  // the crash cut the last write
    Collected got;
    const ReadResult result = collect(dir, got);
    CHECK(result.ok);
    CHECK(result.torn_tail == (cut != 17));  // 17: record 100 gone whole, nothing torn
    CHECK(result.records == whole);
    CHECK(got.payloads_right);
    // Cut off for good: a second read is clean, and writing goes on after the last whole one.
    Collected again;
    CHECK_FALSE(collect(dir, again).torn_tail);
    write_records(dir, whole + 1, 5, 5);
    Collected after;
    const ReadResult resumed = collect(dir, after);
    CHECK(resumed.ok);
    CHECK(resumed.records == whole + 5);
    CHECK(after.payloads_right);
  }
}

TEST_CASE("a damaged last record (bad checksum at the very end) is a torn write too") {
  const std::string dir = fresh_dir("journal-torn-crc");
  write_records(dir, 1, 20, 20);
  const std::string last = segments(dir).back();
  flip_byte(last, file_size(last) - 1);
  Collected got;
  const ReadResult result = collect(dir, got);
  CHECK(result.ok);
  CHECK(result.torn_tail);
  CHECK(result.records == 19);
}

TEST_CASE("a damaged record in the middle stops the read, naming the file and the offset") {
  const std::string dir = fresh_dir("journal-corrupt");
  write_records(dir, 1, 200, 50);
  const std::string last = segments(dir).back();
  // Record 1 starts after the 16-byte segment header; its payload is 2 bytes (1 % 50 + 1), so
  // record 2 starts at 16 + 16 + 2 = 34. Damage record 2's payload.
  flip_byte(last, 34 + 16);
  Collected got;
  const ReadResult result = collect(dir, got);
  CHECK_FALSE(result.ok);
  CHECK(result.records == 1);  // nothing past the damage is replayed
  CHECK(result.error.find(last + " at offset 34, record 2: a record's checksum does not match") ==
        0);
  CHECK(file_size(last) > 1000);  // and nothing is cut off
}

// Where record `seq` starts in a segment written by write_records from record 1 on.
uint64_t record_offset(uint64_t seq) {
  uint64_t at = header_bytes;
  for (uint64_t s = 1; s < seq; ++s) at += record_header_bytes + payload_of(s).size();
  return at;
}

void xor_byte(const std::string& path, uint64_t offset, unsigned char mask) {
  const int fd = ::open(path.c_str(), O_RDWR);
  REQUIRE(fd >= 0);
  unsigned char byte = 0;
  REQUIRE(::pread(fd, &byte, 1, off_t(offset)) == 1);
  byte ^= mask;
  REQUIRE(::pwrite(fd, &byte, 1, off_t(offset)) == 1);
  ::close(fd);
}

TEST_CASE("a flipped length in the middle of the newest segment is damage, not a torn tail") {
  // Byte 2 of a length (0x40: the length grows by 4 MiB, past the limit) and byte 0 (a length
  // a few bytes off: the record seems to run past the end, or its checksum fails). Either way
  // whole records follow, which a torn write never leaves: the read stops, nothing is cut.
  for (const auto& [byte, mask] : {std::pair<int, unsigned char>{2, 0x40}, {0, 0x80}, {1, 0x01}}) {
    CAPTURE(byte);
    const std::string dir = fresh_dir("journal-length-flip");
    write_records(dir, 1, 200, 50);
    const std::string last = segments(dir).back();
    const uint64_t size = file_size(last);
    const uint64_t at = record_offset(185);
    xor_byte(last, at + uint64_t(byte), mask);
    Collected got;
    const ReadResult result = collect(dir, got);
    CHECK_FALSE(result.ok);
    CHECK_FALSE(result.torn_tail);
    CHECK(result.records == 184);
    CHECK_MESSAGE(
        result.error.find(last + " at offset " + std::to_string(at) + ", record 185: ") == 0,
        result.error);
    CHECK(result.error.find("with a whole record after it") != std::string::npos);
    CHECK(file_size(last) == size);  // nothing truncated
  }
}

TEST_CASE("a bad end is reported as a torn tail and cut only when asked") {
  const std::string dir = fresh_dir("journal-torn-deferred");
  write_records(dir, 1, 30, 10);
  const std::string last = segments(dir).back();
  const uint64_t size = file_size(last);
  std::filesystem::resize_file(last, size - 5);
  Collected got;
  const ReadResult result = read(
      dir, [&](uint64_t seq, auto) { got.seqs.push_back(seq); }, false);
  CHECK(result.ok);
  REQUIRE(result.torn_tail);
  CHECK(result.last_record == 29);
  CHECK(result.torn_path == last);
  CHECK(result.torn_offset == record_offset(30));
  CHECK(result.torn_bytes == size - 5 - record_offset(30));
  CHECK(result.torn_why.find("record 30") != std::string::npos);
  CHECK(file_size(last) == size - 5);  // not cut yet
  CHECK(cut_torn_tail(result).empty());
  CHECK(file_size(last) == record_offset(30));
  Collected again;
  CHECK_FALSE(collect(dir, again).torn_tail);
}

TEST_CASE("the acknowledgement mark follows every group and never passes what is written") {
  const std::string dir = fresh_dir("journal-acknowledged");
  CHECK_FALSE(read_acknowledged(dir).present);
  {
    Writer writer(Settings{dir, true, uint64_t(256) << 20}, 0);
    CHECK(read_acknowledged(dir).present);
    CHECK(read_acknowledged(dir).records == 0);
    for (uint64_t seq = 1; seq <= 25; ++seq) {
      writer.append(seq, payload_of(seq));
      if (seq % 10 == 0) {
        CHECK(read_acknowledged(dir).records == seq - 10);  // appended, not written yet
        writer.commit();
        CHECK(read_acknowledged(dir).records == seq);
      }
    }
    writer.commit();
    CHECK(read_acknowledged(dir).records == 25);
  }
  // A writer opened after recovery starts the mark where the journal is.
  { Writer writer(Settings{dir, true, uint64_t(256) << 20}, 20); }
  CHECK(read_acknowledged(dir).records == 20);
  // A damaged mark is told apart from a missing one.
  xor_byte(dir + "/" + acknowledged_file, 3, 0x10);
  const Acknowledged damaged = read_acknowledged(dir);
  CHECK_FALSE(damaged.present);
  CHECK(damaged.error.find("is damaged") != std::string::npos);
}

TEST_CASE(
    "random damage to the newest segment: either damage named, or a tail with no whole record "
    "after it") {
  std::mt19937_64 random(5);
  for (int round = 0; round < 300; ++round) {
    const std::string dir = fresh_dir("journal-random-damage");
    write_records(dir, 1, 120, 7);
    const std::string last = segments(dir).back();
    const uint64_t size = file_size(last);
    const uint64_t at = header_bytes + random() % (size - header_bytes);
    xor_byte(last, at, static_cast<unsigned char>(1u << (random() % 8)));
    uint64_t first_bad = 1;  // the record the byte is in
    while (first_bad < 120 && record_offset(first_bad + 1) <= at) ++first_bad;
    Collected got;
    const ReadResult result = read(
        dir, [&](uint64_t seq, auto) { got.seqs.push_back(seq); }, false);
    CAPTURE(round);
    CAPTURE(at);
    CHECK(result.last_record == first_bad - 1);  // nothing from the damaged record on
    if (first_bad < 120) {
      CHECK_FALSE(result.ok);  // whole records follow: damage
      CHECK(result.error.find("record " + std::to_string(first_bad) + ":") != std::string::npos);
    } else {
      CHECK(result.ok);  // the last record: a torn-tail candidate, for the caller to judge
      CHECK(result.torn_tail);
    }
    CHECK(file_size(last) == size);
  }
}

TEST_CASE("damage in an older segment is never taken for a torn tail") {
  const std::string dir = fresh_dir("journal-corrupt-old");
  write_records(dir, 1, 3000, 100, 8 * 1024);
  const std::vector<std::string> files = segments(dir);
  REQUIRE(files.size() > 2);
  const uint64_t size = file_size(files[0]);
  std::filesystem::resize_file(files[0], size - 3);  // the end of an old segment
  Collected got;
  const ReadResult result = collect(dir, got);
  CHECK_FALSE(result.ok);
  CHECK(result.error.find(files[0] + " at offset") == 0);
  CHECK_FALSE(result.torn_tail);
}

TEST_CASE("a file that is not a journal segment is refused") {
  const std::string dir = fresh_dir("journal-foreign");
  write_records(dir, 1, 10, 10);
  const std::string first = segments(dir).front();
  flip_byte(first, 0);
  write_records(dir, 11, 10, 10);  // so the damaged one is not the newest
  Collected got;
  const ReadResult result = collect(dir, got);
  CHECK_FALSE(result.ok);
  CHECK(result.error.find("not a journal segment") != std::string::npos);
}

TEST_CASE("a segment opened and left empty by a stopped start is reused by the next") {
  const std::string dir = fresh_dir("journal-empty-segment");
  write_records(dir, 1, 10, 10);
  { Writer writer(Settings{dir, true, uint64_t(256) << 20}, 10); }  // opened, nothing written
  write_records(dir, 11, 10, 10);                                   // the same name again
  Collected got;
  const ReadResult result = collect(dir, got);
  CHECK(result.ok);
  CHECK(result.records == 20);
}

TEST_CASE("a read after a snapshot passes on only later records, and skips covered segments") {
  const std::string dir = fresh_dir("journal-after");
  write_records(dir, 1, 3000, 100, 8 * 1024);
  const std::vector<std::string> files = segments(dir);
  REQUIRE(files.size() > 3);
  // Damage a segment that only covered records hold: a read after them never opens it.
  const uint64_t covered = segment_records_before(files[2]);
  flip_byte(files[0], 40);
  std::vector<uint64_t> seqs;
  const ReadResult result = read(
      dir, [&](uint64_t seq, std::span<const unsigned char>) { seqs.push_back(seq); }, true,
      covered + 5);
  CHECK(result.ok);
  REQUIRE_FALSE(seqs.empty());
  CHECK(seqs.front() == covered + 6);
  CHECK(seqs.back() == 3000);
  CHECK(result.first_record == covered + 1);  // read from segment 2 on
  CHECK(result.last_record == 3000);
}

TEST_CASE("pruning deletes the segments a snapshot covers, never the newest") {
  const std::string dir = fresh_dir("journal-prune");
  write_records(dir, 1, 3000, 100, 8 * 1024);
  const std::vector<std::string> files = segments(dir);
  REQUIRE(files.size() > 3);
  const uint64_t through = segment_records_before(files[2]) + 1;  // a record inside segment 2
  CHECK(prune(dir, through) == 2);                                // segments 0 and 1 only
  CHECK(segments(dir).front() == files[2]);
  CHECK(prune(dir, 1'000'000) == files.size() - 3);  // all but the newest
  CHECK(segments(dir) == std::vector<std::string>{files.back()});
  const std::string dir2 = fresh_dir("journal-prune-2");
  write_records(dir2, 1, 3000, 100, 8 * 1024);
  const std::vector<std::string> files2 = segments(dir2);
  prune(dir2, 2000);
  const std::string first = segments(dir2).front();
  CHECK(segment_records_before(first) <= 2000);
  Collected got;
  const ReadResult result = collect(dir2, got);
  CHECK(result.ok);
  CHECK(result.first_record == segment_records_before(first) + 1);
  CHECK(result.last_record == 3000);
  CHECK(got.payloads_right);
}

namespace {

// Writes a snapshot of `items` numbers and texts, large enough for several blocks.
std::string write_snapshot(const std::string& dir, uint64_t index, uint64_t items) {
  std::filesystem::create_directories(dir);
  SnapshotWriter out(dir, index, index * 2);
  out.u64(items);
  for (uint64_t i = 0; i < items; ++i) {
    out.u8(uint8_t(i));
    out.u16(uint16_t(i * 3));
    out.u32(uint32_t(i * 5));
    out.i64(-int64_t(i));
    out.i128(-(int128_t(i) << 70));
    out.text(std::string(i % 40, char('a' + i % 26)));
  }
  out.finish();
  return out.path();
}

bool read_snapshot(const std::string& path, uint64_t items) {
  SnapshotReader in(path);
  if (in.u64() != items) return false;
  for (uint64_t i = 0; i < items; ++i) {
    if (in.u8() != uint8_t(i) || in.u16() != uint16_t(i * 3) || in.u32() != uint32_t(i * 5) ||
        in.i64() != -int64_t(i) || in.i128() != -(int128_t(i) << 70) ||
        in.text() != std::string(i % 40, char('a' + i % 26))) {
      return false;
    }
  }
  return in.at_end();
}

std::string snapshot_error(const std::string& path) {
  try {
    SnapshotReader in(path);
  } catch (const SnapshotError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a snapshot comes back exactly, over several blocks, and is listed newest first") {
  const std::string dir = fresh_dir("snapshot-roundtrip");
  const std::string older = write_snapshot(dir, 7, 10);
  const std::string path = write_snapshot(dir, 1000, 100'000);  // ~5 MB: several blocks
  CHECK(std::filesystem::file_size(path) > (std::size_t(3) << 20));
  CHECK(read_snapshot(path, 100'000));
  CHECK(read_snapshot(older, 10));
  const std::vector<SnapshotFile> listed = snapshots(dir);
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].path == path);
  CHECK(listed[0].journal_index == 1000);
  CHECK(listed[0].seq == 2000);
  CHECK(listed[1].journal_index == 7);
}

TEST_CASE("a snapshot not finished leaves no file behind under its final name") {
  const std::string dir = fresh_dir("snapshot-unfinished");
  std::filesystem::create_directories(dir);
  {
    SnapshotWriter out(dir, 5, 5);
    out.u64(1);
  }  // destroyed before finish(): as when writing fails
  CHECK(snapshots(dir).empty());
  CHECK(std::filesystem::is_empty(dir));
  // A writer killed mid-way leaves its .tmp: removed at the next start.
  std::FILE* left = std::fopen(snapshot_path(dir, 9, 9).append(".tmp").c_str(), "w");
  REQUIRE(left != nullptr);
  std::fclose(left);
  CHECK(snapshots(dir).empty());
  CHECK(remove_unfinished_snapshots(dir) == 1);
  CHECK(std::filesystem::is_empty(dir));
}

TEST_CASE("a torn snapshot is refused, naming the file and the offset") {
  const std::string dir = fresh_dir("snapshot-torn");
  const std::string path = write_snapshot(dir, 50, 50'000);
  const uint64_t size = std::filesystem::file_size(path);
  for (const uint64_t cut : {uint64_t(1), uint64_t(100), size / 2, size - 16}) {
    CAPTURE(cut);
    const std::string copy = path + ".copy";
    std::filesystem::copy_file(path, copy, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(copy, size - cut);
    const std::string error = snapshot_error(copy);
    CHECK(error.find(copy + " at offset ") == 0);
    std::filesystem::remove(copy);
  }
}

TEST_CASE("a damaged snapshot is refused, naming the file and the offset of the bad block") {
  const std::string dir = fresh_dir("snapshot-corrupt");
  const std::string path = write_snapshot(dir, 50, 50'000);
  // Blocks are 16 + 1 MiB each after the 16-byte file header: damage the second block.
  const uint64_t second_block = 16 + 16 + (uint64_t(1) << 20);
  flip_byte(path, second_block + 100);
  CHECK(snapshot_error(path) == path + " at offset " + std::to_string(second_block) +
                                    ": a block's checksum does not match");
  const std::string other = write_snapshot(dir, 60, 10);
  flip_byte(other, 0);
  CHECK(snapshot_error(other) == other + " at offset 0: not a snapshot");
}

}  // namespace cpx::journal
