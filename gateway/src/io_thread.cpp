#include "io_thread.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "cpx/base/utc_hour.hpp"

namespace cpx::gateway {

namespace net = boost::asio;

int64_t wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {

// Each I/O thread's share of the matcher's output: answers are small, market data can burst.
constexpr std::size_t out_ring_bytes = 16u << 20;
constexpr int drain_batch = 1024;

int make_eventfd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  return fd;
}

}  // namespace

IoThread::IoThread(Core& c, uint8_t i)
    : core(c),
      index(i),
      context_owner_(std::make_unique<net::io_context>(1)),
      context(*context_owner_),
      out(out_ring_bytes),
      market(c.config),
      decoder(c.config),
      rest(
          c.config, market, decoder, [this](std::string_view key_id) { return find_key(key_id); },
          [&c] { return c.writer; }),
      event_fd_(make_eventfd()),
      wake_(std::make_unique<net::posix::stream_descriptor>(context, event_fd_)),
      heartbeat_timer_(std::make_unique<net::steady_timer>(context)),
      next_session_(uint64_t(wall_clock_ms()) << 16),
      subscribers_(c.config.chips.size() * channels_per_chip),
      last_sent_ms_(c.config.chips.size() * channels_per_chip, 0) {}

IoThread::~IoThread() {
  // The context's pending handlers own the sessions, whose destructors use this io_thread's maps:
  // destroy the context (and the objects bound to it) while those maps still exist.
  heartbeat_timer_.reset();
  wake_.reset();  // closes the eventfd
  context_owner_.reset();
}

void IoThread::start() {
  drain();
  heartbeat();
}

void IoThread::wake() {
  // Both sides swap the flag (read-modify-writes are totally ordered): if the io_thread's swap to
  // "asleep" came first, we read it and ring; if ours came first, the io_thread's swap reads ours
  // and so sees the message written before it (no fences, which TSan could not check).
  if (sleeping_.exchange(false, std::memory_order_acq_rel)) {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(event_fd_, &one, sizeof one);
  }
}

void IoThread::arm() {
  wake_->async_wait(net::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
    if (ec) return;  // stopping
    uint64_t count = 0;
    [[maybe_unused]] const ssize_t got = ::read(event_fd_, &count, sizeof count);
    drain();
  });
}

void IoThread::drain_all() {
  for (auto message = out.peek(); message.data() != nullptr; message = out.peek()) {
    handle_message(message);
    out.pop(message.size());
  }
}

void IoThread::drain() {
  for (;;) {
    sleeping_.store(false, std::memory_order_relaxed);
    int handled = 0;
    for (auto message = out.peek(); message.data() != nullptr; message = out.peek()) {
      handle_message(message);
      out.pop(message.size());
      if (++handled == drain_batch) {
        // Let the sockets have a turn, then come back: a burst from the matcher must not
        // starve the reading of requests (nor delay other clients' answers for long).
        net::post(context, [this] { drain(); });
        return;
      }
    }
    sleeping_.exchange(true, std::memory_order_acq_rel);
    if (out.peek().data() == nullptr) break;
  }
  arm();
}

void IoThread::reply_to(const OutHeader& header, std::string_view body) {
  const auto it = sessions_.find(header.target);
  if (it == sessions_.end()) return;  // the client went away meanwhile
  if (auto session = it->second.lock()) session->on_reply(header, body);
}

