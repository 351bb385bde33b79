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

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct RunningServer {
  pid_t pid = -1;
  int output = -1;
  uint16_t port = 0;

  RunningServer() {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      dup2(pipe_fds[1], STDOUT_FILENO);
      close(pipe_fds[0]);
      execl(CPX_SERVER_BINARY, "cpx-server", "--listen", "127.0.0.1:0", nullptr);
      _exit(127);
    }
    close(pipe_fds[1]);
    output = pipe_fds[0];
    const std::string first = read_line();
    const std::size_t colon = first.rfind(':');
    REQUIRE(first.rfind("cpx-server listening on 127.0.0.1:", 0) == 0);
    port = uint16_t(std::stoi(first.substr(colon + 1)));
  }

  std::string read_line() {
    std::string line;
    char c;
    while (read(output, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }

  // SIGTERM, then the exit status (waits at most 5 s).
  int stop() {
    kill(pid, SIGTERM);
    for (int i = 0; i < 500; ++i) {
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

}  // namespace

TEST_CASE("cpx-server answers over loopback and stops cleanly on SIGTERM") {
  RunningServer server;
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
