// Recovery from a damaged or short journal (issue 20), with the real server and a real
// PostgreSQL: each damage either recovers everything acknowledged or refuses to start naming
// it, and no start ever comes back with a state behind the ledger. A signed request is applied
// at most once across restarts. /healthz says degraded when the ledger is ahead of the engine.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "cpx/journal/journal.hpp"
#include "cpx/journal/snapshot.hpp"
#include "market_run.hpp"
#include "pg_test.hpp"

namespace cpx::test {
namespace {

namespace fs = std::filesystem;

// A cleanly stopped exchange whose ledger has settled everything: the starting point every
// case copies (journal folder and database) before it damages its copy.
struct Base {
  std::string database;  // the database's name
  std::string journal;
  std::string hash;
  std::map<std::string, std::string> balances;
  uint64_t settled_seq = 0;
  uint64_t records = 0;  // the acknowledgement mark
  std::vector<Trader> traders;
};

uint64_t ledger_settled_seq(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::work work(connection);
  return work.exec1("SELECT coalesce(max(last_seq), 0) FROM settlement_batches")[0].as<uint64_t>();
}

std::vector<std::string> server_args(const std::string& url, const std::string& journal) {
  return {"--db",
          url,
          "--journal",
          journal,
          "--rate-limit",
          "0",
          "--snapshot-every",
          "300",
          "--journal-segment-bytes",
          "65536"};
}

// Where each record of a segment starts, and the record numbers, read as the format says.
struct SegmentRecords {
  std::vector<uint64_t> offsets;
  std::vector<uint64_t> seqs;
  uint64_t size = 0;
};

SegmentRecords records_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SegmentRecords out;
  out.size = bytes.size();
  auto u32 = [&](std::size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(uint8_t(bytes[at + i])) << (8 * i);
    return v;
  };
  for (std::size_t at = journal::header_bytes; at + journal::record_header_bytes <= bytes.size();) {
    out.offsets.push_back(at);
    uint64_t seq = 0;
    for (int i = 0; i < 8; ++i) seq |= uint64_t(uint8_t(bytes[at + 8 + i])) << (8 * i);
    out.seqs.push_back(seq);
    at += journal::record_header_bytes + u32(at);
  }
  return out;
}

Base& base() {
  static Base made = [] {
    Base b;
    b.database = "cpx_test_damage_base";
    const std::string url = fresh_database(b.database);
    b.journal = fresh_journal("damage-base");
    std::mt19937_64 random(20);
    int req = 0;
    int order_number = 0;
    RunningServer server(server_args(url, b.journal));
    RestClient admin(server.port, operator_key, operator_secret);
    b.traders = open_traders(server, admin, 2, 2, true);
    connect(server, b.traders);
    run_random(random, b.traders, 1500, admin, req, order_number);
    wait_settled(server.port);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // a snapshot's prune
    run_random(random, b.traders, 200, admin, req, order_number);
    // The cases damage the newest segment's last records: it must hold some (a segment that
    // just filled up leaves a new, empty one), and the newest snapshot must not cover them (it
    // is taken in the background every 300 commands: give it time to appear).
    auto tail_ready = [&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      const std::vector<journal::SnapshotFile> taken = journal::snapshots(b.journal);
      const uint64_t acked = journal::read_acknowledged(b.journal).records;
      return records_of(journal::segments(b.journal).back()).offsets.size() >= 40 &&
             (taken.empty() || acked >= taken.front().journal_index + 40);
    };
    for (int i = 0; i < 40 && !tail_ready(); ++i) {
      run_random(random, b.traders, 50, admin, req, order_number);
    }
    REQUIRE(tail_ready());
    wait_settled(server.port);
    b.hash = state_hash(server.port);
    b.balances = engine_balances(server.port, b.traders);
    for (Trader& trader : b.traders) trader.ws.reset();
    REQUIRE(server.stop() == 0);
    b.settled_seq = ledger_settled_seq(url);
    const journal::Acknowledged acked = journal::read_acknowledged(b.journal);
    REQUIRE(acked.present);
    b.records = acked.records;
    REQUIRE(b.settled_seq > 1000);
    REQUIRE(journal::snapshots(b.journal).size() >= 2);
    REQUIRE(journal::segments(b.journal).size() >= 2);
    return b;
  }();
  return made;
}

// A copy of the base for one case: its own journal folder and database.
struct Copy {
  std::string url;
  std::string journal;
};

Copy copy_of_base(const std::string& name) {
  Base& b = base();
  Copy copy;
  copy.journal = fresh_journal("damage-" + name);
  fs::copy(b.journal, copy.journal, fs::copy_options::recursive);
  const std::string database = "cpx_test_damage_" + name;
  {
    pqxx::connection admin(admin_url());
    pqxx::nontransaction work(admin);
    work.exec0("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    work.exec0("CREATE DATABASE " + database + " TEMPLATE " + b.database);
  }
  copy.url = database_url(database);
  return copy;
}

void xor_byte(const std::string& path, uint64_t offset, unsigned char mask) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file);
  file.seekg(std::streamoff(offset));
  const char byte = char(file.get() ^ char(mask));
  file.seekp(std::streamoff(offset));
  file.put(byte);
}