void IoThread::handle_message(std::span<const unsigned char> message) {
  OutHeader header;
  std::memcpy(&header, message.data(), sizeof header);
  const unsigned char* payload = message.data() + sizeof header;
  const std::size_t payload_size = message.size() - sizeof header;
  const std::string_view body(reinterpret_cast<const char*>(payload), payload_size);
  switch (header.kind) {
    case OutKind::reply:
      return reply_to(header, body);
    case OutKind::push: {
      const auto it = account_sessions_.find(uint32_t(header.target));
      if (it == account_sessions_.end()) return;
      const auto shared = std::make_shared<const std::string>(body);
      // Copy the ids: a session cut off while receiving leaves the list.
      const std::vector<uint64_t> ids = it->second;
      for (const uint64_t id : ids) {
        const auto session = sessions_.find(id);
        if (session == sessions_.end()) continue;
        if (auto live = session->second.lock()) live->on_push(shared);
      }
      return;
    }
    case OutKind::key_added: {
      KeyRecord record;
      std::memcpy(&record, payload, sizeof record);
      keys_[std::string(record.key_id.view())] =
          KeyInfo{std::string(record.secret.view()), std::string(record.account.view()),
                  record.role, record.account_index};
      return;
    }
    case OutKind::key_revoked: {
      KeyRecord record;
      std::memcpy(&record, payload, sizeof record);
      keys_.erase(std::string(record.key_id.view()));
      const auto it = account_sessions_.find(record.account_index);
      if (it == account_sessions_.end()) return;
      const std::vector<uint64_t> ids = it->second;  // a closing session leaves the list
      for (const uint64_t id : ids) {
        const auto session = sessions_.find(id);
        if (session == sessions_.end()) continue;
        if (auto live = session->second.lock()) live->key_revoked(record.key_id.view());
      }
      return;
    }
    case OutKind::book: {
      BookHeader book;
      std::memcpy(&book, payload, sizeof book);
      std::vector<BookLevel> levels(book.levels);
      if (book.levels) {
        std::memcpy(levels.data(), payload + sizeof book, sizeof(BookLevel) * book.levels);
      }
      const int channel = book.delivery_ms == 0 ? int(book.chip) * channels_per_chip
                                                : hour_channel(book.chip, book.delivery_ms);
      const bool listened = channel >= 0 && !subscribers_[std::size_t(channel)].empty();
      std::string update = market.apply_book(book, levels.data(), listened);
      if (listened) broadcast(channel, std::move(update));
      return;
    }
    case OutKind::trade: {
      TradeRecord trade;
      std::memcpy(&trade, payload, sizeof trade);
      const int channel = int(trade.chip) * channels_per_chip + 1;
      broadcast(channel, market.apply_trade(trade, !subscribers_[channel].empty()));
      return;
    }
    case OutKind::curve: {
      CurveHeader curve;
      std::memcpy(&curve, payload, sizeof curve);
      std::vector<CurvePoint> points(curve.points);
      if (curve.points) {
        std::memcpy(static_cast<void*>(points.data()), payload + sizeof curve,
                    sizeof(CurvePoint) * curve.points);
      }
      const int channel = int(curve.chip) * channels_per_chip + 3;
      broadcast(channel, market.apply_curve(curve, points.data(), !subscribers_[channel].empty()));
      return;
    }
  }
}

void IoThread::broadcast(int channel, std::string&& message) {
  last_sent_ms_[channel] = wall_clock_ms();
  std::vector<uint64_t>& subscribers = subscribers_[channel];
  if (subscribers.empty()) return;
  const auto shared = std::make_shared<const std::string>(std::move(message));
  const std::vector<uint64_t> ids = subscribers;  // a slow one may unsubscribe as it is cut off
  for (const uint64_t id : ids) {
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    if (auto session = it->second.lock()) session->on_push(shared);
  }
}

void IoThread::apply_settled(const std::vector<SettledTrade>& trades) {
  std::vector<bool> render(core.config.chips.size());
  for (std::size_t chip = 0; chip < render.size(); ++chip) {
    render[chip] = !subscribers_[chip * channels_per_chip + 2].empty();
  }
  for (auto& [chip, message] : market.apply_settled(trades, render)) {
    if (!message.empty()) broadcast(int(chip) * channels_per_chip + 2, std::move(message));
  }
}

void IoThread::heartbeat() {
  heartbeat_timer_->expires_after(std::chrono::seconds(1));
  heartbeat_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    std::size_t handed = 0;
    while (handed < later_.size() && submit(later_[handed])) ++handed;
    later_.erase(later_.begin(), later_.begin() + std::ptrdiff_t(handed));
    const int64_t now = wall_clock_ms();
    for (std::size_t channel = 0; channel < subscribers_.size(); ++channel) {
      if (subscribers_[channel].empty() || now - last_sent_ms_[channel] < 1000) continue;
      std::string beat = market.heartbeat(channel_name(int(channel)), channel_seq(int(channel)));
      // A heartbeat is not a delta: it repeats the last seq, and does not reset the idle clock
      // of other listeners' view (last_sent_ms_ is for deltas and heartbeats alike).
      broadcast(int(channel), std::move(beat));
    }
    heartbeat();
  });
}

bool IoThread::submit(Request& request) {
  request.io_thread = index;
  if (!core.inbound.try_push(request)) return false;
  core.doorbell.ring();
  return true;
}

void IoThread::submit_later(Request& request) {
  request.io_thread = index;
  if (later_.empty() && submit(request)) return;
  later_.push_back(request);
}

uint64_t IoThread::add_session(std::weak_ptr<SessionBase> session) {
  const uint64_t id = next_session_++;
  sessions_.emplace(id, std::move(session));
  return id;
}

void IoThread::track_anonymous(uint64_t id, bool served) {
  anonymous_.erase({!served, id});
  anonymous_.insert({served, id});
}

void IoThread::forget_anonymous(uint64_t id) {
  anonymous_.erase({false, id});
  anonymous_.erase({true, id});
}

