// Driving the real server the way users do, for the ledger and recovery tests: traders on
// WebSocket sending random commands, their fills and balances as the API shows them, and the
// same from the ledger.
#pragma once

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "../gateway/client.hpp"
#include "../gateway/json_schema.hpp"
#include "cpx/base/decimal.hpp"
#include "cpx/ledger/rows.hpp"

namespace cpx::test {

// Runs cpx-audit verify --db url; returns its exit status and fills `output`.
inline int run_audit(const std::string& url, std::string& output) {
  const std::string command = std::string(CPX_AUDIT_BINARY) + " verify --db '" + url + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  output.clear();
  while (const std::size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A NUMERIC's text ("2.5000") the way the API prints it ("2.5").
inline std::string api_decimal(const std::string& text, int frac_digits) {
  return format_decimal(ledger::parse_numeric(text, frac_digits), frac_digits);
}

struct Trader {
  std::string account;
  bool enterprise = true;
  Key key;
  std::unique_ptr<WsClient> ws;
  std::vector<std::string> client_order_ids;
  int outstanding_last = -1;  // the req_id whose answer ends the current window
};

inline std::string random_price(std::mt19937_64& random, int low_cents, int high_cents) {
  const int cents = std::uniform_int_distribution<int>(low_cents, high_cents)(random);
  return std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") +
         std::to_string(cents % 100);
}

inline std::string random_qty(std::mt19937_64& random) {
  const int tenths = std::uniform_int_distribution<int>(1, 200)(random);
  return std::to_string(tenths / 10) + (tenths % 10 ? "." + std::to_string(tenths % 10) : "");
}

// One random command of the trader's, as a WebSocket message with req_id `req`.
inline std::string random_command(std::mt19937_64& random, Trader& trader, int req,
                                  int& order_number) {
  static const char* chips[] = {"H100", "A100"};
  static const char* regions[] = {"zhongwei", "guian", "beijing", "shanghai", "qingyang"};
  static const char* tifs[] = {"GTC", "GTC", "GTC", "IOC", "FOK"};
  const int pick = std::uniform_int_distribution<int>(0, 99)(random);
  const std::string chip = chips[random() % 2];
  const std::string head = R"({"req_id":)" + std::to_string(req) + ",";
  if (pick < 65 || trader.client_order_ids.empty()) {
    const std::string id = trader.account + "-" + std::to_string(++order_number);
    trader.client_order_ids.push_back(id);
    std::string body = head + R"("op":"new","client_order_id":")" + id + R"(","chip":")" + chip +
                       R"(","qty":")" + random_qty(random) + R"(","tif":")" + tifs[random() % 5] +
                       "\"";
    if (trader.enterprise) {
      body += R"(,"price":")" + random_price(random, 200, 400) + R"(","origin":")" +
              regions[random() % 5] + "\"";
      if (random() % 3 == 0) body += R"(,"max_latency_ms":)" + std::to_string(10 + random() % 60);
      if (random() % 4 == 0) body += R"(,"min_green_pct":)" + std::to_string(random() % 80);
      if (random() % 3 == 0) body += R"(,"urgency":"urgent")";
    } else {
      body += R"(,"price":")" + random_price(random, 100, 300) + R"(","region":")" +
              regions[random() % 5] + R"(","green_pct":)" + std::to_string(random() % 101);
    }
    return body + "}";
  }
  const std::string& id = trader.client_order_ids[random() % trader.client_order_ids.size()];
  if (pick < 82) return head + R"("op":"cancel","client_order_id":")" + id + "\"}";
  if (pick < 97) {
    std::string body = head + R"("op":"amend","client_order_id":")" + id + "\"";
    if (random() % 2) body += R"(,"qty":")" + random_qty(random) + "\"";
    if (random() % 2 || body.find("qty") == std::string::npos) {
      body +=
          R"(,"price":")" +
          (trader.enterprise ? random_price(random, 200, 400) : random_price(random, 100, 300)) +
          "\"";
    }
    return body + "}";
  }
  return head + R"("op":"new","client_order_id":"bad-)" + std::to_string(req) +
         R"(","chip":"H100","qty":"-1","price":"1"})";  // rejected: bad_qty
}

