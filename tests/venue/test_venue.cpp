// The venue (what the matcher thread runs behind the gateway), driven without sockets: roles,
// ownership, idempotent entry, the replay guard, rate limits, reads, pushes and market data.
#include <doctest/doctest.h>

#include <filesystem>

#include "command_generator.hpp"
#include "cpx/app/config_files.hpp"
#include "cpx/codec/command_json.hpp"
#include "venue_driver.hpp"

namespace cpx::test {
namespace {

using venue::RequestKind;
using venue::Surface;

Config default_config() {
  ConfigResult loaded = load_config("", "");
  REQUIRE(loaded.config);
  return *loaded.config;
}

class VenueFixture {
 public:
  VenueFixture(venue::VenueLimits limits = {})
      : config_(default_config()), venue_(config_, limits, sink_), decoder_(config_) {
    venue_.bootstrap_operator("operator", "op-key", "op-secret");
  }

  // An order request as the gateway builds it: the op from the route, the account from the key.
  const RecordingSink::Reply& order(std::string_view key, std::string_view account, Op op,
                                    std::string_view body, Surface surface = Surface::rest,
                                    std::string_view path_id = "", Side side = Side::bid) {
    venue::Request request = make_request(RequestKind::order, key, now_ms);
    request.surface = surface;
    if (surface == Surface::ws) request.req_id.assign("7");
    RequestContext context;
    context.op = op;
    context.account = account;
    context.client_order_id = path_id;
    context.default_side = side;
    const simdjson::padded_string text(body);
    request.command = CommandEnvelope::wrap(decoder_.decode(text.data(), text.size(), context));
    venue_.handle(request);
    return sink_.last();
  }

  const RecordingSink::Reply& admin(RequestKind kind, std::string_view body,
                                    std::string_view key = "op-key",
                                    std::string_view new_key = "") {
    venue::Request request = make_request(kind, key, now_ms);
    RequestContext context;
    context.op = kind == RequestKind::deposit ? Op::deposit : Op::account;
    const simdjson::padded_string text(body);
    request.command = CommandEnvelope::wrap(decoder_.decode(text.data(), text.size(), context));
    request.new_key_id.assign(new_key);
    request.new_secret.assign("secret-of-" + std::string(new_key));
    venue_.handle(request);
    return sink_.last();
  }

  const RecordingSink::Reply& read(RequestKind kind, std::string_view key, std::string_view id = "",
                                   uint64_t after = 0, uint32_t limit = 100,
                                   bool open_only = false) {
    venue::Request request = make_request(kind, key, now_ms);
    Command command;
    command.set_client_order_id(id);
    request.command = CommandEnvelope::wrap(command);
    request.after_id = after;
    request.limit = limit;
    request.status_open = open_only;
    venue_.handle(request);
    return sink_.last();
  }

  void setup_market() {
    REQUIRE(admin(RequestKind::create_account, R"({"account":"ent1","role":"enterprise"})",
                  "op-key", "k-ent1")
                .status == 201);
    REQUIRE(admin(RequestKind::create_account, R"({"account":"ent2","role":"enterprise"})",
                  "op-key", "k-ent2")
                .status == 201);
    REQUIRE(admin(RequestKind::create_account, R"({"account":"prov1","role":"provider"})", "op-key",
                  "k-prov1")
                .status == 201);
    REQUIRE(admin(RequestKind::deposit, R"({"account":"ent1","amount":"100000"})").status == 200);
    REQUIRE(admin(RequestKind::deposit, R"({"account":"ent2","amount":"100000"})").status == 200);
  }

  void login(std::string_view key, uint8_t io_thread = 0) {
    venue::Request request = make_request(RequestKind::ws_login, key, now_ms);
    request.surface = Surface::ws;
    request.io_thread = io_thread;
    request.req_id.assign("\"login\"");
    venue_.handle(request);
  }

