// The real cpx-server over loopback: it starts on a free port, answers, refuses oversized
// bodies, survives a client that hangs up mid-request, and stops cleanly on SIGTERM.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "client.hpp"

namespace {

using cpx::test::RunningServer;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

http::response<http::string_body> request(uint16_t port, http::verb verb, const std::string& target,
                                          const std::string& body = "") {
  net::io_context context;
  beast::tcp_stream stream(context);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return res;
}

// Sends `text` as it is and reads whatever the server answers until it closes.
std::string raw_exchange(uint16_t port, const std::string& text) {
  net::io_context context;
  tcp::socket socket(context);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  net::write(socket, net::buffer(text));
  std::string answer;
  beast::error_code ec;
  char chunk[4096];
  for (;;) {
    const std::size_t n = socket.read_some(net::buffer(chunk), ec);
    if (ec) break;
    answer.append(chunk, n);
  }
  return answer;
}

}  // namespace

TEST_CASE("malformed HTTP is answered 400 and closed; repeated auth headers are refused") {
  RunningServer server({"--rate-limit", "0"});
  // A request line that is not HTTP: a 400 naming it, then the close (read_some ends).
  std::string answer = raw_exchange(server.port, "GARBAGE\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(answer.find("Connection: close") != std::string::npos);
  CHECK(answer.find("malformed HTTP request") != std::string::npos);
  answer = raw_exchange(server.port, "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 400 "));
  // Headers over 16 KiB.
  answer = raw_exchange(server.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " +
                                         std::string(17 * 1024, 'p') + "\r\n\r\n");
  CHECK(answer.find("request headers are limited to 16 KiB") != std::string::npos);
  // X-CPX-KEY twice: which one would be checked is ambiguous, so neither is.
  answer = raw_exchange(server.port,
                        "GET /v1/account HTTP/1.1\r\nHost: x\r\nX-CPX-KEY: a\r\n"
                        "X-CPX-KEY: b\r\nX-CPX-TIMESTAMP: 1\r\nX-CPX-SIGNATURE: s\r\n"
                        "Connection: close\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 400 "));
  CHECK(answer.find("X-CPX-KEY is repeated") != std::string::npos);
  // The server goes on.
  CHECK(request(server.port, http::verb::get, "/healthz").result_int() == 200);
}

TEST_CASE("cpx-ws --help says what it does, --wait included, and exits 0") {
  FILE* pipe = popen((std::string(CPX_WS_BINARY) + " --help").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string said;
  char buffer[1024];
  while (const std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) said.append(buffer, n);
  const int status = pclose(pipe);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(said.rfind("usage: cpx-ws", 0) == 0);
  CHECK(said.find("--wait MS more") != std::string::npos);
}

TEST_CASE("cpx-server answers over loopback and stops cleanly on SIGTERM") {
  // No operator key in the environment: one is generated and shown once.
  RunningServer server({}, false);
  CHECK(server.read_line() == "ledger: none (no --db / CPX_DATABASE_URL)");
  CHECK(server.read_line() ==
        "journal: none (no --journal / CPX_JOURNAL): a restart forgets open orders");
  const std::string operator_line = server.read_line();
  CHECK(operator_line.starts_with("operator key: op-"));
  CHECK(operator_line.find(" secret: ") != std::string::npos);
  auto res = request(server.port, http::verb::get, "/healthz");
  CHECK(res.result_int() == 200);
  CHECK(res.body() == "{\"status\":\"ok\"}");
  CHECK(res[http::field::content_type] == "application/json");

  res = request(server.port, http::verb::get, "/v1/chips");
  CHECK(res.body().find("\"ASCEND-910B\"") != std::string::npos);

  res = request(server.port, http::verb::get, "/v1/unknown");
  CHECK(res.result_int() == 404);

  // A body over 64 KiB is refused with 413 and the error body.
  res = request(server.port, http::verb::post, "/v1/orders", std::string(70 * 1024, 'x'));
  CHECK(res.result_int() == 413);
  CHECK(res.body().find("\"code\":\"body_too_large\"") != std::string::npos);

  // A client that sends half a request and hangs up does not hurt the server.
  {
    net::io_context context;
    tcp::socket socket(context);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server.port));
    const std::string half = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    net::write(socket, net::buffer(half));
  }
  CHECK(request(server.port, http::verb::get, "/healthz").result_int() == 200);

  CHECK(server.stop() == 0);
  CHECK(server.read_line() == "cpx-server stopped");
}