// Every file of a journal folder with its bytes: a refused start must change none of them.
std::map<std::string, std::string> contents(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    out[entry.path().string()] =
        std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  return out;
}

// Starts the server and checks that it refuses, saying all of `needles`, and leaves the journal
// and the ledger as they were.
void expect_refused(const Copy& copy, const std::vector<std::string>& needles,
                    std::vector<std::string> extra = {}) {
  const std::map<std::string, std::string> before = contents(copy.journal);
  std::vector<std::string> args = server_args(copy.url, copy.journal);
  args.insert(args.end(), extra.begin(), extra.end());
  std::string output;
  CHECK(RunningServer::run_to_end(args, output) != 0);
  INFO(output);
  CHECK(output.find("listening") == std::string::npos);
  for (const std::string& needle : needles) CHECK(output.find(needle) != std::string::npos);
  CHECK(contents(copy.journal) == before);  // nothing cut, nothing removed
  CHECK(ledger_settled_seq(copy.url) == base().settled_seq);
}

// A start that either refuses (exit status, output) or listens (port); the server is stopped
// by the destructor.
struct Attempt {
  pid_t pid = -1;
  int out = -1;
  uint16_t port = 0;
  int status = 0;
  std::string output;

  explicit Attempt(const std::vector<std::string>& args) {
    pid = RunningServer::start(args, true, true, out);
    std::string line;
    char c;
    while (::read(out, &c, 1) == 1) {
      if (c != '\n') {
        line += c;
        continue;
      }
      output += line + "\n";
      if (line.rfind("cpx-server listening on 127.0.0.1:", 0) == 0) {
        port = uint16_t(std::stoi(line.substr(line.rfind(':') + 1)));
        return;
      }
      line.clear();
    }
    output += line;
    waitpid(pid, &status, 0);
    pid = -1;
  }
  bool listening() const { return port != 0; }
  // The lines after the listening one, up to the operator key's.
  std::string start_lines() {
    std::string lines;
    for (int i = 0; i < 4; ++i) {
      std::string line;
      char c;
      while (::read(out, &c, 1) == 1 && c != '\n') line += c;
      lines += line + "\n";
      if (line.rfind("operator key", 0) == 0) break;
    }
    return lines;
  }
  int stop() {
    if (pid < 0) return -1;
    kill(pid, SIGTERM);
    int wait_status = 0;
    waitpid(pid, &wait_status, 0);
    pid = -1;
    return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  }
  ~Attempt() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
  }
};

const std::string lost = "has lost acknowledged commands";

}  // namespace

