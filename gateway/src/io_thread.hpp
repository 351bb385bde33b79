// One I/O thread of the gateway and everything it owns: an io_context with one thread, its
// connections, the ring the matcher writes its answers into (and an eventfd to wake it), its
// copy of the API keys and of the public market data. Nothing here is shared with another
// thread except the two rings, so nothing here needs a lock.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpx/codec/command_json.hpp"
#include "cpx/gateway/market_data.hpp"
#include "cpx/gateway/rest_router.hpp"
#include "cpx/gateway/settings.hpp"
#include "cpx/gateway/venue_types.hpp"
#include "cpx/ledger/writer.hpp"
#include "cpx/pipeline/doorbell.hpp"
#include "cpx/pipeline/message_ring.hpp"
#include "cpx/pipeline/mpsc_ring.hpp"

namespace cpx::gateway {

// What every io_thread shares: read-only settings and config, the matcher's inbound ring.
inline constexpr int channels_per_chip = 4;  // book, trades, candles, curve
// Then one channel per hourly market's book, numbered as first subscribed.

struct Core {
  Core(const Settings& s, Config c) : settings(s), config(std::move(c)), inbound(s.ring_size) {}
  Settings settings;
  Config config;
  pipeline::MpscRing<Request> inbound;
  pipeline::Doorbell doorbell;
  std::atomic<uint32_t> connections{0};
  std::atomic<uint32_t> anonymous{0};                     // connections not authenticated (yet)
  std::mutex addresses_mutex;                             // taken at accept and close only
  std::map<std::array<uint8_t, 16>, uint32_t> addresses;  // open connections per IP address
  std::atomic<bool> stopping{false};
  const ledger::Writer* writer = nullptr;  // the ledger writer, when there is a database
};

// A connection waiting for the matcher's answers or pushes.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void on_reply(const OutHeader& header, std::string_view body) = 0;
  virtual void on_push(const std::shared_ptr<const std::string>& message) = 0;
  // Closes the connection at once (an anonymous one, making way for a new connection).
  virtual void evict() = 0;
  // The key was revoked: a session logged in with it closes (with that reason).
  virtual void key_revoked(std::string_view key_id) { (void)key_id; }
};

int64_t wall_clock_ms();

class IoThread {
 public:
  IoThread(Core& core, uint8_t index);
  ~IoThread();

  // Reads what the matcher left in the ring, then waits on the eventfd for more.
  void start();
  // Producer side (the matcher thread): after writing, wake the io_thread if it sleeps.
  void wake();
  // This thread only: handles every message waiting in the ring, without yielding.
  void drain_all();

  // Hands a request to the matcher; false when its ring is full (the caller answers busy).
  bool submit(Request& request);
  // The same for a request that must not be lost: kept here while the ring is full, and handed
  // over (in order) by the next heartbeat that finds room.
  void submit_later(Request& request);
  // This thread only: an answer to session header.target, if it is still there.
  void reply_to(const OutHeader& header, std::string_view body);

  uint64_t add_session(std::weak_ptr<SessionBase> session);
  void remove_session(uint64_t id);
  // Anonymous sessions (not authenticated): those that never completed a request first, then
  // the oldest, make way for new connections when the server is full (evict_anonymous(): false
  // when this thread has none).
  void track_anonymous(uint64_t id, bool served);
  void forget_anonymous(uint64_t id);
  bool evict_anonymous();
  void add_account_session(uint32_t account, uint64_t session);
  void remove_account_session(uint32_t account, uint64_t session);

  // Settled trades from the ledger writer: candles, and the candles:{chip} channels.
  void apply_settled(const std::vector<SettledTrade>& trades);

  // Market-data channels: "book:H100" / "trades:H100" / "candles:H100" / "curve:H100", or an
  // open hour's "book:H100:2026-12-03T10:00Z" -> an index, or -1.
  int channel_index(std::string_view channel);
  std::string channel_name(int channel) const;
  // Adds the subscriber and returns the channel's snapshot, to be sent before any delta.
  std::string subscribe(int channel, uint64_t session);
  void unsubscribe(int channel, uint64_t session);

  const KeyInfo* find_key(std::string_view key_id) const;

  Core& core;
  const uint8_t index;

 private:
  // Destroyed explicitly first (see ~IoThread), so sessions still find the maps below.
  std::unique_ptr<boost::asio::io_context> context_owner_;

 public:
  boost::asio::io_context& context;
  pipeline::MessageRing out;
  MarketData market;
  CommandDecoder decoder;
  RestRouter rest;             // this thread's REST routing (over market, decoder and the keys)
  simdjson::dom::parser json;  // WebSocket messages' envelope (op, req_id, channels)

 private:
  void arm();
  void drain();
  void handle_message(std::span<const unsigned char> message);
  void broadcast(int channel, std::string&& message);
  void heartbeat();

  int event_fd_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> wake_;
  std::unique_ptr<boost::asio::steady_timer> heartbeat_timer_;
  alignas(64) std::atomic<bool> sleeping_{false};
  // Sessions are numbered from the thread's start time (ms, shifted), so that a session's
  // number is not used again after a restart (cancel-on-disconnect orders carry it).
  uint64_t next_session_;
  std::vector<Request> later_;  // submit_later()'s requests the ring had no room for
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions_;
  std::set<std::pair<bool, uint64_t>> anonymous_;  // (served a request, session id)
  std::unordered_map<uint32_t, std::vector<uint64_t>> account_sessions_;
  std::unordered_map<std::string, KeyInfo> keys_;
  std::vector<std::vector<uint64_t>> subscribers_;  // by channel
  std::vector<int64_t> last_sent_ms_;               // by channel
  // The hourly books' channels: index - fixed channels -> (chip, delivery hour), and back.
  std::vector<std::pair<uint16_t, int64_t>> hour_channels_;
  std::map<std::pair<uint16_t, int64_t>, int> hour_channel_index_;
  int fixed_channels() const { return int(core.config.chips.size()) * channels_per_chip; }
  // The channel of an hourly book, or -1 when nobody subscribed to it yet.
  int hour_channel(uint16_t chip, int64_t delivery_ms) const;
  uint64_t channel_seq(int channel) const;
};

}  // namespace cpx::gateway
