// The real cpx-replay binary on hostile input: every line answered, nothing crashes, memory
// stays bounded; a bad config stops it with a message naming the file.
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace cpx::test {
namespace {

struct Run {
  int exit_code;
  std::string out;
  std::string err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string input_path = std::string(CPX_TEST_TMP) + "/replay-in";

// Runs cpx-replay on the file at input_path.
Run replay_file(const std::string& arguments = "") {
  const std::string dir = CPX_TEST_TMP;
  const std::string in = input_path, out = dir + "/replay-out", err = dir + "/replay-err";
  const std::string command =
      std::string(CPX_REPLAY_BINARY) + " " + arguments + " < " + in + " > " + out + " 2> " + err;
  const int status = std::system(command.c_str());
  return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

Run replay(const std::string& input, const std::string& arguments = "") {
  std::ofstream(input_path, std::ios::binary) << input;
  return replay_file(arguments);
}

std::size_t count_lines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

const std::string good_account = R"({"op":"account","account":"e1","role":"enterprise"})";

}  // namespace

TEST_CASE("cpx-replay answers every hostile line with a rejection and goes on") {
  std::string input;
  input += "not json\n";
  input += std::string("\x00\x01\xff\xfe binary", 12) + "\n";
  input += std::string(100000, '[') + "\n";                     // deeply nested
  input += "{\"op\":\"" + std::string(5 << 20, 'x') + "\"}\n";  // 5 MiB line
  input += "\n   \n";                                           // blank: no seq
  input += "{\"a\":" + std::string(2000, '{') + "\n";
  input += good_account + "\n";
  input += good_account;  // last line without a newline
  const Run run = replay(input);
  CHECK(run.exit_code == 0);
  CHECK(count_lines(run.out) == 7);
  CHECK(run.out.find(R"({"seq":4,"type":"rejected","reason":"bad_request"})") != std::string::npos);
  CHECK(run.out.find(R"({"seq":6,"type":"ok"})") != std::string::npos);
  CHECK(
      run.out.find(R"({"seq":7,"type":"rejected","account":"e1","reason":"duplicate_account"})") !=
      std::string::npos);
}

TEST_CASE("cpx-replay keeps memory bounded on a huge line") {
  // 64 MiB in one line: the reader drops it in pieces rather than buffering it. The file is
  // written in pieces too, so that the forked shell does not inherit a large test process.
  {
    std::ofstream in(input_path, std::ios::binary);
    const std::string piece(1 << 20, 'x');
    for (int i = 0; i < 64; ++i) in << piece;
    in << "\n" << good_account << "\n";
  }
  const Run run = replay_file();
  CHECK(run.exit_code == 0);
  CHECK(run.out ==
        "{\"seq\":1,\"type\":\"rejected\",\"reason\":\"bad_request\"}\n{\"seq\":2,\"type\":\"ok\"}"
        "\n");
  rusage usage{};
  getrusage(RUSAGE_CHILDREN, &usage);
  CHECK(usage.ru_maxrss < 64 * 1024);  // KiB: well under the line's size
}

TEST_CASE("examples/demo.jsonl replays to examples/demo.events.jsonl byte for byte") {
  // The published example and its events: a change to the events' text shows here first.
  const std::string examples = CPX_EXAMPLES_DIR;
  const Run run = replay(slurp(examples + "/demo.jsonl"));
  CHECK(run.exit_code == 0);
  CHECK(run.out == slurp(examples + "/demo.events.jsonl"));
  CHECK(count_lines(run.out) == 20);
}

TEST_CASE("examples/delivery.jsonl (docs/delivery.md) replays to its events byte for byte") {
  // A site with an hourly green profile, capacity refused and cut, a spot order expiring at
  // its gate, a suspension: through the real binary, its two threads and its ring.
  const std::string examples = CPX_EXAMPLES_DIR;
  const Run run = replay(slurp(examples + "/delivery.jsonl"));
  CHECK(run.exit_code == 0);
  CHECK(run.out == slurp(examples + "/delivery.events.jsonl"));
  CHECK(run.out.find(R"("reason":"over_capacity")") != std::string::npos);
  CHECK(run.out.find(R"("delivery":"2026-12-04T10:00Z","site":"zw-1")") != std::string::npos);
  CHECK(run.out.find(R"("status":"settled","delivered":"18","paid":"46.8","refunded":"5.2",)"
                     R"("penalty":"0.52")") != std::string::npos);
  CHECK(count_lines(run.out) == 33);
}

TEST_CASE("cpx-replay is deterministic: the same input gives byte-identical events") {
  std::string input;
  input += good_account + "\n" + R"({"op":"account","account":"p1","role":"provider"})" + "\n";
  input += R"({"op":"deposit","account":"e1","amount":"1000"})"
           "\n";
  input +=
      R"({"op":"new","side":"ask","account":"p1","client_order_id":"a","chip":"H100","qty":"3",)"
      R"("price":"2","region":"guian"})"
      "\n";
  input +=
      R"({"op":"new","side":"bid","account":"e1","client_order_id":"b","chip":"H100","qty":"5",)"
      R"("price":"2.5","origin":"shenzhen"})"
      "\n";
  const Run first = replay(input);
  const Run second = replay(input);
  CHECK(first.out == second.out);
  CHECK(count_lines(first.out) == 7);
}

TEST_CASE("a malformed config file stops start-up with a message naming the file and problem") {
  const std::string path = std::string(CPX_TEST_TMP) + "/bad-regions.json";
  std::ofstream(path) << R"({"regions":[{"id":"a"},{"id":"b"}],"latency_ms":[[1,2],[3,1]]})";
  Run run = replay("", "--regions " + path);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find(path) != std::string::npos);
  CHECK(run.err.find("not symmetric") != std::string::npos);

  std::ofstream(path) << "{ not json";
  run = replay("", "--regions " + path);
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("not valid JSON") != std::string::npos);

  run = replay("", "--chips /nonexistent/chips.json");
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("/nonexistent/chips.json") != std::string::npos);
}

TEST_CASE("another region set and chip set load from files given at start") {
  const std::string regions = std::string(CPX_TEST_TMP) + "/regions.json";
  const std::string chips = std::string(CPX_TEST_TMP) + "/chips.json";
  std::ofstream(regions)
      << R"({"regions":[{"id":"near"},{"id":"far"}],"latency_ms":[[1,30],[30,1]]})";
  std::ofstream(chips) << R"({"chips":[{"id":"X1"}]})";
  std::string input =
      good_account + "\n" + R"({"op":"account","account":"p1","role":"provider"})" + "\n";
  input += R"({"op":"deposit","account":"e1","amount":"1000"})"
           "\n";
  input += R"({"op":"new","side":"ask","account":"p1","client_order_id":"a","chip":"X1","qty":"1",)"
           R"("price":"1","region":"far"})"
           "\n";
  input += R"({"op":"new","side":"bid","account":"e1","client_order_id":"b","chip":"X1","qty":"1",)"
           R"("price":"1","origin":"near","max_latency_ms":29})"
           "\n";
  input +=
      R"({"op":"new","side":"bid","account":"e1","client_order_id":"c","chip":"H100","qty":"1",)"
      R"("price":"1","origin":"near"})"
      "\n";
  const Run run = replay(input, "--regions " + regions + " --chips " + chips);
  CHECK(run.exit_code == 0);
  CHECK(count_lines(run.out) == 6);  // b rests (far is 30 ms away), H100 is unknown here
  CHECK(run.out.find(R"("reason":"unknown_chip")") != std::string::npos);
}

}  // namespace cpx::test
