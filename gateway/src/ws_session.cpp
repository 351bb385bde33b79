#include "ws_session.hpp"

#include <algorithm>
#include <array>

#include "cpx/gateway/public_api.hpp"
#include "cpx/gateway/venue_types.hpp"
#include "cpx/venue/results.hpp"

namespace cpx::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using simdjson::dom::element;
using simdjson::dom::element_type;

namespace {

// The request a command op makes: an order's, or docs/delivery.md's site and contract ops.
bool command_op(std::string_view op, Op& out, RequestKind& kind) {
  static constexpr struct {
    std::string_view name;
    Op op;
    RequestKind kind;
  } ops[] = {{"new", Op::new_order, RequestKind::order},
             {"amend", Op::amend, RequestKind::order},
             {"cancel", Op::cancel, RequestKind::order},
             {"site", Op::site, RequestKind::site},
             {"delivery", Op::delivery, RequestKind::contract},
             {"dispute", Op::dispute, RequestKind::contract}};
  for (const auto& entry : ops) {
    if (entry.name != op) continue;
    out = entry.op;
    kind = entry.kind;
    return true;
  }
  return false;
}

// A refused login, whether the key is unknown or the signature wrong or stale.
constexpr std::string_view ws_login_refused =
    "unknown key, or a bad or stale signature (signed: timestamp + GET/v1/ws)";

constexpr std::size_t ws_message_bytes_max = 64 * 1024;
constexpr auto close_grace = std::chrono::seconds(5);
constexpr std::size_t batch_bytes_max = 256 * 1024;

std::string rejected(std::string_view req_id, std::string_view reason, std::string_view message) {
  std::string out;
  venue::append_error_body(out, Surface::ws, req_id, reason, message);
  return out;
}

// A timestamp given as a JSON string or integer, as text (what the signature covers).
bool timestamp_text(element value, std::string& out) {
  std::string_view text;
  if (value.get_string().get(text) == simdjson::SUCCESS) {
    out = std::string(text);
    return true;
  }
  int64_t number = 0;
  if (value.get_int64().get(number) == simdjson::SUCCESS) {
    out = std::to_string(number);
    return true;
  }
  return false;
}

}  // namespace

WsSession::WsSession(net::ip::tcp::socket&& socket, IoThread& io_thread, ConnectionSlot&& slot)
    : ws_(std::move(socket)),
      io_thread_(io_thread),
      close_timer_(ws_.get_executor()),
      first_message_timer_(ws_.get_executor()),
      slot_(std::move(slot)) {}

WsSession::~WsSession() {
  if (session_id_) io_thread_.remove_session(session_id_);
  if (logged_in_) {
    io_thread_.remove_account_session(account_index_, session_id_);
    Request logout;
    logout.kind = RequestKind::ws_logout;
    logout.surface = Surface::ws;
    logout.key_id.assign(key_id_);
    logout.session = session_id_;
    logout.now_ms = wall_clock_ms();
    logout.cancel_on_disconnect = cancel_on_disconnect_;
    if (cancel_on_disconnect_) {
      // Its orders must be cancelled: a full ring only delays it (the I/O thread retries).
      io_thread_.submit_later(logout);
    } else {
      // If the ring is full this is lost: the matcher then keeps sending this account's pushes
      // to this thread, which finds no session for them and drops them. Nothing else needs it.
      io_thread_.submit(logout);
    }
  }
}

