// cpx-ws: send messages over the exchange's WebSocket from a shell, and print what comes back.
//
//   cpx-ws [--url ws://127.0.0.1:8080/v1/ws] [--key KEY --secret SECRET] [--wait MS] JSON...
//
// Logs in with the signed upgrade headers when given a key, sends each JSON message in turn,
// and prints every message the server sends (one per line) until each message with a req_id
// has its answer, then for --wait more milliseconds (default 300: pushes such as trades).
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "cpx/auth/signing.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr const char* usage =
    "usage: cpx-ws [--url ws://HOST:PORT/v1/ws] [--key KEY --secret SECRET] [--wait MS] JSON...\n"
    "  Logs in with the key (when given), sends each JSON message, prints every message the\n"
    "  server sends until each message's req_id is answered, then for --wait MS more\n"
    "  milliseconds (default 300; pushes such as trades and book updates arrive meanwhile).\n"
    "  KEY and SECRET default to CPX_KEY and CPX_SECRET. Exit 0: every req_id answered.\n";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The text after "req_id": up to , or } (enough to match answers to what was sent).
std::string req_id_of(const std::string& json) {
  const std::size_t at = json.find("\"req_id\":");
  if (at == std::string::npos) return "";
  const std::size_t start = at + 9;
  std::size_t end = start;
  while (end < json.size() && json[end] != ',' && json[end] != '}') ++end;
  return json.substr(start, end - start);
}

}  // namespace

int main(int argc, char** argv) {
  std::string url = "ws://127.0.0.1:8080/v1/ws";
  std::string key = std::getenv("CPX_KEY") ? std::getenv("CPX_KEY") : "";
  std::string secret = std::getenv("CPX_SECRET") ? std::getenv("CPX_SECRET") : "";
  int wait_ms = 300;
  std::vector<std::string> messages;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--url" || arg == "--key" || arg == "--secret" || arg == "--wait") &&
        i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--url") url = value;
      if (arg == "--key") key = value;
      if (arg == "--secret") secret = value;
      if (arg == "--wait") wait_ms = std::atoi(value.c_str());
    } else if (arg.starts_with("{")) {
      messages.push_back(arg);
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else {
      std::fputs(usage, stderr);
      return 2;
    }
  }
  if (!url.starts_with("ws://")) {
    std::fputs("cpx-ws: --url must start with ws://\n", stderr);
    return 2;
  }
  const std::string rest = url.substr(5);
  const std::size_t slash = rest.find('/');
  const std::string host_port = rest.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/v1/ws" : rest.substr(slash);
  const std::size_t colon = host_port.rfind(':');
  const std::string host = host_port.substr(0, colon);
  const std::string port = colon == std::string::npos ? "80" : host_port.substr(colon + 1);
  try {
    net::io_context context;
    tcp::resolver resolver(context);
    websocket::stream<tcp::socket> ws(context);
    net::connect(ws.next_layer(), resolver.resolve(host, port));
    if (!key.empty()) {
      const std::string stamp = std::to_string(now_ms());
      const std::string signature = cpx::auth::hmac_sha256_hex(
          secret, cpx::auth::signing_payload(stamp, "GET", "/v1/ws", ""));
      ws.set_option(websocket::stream_base::decorator([=](websocket::request_type& request) {
        request.set("X-CPX-KEY", key);
        request.set("X-CPX-TIMESTAMP", stamp);
        request.set("X-CPX-SIGNATURE", signature);
      }));
    }
    ws.handshake(host_port, path);
    std::set<std::string> waiting;
    for (const std::string& message : messages) {
      ws.write(net::buffer(message));
      const std::string id = req_id_of(message);
      if (!id.empty()) waiting.insert(id);
    }
    // Read until every req_id is answered, then for wait_ms more.
    int64_t deadline = waiting.empty() ? now_ms() + wait_ms : INT64_MAX;
    const int64_t give_up = now_ms() + 10'000;
    while (now_ms() < deadline && now_ms() < give_up) {
      beast::flat_buffer buffer;
      bool done = false;
      beast::error_code error;
      ws.async_read(buffer, [&](beast::error_code ec, std::size_t) {
        error = ec;
        done = true;
      });
      context.restart();
      context.run_for(std::chrono::milliseconds(
          std::min<int64_t>(std::max<int64_t>(1, std::min(deadline, give_up) - now_ms()), 10'000)));
      if (!done) break;
      if (error) {
        std::fprintf(stderr, "cpx-ws: %s\n", error.message().c_str());
        return 1;
      }
      const std::string text = beast::buffers_to_string(buffer.data());
      std::printf("%s\n", text.c_str());
      std::fflush(stdout);
      waiting.erase(req_id_of(text));
      if (waiting.empty() && deadline == INT64_MAX) deadline = now_ms() + wait_ms;
    }
    return waiting.empty() ? 0 : 1;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "cpx-ws: %s\n", error.what());
    return 1;
  }
}