TEST_CASE(
    "a journal cut inside a record that was acknowledged and settled is refused, naming "
    "the journal's end, the mark and the ledger's settled seq") {
  const Copy copy = copy_of_base("cut");
  const std::string newest = journal::segments(copy.journal).back();
  const SegmentRecords records = records_of(newest);
  REQUIRE(records.offsets.size() > 25);
  const std::size_t victim = records.offsets.size() - 20;
  fs::resize_file(newest, records.offsets[victim] + 20);  // 20 bytes into the record
  const std::string ends = "the journal ends at record " + std::to_string(records.seqs[victim] - 1);
  expect_refused(
      copy, {lost, ends, "were acknowledged",
             "but the ledger settled through seq " + std::to_string(base().settled_seq),
             "the ledger holds seqs", newest + " offset " + std::to_string(records.offsets[victim]),
             "--accept-journal-loss"});

  SUBCASE(
      "with --accept-journal-loss the journal is set aside and the start goes on from the "
      "ledger, numbering after it") {
    Base& b = base();
    std::vector<std::string> args = server_args(copy.url, copy.journal);
    args.push_back("--accept-journal-loss");
    Attempt server(args);
    REQUIRE_MESSAGE(server.listening(), server.output);
    const std::string lines = server.start_lines();
    CHECK_MESSAGE(lines.find("journal loss accepted") != std::string::npos, lines);
    CHECK_MESSAGE(lines.find("the ledger holds seqs") != std::string::npos, lines);
    CHECK_MESSAGE(lines.find("moved to " + copy.journal + "/lost-") != std::string::npos, lines);
    bool set_aside = false;
    for (const auto& entry : fs::directory_iterator(copy.journal)) {
      if (entry.path().filename().string().rfind("lost-", 0) == 0) {
        set_aside = !journal::segments(entry.path().string()).empty() &&
                    !journal::snapshots(entry.path().string()).empty();
      }
    }
    CHECK(set_aside);  // nothing deleted
    // The ledger's balances, holds released with the open orders (reason restart).
    std::vector<Trader> traders(b.traders.size());
    for (std::size_t i = 0; i < traders.size(); ++i) {
      traders[i].account = b.traders[i].account;
      traders[i].enterprise = b.traders[i].enterprise;
      traders[i].key = b.traders[i].key;
    }
    const std::map<std::string, std::string> restored = engine_balances(server.port, traders);
    {
      pqxx::connection connection(copy.url);
      pqxx::work work(connection);
      std::map<std::string, std::string> ledger = ledger_balances(work);
      for (auto& [account, text] : ledger) text = text.substr(0, text.find(' '));
      std::map<std::string, std::string> engine;
      for (const auto& [account, text] : restored) engine[account] = text.substr(0, text.find(' '));
      CHECK(engine == ledger);
    }
    // More trading: new seqs come after the ledger's, none skipped, and the ledger verifies.
    for (Trader& trader : traders) {
      trader.ws = std::make_unique<WsClient>(server.port, trader.key.id, trader.key.secret);
      REQUIRE(trader.ws->read().find("logged_in") != std::string::npos);
    }
    RestClient admin(server.port, operator_key, operator_secret);
    std::mt19937_64 random(21);
    int req = 100000;
    int order_number = 100000;
    run_random(random, traders, 600, admin, req, order_number);
    wait_settled(server.port);
    const std::string health_now = health(server.port);
    CHECK_MESSAGE(health_now.find("\"status\":\"ok\"") != std::string::npos, health_now);
    CHECK(health_now.find("\"skipped_records\":0") != std::string::npos);
    CHECK(ledger_settled_seq(copy.url) > b.settled_seq);
    const std::map<std::string, std::string> balances = engine_balances(server.port, traders);
    for (Trader& trader : traders) trader.ws.reset();
    pqxx::connection connection(copy.url);
    pqxx::work work(connection);
    CHECK(ledger_balances(work) == balances);
    std::string audit;
    CHECK_MESSAGE(run_audit(copy.url, audit) == 0, audit);
    CHECK(server.stop() == 0);
  }
}

TEST_CASE(
    "a flipped length in the middle of the newest segment stops start-up, naming file, "
    "offset and record; nothing is cut") {
  const Copy copy = copy_of_base("length");
  const std::string newest = journal::segments(copy.journal).back();
  const SegmentRecords records = records_of(newest);
  REQUIRE(records.offsets.size() > 20);
  const std::size_t victim = records.offsets.size() - 15;
  xor_byte(newest, records.offsets[victim] + 2, 0x40);  // the length grows past 1 MiB
  expect_refused(copy, {newest + " at offset " + std::to_string(records.offsets[victim]) +
                            ", record " + std::to_string(records.seqs[victim]),
                        "a record length is impossible", "with a whole record after it"});
}

TEST_CASE("a damaged header (checksum field) in the middle stops start-up") {
  const Copy copy = copy_of_base("header");
  const std::string newest = journal::segments(copy.journal).back();
  const SegmentRecords records = records_of(newest);
  const std::size_t victim = records.offsets.size() / 2;
  xor_byte(newest, records.offsets[victim] + 5, 0x01);
  expect_refused(copy, {newest + " at offset " + std::to_string(records.offsets[victim]),
                        "a record's checksum does not match"});
}

TEST_CASE(
    "damage to the last record, acknowledged and settled, is refused rather than cut as "
    "torn") {
  for (const bool cut : {false, true}) {
    CAPTURE(cut);
    const Copy copy = copy_of_base(cut ? "last_cut" : "last_flip");
    const std::string newest = journal::segments(copy.journal).back();
    const SegmentRecords records = records_of(newest);
    const uint64_t last = records.offsets.back();
    if (cut) {
      fs::resize_file(newest, records.size - 5);
    } else {
      xor_byte(newest, last + journal::record_header_bytes + 3, 0x10);  // the payload
    }
    expect_refused(copy,
                   {lost, "the journal ends at record " + std::to_string(records.seqs.back() - 1),
                    newest + " offset " + std::to_string(last)});
  }
}