bool IoThread::evict_anonymous() {
  while (!anonymous_.empty()) {
    const uint64_t id = anonymous_.begin()->second;
    anonymous_.erase(anonymous_.begin());
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) continue;
    if (const auto session = it->second.lock()) {
      session->evict();
      return true;
    }
  }
  return false;
}

void IoThread::remove_session(uint64_t id) {
  forget_anonymous(id);
  sessions_.erase(id);
  for (auto& subscribers : subscribers_) std::erase(subscribers, id);
}

void IoThread::add_account_session(uint32_t account, uint64_t session) {
  account_sessions_[account].push_back(session);
}

void IoThread::remove_account_session(uint32_t account, uint64_t session) {
  const auto it = account_sessions_.find(account);
  if (it == account_sessions_.end()) return;
  std::erase(it->second, session);
  if (it->second.empty()) account_sessions_.erase(it);
}

uint64_t IoThread::channel_seq(int channel) const {
  if (channel >= fixed_channels()) {
    const auto& [chip, delivery] = hour_channels_[std::size_t(channel - fixed_channels())];
    return market.hour_book_seq(chip, delivery);
  }
  const uint16_t chip = uint16_t(channel / channels_per_chip);
  switch (channel % channels_per_chip) {
    case 0:
      return market.book_seq(chip);
    case 1:
      return market.trade_seq(chip);
    case 2:
      return market.candle_seq(chip);
    default:
      return market.curve_seq(chip);
  }
}

int IoThread::hour_channel(uint16_t chip, int64_t delivery_ms) const {
  const auto it = hour_channel_index_.find({chip, delivery_ms});
  return it == hour_channel_index_.end() ? -1 : it->second;
}

int IoThread::channel_index(std::string_view channel) {
  static constexpr std::string_view kinds[channels_per_chip] = {
      "book:", "trades:", "candles:", "curve:"};
  int kind = -1;
  for (int i = 0; i < channels_per_chip && kind < 0; ++i) {
    if (channel.starts_with(kinds[i])) {
      kind = i;
      channel.remove_prefix(kinds[i].size());
    }
  }
  if (kind < 0) return -1;
  const std::size_t colon = channel.find(':');
  const auto chip = core.config.find_chip(channel.substr(0, colon));
  if (!chip) return -1;
  if (colon == std::string_view::npos) return int(*chip) * channels_per_chip + kind;
  // An hourly market's book, of an open hour.
  const std::optional<int64_t> delivery = parse_utc_hour(channel.substr(colon + 1));
  if (kind != 0 || !delivery || !market.hour_open(*delivery)) return -1;
  const std::pair<uint16_t, int64_t> key{uint16_t(*chip), *delivery};
  if (const int known = hour_channel(key.first, key.second); known >= 0) return known;
  const int added = fixed_channels() + int(hour_channels_.size());
  hour_channels_.push_back(key);
  hour_channel_index_.emplace(key, added);
  subscribers_.emplace_back();
  last_sent_ms_.push_back(0);
  return added;
}

std::string IoThread::channel_name(int channel) const {
  static constexpr const char* kinds[channels_per_chip] = {
      "book:", "trades:", "candles:", "curve:"};
  if (channel >= fixed_channels()) {
    const auto& [chip, delivery] = hour_channels_[std::size_t(channel - fixed_channels())];
    return book_channel(core.config.chips[chip].id, delivery);
  }
  return std::string(kinds[channel % channels_per_chip]) +
         core.config.chips[std::size_t(channel / channels_per_chip)].id;
}

std::string IoThread::subscribe(int channel, uint64_t session) {
  std::vector<uint64_t>& subscribers = subscribers_[std::size_t(channel)];
  if (std::find(subscribers.begin(), subscribers.end(), session) == subscribers.end()) {
    subscribers.push_back(session);
  }
  if (channel >= fixed_channels()) {
    const auto& [chip, delivery] = hour_channels_[std::size_t(channel - fixed_channels())];
    return market.book_snapshot(chip, delivery);
  }
  const uint16_t chip = uint16_t(channel / channels_per_chip);
  switch (channel % channels_per_chip) {
    case 0:
      return market.book_snapshot(chip);
    case 1:
      return market.trades_snapshot(chip);
    case 2:
      return market.candles_snapshot(chip);
    default:
      return market.curve_snapshot(chip);
  }
}

void IoThread::unsubscribe(int channel, uint64_t session) {
  std::erase(subscribers_[std::size_t(channel)], session);
}

const KeyInfo* IoThread::find_key(std::string_view key_id) const {
  const auto it = keys_.find(std::string(key_id));
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace cpx::gateway