void WsSession::evict() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void WsSession::run(http::request<http::string_body>&& upgrade) {
  session_id_ = io_thread_.add_session(weak_from_this());
  if (slot_.anonymous()) io_thread_.track_anonymous(session_id_, false);
  const std::string_view target = upgrade.target();
  const std::size_t query = target.find('?');
  batch_ = query != std::string_view::npos && (target.substr(query) == "?batch=1" ||
                                               target.find("&batch=1") != std::string_view::npos ||
                                               target.find("?batch=1&") != std::string_view::npos);
  // A login by headers asks for cancel-on-disconnect in the query, as batch mode is asked.
  pending_cancel_on_disconnect_ =
      query != std::string_view::npos &&
      (target.find("?cancel_on_disconnect=1") != std::string_view::npos ||
       target.find("&cancel_on_disconnect=1") != std::string_view::npos);
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& response) { response.set(http::field::server, "cpx"); }));
  ws_.read_message_max(ws_message_bytes_max);
  const std::string key_id(upgrade["X-CPX-KEY"]);
  if (!key_id.empty()) {
    // Headers on the upgrade: a bad signature refuses the upgrade itself.
    const KeyInfo* key = io_thread_.find_key(key_id);
    int64_t timestamp_ms = 0;
    const AuthFailure failure =
        key == nullptr
            ? AuthFailure::bad_signature
            : check_signature(key->secret, upgrade["X-CPX-TIMESTAMP"], upgrade["X-CPX-SIGNATURE"],
                              "GET", "/v1/ws", "", wall_clock_ms(), timestamp_ms);
    if (failure != AuthFailure::none) {
      auto response = std::make_shared<http::response<http::string_body>>(
          http::status::unauthorized, upgrade.version());
      response->set(http::field::content_type, "application/json");
      response->body() = error_response(401, "unauthorized", ws_login_refused).body;
      response->keep_alive(false);
      response->prepare_payload();
      http::async_write(beast::get_lowest_layer(ws_), *response,
                        [self = shared_from_this(), response](beast::error_code, std::size_t) {
                          beast::error_code ignored;
                          beast::get_lowest_layer(self->ws_).socket().shutdown(
                              net::ip::tcp::socket::shutdown_send, ignored);
                        });
      return;
    }
  }
  ws_.async_accept(upgrade, [self = shared_from_this(), upgrade](beast::error_code ec) {
    if (ec) return;
    const std::string key(upgrade["X-CPX-KEY"]);
    if (!key.empty()) {
      self->login(key, upgrade["X-CPX-TIMESTAMP"], upgrade["X-CPX-SIGNATURE"], "null");
    } else {
      // Without a login on the upgrade, the first message (a login or a subscription) must
      // come soon: a connection that only answers pings does not hold a place for ever.
      self->first_message_timer_.expires_after(
          std::chrono::seconds(self->io_thread_.core.settings.first_request_timeout_s));
      self->first_message_timer_.async_wait([weak = self->weak_from_this()](beast::error_code e) {
        const auto session = weak.lock();
        if (!e && session && !session->first_message_seen_) session->evict();
      });
    }
    self->read_after_login();
  });
}

bool WsSession::login(std::string_view key_id, std::string_view timestamp,
                      std::string_view signature, std::string_view req_id) {
  if (logged_in_ || login_pending_) {
    reject(req_id, "bad_request", "this connection is logged in already");
    return false;
  }
  // An unknown key is refused as a wrong signature is: the answer never tells which.
  const KeyInfo* key = io_thread_.find_key(key_id);
  int64_t timestamp_ms = 0;
  const AuthFailure failure = key == nullptr
                                  ? AuthFailure::bad_signature
                                  : check_signature(key->secret, timestamp, signature, "GET",
                                                    "/v1/ws", "", wall_clock_ms(), timestamp_ms);
  if (failure != AuthFailure::none) {
    reject(req_id, "unauthorized", ws_login_refused);
    return false;
  }
  Request request;
  request.kind = RequestKind::ws_login;
  request.surface = Surface::ws;
  request.signed_request = true;
  request.session = session_id_;
  request.now_ms = wall_clock_ms();
  request.timestamp_ms = timestamp_ms;
  request.key_id.assign(key_id);
  request.signature.assign(signature);
  request.req_id.assign(req_id);
  request.cancel_on_disconnect = pending_cancel_on_disconnect_;
  if (!io_thread_.submit(request)) {
    reject(req_id, "busy", "the exchange is busy; retry shortly");
    return false;
  }
  login_pending_ = true;
  pending_key_id_ = std::string(key_id);
  return true;
}