TEST_CASE("the newest segment deleted, or the newest snapshot and the journal's tail, is refused") {
  {
    const Copy copy = copy_of_base("segment_gone");
    fs::remove(journal::segments(copy.journal).back());
    expect_refused(copy, {lost, "were acknowledged", "but the ledger settled through seq"});
  }
  {
    const Copy copy = copy_of_base("snapshot_gone");
    fs::remove(journal::snapshots(copy.journal).front().path);
    const std::string newest = journal::segments(copy.journal).back();
    const SegmentRecords records = records_of(newest);
    fs::resize_file(newest, records.offsets[records.offsets.size() / 2]);  // whole records cut
    expect_refused(copy, {lost, "but the ledger settled through seq"});
  }
  {
    // Without the mark (a journal of an older build), the ledger alone still tells.
    const Copy copy = copy_of_base("mark_gone");
    fs::remove(copy.journal + "/" + journal::acknowledged_file);
    fs::remove(journal::segments(copy.journal).back());
    expect_refused(copy, {lost, "but the ledger settled through seq"});
  }
}

TEST_CASE("a write torn past everything acknowledged is cut off, and the state is whole") {
  const Copy copy = copy_of_base("torn");
  const std::string newest = journal::segments(copy.journal).back();
  const SegmentRecords records = records_of(newest);
  {
    // Half a record numbered after the last one, as a crash in the middle of a write leaves it.
    std::ofstream out(newest, std::ios::binary | std::ios::app);
    unsigned char header[24] = {60, 0, 0, 0, 1, 2, 3, 4};
    const uint64_t next = records.seqs.back() + 1;
    for (int i = 0; i < 8; ++i) header[8 + i] = static_cast<unsigned char>(next >> (8 * i));
    out.write(reinterpret_cast<const char*>(header), sizeof header);
  }
  Attempt server(server_args(copy.url, copy.journal));
  REQUIRE_MESSAGE(server.listening(), server.output);
  const std::string lines = server.start_lines();
  CHECK_MESSAGE(lines.find("a torn last record cut off (24 bytes)") != std::string::npos, lines);
  CHECK(state_hash(server.port) == base().hash);
  CHECK(fs::file_size(newest) == records.size);
  CHECK(server.stop() == 0);
}

