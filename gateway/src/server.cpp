#include "cpx/gateway/server.hpp"

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <thread>
#include <vector>

#include "http_session.hpp"

namespace cpx::gateway {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Accepts connections and hands each to a session on its own strand.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& context, tcp::acceptor& acceptor, const Config& config)
      : context_(context), acceptor_(acceptor), config_(config) {}

  void run() { do_accept(); }

 private:
  void do_accept() {
    acceptor_.async_accept(
        net::make_strand(context_),
        boost::beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
  }
  void on_accept(boost::beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;  // stopping
    if (!ec) std::make_shared<HttpSession>(std::move(socket), config_)->run();
    do_accept();  // a failed accept (e.g. out of descriptors) does not stop the listener
  }

  net::io_context& context_;
  tcp::acceptor& acceptor_;
  const Config& config_;
};

}  // namespace

struct Server::State {
  State(const Settings& s, Config c)
      : settings(s),
        config(std::move(c)),
        context(s.io_threads),
        acceptor(context),
        signals(context, SIGINT, SIGTERM) {}
  Settings settings;
  Config config;
  net::io_context context;
  tcp::acceptor acceptor;
  net::signal_set signals;
};

Server::Server(const Settings& settings, Config config)
    : state_(std::make_unique<State>(settings, std::move(config))) {
  const tcp::endpoint endpoint(net::ip::make_address(settings.listen_host), settings.listen_port);
  state_->acceptor.open(endpoint.protocol());
  state_->acceptor.set_option(net::socket_base::reuse_address(true));
  state_->acceptor.bind(endpoint);
  state_->acceptor.listen(net::socket_base::max_listen_connections);
}

Server::~Server() = default;

uint16_t Server::port() const {
  return state_->acceptor.local_endpoint().port();
}

void Server::run() {
  std::make_shared<Listener>(state_->context, state_->acceptor, state_->config)->run();
  state_->signals.async_wait([this](boost::beast::error_code, int) { stop(); });
  std::vector<std::thread> threads;
  for (int i = 1; i < state_->settings.io_threads; ++i) {
    threads.emplace_back([this] { state_->context.run(); });
  }
  state_->context.run();
  for (std::thread& thread : threads) thread.join();
}

void Server::stop() {
  state_->context.stop();
}

}  // namespace cpx::gateway
