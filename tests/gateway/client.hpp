// A real cpx-server in a child process, and clients that talk to it the way users do: signed
// REST over a kept-alive connection, and WebSocket sessions. Loopback only.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cpx/auth/signing.hpp"

namespace cpx::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

inline constexpr const char* operator_key = "op-test";
inline constexpr const char* operator_secret = "operator-secret-for-tests";

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A WebSocket login's timestamp: now, but never one this test process gave a login before. Two
// logins of one key in the same millisecond would carry the same signature, and the replay
// guard rightly refuses the second.
inline int64_t login_stamp() {
  static int64_t last = 0;
  last = std::max(now_ms(), last + 1);
  return last;
}

struct RunningServer {
  pid_t pid = -1;
  int output = -1;
  uint16_t port = 0;

  std::string early_output;  // with stderr captured: what came before the listening line

  explicit RunningServer(std::vector<std::string> args = {}, bool with_operator_key = true,
                         bool capture_stderr = false) {
    pid = start(std::move(args), with_operator_key, capture_stderr, output);
    std::string first = read_line();
    while (capture_stderr && !first.empty() && first.rfind("cpx-server listening on", 0) != 0) {
      early_output += first + "\n";
      first = read_line();
    }
    INFO(early_output);
    REQUIRE(first.rfind("cpx-server listening on 127.0.0.1:", 0) == 0);
    port = uint16_t(std::stoi(first.substr(first.rfind(':') + 1)));
  }

  // Runs the server until it exits by itself (a start that fails): its exit status, and all
  // it wrote to stdout and stderr.
  static int run_to_end(std::vector<std::string> args, std::string& output) {
    int out = -1;
    const pid_t child = start(std::move(args), true, true, out);
    char buffer[4096];
    for (ssize_t n; (n = read(out, buffer, sizeof buffer)) > 0;)
      output.append(buffer, std::size_t(n));
    close(out);
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  // Starts cpx-server on a free loopback port with `args`; its stdout (and stderr, if asked)
  // goes to the pipe `out`.
  static pid_t start(std::vector<std::string> args, bool with_operator_key, bool capture_stderr,
                     int& out) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      dup2(pipe_fds[1], STDOUT_FILENO);
      if (capture_stderr) dup2(pipe_fds[1], STDERR_FILENO);
      close(pipe_fds[0]);
      if (with_operator_key) {
        setenv("CPX_OPERATOR_KEY_ID", operator_key, 1);
        setenv("CPX_OPERATOR_SECRET", operator_secret, 1);
      }
      std::vector<std::string> all = {"cpx-server", "--listen", "127.0.0.1:0"};
      all.insert(all.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (std::string& arg : all) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(CPX_SERVER_BINARY, argv.data());
      _exit(127);
    }
    close(pipe_fds[1]);
    out = pipe_fds[0];
    return child;
  }

  std::string read_line() {
    std::string line;
    char c;
    while (read(output, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }

  // SIGTERM, then the exit status (waits at most 40 s: a server with a ledger settles first).
  int stop() {
    kill(pid, SIGTERM);
    for (int i = 0; i < 4000; ++i) {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -2;
  }

  ~RunningServer() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (output >= 0) close(output);
  }
};

using Response = http::response<http::string_body>;

// One kept-alive HTTP connection; signs requests when given a key. Like a careful client it
// opens a new connection after a long pause, before the server's idle timeout (30 s) closes
// the old one under a request (sanitizer builds make such pauses).
class RestClient {
 public:
  // `source`: the loopback address to connect from (127.0.0.0/8 is all loopback), so that a
  // test can be another client address than its flood's.
  explicit RestClient(uint16_t port, std::string key = "", std::string secret = "",
                      std::string source = "")
      : port_(port),
        stream_(context_),
        key_(std::move(key)),
        secret_(std::move(secret)),
        source_(std::move(source)) {
    connect();
  }

  void use_key(std::string key, std::string secret) {
    key_ = std::move(key);
    secret_ = std::move(secret);
  }

  // Sends a request signed now (or with the given timestamp) and reads the answer.
  Response send(http::verb verb, const std::string& target, const std::string& body = "",
                std::optional<int64_t> timestamp = std::nullopt) {
    http::request<http::string_body> request = build(verb, target, body, timestamp);
    return exchange(request);
  }

  http::request<http::string_body> build(http::verb verb, const std::string& target,
                                         const std::string& body,
                                         std::optional<int64_t> timestamp = std::nullopt) {
    http::request<http::string_body> request{verb, target, 11};
    request.set(http::field::host, "127.0.0.1");
    if (!key_.empty()) {
      // Identical requests signed in the same millisecond would be replays of each other: like
      // a careful client, never reuse a timestamp.
      last_stamp_ = std::max(now_ms(), last_stamp_ + 1);
      const std::string stamp = std::to_string(timestamp.value_or(last_stamp_));
      request.set("X-CPX-KEY", key_);
      request.set("X-CPX-TIMESTAMP", stamp);
      request.set("X-CPX-SIGNATURE",
                  auth::hmac_sha256_hex(
                      secret_, auth::signing_payload(stamp, std::string(http::to_string(verb)),
                                                     target, body)));
    }
    request.body() = body;
    request.prepare_payload();
    return request;
  }

  Response exchange(const http::request<http::string_body>& request) {
    // A connection that has not sent its first request yet has the server's first-request
    // timeout (5 s by default), one that has the idle timeout (30 s).
    const auto pause = std::chrono::steady_clock::now() - last_used_;
    if (pause > (used_ ? idle_reconnect : first_request_reconnect)) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream_.close();
      buffer_.clear();
      connect();
    }
    http::write(stream_, request);
    Response response;
    http::read(stream_, buffer_, response);
    last_used_ = std::chrono::steady_clock::now();
    used_ = true;
    return response;
  }

 private:
  void connect() {
    if (!source_.empty()) {
      stream_.socket().open(tcp::v4());
      stream_.socket().bind(tcp::endpoint(net::ip::make_address(source_), 0));
    }
    stream_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    last_used_ = std::chrono::steady_clock::now();
    used_ = false;
  }

  static constexpr auto idle_reconnect = std::chrono::seconds(20);
  static constexpr auto first_request_reconnect = std::chrono::seconds(3);
  bool used_ = false;
  uint16_t port_;
  std::chrono::steady_clock::time_point last_used_;
  net::io_context context_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string key_;
  std::string secret_;
  std::string source_;
  int64_t last_stamp_ = 0;
};

// A WebSocket client on /v1/ws; a read gives up after a few seconds instead of hanging a test.
class WsClient {
 public:
  explicit WsClient(uint16_t port, const std::string& key = "", const std::string& secret = "",
                    int receive_buffer_bytes = 0, const std::string& path = "/v1/ws")
      : ws_(context_) {
    tcp::socket& socket = ws_.next_layer();
    socket.open(tcp::v4());
    if (receive_buffer_bytes > 0) {
      socket.set_option(net::socket_base::receive_buffer_size(receive_buffer_bytes));
    }
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    if (!key.empty()) {
      const std::string stamp = std::to_string(login_stamp());
      const std::string signature =
          auth::hmac_sha256_hex(secret, auth::signing_payload(stamp, "GET", "/v1/ws", ""));
      ws_.set_option(websocket::stream_base::decorator([=](websocket::request_type& request) {
        request.set("X-CPX-KEY", key);
        request.set("X-CPX-TIMESTAMP", stamp);
        request.set("X-CPX-SIGNATURE", signature);
      }));
    }
    ws_.handshake("127.0.0.1", path);
  }