TEST_CASE(
    "random damage to a random segment, snapshot or mark: everything acknowledged comes "
    "back, or the start is refused naming the damage; never a state behind the ledger") {
  const char* rounds_text = std::getenv("CPX_DAMAGE_ROUNDS");
  const int rounds = rounds_text != nullptr ? std::atoi(rounds_text) : 12;
  std::mt19937_64 random(2020);
  int refused = 0;
  int recovered = 0;
  for (int round = 0; round < rounds; ++round) {
    const Copy copy = copy_of_base("random");
    std::vector<std::string> files = journal::segments(copy.journal);
    for (const journal::SnapshotFile& file : journal::snapshots(copy.journal))
      files.push_back(file.path);
    files.push_back(copy.journal + "/" + journal::acknowledged_file);
    const std::string file = files[random() % files.size()];
    const uint64_t size = fs::file_size(file);
    const uint64_t offset = random() % size;
    xor_byte(file, offset, static_cast<unsigned char>(1 + random() % 255));
    CAPTURE(file);
    CAPTURE(offset);
    Attempt server(server_args(copy.url, copy.journal));
    if (!server.listening()) {
      ++refused;
      CHECK(server.status != 0);
      CHECK_MESSAGE((server.output.find("journal: ") != std::string::npos), server.output);
      CHECK(ledger_settled_seq(copy.url) == base().settled_seq);
      continue;
    }
    ++recovered;
    CHECK(state_hash(server.port) == base().hash);
    std::string health_now;
    for (int i = 0; i < 500; ++i) {  // once the writer has connected
      health_now = health(server.port);
      if (health_now.find("\"connected\":true") != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK_MESSAGE(health_now.find("\"status\":\"ok\"") != std::string::npos, health_now);
    CHECK(server.stop() == 0);
  }
  MESSAGE("random damage: " << refused << " refused, " << recovered << " recovered whole");
  CHECK(refused + recovered == rounds);
}

TEST_CASE("a signed request is applied at most once, across restarts and snapshots") {
  const std::string url = fresh_database("cpx_test_replay_guard");
  const std::string journal = fresh_journal("replay-guard");
  const std::vector<std::string> args = {"--db", url, "--journal", journal, "--snapshot-every",
                                         "4"};
  std::vector<http::request<http::string_body>> sent;
  std::string balance_before;
  Key key;
  {
    RunningServer server(args);
    RestClient admin(server.port, operator_key, operator_secret);
    key = create_account(admin, "ent-guard", "enterprise");
    for (int i = 0; i < 10; ++i) {
      sent.push_back(admin.build(http::verb::post, "/v1/admin/deposits",
                                 R"({"account":"ent-guard","amount":"1000"})"));
      REQUIRE(admin.exchange(sent.back()).result_int() == 200);
    }
    RestClient account(server.port, key.id, key.secret);
    balance_before = json_field(account.send(http::verb::get, "/v1/account").body(), "balance");
    CHECK(balance_before == "10000");
    // Let a snapshot cover the first deposits, so the guard comes back from it and from the
    // journal after it.
    for (int i = 0; i < 200 && journal::snapshots(journal).size() < 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    CHECK(journal::snapshots(journal).size() >= 1);
    kill_now(server);
  }
  for (int restart = 0; restart < 2; ++restart) {
    CAPTURE(restart);
    RunningServer server(args);
    RestClient again(server.port);
    for (const auto& request : sent) {
      const Response answer = again.exchange(request);
      CHECK(answer.result_int() == 401);
      CHECK(answer.body().find("this signature was used already") != std::string::npos);
    }
    RestClient account(server.port, key.id, key.secret);
    CHECK(json_field(account.send(http::verb::get, "/v1/account").body(), "balance") ==
          balance_before);
    wait_settled(server.port);
    kill_now(server);
  }
  pqxx::connection connection(url);
  pqxx::work work(connection);
  CHECK(work.exec1("SELECT (available + held)::text FROM balances WHERE account = 'ent-guard' "
                   "ORDER BY batch_id DESC LIMIT 1")[0]
            .as<std::string>() == "10000.0000000");
}

TEST_CASE(
    "/healthz says degraded when the ledger is ahead of the engine or the writer skips, "
    "and such a journal is refused at the next start") {
  const std::string url = fresh_database("cpx_test_two_servers");
  const std::string journal_a = fresh_journal("two-servers-a");
  const std::string journal_b = fresh_journal("two-servers-b");
  RunningServer a({"--db", url, "--journal", journal_a});
  RestClient admin_a(a.port, operator_key, operator_secret);
  create_account(admin_a, "ent-two", "enterprise");
  wait_settled(a.port);
  CHECK(health(a.port).find("\"status\":\"ok\"") != std::string::npos);
  {
    // A second server on the same ledger (a misconfiguration): it goes on from the ledger and
    // settles seqs that server A numbers too.
    RunningServer b({"--db", url, "--journal", journal_b});
    RestClient admin_b(b.port, operator_key, operator_secret);
    for (int i = 0; i < 5; ++i) {
      REQUIRE(
          admin_b
              .send(http::verb::post, "/v1/admin/deposits", R"({"account":"ent-two","amount":"7"})")
              .result_int() == 200);
    }
    wait_settled(b.port);
    REQUIRE(b.stop() == 0);
  }
  {
    // A's writer reads the ledger again when it reconnects (after its next write fails).
    pqxx::connection admin(url);
    pqxx::nontransaction work(admin);
    work.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()");
  }
  auto deposit_and_wait_for = [&](const std::string& reason) {
    REQUIRE(
        admin_a
            .send(http::verb::post, "/v1/admin/deposits", R"({"account":"ent-two","amount":"1"})")
            .result_int() == 200);
    std::string body;
    for (int i = 0; i < 1000; ++i) {
      body = health(a.port);
      if (body.find(reason) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return body;
  };
  std::string body = deposit_and_wait_for("engine_behind_ledger");
  CHECK_MESSAGE(body.find("\"status\":\"degraded\"") != std::string::npos, body);
  CHECK_MESSAGE(body.find("engine_behind_ledger") != std::string::npos, body);
  Schemas schemas;
  schemas.expect(rest_schema + "Health", body);
  // The next command's seq is one the ledger holds already: skipped, and said so.
  body = deposit_and_wait_for("ledger_skipped_records");
  CHECK_MESSAGE(body.find("ledger_skipped_records") != std::string::npos, body);
  CHECK(body.find("\"skipped_records\":0") == std::string::npos);
  schemas.expect(rest_schema + "Health", body);
  REQUIRE(a.stop() == 0);
  // A's journal now ends before what the ledger settled: its next start is refused.
  std::string output;
  CHECK(RunningServer::run_to_end({"--db", url, "--journal", journal_a}, output) != 0);
  CHECK_MESSAGE(output.find("but the ledger settled through seq") != std::string::npos, output);
}

}  // namespace cpx::test