// The trades every account's fills show, by trade id: "price qty".
inline std::map<uint64_t, std::string> trades_from_fills(uint16_t port,
                                                         std::vector<Trader>& traders) {
  std::map<uint64_t, std::string> trades;
  for (Trader& trader : traders) {
    RestClient rest(port, trader.key.id, trader.key.secret);
    uint64_t after = 0;
    for (;;) {
      const Response page = rest.send(
          http::verb::get, "/v1/fills?limit=1000&after_trade_id=" + std::to_string(after));
      REQUIRE(page.result_int() == 200);
      const std::string& body = page.body();
      std::size_t at = 0;
      int count = 0;
      while ((at = body.find("{\"trade_id\":", at)) != std::string::npos) {
        const std::size_t end = body.find('}', at);
        const std::string fill = body.substr(at, end - at + 1);
        const uint64_t id = std::stoull(json_field(fill, "trade_id"));
        const std::string value = json_field(fill, "price") + " " + json_field(fill, "qty");
        const auto [it, inserted] = trades.emplace(id, value);
        if (!inserted) CHECK(it->second == value);  // both sides agree
        after = id;
        ++count;
        at = end;
      }
      if (count < 1000) break;
    }
  }
  return trades;
}

// Sends `commands` random commands over the traders' WebSockets, in windows.
// Notes the orders an answer acknowledges ("accepted"), as account/client_order_id.
inline void note_accepted(const Trader& trader, const std::string& message,
                          std::set<std::string>* acknowledged) {
  if (acknowledged == nullptr || message.find(R"("type":"accepted")") == std::string::npos) return;
  acknowledged->insert(trader.account + "/" + json_field(message, "client_order_id"));
}

// Sends `commands` random commands over the traders' WebSockets, in windows, reading every
// answer (and noting the accepted orders in `acknowledged` when given).
inline void run_random(std::mt19937_64& random, std::vector<Trader>& traders, int commands,
                       RestClient& admin, int& req, int& order_number,
                       std::set<std::string>* acknowledged = nullptr) {
  constexpr int window = 64;
  int sent = 0;
  while (sent < commands) {
    for (Trader& trader : traders) {
      for (int i = 0; i < window && sent < commands; ++i, ++sent) {
        trader.ws->send(random_command(random, trader, ++req, order_number));
        trader.outstanding_last = req;
      }
    }
    for (Trader& trader : traders) {
      if (trader.outstanding_last < 0) continue;
      const std::string needle = "\"req_id\":" + std::to_string(trader.outstanding_last) + ",";
      for (;;) {
        const std::string answer = trader.ws->read();
        REQUIRE_MESSAGE(!answer.empty(), trader.account << " waiting for req " << needle << ": "
                                                        << trader.ws->error().message());
        note_accepted(trader, answer, acknowledged);
        if (answer.find(needle) != std::string::npos) break;
      }
      trader.outstanding_last = -1;
    }
    if (random() % 50 == 0) {  // now and then, more money for an enterprise
      const Trader& trader = traders[random() % traders.size()];
      if (trader.enterprise) {
        const Response deposit = admin.send(http::verb::post, "/v1/admin/deposits",
                                            R"({"account":")" + trader.account + R"(","amount":")" +
                                                random_price(random, 100, 100000) + "\"}");
        REQUIRE(deposit.result_int() == 200);
      }
    }
  }
}

// Every client_order_id of the trader's orders, as GET /v1/orders?status=all pages them.
inline std::set<std::string> orders_of(uint16_t port, const Trader& trader) {
  RestClient rest(port, trader.key.id, trader.key.secret);
  std::set<std::string> out;
  std::string after = "0";
  for (;;) {
    const Response page =
        rest.send(http::verb::get, "/v1/orders?status=all&limit=1000&after_order_id=" + after);
    REQUIRE(page.result_int() == 200);
    const std::string& body = page.body();
    for (std::size_t at = 0; (at = body.find("{\"client_order_id\":", at)) != std::string::npos;
         ++at) {
      out.insert(trader.account + "/" + json_field(body.substr(at), "client_order_id"));
    }
    after = json_field(body, "next_after_order_id");
    if (after.empty() || after == "null") break;
  }
  return out;
}

inline std::vector<Trader> open_traders(RunningServer& server, RestClient& admin, int enterprises,
                                        int providers, bool create) {
  std::vector<Trader> traders;
  for (int i = 0; i < enterprises + providers; ++i) {
    Trader& trader = traders.emplace_back();
    trader.enterprise = i < enterprises;
    trader.account = (trader.enterprise ? "ent" : "dc") + std::to_string(i);
    if (create) {
      trader.key =
          create_account(admin, trader.account, trader.enterprise ? "enterprise" : "provider");
      if (trader.enterprise) {
        REQUIRE(admin
                    .send(http::verb::post, "/v1/admin/deposits",
                          R"({"account":")" + trader.account + R"(","amount":"1000000"})")
                    .result_int() == 200);
      }
    }
  }
  (void)server;
  return traders;
}