  void send(const std::string& text) { ws_.write(net::buffer(text)); }
  void send_binary(const std::string& bytes) {
    ws_.binary(true);
    ws_.write(net::buffer(bytes));
    ws_.binary(false);
  }

  // The next message, or "" on timeout or close (error() says which).
  std::string read(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    beast::flat_buffer buffer;
    bool done = false;
    ws_.async_read(buffer, [&](beast::error_code ec, std::size_t) {
      error_ = ec;
      done = true;
    });
    context_.restart();
    context_.run_for(timeout);
    if (!done) {
      // Timed out: the stream is unusable after a cancelled read, so close it.
      beast::error_code ignored;
      ws_.next_layer().close(ignored);
      context_.restart();
      context_.run();
      error_ = net::error::timed_out;
      return "";
    }
    if (error_) return "";
    return beast::buffers_to_string(buffer.data());
  }

  // Reads until a message contains `needle` (skipping heartbeats and others), at most `max`.
  std::string read_until(std::string_view needle, int max = 1000) {
    for (int i = 0; i < max; ++i) {
      std::string message = read();
      if (message.empty()) return "";
      if (message.find(needle) != std::string::npos) return message;
    }
    return "";
  }

  const beast::error_code& error() const { return error_; }
  websocket::close_reason close_reason() const { return ws_.reason(); }
  websocket::stream<tcp::socket>& stream() { return ws_; }

 private:
  net::io_context context_;
  websocket::stream<tcp::socket> ws_;
  beast::error_code error_;
};

inline std::string login_message(const std::string& key, const std::string& secret,
                                 int64_t timestamp = login_stamp()) {
  const std::string stamp = std::to_string(timestamp);
  return R"({"op":"login","req_id":"login","key":")" + key + R"(","timestamp":)" + stamp +
         R"(,"signature":")" +
         auth::hmac_sha256_hex(secret, auth::signing_payload(stamp, "GET", "/v1/ws", "")) + "\"}";
}

// The value of "name":"..." or "name":123 in a flat JSON text (enough for test assertions).
inline std::string json_field(const std::string& text, const std::string& name) {
  const std::string key = "\"" + name + "\":";
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return "";
  std::size_t start = at + key.size();
  if (text[start] == '"') {
    const std::size_t end = text.find('"', start + 1);
    return text.substr(start + 1, end - start - 1);
  }
  std::size_t end = start;
  while (end < text.size() && text[end] != ',' && text[end] != '}' && text[end] != ']') ++end;
  return text.substr(start, end - start);
}

// An account's API key, as the operator's POST /v1/admin/accounts gives it.
struct Key {
  std::string id;
  std::string secret;
};

inline Key create_account(RestClient& admin, const std::string& account, const std::string& role) {
  const Response response =
      admin.send(http::verb::post, "/v1/admin/accounts",
                 R"({"account":")" + account + R"(","role":")" + role + "\"}");
  REQUIRE(response.result_int() == 201);
  CHECK(json_field(response.body(), "account") == account);
  CHECK(json_field(response.body(), "role") == role);
  return Key{json_field(response.body(), "key_id"), json_field(response.body(), "secret")};
}

}  // namespace cpx::test
