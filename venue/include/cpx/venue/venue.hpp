// The exchange as the matcher thread runs it: the engine, plus what users ask of it that the
// engine does not keep: API keys, the replay guard and rate limits, every order's state and
// every account's fills, idempotent order entry, per-account event numbering, and the book's
// price levels for market data. A pure function of its requests: no sockets, no threads, so
// tests drive it directly; the server runs it on the one matcher thread.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cpx/base/grow_array.hpp"
#include "cpx/engine/engine.hpp"
#include "cpx/engine/event.hpp"
#include "cpx/journal/snapshot.hpp"
#include "cpx/ledger/record.hpp"
#include "cpx/ledger/state.hpp"
#include "cpx/venue/output.hpp"
#include "cpx/venue/replay_guard.hpp"
#include "cpx/venue/request.hpp"

namespace cpx::venue {

// Where the venue's output goes: the server writes it to the I/O threads' rings, tests record it.
class VenueSink {
 public:
  virtual ~VenueSink() = default;
  virtual void reply(uint8_t io_thread, uint64_t session, unsigned status, uint32_t retry_after_s,
                     std::string_view body) = 0;
  // To the WebSocket sessions of `account` on the threads in `thread_mask`.
  virtual void push(uint64_t thread_mask, uint32_t account, std::string_view body) = 0;
  virtual void key_added(const KeyRecord& key) = 0;  // every I/O thread
  virtual void key_revoked(const KeyRecord& key) { (void)key; }
  virtual void book(const BookHeader& header, const BookLevel* levels) = 0;
  virtual void trade(const TradeRecord& trade) = 0;
  virtual void curve(const CurveHeader& header, const CurvePoint* points) {
    (void)header;
    (void)points;
  }
  // The ledger records of one command (the last one marked), when VenueLimits::ledger is set.
  virtual void ledger(std::span<const ledger::Record> records) { (void)records; }
  // The engine's events of each command it executes, with the command (cpx-replay --journal
  // prints them as the spec's events).
  virtual void events(std::span<const Event> events, const Command& command) {
    (void)events;
    (void)command;
  }
  // An admitted auditor's ledger query, for the service that reads PostgreSQL; false when its
  // queue is full.
  virtual bool audit(const Request& request) {
    (void)request;
    return false;
  }
};

struct VenueLimits {
  uint32_t rate_per_s = 5000;  // per API key; 0: no limit
  uint32_t burst = 10000;
  uint32_t page_max = 1000;
  bool ledger = false;  // give the sink ledger records
  ClockMode clock = ClockMode::off;
};

enum class OrderStatus : uint8_t { open, filled, canceled, expired, killed };
std::string_view to_string(OrderStatus status);

class Venue {
 public:
  Venue(Config config, VenueLimits limits, VenueSink& sink);

  // Creates the operator account `account` with its first key (before serving).
  void bootstrap_operator(std::string_view account, std::string_view key_id,
                          std::string_view secret);
  // Before serving, when the ledger has settled before: its accounts (with balances), keys and
  // numbering; the orders that were open are ended in the ledger (reason restart).
  void restore(const ledger::LedgerState& state);

  void handle(const Request& request);

  // handle() in two steps, so that the server can journal what the venue will act on in
  // between: admit_request() checks the key, the replay guard and the rate limit (and answers a
  // failure itself); act() does the rest. Acting depends only on the venue's state and the
  // request, so replay() of the journaled requests (admitted before) rebuilds the same state.
  struct Caller {
    uint32_t account;
    Role role;
  };
  bool admit_request(const Request& request, Caller& caller);
  void act(const Request& request, const Caller& caller);
  // Whether a request changes state (and so goes into the journal).
  static bool journaled(const Request& request);
  // Acts on a journaled request as the caller it was admitted for; the replay guard remembers
  // its signature's fingerprint (0: none), so it is refused if sent again after a restart.
  void replay(const Request& request, const Caller& caller, uint64_t signature_fingerprint = 0);
  // Before a replay: the wall clock now. Fingerprints of requests that arrived more than two
  // guard generations before it are not remembered (the guard would drop them anyway), so a
  // long replay pays for the last minutes' signatures only.
  void set_replay_clock(int64_t wall_ms) { replay_wall_ms_ = wall_ms; }
  // After a replay with the sink muted: every key, and every chip's whole book, to the sink.
  void publish_state();
  // SHA-256 (hex) of the state a replay must rebuild exactly (docs/durability.md).
  std::string state_hash() const;
  // The whole state, for a snapshot (docs/durability.md): what a replay of the journal would
  // rebuild, without the operator keys of this start (bootstrap_operator adds them again).
  // save() runs in a forked copy of the matcher, so it may take its time; load() takes a
  // snapshot into a fresh venue and throws journal::SnapshotError when it does not fit.
  void save(journal::SnapshotWriter& out) const;
  void load(journal::SnapshotReader& in);
  const Engine& engine() const { return engine_; }
  std::size_t key_count() const { return keys_.size(); }
  // Orders of cancel-on-disconnect sessions still open (after a replay: their sessions ended
  // with the server, so a `restarted` request must cancel them).
  std::size_t open_session_orders() const;

