#include "command_generator.hpp"

namespace cpx::test {
namespace {

const char* const enterprises[] = {"e0", "e1", "e2", "e3"};
const char* const providers[] = {"p0", "p1", "p2", "p3"};
const char* const regions[] = {"zhangjiakou", "wuhu",      "yrd-demo-zone", "shaoguan",
                               "tianfu",      "chongqing", "horinger",      "guian",
                               "qingyang",    "zhongwei",  "beijing",       "shanghai",
                               "shenzhen",    "hangzhou",  "wuhan",         "jingzhou"};

}  // namespace

std::vector<std::string> CommandGenerator::preamble() {
  std::vector<std::string> lines;
  for (const char* e : enterprises) {
    lines.push_back(std::string(R"({"op":"account","account":")") + e +
                    R"(","role":"enterprise"})");
  }
  for (const char* p : providers) {
    lines.push_back(std::string(R"({"op":"account","account":")") + p + R"(","role":"provider"})");
  }
  lines.push_back(R"({"op":"account","account":"au","role":"auditor"})");
  for (const char* e : enterprises) {
    lines.push_back(std::string(R"({"op":"deposit","account":")") + e + R"(","amount":")" +
                    decimal(20000, 200000, 7) + "\"}");
  }
  return lines;
}

std::string CommandGenerator::decimal(int whole_low, int whole_high, int frac_digits_max) {
  std::string text = std::to_string(whole_low + int(below(uint64_t(whole_high - whole_low + 1))));
  if (frac_digits_max > 0 && chance(300)) {
    const int digits = 1 + int(below(uint64_t(frac_digits_max)));
    text += '.';
    for (int i = 0; i < digits; ++i) text += char('0' + below(10));
  }
  return text;
}

std::string CommandGenerator::next() {
  const uint64_t r = below(1000);
  if (r < 380) return new_order(true);
  if (r < 700) return new_order(false);
  if (r < 800) return cancel_or_amend(false);
  if (r < 910) return cancel_or_amend(true);
  if (r < 940) {
    return std::string(R"({"op":"deposit","account":")") +
           (chance(900) ? pick(enterprises) : pick(providers)) + R"(","amount":")" +
           decimal(1, 5000, 7) + "\"}";
  }
  if (r < 950) {
    return std::string(R"({"op":"account","account":")") +
           (chance(500) ? "n" + std::to_string(below(50)) : std::string(pick(enterprises))) +
           R"(","role":")" + (chance(500) ? "enterprise" : "provider") + "\"}";
  }
  return junk();
}

std::string CommandGenerator::new_order(bool bid) {
  std::string account = bid ? pick(enterprises) : pick(providers);
  if (chance(10)) account = bid ? pick(providers) : pick(enterprises);  // role_mismatch
  if (chance(5)) account = "ghost";
  std::string id;
  if (!placed_.empty() && chance(15)) {
    id = placed_[below(placed_.size())].second;  // a reused id
  } else {
    // Numeric ids take the key table's direct index; leading zeros and huge values do not.
    const uint64_t kind = below(100);
    const std::string number = std::to_string(++next_id_);
    if (kind < 45)
      id = number;
    else if (kind < 48)
      id = "0" + number;
    else if (kind < 52)
      id = std::to_string(1'000'000'000'000'000ULL + below(1'000'000));
    else
      id = "o" + number;
  }
  placed_.emplace_back(account, id);
  std::string chip = chance(600) ? "H100" : "A100";
  if (chance(5)) chip = "B200";
  std::string line = std::string(R"({"op":"new","side":")") + (bid ? "bid" : "ask") +
                     R"(","account":")" + account + R"(","client_order_id":")" + id +
                     R"(","chip":")" + chip + R"(",")" + (bid ? "origin" : "region") + R"(":")" +
                     (chance(5) ? "atlantis" : pick(regions)) + R"(","qty":")" + decimal(1, 30, 3) +
                     R"(","price":")" + decimal(95, 105, 4) + "\"";
  if (chance(5)) line += R"(,"qty":1)";  // repeated key
  if (bid) {
    const char* const ceilings[] = {"",
                                    "",
                                    "",
                                    R"(,"max_latency_ms":2)",
                                    R"(,"max_latency_ms":5)",
                                    R"(,"max_latency_ms":8)",
                                    R"(,"max_latency_ms":10)",
                                    R"(,"max_latency_ms":14)",
                                    R"(,"max_latency_ms":1000)",
                                    R"(,"max_latency_ms":0)"};
    const char* const floors[] = {"",
                                  "",
                                  "",
                                  R"(,"min_green_pct":0)",
                                  R"(,"min_green_pct":30)",
                                  R"(,"min_green_pct":60)",
                                  R"(,"min_green_pct":80)"};
    const char* const urgencies[] = {"", "", R"(,"urgency":"urgent")", R"(,"urgency":"standard")",
                                     R"(,"urgency":"batch")"};
    line += pick(ceilings);
    line += pick(floors);
    line += pick(urgencies);
  } else {
    const char* const greens[] = {"",
                                  R"(,"green_pct":0)",
                                  R"(,"green_pct":25)",
                                  R"(,"green_pct":60)",
                                  R"(,"green_pct":80)",
                                  R"(,"green_pct":100)"};
    line += pick(greens);
  }
  const char* const tifs[] = {
      "", "", "", "", R"(,"tif":"GTC")", R"(,"tif":"IOC")", R"(,"tif":"FOK")", R"(,"tif":"DAY")"};
  line += pick(tifs);
  return line + "}";
}

std::string CommandGenerator::cancel_or_amend(bool amend) {
  std::string account = pick(enterprises);
  std::string id = "o0";
  if (!placed_.empty()) {
    const auto& chosen = placed_[below(placed_.size())];
    account = chosen.first;
    id = chosen.second;
  }
  if (chance(20)) account = pick(providers);
  std::string line = std::string(R"({"op":")") + (amend ? "amend" : "cancel") + R"(","account":")" +
                     account + R"(","client_order_id":")" + id + "\"";
  if (amend) {
    const uint64_t what = below(10);
    if (what < 4 || what == 9) line += R"(,"qty":")" + decimal(1, 30, 3) + "\"";
    if (what >= 3 && what < 9) line += R"(,"price":")" + decimal(95, 105, 4) + "\"";
    if (what == 8) line += R"(,"qty":"0")";
  }
  return line + "}";
}