  int64_t now_ms = 1'000'000;
  Config config_;
  RecordingSink sink_;
  venue::Venue venue_;
  CommandDecoder decoder_;
};

constexpr std::string_view bid_10_at_5 =
    R"({"client_order_id":"b1","chip":"H100","qty":"10","price":"5","origin":"beijing"})";

// The command generator's lines as the gateway hands them to the venue: accounts and deposits
// from the operator's key, orders from "k-<account>" (the key each account is created with),
// each request numbered (req_id) and a millisecond after the one before. Orders go over
// WebSocket, bids over REST when asked. Lines the decoder refuses outright are left out.
std::vector<venue::Request> generated_requests(const Config& config, uint64_t seed, int commands,
                                               int64_t first_ms, bool bids_over_rest) {
  CommandGenerator generator(seed);
  std::vector<std::string> lines = generator.preamble();
  for (int i = 0; i < commands; ++i) lines.push_back(generator.next());
  CommandDecoder plain(config);
  std::vector<venue::Request> requests;
  for (const std::string& line : lines) {
    const simdjson::padded_string text(line);
    const Command command = plain.decode(text.data(), text.size());
    if (command.shape_reason != Reason::none) continue;
    const std::string key = "k-" + std::string(command.account);
    venue::Request request =
        make_request(RequestKind::order, key, first_ms + int64_t(requests.size()));
    const bool bid = command.op == Op::new_order && command.side == Side::bid;
    request.surface = bids_over_rest && bid ? Surface::rest : Surface::ws;
    request.req_id.assign(std::to_string(requests.size()));
    request.command = CommandEnvelope::wrap(command);
    if (command.op == Op::account || command.op == Op::deposit) {
      request.kind = command.op == Op::account ? RequestKind::create_account : RequestKind::deposit;
      request.key_id.assign("op-key");
      request.new_key_id.assign(key);
      request.new_secret.assign("secret");
    }
    requests.push_back(request);
  }
  return requests;
}

}  // namespace

TEST_CASE("a REST bid and a WebSocket ask trade, and both sides are told") {
  VenueFixture f;
  f.setup_market();
  f.login("k-prov1");
  const auto& placed = f.order("k-ent1", "ent1", Op::new_order, bid_10_at_5);
  CHECK(placed.status == 201);
  CHECK(placed.body.find(R"("status":"open")") != std::string::npos);
  CHECK(placed.body.find(R"("trades":[])") != std::string::npos);

  const auto& ask = f.order(
      "k-prov1", "prov1", Op::new_order,
      R"({"client_order_id":"a1","chip":"H100","qty":"4","price":"4.5","region":"zhongwei"})",
      Surface::ws, "", Side::ask);
  CHECK(ask.body == R"({"type":"accepted","req_id":7,"client_order_id":"a1","order_id":8})");
  // The provider's trade and the ending of its filled ask, numbered 1 and 2 for that account.
  REQUIRE(f.sink_.pushes.size() == 2);
  CHECK(f.sink_.pushes[0].body.starts_with(R"({"type":"trade","account_seq":1,"trade_id":1,)"));
  CHECK(f.sink_.pushes[0].body.find(R"("price":"5")") != std::string::npos);  // the bid's price
  CHECK(f.sink_.pushes[0].body.find(R"("liquidity":"taker")") != std::string::npos);
  CHECK(f.sink_.pushes[0].body.find("ent1") == std::string::npos);  // no counterparty
  CHECK(f.sink_.pushes[1].body.starts_with(R"({"type":"done","account_seq":2,)"));

  // The enterprise reads its side: 4 filled, 6 open, the hold down to 6 * 5.
  const auto& bid = f.read(RequestKind::get_order, "k-ent1", "b1");
  CHECK(bid.body.find(R"("open_qty":"6","filled_qty":"4","status":"open")") != std::string::npos);
  const auto& fills = f.read(RequestKind::list_fills, "k-ent1");
  CHECK(fills.body.find(R"("trade_id":1,"client_order_id":"b1","side":"bid")") !=
        std::string::npos);
  CHECK(fills.body.find(R"("liquidity":"maker")") != std::string::npos);
  const auto& account = f.read(RequestKind::get_account, "k-ent1");
  CHECK(account.body.find(R"("balance":"99980","held":"30","available":"99950")") !=
        std::string::npos);
  // Market data: one trade at 5, and the bid level down to 6.
  REQUIRE(f.sink_.trades.size() == 1);
  CHECK(f.sink_.trades[0].price_ticks == 50000);
  CHECK(f.sink_.bids[0][50000] == std::pair<int64_t, uint32_t>{6000, 1});
  CHECK(f.sink_.asks[0].empty());
}

TEST_CASE("re-sending an order over REST returns its first answer and places nothing") {
  VenueFixture f;
  f.setup_market();
  const std::string first = f.order("k-ent1", "ent1", Op::new_order, bid_10_at_5).body;
  const uint64_t seq = f.venue_.engine().last_seq();
  const auto& again = f.order("k-ent1", "ent1", Op::new_order, bid_10_at_5);
  CHECK(again.status == 201);
  CHECK(again.body == first);
  CHECK(f.venue_.engine().last_seq() == seq);
  const auto& changed = f.order(
      "k-ent1", "ent1", Op::new_order,
      R"({"client_order_id":"b1","chip":"H100","qty":"11","price":"5","origin":"beijing"})");
  CHECK(changed.status == 409);
  CHECK(changed.body.find(R"("code":"duplicate_client_order_id")") != std::string::npos);
  // Another account may use the same id: ids are per account.
  CHECK(f.order("k-ent2", "ent2", Op::new_order, bid_10_at_5).status == 201);
}

TEST_CASE(
    "a re-sent order gets its first answer to the byte after it traded, was amended and ended") {
  VenueFixture f;
  f.setup_market();
  auto ask = [&](std::string_view id, std::string_view qty) {
    const std::string body = R"({"client_order_id":")" + std::string(id) +
                             R"(","chip":"H100","qty":")" + std::string(qty) +
                             R"(","price":"5","region":"beijing"})";
    REQUIRE(f.order("k-prov1", "prov1", Op::new_order, body, Surface::ws, "", Side::ask).status ==
            200);
  };
  constexpr std::string_view bid =
      R"({"client_order_id":"b2","chip":"H100","qty":"10","price":"5","origin":"beijing"})";
  ask("a1", "4");
  const std::string first = f.order("k-ent1", "ent1", Op::new_order, bid).body;
  CHECK(first.find(R"("status":"open")") != std::string::npos);
  CHECK(first.find(R"("filled_qty":"4")") != std::string::npos);
  CHECK(first.find(R"("trade_id":1)") != std::string::npos);
  ask("a2", "2");  // trades with the resting bid
  CHECK(f.order("k-ent1", "ent1", Op::amend, R"({"price":"4.5"})", Surface::rest, "b2").status ==
        200);
  CHECK(f.order("k-ent1", "ent1", Op::cancel, "{}", Surface::rest, "b2").status == 200);
  const std::string now = f.read(RequestKind::get_order, "k-ent1", "b2").body;
  CHECK(now.find(R"("status":"canceled")") != std::string::npos);
  const uint64_t seq = f.venue_.engine().last_seq();
  const auto& again = f.order("k-ent1", "ent1", Op::new_order, bid);
  CHECK(again.status == 201);
  CHECK(again.body == first);
  CHECK(f.venue_.engine().last_seq() == seq);
}