 private:
  struct TokenBucket {
    int64_t tokens_milli = 0;
    int64_t updated_ms = 0;
  };
  struct KeyEntry {
    uint32_t account;
    Role role;
    TokenBucket bucket;
    std::string secret;        // for publish_state()
    bool bootstrap = false;    // the operator key of this start: not in snapshots
    int64_t created_ms = 0;    // when the request that made it reached the gateway
    int64_t expires_ms = 0;    // refused from then on; 0: never
    int64_t last_used_ms = 0;  // its last admitted request; 0: none yet
  };
  struct OrderRecord {
    uint32_t account = 0;
    uint16_t chip = 0;
    uint16_t region = 0;
    Side side = Side::bid;
    Tif tif = Tif::gtc;
    Urgency urgency = Urgency::standard;
    OrderStatus status = OrderStatus::open;
    bool has_latency_max = false;
    uint16_t latency_ms_max = 0;
    uint8_t green_pct = 0;
    int64_t qty_milli = 0;           // as placed
    int64_t price_placed_ticks = 0;  // as placed
    int64_t price_ticks = 0;         // now (amends change it)
    int64_t open_milli = 0;
    int64_t filled_milli = 0;
    int64_t book_price_ticks = 0;  // what it adds to the market-data book
    int64_t book_milli = 0;
    uint64_t order_id = 0;
    int64_t created_ms = 0;
    int64_t delivery_ms = 0;      // its delivery hour's start; 0: a plain market's order
    uint32_t site = index_none;   // an hourly ask's site
    uint64_t disconnect_tag = 0;  // placed by a cancel-on-disconnect session: its tag, else 0
    // The answer to the REST request that placed it, for an idempotent re-send, is rendered
    // again from: its state right after the accepting command, and that command's trades.
    bool rest_placed = false;
    OrderStatus accept_status = OrderStatus::open;
    int64_t accept_filled_milli = 0;
    uint64_t accept_first_trade = 0;  // the accepting command's first trade id (0: none)
    uint32_t accept_trades = 0;
  };
  struct FillRecord {
    uint64_t trade_id;
    uint32_t order_key;
    uint16_t region;  // the ask's
    bool aggressor;
    int64_t price_ticks;
    int64_t qty_milli;
    int64_t time_ms;
  };
  static_assert(std::is_trivially_copyable_v<OrderRecord> &&
                std::is_trivially_copyable_v<FillRecord>);  // snapshots copy them whole
  struct AccountExtra {
    uint64_t event_seq = 0;            // the account's own numbering of pushed events
    SegmentedArray<uint32_t> orders;   // keys, in the order they were accepted
    SegmentedArray<FillRecord> fills;  // by trade id
    uint64_t thread_mask = 0;          // I/O threads with a logged-in WebSocket session
    std::vector<uint32_t> contracts;   // indexes of the engine's contracts it is a party of
    AccountStatus status = AccountStatus::active;
    uint16_t sessions[io_threads_max] = {};
    // Operators' limits (docs/api.md, "Per-account limits"; 0: none), and its open orders.
    uint32_t max_open_orders = 0;
    int128 max_order_notional_e7 = 0;
    uint32_t open_orders = 0;
  };
  // Auth: key, replay guard, rate limit. Answers the failure itself and returns false.
  bool admit(const Request& request, Caller& caller);
  void answer(const Request& request, unsigned status, std::string_view body,
              uint32_t retry_after_s = 0);
  void answer_error(const Request& request, unsigned status, std::string_view code,
                    std::string_view message, uint32_t retry_after_s = 0);
  void answer_rejection(const Request& request, Reason reason);

