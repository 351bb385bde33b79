// One HTTP connection: reads a request with bounded size and time; answers public requests at
// once, hands private ones to the matcher and answers when it replies, and hands a WebSocket
// upgrade on /v1/ws to a WsSession.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <memory>
#include <optional>

#include "connection_slot.hpp"
#include "io_thread.hpp"

namespace cpx::gateway {

class HttpSession : public SessionBase, public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket&& socket, IoThread& io_thread, ConnectionSlot&& slot);
  ~HttpSession() override;
  void run();

  void on_reply(const OutHeader& header, std::string_view body) override;
  void on_push(const std::shared_ptr<const std::string>&) override {}
  void evict() override;

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  // The header first: a client that sent "Expect: 100-continue" is told to go on before the
  // body is read (RFC 9110, 10.1.1), then the rest is read as one.
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void read_rest();
  void expire_reading();  // the first request's deadline, or the idle timeout after it
  void route(const Request& request);
  void answer(unsigned status, std::string body, uint32_t retry_after_s = 0, bool close = false,
              bool csv = false);
  void answer_error(unsigned status, std::string_view code, std::string_view message,
                    uint32_t retry_after_s = 0);
  void on_write(bool close, boost::beast::error_code ec, std::size_t bytes);
  void do_close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  std::string response_text_;  // the answer being written
  IoThread& io_thread_;
  // Held while the matcher owes this session an answer (the matcher answers every request).
  std::shared_ptr<HttpSession> awaiting_;
  uint64_t session_id_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool served_ = false;  // a request was read: later ones have the idle timeout
  ConnectionSlot slot_;
};

}  // namespace cpx::gateway
