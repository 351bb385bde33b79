// cpx-load: an open-loop load generator for cpx-server (loopback only). Requests are scheduled
// at fixed times (start + i / rate) and each latency counts from its scheduled time, so a slow
// server cannot hide its slowness by slowing the generator down (no coordinated omission).
//
//   cpx-load --mode rest-orders|healthz|ws-asks|md-subscribers --port P [--rate R]
//            [--seconds S] [--connections C] [--subscribers N]
//
// It creates its own accounts with the operator key from CPX_OPERATOR_KEY_ID and
// CPX_OPERATOR_SECRET, and ends with one JSON line of results.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cpx/auth/signing.hpp"
#include "load/common.hpp"
#include "load/rest_load.hpp"
#include "load/ws_load.hpp"

namespace {

using namespace cpx::load;

bool parse(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--mode") {
      options.mode = value;
    } else if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      options.port = uint16_t(std::stoi(value));
    } else if (flag == "--rate") {
      options.rate = std::stod(value);
    } else if (flag == "--seconds") {
      options.seconds = std::stod(value);
    } else if (flag == "--connections") {
      options.connections = std::stoi(value);
    } else if (flag == "--subscribers") {
      options.subscribers = std::stoi(value);
    } else if (flag == "--ws-batch") {
      options.ws_batch = value != "0";
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options.rate > 0 && options.seconds > 0 && options.connections > 0;
}

int64_t percentile(std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, std::size_t(p * double(sorted.size())))];
}

// One JSON line: what was sent and completed, the latency percentiles, the statuses.
void print_report(const Options& options, Results& results, double elapsed,
                  const std::string& extra) {
  std::vector<int64_t>& sorted = results.latencies_us;
  std::sort(sorted.begin(), sorted.end());
  std::string statuses;
  for (const auto& [status, count] : results.statuses) {
    statuses +=
        (statuses.empty() ? "\"" : ",\"") + std::to_string(status) + "\":" + std::to_string(count);
  }
  std::printf(
      "{\"mode\":\"%s\",\"target_rate\":%.0f,\"connections\":%d,\"sent\":%llu,\"completed\":%llu,"
      "\"seconds\":%.3f,\"throughput_per_s\":%.0f,\"p50_us\":%lld,\"p99_us\":%lld,"
      "\"p999_us\":%lld,\"max_us\":%lld,\"statuses\":{%s}%s}\n",
      (options.mode +
       (options.ws_batch || options.mode == "rest-orders" || options.mode == "healthz"
            ? ""
            : "-unbatched"))
          .c_str(),
      options.rate, options.connections, (unsigned long long)results.sent,
      (unsigned long long)results.completed, elapsed, double(results.completed) / elapsed,
      (long long)percentile(sorted, 0.5), (long long)percentile(sorted, 0.99),
      (long long)percentile(sorted, 0.999), (long long)(sorted.empty() ? 0 : sorted.back()),
      statuses.c_str(), extra.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse(argc, argv, options) ||
      (options.mode != "rest-orders" && options.mode != "healthz" && options.mode != "ws-asks" &&
       options.mode != "md-subscribers")) {
    std::fprintf(stderr,
                 "usage: cpx-load --mode rest-orders|healthz|ws-asks|md-subscribers --port P "
                 "[--host 127.0.0.1] [--rate R] [--seconds S] [--connections C] "
                 "[--subscribers N]\n(the operator key comes from CPX_OPERATOR_KEY_ID and "
                 "CPX_OPERATOR_SECRET)\n");
    return 2;
  }
  if (options.host != "127.0.0.1" && options.host != "::1") {
    std::fprintf(stderr, "cpx-load: loopback only (127.0.0.1 or ::1)\n");
    return 2;
  }
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  const char* key_id = std::getenv("CPX_OPERATOR_KEY_ID");
  const char* secret = std::getenv("CPX_OPERATOR_SECRET");
  if (!key_id || !secret) {
    std::fprintf(stderr, "cpx-load: set CPX_OPERATOR_KEY_ID and CPX_OPERATOR_SECRET\n");
    return 2;
  }
  Admin admin(options, Key{key_id, secret});
  const std::string tag = std::to_string(wall_ms() % 100000000);
  const Key enterprise = admin.account("load-ent-" + tag, "enterprise");
  admin.post("/v1/admin/deposits",
             R"({"account":"load-ent-)" + tag + R"(","amount":"1000000000000"})");
  std::vector<Key> providers;
  for (int i = 0; i < options.connections; ++i) {
    providers.push_back(admin.account("load-prov-" + tag + "-" + std::to_string(i), "provider"));
  }
  const Key& provider = providers.front();

  net::io_context context(1);
  Results results;
  Schedule schedule{Clock::now(), options.rate, 0, uint64_t(options.rate * options.seconds)};
  results.latencies_us.reserve(schedule.total);
  std::unique_ptr<RestLoad> rest;
  std::unique_ptr<WsAskLoad> asks;
  std::unique_ptr<MarketDataLoad> market;
  if (options.mode == "rest-orders") {
    // Resting asks for the IOC bids to take: deep enough for the whole run.
    WsConnection seller(context);
    seller.connect(options, &provider);
    seller.ws.write(net::buffer(std::string(
        R"({"op":"new","req_id":0,"client_order_id":"deep","chip":"H100","qty":"1000000000",)"
        R"("price":"10","region":"zhangjiakou"})")));
    beast::flat_buffer ack;
    seller.ws.read(ack);
    rest = std::make_unique<RestLoad>(context, options, schedule, results, enterprise, true);
  } else if (options.mode == "healthz") {
    rest = std::make_unique<RestLoad>(context, options, schedule, results, enterprise, false);
  } else if (options.mode == "ws-asks") {
    asks = std::make_unique<WsAskLoad>(context, options, schedule, results, providers);
  } else {
    market = std::make_unique<MarketDataLoad>(context, options, schedule, results, providers);
  }
  schedule.start = Clock::now();
  if (rest) rest->start();
  if (asks) asks->start();
  if (market) market->start();
  context.run_for(std::chrono::milliseconds(int64_t((options.seconds + 30) * 1000)));
  const double elapsed = std::chrono::duration<double>(Clock::now() - schedule.start).count();
  std::string extra;
  if (market) {
    market->drain(context);
    const uint64_t final_seq = market->max_seq();
    extra = ",\"subscribers\":" + std::to_string(options.subscribers) +
            ",\"book_updates\":" + std::to_string(final_seq) +
            ",\"messages_delivered\":" + std::to_string(market->messages()) +
            ",\"gaps\":" + std::to_string(market->gaps()) +
            ",\"closed\":" + std::to_string(market->closed()) +
            ",\"behind_at_end\":" + std::to_string(market->behind(final_seq));
  }
  print_report(options, results, elapsed, extra);
  if (!results.first_rejection.empty()) {
    std::fprintf(stderr, "cpx-load: first rejection: %s\n", results.first_rejection.c_str());
  }
  return results.completed == schedule.total ? 0 : 1;
}