void WsSession::do_read() {
  ws_.async_read(buffer_, beast::bind_front_handler(&WsSession::on_read, shared_from_this()));
}

void WsSession::on_read(beast::error_code ec, std::size_t) {
  if (ec) return;  // closed, reset, or too big (Beast answers that with close code 1009)
  const std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  if (!first_message_seen_) {
    first_message_seen_ = true;
    first_message_timer_.cancel();
    if (slot_.anonymous()) io_thread_.track_anonymous(session_id_, true);
  }
  if (ws_.got_binary()) {
    // The API is JSON text: a binary message is refused, not read as text.
    reject("null", "bad_request", "messages are text frames (JSON), not binary");
  } else if (!closing_) {
    handle_frame(text);
  }
  read_after_login();
}

void WsSession::handle_frame(std::string_view text) {
  if (!batch_) return handle_text(text);
  // Batch mode: one request per line, each answered on its own. After a login, the lines that
  // follow wait for its answer, as the frames that follow do.
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    handle_text(line);
    if (closing_) return;
    if (login_pending_) {
      if (start < text.size()) pending_lines_.assign(text.substr(start));
      return;
    }
  }
}

void WsSession::read_after_login() {
  // While a login is with the matcher, what the client sends next stays unread: it is handled
  // in order once the login is answered, rather than refused as "log in first".
  if (login_pending_) {
    read_deferred_ = true;
    held_ = shared_from_this();  // no read holds the session meanwhile
    return;
  }
  do_read();
}

void WsSession::reject(std::string_view req_id, std::string_view reason, std::string_view message) {
  send_text(rejected(req_id, reason, message));
}

void WsSession::handle_subscription(std::string_view op, simdjson::dom::object object,
                                    const std::string& req_id) {
  element value;
  simdjson::dom::array channels;
  if (object["channels"].get(value) != simdjson::SUCCESS ||
      value.get_array().get(channels) != simdjson::SUCCESS) {
    return reject(req_id, "bad_request", "channels must be an array of channel names");
  }
  std::vector<int> indices;
  for (element channel : channels) {
    std::string_view name;
    const int index =
        channel.get_string().get(name) == simdjson::SUCCESS ? io_thread_.channel_index(name) : -1;
    if (index < 0) {
      return reject(req_id, "bad_request",
                    "unknown channel (use book:CHIP, book:CHIP:HOUR of an open hour, trades:CHIP, "
                    "candles:CHIP or curve:CHIP)");
    }
    indices.push_back(index);
  }
  if (op == "subscribe") {
    std::size_t added = 0;
    for (const int index : indices) added += !subscribed_.contains(index);
    if (subscribed_.size() + added > ws_subscriptions_max) {
      return reject(
          req_id, "bad_request",
          "at most " + std::to_string(ws_subscriptions_max) + " subscriptions per connection");
    }
  }
  std::string answer =
      "{\"type\":\"" + std::string(op) + "d\",\"req_id\":" + req_id + ",\"channels\":[";
  for (std::size_t i = 0; i < indices.size(); ++i) {
    if (i) answer.push_back(',');
    answer += "\"" + io_thread_.channel_name(indices[i]) + "\"";
  }
  send_text(answer + "]}");
  for (const int index : indices) {
    if (op == "subscribe") {
      subscribed_.insert(index);
      send_text(io_thread_.subscribe(index, session_id_));
    } else {
      subscribed_.erase(index);
      io_thread_.unsubscribe(index, session_id_);
    }
  }
}