  // The caller's role may make the request (else answered here; auditors' ledger queries are
  // handed to the sink here too).
  bool permitted(const Request& request, const Caller& caller);
  void handle_order(const Request& request, const Caller& caller);
  // A new REST order sent again as it was placed: answered as then (true), placing nothing.
  bool answer_repeat(const Request& request, const Command& command, uint32_t account);
  // DELETE /v1/orders: each open order of the account (of one chip, with chip_filter) cancelled.
  void handle_cancel_all(const Request& request, const Caller& caller);
  void handle_get_order(const Request& request, const Caller& caller);
  void handle_list_orders(const Request& request, const Caller& caller);
  void handle_list_fills(const Request& request, const Caller& caller);
  void handle_get_account(const Request& request, const Caller& caller);
  void handle_create_account(const Request& request);
  void handle_create_key(const Request& request);
  // 201 with the account (and its role, when it was just created) and the new key.
  void answer_new_key(const Request& request, std::string_view account, const Role* role);
  void handle_deposit(const Request& request);
  void handle_account_status(const Request& request);
  // Cancels the account's open orders (of one chip, with a chip), each a command of its own;
  // appends the client order ids cancelled to body_ (comma-separated) and returns their count.
  uint32_t cancel_open_orders(uint32_t account, std::optional<uint16_t> chip, int64_t now_ms);
  uint32_t cancel_keys(uint32_t account, int64_t now_ms);  // those in cancel_keys_
  // A deposit's or collateral's answer: the amount and the account's balance after it.
  void answer_balance(const Request& request, uint32_t index, int128 amount_e7);
  void handle_login(const Request& request, const Caller& caller);
  void handle_logout(const Request& request);
  // A cancel-on-disconnect session closed: its orders still open are cancelled.
  void cancel_session_orders(const Request& request, const Caller& caller);
  // A WebSocket session's tag, unique over the server's life and its restarts (the I/O threads
  // number sessions from their start time): session * 64 + I/O thread.
  static uint64_t session_tag(const Request& request) {
    return request.session * io_threads_max + request.io_thread;
  }
  void handle_state(const Request& request);
  // docs/delivery.md (delivery.cpp)
  void handle_tick(const Request& request);
  void handle_site(const Request& request, const Caller& caller);
  void handle_list_sites(const Request& request, const Caller& caller);
  void handle_collateral(const Request& request);
  void handle_contract(const Request& request, const Caller& caller);
  void handle_get_contract(const Request& request, const Caller& caller);
  void handle_list_contracts(const Request& request, const Caller& caller);
  bool sees_contract(const Caller& caller, const Contract& contract) const;
  // Runs the request's command as the caller's; false when it was rejected (answered) or in a
  // replay (nobody to answer).
  bool execute_as_caller(const Request& request, const Caller& caller, Command& command);
  void on_contract_made(const Event& trade);  // a trade of an hourly market: both parties' index
  void on_contract(const Event& event);       // a contract's change, pushed to both parties
  void render_site(std::string& out, uint32_t index) const;
  void render_contract(std::string& out, const Contract& contract) const;
  // The snapshot's delivery part (snapshot_delivery.cpp): the clock, sites, contracts.
  void save_delivery(journal::SnapshotWriter& out) const;
  void load_delivery(journal::SnapshotReader& in);
  void hash_delivery(std::string& text) const;

  void save_accounts(journal::SnapshotWriter& out) const;
  // load() by part, in the snapshot's order (each fails the reader on what does not fit).
  void load_accounts(journal::SnapshotReader& in, uint32_t version);
  void load_orders(journal::SnapshotReader& in);
  void load_fills(journal::SnapshotReader& in);
  void load_resting(journal::SnapshotReader& in);
  // The keys, then the channels' sequence numbers and the replay guard.
  void load_keys(journal::SnapshotReader& in, uint32_t version);

