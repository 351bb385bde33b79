// One WebSocket connection on /v1/ws: login (headers on the upgrade, or a login message),
// provider order entry with one answer per req_id, pushed fills and order endings, and
// market-data subscriptions. Outbound messages queue up to a cap; past it the client is cut off.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <deque>
#include <memory>
#include <set>
#include <string>

#include "connection_slot.hpp"
#include "io_thread.hpp"

namespace cpx::gateway {

class WsSession : public SessionBase, public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(boost::asio::ip::tcp::socket&& socket, IoThread& io_thread, ConnectionSlot&& slot);
  ~WsSession() override;
  void run(boost::beast::http::request<boost::beast::http::string_body>&& upgrade);

  void on_reply(const OutHeader& header, std::string_view body) override;
  void on_push(const std::shared_ptr<const std::string>& message) override;
  void evict() override;
  void key_revoked(std::string_view key_id) override;

 private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  void read_after_login();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void handle_frame(std::string_view text);  // one request, or in batch mode one per line
  void handle_text(std::string_view text);
  // subscribe / unsubscribe: the channels' snapshots, or a rejection naming the bad one.
  void handle_subscription(std::string_view op, simdjson::dom::object object,
                           const std::string& req_id);
  void send(std::shared_ptr<const std::string> message);
  void send_text(std::string text) { send(std::make_shared<const std::string>(std::move(text))); }
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void cut_off(std::string_view reason);
  void reject(std::string_view req_id, std::string_view reason, std::string_view message);
  bool login(std::string_view key_id, std::string_view timestamp, std::string_view signature,
             std::string_view req_id);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  IoThread& io_thread_;
  boost::asio::steady_timer close_timer_;
  boost::asio::steady_timer first_message_timer_;  // without a login on the upgrade
  bool first_message_seen_ = false;
  std::set<int> subscribed_;  // channel indexes (at most ws_subscriptions_max)
  ConnectionSlot slot_;
  std::deque<std::shared_ptr<const std::string>> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  // /v1/ws?batch=1: queued messages go out together, one per line, and a client's message may
  // carry several requests, one per line.
  bool batch_ = false;
  std::size_t in_flight_ = 0;  // queue entries the write in flight carries
  std::string batch_text_;
  bool closing_ = false;
  std::string close_reason_;  // cut_off()'s, for the close frame
  uint64_t session_id_ = 0;
  // Set once the matcher confirms the login.
  std::string key_id_;
  std::string account_;  // the key's, as it was at login
  Role role_ = Role::enterprise;
  uint32_t account_index_ = 0;
  bool login_pending_ = false;
  bool read_deferred_ = false;       // reading waits for the pending login's answer
  std::string pending_lines_;        // and so do the lines of a batch after the login
  std::shared_ptr<WsSession> held_;  // keeps the session alive while reading waits
  bool logged_in_ = false;
  // Asked at login (docs/api.md): the session's orders are cancelled when it closes.
  bool cancel_on_disconnect_ = false;
  bool pending_cancel_on_disconnect_ = false;  // asked by the login under way
  std::string pending_key_id_;
};

}  // namespace cpx::gateway