void WsSession::handle_text(std::string_view text) {
  const simdjson::padded_string padded(text);
  element root;
  simdjson::dom::object object;
  if (io_thread_.json.parse(padded).get(root) != simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS) {
    return reject("null", "bad_request", "messages are JSON objects");
  }
  // A key given twice is refused, as REST refuses it (which one counts would be a guess).
  // On the stack for the usual few keys (this runs for every message).
  std::array<std::string_view, 32> few;
  std::vector<std::string_view> many;
  std::size_t count = 0;
  for (const auto field : object) {
    if (count < few.size()) {
      few[count] = field.key;
    } else {
      if (many.empty()) many.assign(few.begin(), few.end());
      many.push_back(field.key);
    }
    ++count;
  }
  std::string_view* keys = many.empty() ? few.data() : many.data();
  std::sort(keys, keys + count);
  if (const auto twice = std::adjacent_find(keys, keys + count); twice != keys + count) {
    return reject("null", "bad_request", "duplicate key " + std::string(*twice));
  }
  // req_id: echoed verbatim, so only an integer or a plain id string is taken.
  std::string req_id = "null";
  element value;
  if (object["req_id"].get(value) == simdjson::SUCCESS) {
    std::string_view id;
    int64_t number = 0;
    if (value.get_int64().get(number) == simdjson::SUCCESS) {
      req_id = std::to_string(number);
    } else if (value.get_string().get(id) == simdjson::SUCCESS && is_valid_id(id)) {
      req_id = "\"" + std::string(id) + "\"";
    } else {
      return reject("null", "bad_request",
                    "req_id must be an integer or a string of 1-64 [A-Za-z0-9._:-]");
    }
  }
  std::string_view op;
  if (object["op"].get(value) != simdjson::SUCCESS ||
      value.get_string().get(op) != simdjson::SUCCESS) {
    return reject(req_id, "bad_request", "op is missing");
  }
  if (op == "subscribe" || op == "unsubscribe") return handle_subscription(op, object, req_id);
  if (op == "login") {
    std::string_view key;
    std::string_view signature;
    std::string timestamp;
    element field;
    if (object["key"].get(field) != simdjson::SUCCESS ||
        field.get_string().get(key) != simdjson::SUCCESS ||
        object["signature"].get(field) != simdjson::SUCCESS ||
        field.get_string().get(signature) != simdjson::SUCCESS ||
        object["timestamp"].get(field) != simdjson::SUCCESS || !timestamp_text(field, timestamp)) {
      return reject(req_id, "bad_request", "login needs key, timestamp and signature");
    }
    if (object["cancel_on_disconnect"].get(field) == simdjson::SUCCESS &&
        field.get_bool().get(pending_cancel_on_disconnect_) != simdjson::SUCCESS) {
      return reject(req_id, "bad_request", "cancel_on_disconnect must be true or false");
    }
    login(key, timestamp, signature, req_id);
    return;
  }
  RequestContext context;
  RequestKind kind = RequestKind::order;
  if (!command_op(op, context.op, kind)) {
    return reject(req_id, "bad_request",
                  "op must be new, amend, cancel, site, delivery, dispute, login, subscribe or "
                  "unsubscribe");
  }
  if (!logged_in_) return reject(req_id, "unauthorized", "log in first");
  context.account = account_;
  context.default_side = role_ == Role::provider ? Side::ask : Side::bid;
  Request request;
  request.kind = kind;
  request.surface = Surface::ws;
  request.cancel_on_disconnect = cancel_on_disconnect_ && kind == RequestKind::order;
  request.session = session_id_;
  request.now_ms = wall_clock_ms();
  request.key_id.assign(key_id_);
  request.req_id.assign(req_id);
  // The envelope's own keys besides op (which the decoder knows): the rest must be the order's.
  static constexpr std::string_view envelope_keys[] = {"req_id"};
  context.strict = true;
  context.envelope_keys = envelope_keys;
  const Command command = io_thread_.decoder.decode(padded.data(), padded.size(), context);
  if (command.shape_reason != Reason::none) {
    request.shape_message.assign(io_thread_.decoder.shape_message());
  }
  request.command = CommandEnvelope::wrap(command);
  if (!io_thread_.submit(request)) reject(req_id, "busy", "the exchange is busy; retry shortly");
}