  // Runs a command through the engine into events_, and shows the sink its events.
  void execute(const Command& command);
  // Applies one command's events to the order records, fills, pushes and market data.
  void apply_events(const Command& command, int64_t now_ms);
  void on_accepted(const Event& event, const Command& command, int64_t now_ms);
  void on_amended(const Event& event);
  void on_trade(const Event& event, int64_t now_ms);
  void on_done(const Event& event, int64_t now_ms);
  void set_book_share(uint32_t key);
  void publish_book(uint16_t chip);
  // The hourly markets' books that changed (one update per book), then the curves: the hours
  // whose top or trades changed, and every chip's when the clock entered another hour (the
  // markets of the hours it closed are dropped).
  void publish_hours();
  // A curve update of the chip with the points in curve_points_; false when there is none.
  void publish_curve(uint16_t chip);
  CurvePoint curve_point(int64_t delivery_ms, uint16_t chip) const;
  // The open hours: [first, last], none while first > last.
  std::pair<int64_t, int64_t> open_hours() const;
  // After a load: the hourly markets' levels from their open orders, their trades from the
  // contracts of the open hours.
  void rebuild_hour_markets();
  void push_to(uint32_t account, std::string& body);
  // False (and the event numbered) when no WebSocket session of the account would get a push.
  bool listened(uint32_t account);
  // Ledger records of the command being handled, sent to the sink by send_ledger().
  ledger::Record& ledger_record(ledger::RecordKind kind, uint64_t seq);
  void send_ledger();
  void ledger_key(std::string_view key_id, std::string_view secret, uint32_t account,
                  int64_t expires_ms = 0, int64_t revoked_ms = 0);
  void add_key(std::string_view key_id, std::string_view secret, uint32_t account,
               bool bootstrap = false, int64_t created_ms = 0, int64_t expires_ms = 0);
  void handle_list_accounts(const Request& request);
  void handle_account_limits(const Request& request);
  void handle_restarted(const Request& request);
  // An order the account's limits refuse (answered here): false when they allow it.
  bool over_limits(const Request& request, const Command& command, uint32_t account);
  void handle_revoke_key(const Request& request);

  // The order now, or (as_accepted) as the answer that placed it showed it.
  void render_order(std::string& out, uint32_t key, bool as_accepted = false) const;
  // The answer to the REST request that placed the order: {"order":..,"trades":[..]}.
  void render_placed_answer(std::string& out, uint32_t key) const;
  void render_fill(std::string& out, const FillRecord& fill) const;
  void render_fill_fields(std::string& out, const FillRecord& fill) const;

  Engine engine_;
  VenueLimits limits_;
  VenueSink& sink_;
  ReplayGuard replay_guard_;
  std::unordered_map<std::string, KeyEntry, StringHash, std::equal_to<>> keys_;
  std::vector<AccountExtra> accounts_;             // by engine account index
  GrowArray<OrderRecord> orders_{order_keys_max};  // by engine order key; never moves
  EventList events_;
  // The market-data book: price levels per chip and side, and the levels a command changed.
  std::vector<std::map<int64_t, LevelTotal>> bid_levels_;
  std::vector<std::map<int64_t, LevelTotal>> ask_levels_;
  std::vector<uint64_t> book_seq_;
  std::vector<uint64_t> trade_seq_;
  std::vector<BookLevel> changed_levels_;
  // The hourly markets (docs/delivery.md) of the open hours, by (delivery hour, chip): their
  // books' levels, and their trades for the forward curve.
  using HourKey = std::pair<int64_t, uint16_t>;
  struct HourMarket {
    std::map<int64_t, LevelTotal> bids;
    std::map<int64_t, LevelTotal> asks;
    uint64_t book_seq = 0;
    int64_t volume_milli = 0;
    int128 notional_e7 = 0;
    uint32_t trades = 0;
    int64_t last_price_ticks = 0;
    CurvePoint published;  // what the curve channel said last
  };
  std::map<HourKey, HourMarket> hour_markets_;
  std::vector<std::pair<HourKey, BookLevel>> changed_hour_levels_;
  std::vector<HourKey> curve_touched_;  // hours whose trades or top may have changed
  std::vector<CurvePoint> curve_points_;
  std::vector<uint64_t> curve_seq_;  // by chip
  int64_t curve_hour_ = INT64_MIN;   // the open hours' start the curves said last
  // publish_state(): the books and curves go out again at the seqs they have, not the next.
  bool republishing_ = false;
  std::vector<uint32_t> touched_;
  std::vector<uint32_t> cancel_keys_;  // handle_cancel_all's orders
  std::string body_;
  std::string push_body_;
  std::vector<ledger::Record> ledger_records_;
  int64_t now_ms_ = 0;      // the request being handled: when it reached the gateway
  bool replaying_ = false;  // inside replay(): answers go nowhere, so most are not rendered
  int64_t replay_wall_ms_ = INT64_MIN;  // set_replay_clock()
};

}  // namespace cpx::venue
