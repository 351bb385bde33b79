#include "cpx/sequencer/journal_codec.hpp"

#include <cstring>

#include "cpx/venue/replay_guard.hpp"

namespace cpx::sequencer {

using venue::RequestKind;
using venue::signature_fingerprint;
using venue::Surface;

namespace {

class Out {
 public:
  explicit Out(std::vector<unsigned char>& bytes) : bytes_(bytes) {}
  template <class T>
  void integer(T value) {
    using U = std::make_unsigned_t<T>;
    U bits = static_cast<U>(value);
    for (std::size_t i = 0; i < sizeof(T); ++i) {
      bytes_.push_back(static_cast<unsigned char>(bits & 0xff));
      bits = static_cast<U>(bits >> 8);
    }
  }
  void int128(cpx::int128 value) {
    integer(static_cast<uint64_t>(value));  // the low 64 bits, two's complement
    integer(static_cast<int64_t>(value >> 64));
  }
  void text(std::string_view value) {
    bytes_.push_back(static_cast<unsigned char>(value.size()));
    bytes_.insert(bytes_.end(), value.begin(), value.end());
  }

 private:
  std::vector<unsigned char>& bytes_;
};

class In {
 public:
  explicit In(std::span<const unsigned char> bytes) : bytes_(bytes) {}
  template <class T>
  T integer() {
    using U = std::make_unsigned_t<T>;
    U bits = 0;
    if (!need(sizeof(T))) return T{};
    for (std::size_t i = 0; i < sizeof(T); ++i)
      bits |= static_cast<U>(U(bytes_[at_ + i]) << (8 * i));
    at_ += sizeof(T);
    return static_cast<T>(bits);
  }
  cpx::int128 int128() {
    const uint64_t low = integer<uint64_t>();
    const int64_t high = integer<int64_t>();
    return cpx::int128(high) * (cpx::int128(1) << 64) + cpx::int128(low);
  }
  std::string_view text() {
    const uint8_t length = integer<uint8_t>();
    if (!need(length)) return {};
    const std::string_view out(reinterpret_cast<const char*>(bytes_.data() + at_), length);
    at_ += length;
    return out;
  }
  bool ok() const { return ok_ && at_ == bytes_.size(); }