TEST_CASE("the wrong role gets 403 and changes nothing") {
  VenueFixture f;
  f.setup_market();
  const uint64_t seq = f.venue_.engine().last_seq();
  CHECK(f.admin(RequestKind::deposit, R"({"account":"ent1","amount":"5"})", "k-ent1").status ==
        403);
  CHECK(
      f.admin(RequestKind::create_account, R"({"account":"x","role":"operator"})", "k-prov1", "k-x")
          .status == 403);
  CHECK(f.order("op-key", "operator", Op::new_order, bid_10_at_5).status == 403);
  CHECK(f.venue_.engine().last_seq() == seq);
  // A provider's body saying "bid" is the engine's role_mismatch: 403, with a seq (a command).
  const auto& bid_from_provider =
      f.order("k-prov1", "prov1", Op::new_order, bid_10_at_5, Surface::rest, "", Side::ask);
  CHECK(bid_from_provider.status == 400);  // no "side" in the body: an ask missing "region"
  const auto& explicit_bid =
      f.order("k-prov1", "prov1", Op::new_order,
              R"({"side":"bid","client_order_id":"x","chip":"H100","qty":"1","price":"1",)"
              R"("origin":"beijing"})",
              Surface::rest, "", Side::ask);
  CHECK(explicit_bid.status == 403);
  CHECK(explicit_bid.body.find("role_mismatch") != std::string::npos);
}