void WsSession::on_reply(const OutHeader&, std::string_view body) {
  if (login_pending_) {
    login_pending_ = false;
    if (body.starts_with("{\"type\":\"logged_in\"")) {
      logged_in_ = true;
      first_message_seen_ = true;
      first_message_timer_.cancel();
      slot_.authenticated();
      io_thread_.forget_anonymous(session_id_);
      cancel_on_disconnect_ = pending_cancel_on_disconnect_;
      key_id_ = pending_key_id_;
      // Copied: a revoked key leaves the thread's table while this session closes.
      // (The ring keeps the matcher's order: a revocation after this login comes after it.)
      if (const KeyInfo* key = io_thread_.find_key(key_id_)) {
        account_ = key->account;
        role_ = key->role;
        account_index_ = key->account_index;
        io_thread_.add_account_session(account_index_, session_id_);
      } else {
        cut_off("key revoked");
      }
    }
    send_text(std::string(body));
    if (read_deferred_) {
      const std::string rest = std::move(pending_lines_);
      pending_lines_.clear();
      if (!rest.empty() && !closing_) handle_frame(rest);
      if (login_pending_) return;  // a login among those lines: wait for its answer too
      read_deferred_ = false;
      const std::shared_ptr<WsSession> self = std::move(held_);
      do_read();
    }
    return;
  }
  send_text(std::string(body));
}

void WsSession::on_push(const std::shared_ptr<const std::string>& message) {
  send(message);
}

void WsSession::send(std::shared_ptr<const std::string> message) {
  if (closing_) return;
  queued_bytes_ += message->size();
  queue_.push_back(std::move(message));
  if (queued_bytes_ > io_thread_.core.settings.ws_queue_bytes) {
    return cut_off("slow consumer: too many bytes waiting");
  }
  if (!writing_) do_write();
}

void WsSession::do_write() {
  writing_ = true;
  ws_.text(true);
  if (!batch_ || queue_.size() == 1) {
    in_flight_ = 1;
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
    return;
  }
  // Batch mode: what has queued up goes out as one message, one JSON object per line, so a
  // busy connection costs one frame (and one system call) per batch instead of per message.
  batch_text_.clear();
  in_flight_ = 0;
  for (const auto& message : queue_) {
    if (in_flight_ > 0 && batch_text_.size() + message->size() > batch_bytes_max) break;
    if (in_flight_ > 0) batch_text_.push_back('\n');
    batch_text_.append(*message);
    ++in_flight_;
  }
  ws_.async_write(net::buffer(batch_text_),
                  beast::bind_front_handler(&WsSession::on_write, shared_from_this()));
}

void WsSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (ec) {
    closing_ = true;
    return;
  }
  for (; in_flight_ > 0; --in_flight_) {
    queued_bytes_ -= queue_.front()->size();
    queue_.pop_front();
  }
  if (closing_) {
    ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, close_reason_),
                    [self = shared_from_this()](beast::error_code) {});
    return;
  }
  if (!queue_.empty()) do_write();
}

void WsSession::key_revoked(std::string_view key_id) {
  if (logged_in_ && key_id == key_id_) cut_off("key revoked");
}

void WsSession::cut_off(std::string_view reason) {
  if (closing_) return;
  closing_ = true;
  close_reason_ = std::string(reason.substr(0, 120));  // a close frame's reason is short
  // Stop receiving anything more, and drop what waits (except a frame half on the wire).
  io_thread_.remove_session(session_id_);
  while (queue_.size() > (writing_ ? in_flight_ : 0u)) {
    queued_bytes_ -= queue_.back()->size();
    queue_.pop_back();
  }
  if (!writing_) {
    ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, close_reason_),
                    [self = shared_from_this()](beast::error_code) {});
  }
  // A client that reads nothing at all never completes the close: drop the socket.
  close_timer_.expires_after(close_grace);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code) {
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

}  // namespace cpx::gateway
