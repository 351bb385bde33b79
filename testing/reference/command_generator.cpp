#include "command_generator.hpp"

namespace cpx::test {
namespace {

const char* const enterprises[] = {"e0", "e1", "e2", "e3"};
const char* const providers[] = {"p0", "p1", "p2", "p3"};
const char* const regions[] = {"zhangjiakou", "wuhu",      "yrd-demo-zone", "shaoguan",
                               "tianfu",      "chongqing", "horinger",      "guian",
                               "qingyang",    "zhongwei",  "beijing",       "shanghai",
                               "shenzhen",    "hangzhou",  "wuhan",         "jingzhou"};

const char* const chips[] = {"H100", "A100"};
// 2026-12-03T00:00Z, where hourly streams start.
constexpr int64_t start_ms = 1'796'256'000'000;
constexpr int64_t hour = 3'600'000;

}  // namespace

std::string CommandGenerator::site_declaration(const std::string& provider,
                                               const std::string& site) {
  std::string line = std::string(R"({"op":"site","account":")") + provider + R"(","site":")" +
                     site + R"(","chip":")" + pick(chips) + R"(","region":")" + pick(regions) +
                     R"(","capacity_pflops":")" + decimal(40, 200, 3) + R"(","green_pct":)" +
                     std::to_string(below(5) * 25);
  if (chance(300)) {
    line += R"(,"green_profile":[)";
    for (int h = 0; h < 24; ++h) {
      if (h > 0) line += ',';
      line += std::to_string(below(3) * 40);
    }
    line += "]";
  }
  return line + "}";
}

std::string CommandGenerator::tick() {
  const uint64_t r = below(100);
  if (r < 3) return R"({"op":"tick","time_ms":)" + std::to_string(now_ms_ - 1) + "}";  // back
  if (r < 5) return R"({"op":"tick","time_ms":"soon"})";
  now_ms_ += int64_t(below(r < 60 ? 20 : 90)) * 60'000;
  return R"({"op":"tick","time_ms":)" + std::to_string(now_ms_) + "}";
}

std::string CommandGenerator::site_change() {
  const std::string provider = pick(providers);
  const std::string site = std::string(pick(providers)) + "-s" + std::to_string(below(3));
  const uint64_t r = below(100);
  if (r < 8) {
    return std::string(R"({"op":"site","account":"op","site":")") + site + R"(","status":")" +
           (chance(500) ? "suspended" : "active") + "\"}";
  }
  if (r < 9) {
    return R"({"op":"site","account":")" + provider + R"(","site":")" + site +
           R"(","status":"retired"})";
  }
  if (r < 25) return site_declaration(provider, site);
  std::string line = R"({"op":"site","account":")" + provider + R"(","site":")" + site + "\"";
  if (chance(800)) line += R"(,"capacity_pflops":")" + decimal(1, 200, 3) + "\"";
  if (chance(150)) line += R"(,"green_pct":)" + std::to_string(below(5) * 25);
  if (chance(50)) line += R"(,"chip":"B200")";
  if (chance(30)) line += R"(,"capacity_pflops":"-3")";
  return line + "}";
}

// An hourly order's delivery (often none: the current hour once the clock runs) and, for an
// ask, its site; now and then wrong.
std::string CommandGenerator::delivery_fields(bool bid, const std::string& account) {
  std::string line;
  const uint64_t r = below(100);
  const int64_t current = now_ms_ / hour * hour;
  if (r < 60) {
    line += R"(,"delivery":)" + std::to_string(current + int64_t(below(4)) * hour);
  } else if (r < 70) {
    const int64_t day_hour = (current / hour + int64_t(below(3))) % 24;
    line += R"(,"delivery":"2026-12-0)" + std::to_string(3 + (current - start_ms) / (24 * hour)) +
            "T" + (day_hour < 10 ? "0" : "") + std::to_string(day_hour) + R"(:00Z")";
  } else if (r < 73) {
    line += R"(,"delivery":)" + std::to_string(current - hour);  // closed
  } else if (r < 75) {
    line += R"(,"delivery":)" + std::to_string(current + 200 * hour);  // not open
  } else if (r < 77) {
    line += R"(,"delivery":)" + std::to_string(current + 1);  // not an hour
  }
  if (!bid && !chance(30)) {
    // Mostly one of its own sites (the third is declared only by site commands).
    const std::string owner = chance(100) ? std::string(pick(providers)) : account;
    line += R"(,"site":")" + owner + "-s" + std::to_string(below(3)) + "\"";
  }
  return line;
}

// A delivery report, a dispute, a resolution or collateral, for trade ids that mostly exist.
std::string CommandGenerator::contract_op() {
  // Trades come at about one per fourteen commands: mostly ids of the last few hundred.
  const uint64_t recent = calls_ / 14;
  const uint64_t id = recent > 300 && chance(800) ? recent - below(300) : 1 + below(recent + 5);
  const std::string trade = std::to_string(id);
  const uint64_t r = below(100);
  if (r < 50) {
    return std::string(R"({"op":"delivery","account":")") + pick(providers) + R"(","trade_id":)" +
           trade + R"(,"qty":")" + decimal(0, 4, 3) + "\"}";
  }
  if (r < 70) {
    return std::string(R"({"op":"dispute","account":")") + pick(enterprises) + R"(","trade_id":)" +
           trade + "}";
  }
  if (r < 85) {
    return R"({"op":"resolve","account":"op","trade_id":)" + trade + R"(,"qty":")" +
           decimal(0, 8, 3) + "\"}";
  }
  if (r < 90) return R"({"op":"delivery","account":"p0","trade_id":0,"qty":"1"})";
  return std::string(R"({"op":"collateral","account":")") + pick(providers) + R"(","amount":")" +
         decimal(1, 400, 7) + "\"}";
}

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
  if (hourly_) {
    lines.push_back(R"({"op":"account","account":"op","role":"operator"})");
    for (const char* p : providers) {
      lines.push_back(std::string(R"({"op":"collateral","account":")") + p + R"(","amount":")" +
                      decimal(20000, 90000, 7) + "\"}");
    }
    for (const char* p : providers) {
      for (int s = 0; s < 2; ++s) {
        lines.push_back(site_declaration(p, std::string(p) + "-s" + std::to_string(s)));
      }
    }
    now_ms_ = start_ms + int64_t(below(60)) * 60'000;
    lines.push_back(R"({"op":"tick","time_ms":)" + std::to_string(now_ms_) + "}");
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
  ++calls_;
  if (hourly_) {
    const uint64_t h = below(1000);
    if (h < 4) return tick();
    if (h < 14) return site_change();
    if (h < 80) return contract_op();
  }
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
                     R"(","account":")" + account + R"(","client_order_id":")" + id + "\"";
  // An hourly ask mostly leaves chip and region to its site.
  const bool placed = !hourly_ || bid || chance(100);
  if (placed) {
    line += R"(,"chip":")" + chip + R"(",")" + (bid ? "origin" : "region") + R"(":")" +
            (chance(5) ? "atlantis" : pick(regions)) + "\"";
  }
  line += R"(,"qty":")" + decimal(1, 30, 3) + R"(","price":")" + decimal(95, 105, 4) + "\"";
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
    if (!hourly_ || chance(100)) line += pick(greens);
  }
  if (hourly_) line += delivery_fields(bid, account);
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