TEST_CASE("nobody sees or touches another account's orders") {
  VenueFixture f;
  f.setup_market();
  REQUIRE(f.order("k-ent1", "ent1", Op::new_order, bid_10_at_5).status == 201);
  CHECK(f.read(RequestKind::get_order, "k-ent2", "b1").status == 404);
  const auto& cancel = f.order("k-ent2", "ent2", Op::cancel, "", Surface::rest, "b1");
  CHECK(cancel.status == 404);
  CHECK(cancel.body.find("unknown_order") != std::string::npos);
  const auto& amend = f.order("k-ent2", "ent2", Op::amend, R"({"qty":"1"})", Surface::rest, "b1");
  CHECK(amend.status == 404);
  CHECK(f.read(RequestKind::list_orders, "k-ent2").body ==
        R"({"orders":[],"next_after_order_id":null})");
  // The owner still has it open and whole.
  CHECK(f.read(RequestKind::get_order, "k-ent1", "b1").body.find(R"("open_qty":"10")") !=
        std::string::npos);
  const auto& own_cancel = f.order("k-ent1", "ent1", Op::cancel, "", Surface::rest, "b1");
  CHECK(own_cancel.status == 200);
  CHECK(own_cancel.body.find(R"("status":"canceled")") != std::string::npos);
}

TEST_CASE("a signature is accepted once, and an unknown key not at all") {
  VenueFixture f;
  f.setup_market();
  venue::Request request = make_request(RequestKind::get_account, "k-ent1", f.now_ms);
  request.signed_request = true;
  request.signature.assign(std::string(64, 'a'));
  request.timestamp_ms = f.now_ms;
  f.venue_.handle(request);
  CHECK(f.sink_.last().status == 200);
  f.venue_.handle(request);
  CHECK(f.sink_.last().status == 401);
  CHECK(f.read(RequestKind::get_account, "no-such-key").status == 401);
}

TEST_CASE("a key over its rate gets 429 with Retry-After, and recovers") {
  venue::VenueLimits limits;
  limits.rate_per_s = 10;
  limits.burst = 5;
  VenueFixture f(limits);
  f.setup_market();
  for (int i = 0; i < 5; ++i) CHECK(f.read(RequestKind::get_account, "k-ent1").status == 200);
  const auto& limited = f.read(RequestKind::get_account, "k-ent1");
  CHECK(limited.status == 429);
  CHECK(limited.retry_after_s == 1);
  CHECK(limited.body.find("rate_limited") != std::string::npos);
  CHECK(f.read(RequestKind::get_account, "k-ent2").status == 200);  // per key
  f.now_ms += 100;                                                  // 10 per second: one token back
  CHECK(f.read(RequestKind::get_account, "k-ent1").status == 200);
  CHECK(f.read(RequestKind::get_account, "k-ent1").status == 429);
}

