// The journal's format: records come back exactly, in order, across segments; a torn last
// record is cut off; damage anywhere else stops the read naming the file and the offset.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cpx/journal/journal.hpp"

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
    out.payloads_right = out.payloads_right &&
                         std::equal(payload.begin(), payload.end(), want.begin(), want.end());
  });
}

uint64_t file_size(const std::string& path) { return std::filesystem::file_size(path); }

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
  CHECK(result.last_seq == 5100);
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
  CHECK(result.error.find(last + " at offset 34: a record's checksum does not match") == 0);
  CHECK(file_size(last) > 1000);  // and nothing is cut off
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

}  // namespace cpx::journal