 private:
  bool need(std::size_t n) {
    if (bytes_.size() - at_ < n) ok_ = false;
    return ok_;
  }
  std::span<const unsigned char> bytes_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

}  // namespace

void encode_request(const Request& request, uint32_t account, Role role,
                    std::vector<unsigned char>& out) {
  Out o(out);
  o.integer(request_record_version);
  o.integer(account);
  o.integer(static_cast<uint8_t>(role));
  o.integer(static_cast<uint8_t>(request.kind));
  o.integer(static_cast<uint8_t>(request.surface));
  o.integer(request.now_ms);
  o.integer(request.signed_request ? signature_fingerprint(request.signature.view()) : uint64_t(0));
  o.text(request.key_id.view());
  o.text(request.new_key_id.view());
  o.text(request.new_secret.view());
  const Command command = request.command.unwrap();
  o.integer(static_cast<uint8_t>(command.op));
  o.integer(static_cast<uint8_t>(command.side));
  o.integer(static_cast<uint8_t>(command.tif));
  o.integer(static_cast<uint8_t>(command.urgency));
  o.integer(static_cast<uint8_t>(command.role));
  o.integer(static_cast<uint8_t>(command.shape_reason));
  o.integer(static_cast<uint8_t>(command.field_reason));
  // Bit 3 belongs to the request (a mass cancel's chip filter); older records never set it.
  o.integer(static_cast<uint8_t>(uint8_t(command.has_qty) | uint8_t(command.has_price) << 1 |
                                 uint8_t(command.has_latency_max) << 2 |
                                 uint8_t(request.chip_filter) << 3 |
                                 uint8_t(command.post_only) << 4));
  o.integer(command.green_pct);
  o.integer(command.chip);
  o.integer(command.region);
  o.integer(command.latency_ms_max);
  o.integer(command.account_index);
  o.integer(command.qty_milli);
  o.integer(command.price_ticks);
  o.int128(command.amount_e7);
  o.text(command.account);
  o.text(command.client_order_id);
  // Version 3: the fields of docs/delivery.md.
  o.integer(static_cast<uint8_t>(uint8_t(command.has_chip) | uint8_t(command.has_region) << 1 |
                                 uint8_t(command.has_green) << 2 |
                                 uint8_t(command.has_green_profile) << 3 |
                                 uint8_t(command.has_site_status) << 4));
  o.integer(static_cast<uint8_t>(command.site_status));
  o.integer(command.delivery_ms);
  o.integer(command.time_ms);
  o.integer(command.trade_id);
  o.text(command.site);
  if (command.has_green_profile) {
    for (const uint8_t share : command.green_profile) o.integer(share);
  }
  // Version 4: an operator's account status (a kill switch or a suspension), and the WebSocket
  // session of a cancel-on-disconnect order or logout.
  o.integer(static_cast<uint8_t>(request.account_status));
  o.integer(static_cast<uint8_t>(request.cancel_on_disconnect));
  if (request.cancel_on_disconnect) {
    o.integer(request.session);
    o.integer(request.io_thread);
  }
  // Version 5: an account's limit of open orders (its notional limit is command.amount_e7).
  o.integer(request.max_open_orders);
}

std::optional<JournaledRequest> decode_request(std::span<const unsigned char> record) {
  In in(record);
  const uint8_t version = in.integer<uint8_t>();
  if (version < 1 || version > request_record_version) return std::nullopt;
  JournaledRequest out;
  out.account = in.integer<uint32_t>();
  out.role = static_cast<Role>(in.integer<uint8_t>());
  Request& request = out.request;
  request.kind = static_cast<RequestKind>(in.integer<uint8_t>());
  request.surface = static_cast<Surface>(in.integer<uint8_t>());
  request.now_ms = in.integer<int64_t>();
  if (version >= 2) out.signature_fingerprint = in.integer<uint64_t>();
  request.key_id.assign(in.text());
  request.new_key_id.assign(in.text());
  request.new_secret.assign(in.text());
  Command command;
  command.op = static_cast<Op>(in.integer<uint8_t>());
  command.side = static_cast<Side>(in.integer<uint8_t>());
  command.tif = static_cast<Tif>(in.integer<uint8_t>());
  command.urgency = static_cast<Urgency>(in.integer<uint8_t>());
  command.role = static_cast<Role>(in.integer<uint8_t>());
  command.shape_reason = static_cast<Reason>(in.integer<uint8_t>());
  command.field_reason = static_cast<Reason>(in.integer<uint8_t>());
  const uint8_t flags = in.integer<uint8_t>();
  command.has_qty = flags & 1;
  command.has_price = flags & 2;
  command.has_latency_max = flags & 4;
  request.chip_filter = flags & 8;
  command.post_only = flags & 16;
  command.green_pct = in.integer<uint8_t>();
  command.chip = in.integer<uint16_t>();
  command.region = in.integer<uint16_t>();
  command.latency_ms_max = in.integer<uint16_t>();
  command.account_index = in.integer<uint32_t>();
  command.qty_milli = in.integer<int64_t>();
  command.price_ticks = in.integer<int64_t>();
  command.amount_e7 = in.int128();
  command.account = in.text();
  command.set_client_order_id(in.text());
  if (version >= 3) {
    const uint8_t more = in.integer<uint8_t>();
    command.has_chip = more & 1;
    command.has_region = more & 2;
    command.has_green = more & 4;
    command.has_green_profile = more & 8;
    command.has_site_status = more & 16;
    command.site_status = static_cast<SiteStatus>(in.integer<uint8_t>());
    command.delivery_ms = in.integer<int64_t>();
    command.time_ms = in.integer<int64_t>();
    command.trade_id = in.integer<uint64_t>();
    command.site = in.text();
    if (command.has_green_profile) {
      for (uint8_t& share : command.green_profile) share = in.integer<uint8_t>();
    }
  }
  if (version >= 4) {
    const uint8_t status = in.integer<uint8_t>();
    if (status > uint8_t(venue::AccountStatus::suspended)) return std::nullopt;
    request.account_status = static_cast<venue::AccountStatus>(status);
    request.cancel_on_disconnect = in.integer<uint8_t>() != 0;
    if (request.cancel_on_disconnect) {
      request.session = in.integer<uint64_t>();
      request.io_thread = in.integer<uint8_t>();
    }
  }
  if (version >= 5) request.max_open_orders = in.integer<uint32_t>();
  if (!in.ok()) return std::nullopt;
  request.command = CommandEnvelope::wrap(command);  // copies the texts in
  return out;
}

}  // namespace cpx::sequencer