std::string CommandGenerator::junk() {
  const char* const lines[] = {
      "",
      "   ",
      "{",
      "[]",
      "null",
      "\x01\x02\xff",
      R"({"op":"new"})",
      R"({"op":"cancel"})",
      R"({"op":"amend","account":"e0","client_order_id":"o1"})",
      R"({"op":"new","side":"bid","account":"e0","client_order_id":"j","chip":"H100","qty":"1e2",)"
      R"("price":"100","origin":"beijing"})",
      R"({"op":"new","side":"bid","account":"e0","client_order_id":"j","chip":"H100","qty":"1",)"
      R"("price":"-1","origin":"beijing"})",
      R"({"op":"new","side":"ask","account":"p0","client_order_id":"k","chip":"H100","qty":1.5,)"
      R"("price":"100","region":"beijing"})",
      R"({"op":"deposit","account":"e0","amount":"1.123456789"})",
      R"({"op":"new","side":"bid","account":"e0","client_order_id":"has space","chip":"H100",)"
      R"("qty":"1","price":"1","origin":"beijing"})",
      R"({"op":"new","side":"bid","account":"e0","client_order_id":"x","chip":"H100","qty":"1",)"
      R"("price":"1","origin":"beijing","urgency":"asap"})",
      R"({"op":"cancel","account":"e0","client_order_id":"o1","nested":{"a":[1,{"b":[2,3]}]}})",
      R"({"op":"account","account":"au","role":"root"})"};
  return pick(lines);
}

}  // namespace cpx::test