TEST_CASE("orders and fills page with cursors") {
  VenueFixture f;
  f.setup_market();
  for (int i = 0; i < 5; ++i) {
    const std::string body = R"({"client_order_id":"o)" + std::to_string(i) +
                             R"(","chip":"H100","qty":"1","price":"1","origin":"beijing"})";
    REQUIRE(f.order("k-ent1", "ent1", Op::new_order, body).status == 201);
  }
  REQUIRE(f.order("k-ent1", "ent1", Op::cancel, "", Surface::rest, "o1").status == 200);
  const auto& page = f.read(RequestKind::list_orders, "k-ent1", "", 0, 2);
  CHECK(page.body.find(R"("next_after_order_id":8)") != std::string::npos);
  const auto& open = f.read(RequestKind::list_orders, "k-ent1", "", 0, 100, true);
  CHECK(open.body.find(R"("client_order_id":"o1")") == std::string::npos);
  CHECK(open.body.find(R"("client_order_id":"o4")") != std::string::npos);
  // Five asks of 1 each fill the five bids... four now (o1 is canceled).
  f.order("k-prov1", "prov1", Op::new_order,
          R"({"client_order_id":"a","chip":"H100","qty":"4","price":"1","region":"beijing"})",
          Surface::rest, "", Side::ask);
  const auto& first = f.read(RequestKind::list_fills, "k-ent1", "", 0, 3);
  CHECK(first.body.find(R"("next_after_trade_id":3)") != std::string::npos);
  const auto& rest = f.read(RequestKind::list_fills, "k-ent1", "", 3, 3);
  CHECK(rest.body.find(R"("trade_id":4)") != std::string::npos);
  CHECK(rest.body.find(R"("next_after_trade_id":null)") != std::string::npos);
}

TEST_CASE("the market-data book rebuilt from deltas equals the engine's book, under load") {
  VenueFixture f;
  const std::vector<venue::Request> generated =
      generated_requests(f.config_, 42, 20'000, f.now_ms, false);
  std::size_t requests = 0;
  std::size_t logins = 0;
  for (const venue::Request& request : generated) {
    f.venue_.handle(request);
    ++requests;
    f.now_ms = request.now_ms + 1;
    if (request.kind == RequestKind::create_account) {
      f.login(request.new_key_id.view());
      ++logins;
    }
    if (requests % 500 == 0 || requests == generated.size()) {
      for (uint16_t chip = 0; chip < f.config_.chips.size(); ++chip) {
        for (const Side side : {Side::bid, Side::ask}) {
          std::map<int64_t, std::pair<int64_t, uint32_t>> engine_levels;
          for (const DepthLevel& level : f.venue_.engine().book(chip).depth(side, 1u << 20)) {
            engine_levels[level.price_ticks] = {level.qty_milli, level.order_count};
          }
          const auto& rebuilt = side == Side::bid ? f.sink_.bids[chip] : f.sink_.asks[chip];
          REQUIRE(rebuilt == engine_levels);
        }
      }
    }
  }
  // Exactly one answer per request (logins included), contiguous channel numbers, and each
  // account's pushes numbered 1, 2, 3, ... without a gap.
  CHECK(f.sink_.replies.size() == requests + logins);
  CHECK(f.sink_.sequences_contiguous);
  std::map<uint32_t, uint64_t> pushed;
  for (const auto& push : f.sink_.pushes) {
    const auto at = push.body.find("\"account_seq\":") + 14;
    REQUIRE(std::stoull(push.body.substr(at)) == ++pushed[push.account]);
  }
  CHECK(pushed.size() >= 4);
  CHECK(f.sink_.trades.size() > 1000);
}

TEST_CASE("a sweep through more levels than one update carries is split into several") {
  VenueFixture f;
  f.setup_market();
  for (int i = 0; i < 9000; ++i) {
    const std::string body = R"({"client_order_id":"a)" + std::to_string(i) +
                             R"(","chip":"H100","qty":"0.001","price":")" + std::to_string(1 + i) +
                             R"(","region":"beijing"})";
    REQUIRE(f.order("k-prov1", "prov1", Op::new_order, body, Surface::rest, "", Side::ask).status ==
            201);
  }
  REQUIRE(f.sink_.asks[0].size() == 9000);
  const uint64_t seq_before = f.sink_.book_seq[0];
  const auto& sweep = f.order(
      "k-ent1", "ent1", Op::new_order,
      R"({"client_order_id":"sweep","chip":"H100","qty":"9","price":"9000","origin":"beijing"})");
  REQUIRE(sweep.status == 201);
  CHECK(sweep.body.find(R"("status":"filled")") != std::string::npos);
  CHECK(f.sink_.book_seq[0] == seq_before + 2);  // 9,000 levels: two updates
  CHECK(f.sink_.sequences_contiguous);
  CHECK(f.sink_.asks[0].empty());
  CHECK(f.sink_.bids[0].empty());
}

}  // namespace cpx::test