inline void connect(RunningServer& server, std::vector<Trader>& traders) {
  for (Trader& trader : traders) {
    trader.ws = std::make_unique<WsClient>(server.port, trader.key.id, trader.key.secret);
    REQUIRE(trader.ws->read().find("logged_in") != std::string::npos);
  }
}

// balance/held per account as GET /v1/account shows them.
inline std::map<std::string, std::string> engine_balances(uint16_t port,
                                                          std::vector<Trader>& traders) {
  std::map<std::string, std::string> out;
  for (Trader& trader : traders) {
    RestClient rest(port, trader.key.id, trader.key.secret);
    const Response account = rest.send(http::verb::get, "/v1/account");
    REQUIRE(account.result_int() == 200);
    out[trader.account] =
        json_field(account.body(), "balance") + " " + json_field(account.body(), "held");
  }
  return out;
}

// The same from the ledger's latest balances.
inline std::map<std::string, std::string> ledger_balances(pqxx::work& work) {
  std::map<std::string, std::string> out;
  for (const auto& row :
       work.exec("SELECT DISTINCT ON (account) account, (available + held)::text, held::text"
                 " FROM balances ORDER BY account, batch_id DESC")) {
    const std::string account = row[0].as<std::string>();
    if (account == "operator") continue;
    out[account] = api_decimal(row[1].as<std::string>(), amount_frac_digits) + " " +
                   api_decimal(row[2].as<std::string>(), amount_frac_digits);
  }
  return out;
}

inline std::map<uint64_t, std::string> ledger_trades(pqxx::work& work) {
  std::map<uint64_t, std::string> out;
  for (const auto& row : work.exec("SELECT trade_id, price::text, qty::text FROM trades")) {
    out[row[0].as<uint64_t>()] = api_decimal(row[1].as<std::string>(), price_frac_digits) + " " +
                                 api_decimal(row[2].as<std::string>(), qty_frac_digits);
  }
  return out;
}

// Checks documents against schemas/.
struct Schemas {
  SchemaSet set{CPX_SCHEMAS_DIR};
  void expect(const std::string& reference, const std::string& json) {
    INFO(reference, ": ", json);
    CHECK(set.check(reference, json) == "");
  }
};
inline const std::string rest_schema = "rest.schema.json#/$defs/";
inline const std::string ws_schema = "ws.schema.json#/$defs/";

inline int commands_to_run() {
  const char* text = std::getenv("CPX_LEDGER_COMMANDS");
  return text != nullptr ? std::atoi(text) : 100'000;
}

// The server's GET /healthz body.
inline std::string health(uint16_t port) {
  RestClient rest(port);
  const Response response = rest.send(http::verb::get, "/healthz");
  REQUIRE(response.result_int() == 200);
  return response.body();
}

// Waits (at most 30 s: machines under load are slow) until the ledger has settled everything
// the server handed it.
inline void wait_settled(uint16_t port) {
  std::string body;
  for (int i = 0; i < 1500; ++i) {
    body = health(port);
    if (body.find("\"lag_seq\":0,") != std::string::npos) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  FAIL("the ledger did not catch up: " << body);
}

// A journal folder of the test's own, empty.
inline std::string fresh_journal(const std::string& name) {
  const std::string dir = std::filesystem::temp_directory_path() / ("cpx-test-" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

// GET /v1/admin/state's state_hash (docs/durability.md).
inline std::string state_hash(uint16_t port) {
  RestClient admin(port, operator_key, operator_secret);
  const Response state = admin.send(http::verb::get, "/v1/admin/state");
  REQUIRE(state.result_int() == 200);
  Schemas schemas;
  schemas.expect(rest_schema + "State", state.body());
  const std::string hash = json_field(state.body(), "state_hash");
  REQUIRE(hash.size() == 64);
  return hash;
}

inline void kill_now(RunningServer& server) {
  kill(server.pid, SIGKILL);
  waitpid(server.pid, nullptr, 0);
  server.pid = -1;
}

inline void flip_byte(const std::string& path, uint64_t offset) {
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(file);
  file.seekg(std::streamoff(offset));
  const char byte = char(file.get() ^ 0x5a);
  file.seekp(std::streamoff(offset));
  file.put(byte);
}

}  // namespace cpx::test