namespace cpx::test {

TEST_CASE("a venue loaded from a snapshot taken mid-run carries on exactly as the original") {
  VenueFixture original;
  // Bids over REST (their first answers must come back on idempotent re-sends), the rest over
  // WebSocket.
  const std::vector<venue::Request> requests =
      generated_requests(original.config_, 7, 12'000, 2'000'000, true);
  const std::size_t half = requests.size() / 2;
  for (std::size_t i = 0; i < half; ++i) original.venue_.handle(requests[i]);
  REQUIRE(original.venue_.engine().last_trade_id() > 100);

  const std::string dir = std::filesystem::temp_directory_path() / "cpx-test-venue-snapshot";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  journal::SnapshotWriter out(dir, 1, original.venue_.engine().last_seq());
  original.venue_.save(out);
  out.finish();

  RecordingSink sink;
  venue::Venue loaded(original.config_, {}, sink);
  journal::SnapshotReader in(out.path());
  loaded.load(in);
  loaded.bootstrap_operator("operator", "op-key", "op-secret");
  CHECK(loaded.state_hash() == original.venue_.state_hash());
  std::string why;
  CHECK_MESSAGE(loaded.engine().check_invariants(why), why);
  // Its market-data book, published whole, is the engine's.
  loaded.publish_state();
  for (uint16_t chip = 0; chip < original.config_.chips.size(); ++chip) {
    for (const Side side : {Side::bid, Side::ask}) {
      std::map<int64_t, std::pair<int64_t, uint32_t>> engine_levels;
      for (const DepthLevel& level : original.venue_.engine().book(chip).depth(side, 1u << 20)) {
        engine_levels[level.price_ticks] = {level.qty_milli, level.order_count};
      }
      CHECK((side == Side::bid ? sink.bids[chip] : sink.asks[chip]) == engine_levels);
    }
  }
  // The second half, and REST bids of the first half sent again: the same answers, to the byte,
  // and the same state after.
  std::vector<venue::Request> rest;
  for (std::size_t i = half; i < requests.size(); ++i) rest.push_back(requests[i]);
  int resent = 0;
  for (std::size_t i = 0; i < half && resent < 200; ++i) {
    if (requests[i].surface != Surface::rest) continue;
    venue::Request again = requests[i];
    again.now_ms = 3'000'000 + resent++;
    rest.push_back(again);
  }
  std::size_t idempotent = 0;
  for (const venue::Request& request : rest) {
    original.venue_.handle(request);
    loaded.handle(request);
    REQUIRE(sink.last().status == original.sink_.last().status);
    REQUIRE(sink.last().body == original.sink_.last().body);
    if (request.now_ms >= 3'000'000 && sink.last().status == 201) ++idempotent;
  }
  CHECK(idempotent > 50);
  CHECK(loaded.state_hash() == original.venue_.state_hash());
  CHECK(loaded.engine().last_trade_id() > original.venue_.engine().last_trade_id() / 2);
}

TEST_CASE("a snapshot from another config is refused, naming the file") {
  VenueFixture original;
  original.setup_market();
  const std::string dir = std::filesystem::temp_directory_path() / "cpx-test-venue-snapshot-config";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  journal::SnapshotWriter out(dir, 1, 1);
  original.venue_.save(out);
  out.finish();
  Config other = original.config_;
  other.chips.pop_back();
  RecordingSink sink;
  venue::Venue loaded(other, {}, sink);
  journal::SnapshotReader in(out.path());
  try {
    loaded.load(in);
    FAIL("loaded a snapshot of another config");
  } catch (const journal::SnapshotError& error) {
    CHECK(std::string(error.what()).find(out.path()) == 0);
    CHECK(std::string(error.what()).find("other chips, regions or latencies") != std::string::npos);
  }
}

}  // namespace cpx::test
