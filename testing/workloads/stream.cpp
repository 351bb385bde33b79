#include "stream.hpp"

#include <algorithm>
#include <unordered_map>

#include "cpx/base/decimal.hpp"
#include "splitmix64.hpp"

namespace cpx::workload {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int128 funding_e7 = int128(1'000'000'000) * 10'000'000;  // 1e9 CNY

}  // namespace

Command account_command(Stream& stream, std::string name, Role role) {
  Command command;
  command.op = Op::account;
  command.role = role;
  stream.account_names.push_back(name);
  command.account = stream.hold(std::move(name));
  return command;
}

Command deposit_command(Stream& stream, std::string name, int128 amount_e7) {
  Command command;
  command.op = Op::deposit;
  command.account = stream.hold(std::move(name));
  command.amount_e7 = amount_e7;
  return command;
}

Stream lobwl1_stream(const Config& config, const std::vector<LobOp>& ops) {
  Stream stream;
  stream.setup.push_back(account_command(stream, "lob-buyer", Role::enterprise));
  stream.setup.push_back(account_command(stream, "lob-seller", Role::provider));
  // Enough that nothing is refused: every bid's hold is at most 1e5 ticks * 100 milli.
  for (int i = 0; i < 10; ++i)
    stream.setup.push_back(deposit_command(stream, "lob-buyer", funding_e7 * 1000));
  const uint16_t region = uint16_t(config.find_region("beijing").value_or(0));
  std::unordered_map<uint64_t, bool> buyer_of;
  buyer_of.reserve(ops.size());
  stream.commands.reserve(ops.size());
  for (const LobOp& op : ops) {
    Command command;
    command.set_client_order_id(stream.hold(std::to_string(op.id)));
    if (op.cancel) {
      auto it = buyer_of.find(op.id);
      command.op = Op::cancel;
      command.account_index = it != buyer_of.end() && !it->second ? 1 : 0;
    } else {
      buyer_of.emplace(op.id, op.buy);
      command.op = Op::new_order;
      command.side = op.buy ? Side::bid : Side::ask;
      command.account_index = op.buy ? 0 : 1;
      command.chip = 0;
      command.region = region;
      command.qty_milli = op.qty;
      command.price_ticks = op.price_ticks;
      command.has_qty = command.has_price = true;
    }
    stream.commands.push_back(command);
  }
  return stream;
}

namespace {

struct NationalBuilder {
  static constexpr uint32_t enterprises = 48;
  static constexpr uint32_t providers = 32;
  static constexpr uint64_t target_live = 16000;

  NationalBuilder(const Config& config_in, uint64_t seed, bool hourly_in)
      : config(config_in), rng(seed), engine(Config(config_in)), hourly(hourly_in) {}

  // 2026-12-03T00:00Z.
  static constexpr int64_t start_ms = 1'796'256'000'000;

  void set_up_hours() {
    for (uint32_t p = 0; p < providers; ++p) {
      Command collateral = deposit_command(stream, "prov-" + std::to_string(p), funding_e7);
      collateral.op = Op::collateral;
      stream.setup.push_back(collateral);
      for (uint16_t chip = 0; chip < config.chips.size(); ++chip) {
        Command site;
        site.op = Op::site;
        site.account = stream.hold("prov-" + std::to_string(p));
        site.site = stream.hold("s-" + std::to_string(p) + "-" + std::to_string(chip));
        site.chip = chip;
        site.region = uint16_t(p % config.regions.size());
        site.has_chip = site.has_region = site.has_qty = true;
        site.qty_milli = 2'000'000;  // 2,000 PFLOPS: an hour's open asks sometimes reach it
        site.green_pct = uint8_t(20 * ((p * 7) % 5));
        site.has_green = true;
        if (p % 4 == 0) {  // western sun: green at midday
          site.has_green_profile = true;
          for (int h = 0; h < hours_per_day; ++h) {
            site.green_profile[h] = uint8_t(h >= 8 && h < 17 ? 90 : site.green_pct);
          }
        }
        site_ids.push_back(site.site);
        stream.setup.push_back(site);
      }
    }
    Command tick;
    tick.op = Op::tick;
    tick.time_ms = now_ms = start_ms;
    stream.setup.push_back(tick);
  }

  int64_t delivery() { return start_ms + int64_t(rng.below(24)) * hour_ms; }

  struct Live {
    uint32_t account;
    std::string_view client_order_id;
    Side side;
  };

  void set_up() {
    for (uint32_t i = 0; i < enterprises; ++i) {
      stream.setup.push_back(account_command(stream, "ent-" + std::to_string(i), Role::enterprise));
    }
    for (uint32_t i = 0; i < providers; ++i) {
      stream.setup.push_back(account_command(stream, "prov-" + std::to_string(i), Role::provider));
    }
    for (uint32_t i = 0; i < enterprises; ++i) {
      stream.setup.push_back(deposit_command(stream, "ent-" + std::to_string(i), funding_e7));
    }
    if (hourly) set_up_hours();
    for (const Command& command : stream.setup) execute(command);
    for (const RegionInfo& region : config.regions) {
      demand.push_back(region.json.find("\"demand\"") != std::string::npos);
    }
  }

  void execute(const Command& command) {
    events.clear();
    engine.execute(command, events);
    for (const Event& event : events) {
      if (event.type == EventType::accepted) {
        if (command.side == Side::ask) ask_chip[event.order_key] = command.chip;
        position[event.order_key] = live.size();
        live.push_back(event.order_key);
      } else if (event.type == EventType::done) {
        auto it = position.find(event.order_key);
        live[it->second] = live.back();
        position[live.back()] = it->second;
        live.pop_back();
        position.erase(it);
        ask_chip.erase(event.order_key);
      }
    }
  }

  int64_t mid(uint16_t chip) const { return 200000 + int64_t(chip) * 25000; }

  Command bid() {
    Command c;
    c.op = Op::new_order;
    c.side = Side::bid;
    c.account_index = uint32_t(rng.below(enterprises));
    c.set_client_order_id(stream.hold(std::to_string(++next_id[c.account_index])));
    c.chip = uint16_t(rng.below(config.chips.size()));
    // Seven in ten bids come from the demand cities.
    uint16_t origin;
    do {
      origin = uint16_t(rng.below(config.regions.size()));
    } while (demand[origin] != (rng.below(10) < 7) && rng.below(4) != 0);
    c.region = origin;
    const uint16_t ceilings[] = {5, 10, 15, 20, 0};
    const uint16_t ceiling = ceilings[rng.below(5)];
    c.has_latency_max = ceiling != 0;
    c.latency_ms_max = ceiling;
    if (rng.below(5) == 0) c.green_pct = uint8_t(30 + 20 * rng.below(3));
    c.urgency = Urgency(rng.below(3));
    if (hourly) c.delivery_ms = delivery();
    const uint64_t tif = rng.below(20);
    c.tif = tif < 16 ? Tif::gtc : tif < 19 ? Tif::ioc : Tif::fok;
    const bool aggressive = rng.below(1000) < 600;
    const int64_t offset = aggressive ? int64_t(rng.below(9)) : 1 + int64_t(rng.below(50));
    c.price_ticks = mid(c.chip) + (aggressive ? offset : -offset);
    c.qty_milli = 100 * (1 + int64_t(rng.below(1000)));
    c.has_qty = c.has_price = true;
    return c;
  }

  Command ask() {
    Command c;
    c.op = Op::new_order;
    c.side = Side::ask;
    const uint32_t provider = uint32_t(rng.below(providers));
    c.account_index = enterprises + provider;
    c.set_client_order_id(stream.hold(std::to_string(++next_id[c.account_index])));
    c.chip = uint16_t(rng.below(config.chips.size()));
    c.region = uint16_t(provider % config.regions.size());
    c.green_pct = uint8_t(20 * ((provider * 7) % 5));
    if (hourly) {  // the site gives chip, region and green share
      c.site = site_ids[provider * config.chips.size() + c.chip];
      c.delivery_ms = delivery();
    }
    const bool aggressive = rng.below(1000) < 600;
    const int64_t offset = aggressive ? int64_t(rng.below(9)) : 1 + int64_t(rng.below(50));
    c.price_ticks = mid(c.chip) + (aggressive ? -offset : offset);
    c.qty_milli = 100 * (1 + int64_t(rng.below(1000)));
    c.has_qty = c.has_price = true;
    return c;
  }

  Command on_live(bool amend) {
    uint32_t key = live[rng.below(live.size())];
    // Providers amend their asks: look for one a few times, else cancel what was drawn.
    for (int tries = 0; amend && !ask_chip.contains(key); ++tries) {
      if (tries == 4) {
        amend = false;
        break;
      }
      key = live[rng.below(live.size())];
    }
    Command c;
    c.op = amend ? Op::amend : Op::cancel;
    c.account_index = uint32_t(*engine.find_account(engine.key_account_name(key)));
    c.set_client_order_id(stream.hold(std::string(engine.key_client_order_id(key).view())));
    if (amend) {
      // Half keep priority (smaller), half re-price by a few ticks.
      if (rng.below(2) == 0) {
        c.has_qty = true;
        c.qty_milli = 100;
      } else {
        c.has_price = true;
        c.price_ticks = mid(ask_chip[key]) + int64_t(rng.below(17)) - 8;
      }
    }
    return c;
  }

  Command next() {
    if (hourly && ++since_tick == 10'000) {
      since_tick = 0;
      Command tick;
      tick.op = Op::tick;
      tick.time_ms = now_ms += 60'000;
      return tick;
    }
    const uint64_t threshold = std::min<uint64_t>(900, 300 * live.size() / target_live);
    if (!live.empty() && rng.below(1000) < threshold) return on_live(false);
    const uint64_t u = rng.below(100);
    if (u < 50) return bid();
    if (u < 83 || live.empty()) return ask();
    return on_live(rng.below(2) == 0);
  }

  const Config& config;
  SplitMix64 rng;
  Engine engine;
  bool hourly = false;
  int64_t now_ms = 0;
  uint64_t since_tick = 0;
  std::vector<std::string_view> site_ids;  // by provider * chips + chip
  Stream stream;
  EventList events;
  std::vector<uint32_t> live;
  std::unordered_map<uint32_t, std::size_t> position;
  std::unordered_map<uint32_t, uint16_t> ask_chip;  // live asks and their chip
  std::vector<bool> demand;
  // Each account numbers its own orders 1, 2, 3, ... as exchange clients do.
  std::vector<uint64_t> next_id = std::vector<uint64_t>(enterprises + providers, 0);
};

}  // namespace

Stream national_stream(const Config& config, uint64_t commands, uint64_t seed, bool hourly) {
  NationalBuilder builder(config, seed, hourly);
  builder.set_up();
  builder.stream.commands.reserve(commands);
  for (uint64_t i = 0; i < commands; ++i) {
    Command command = builder.next();
    builder.execute(command);
    builder.stream.commands.push_back(command);
  }
  return std::move(builder.stream);
}

namespace {

void append_command_json(std::string& out, const Config& config, const Stream& stream,
                         const Command& c) {
  const std::string_view account =
      c.account_index == account_unresolved ? c.account : stream.account_names[c.account_index];
  auto field = [&](std::string_view name, std::string_view value) {
    out += ",\"";
    out += name;
    out += "\":\"";
    out += value;
    out += '"';
  };
  out += "{\"op\":\"";
  out += to_string(c.op);
  out += '"';
  field("account", account);
  if (c.op == Op::account) field("role", to_string(c.role));
  if (c.op == Op::deposit) field("amount", format_decimal(c.amount_e7, amount_frac_digits));
  if (c.op == Op::new_order || c.op == Op::cancel || c.op == Op::amend) {
    field("client_order_id", c.client_order_id);
  }
  if (c.op == Op::new_order) {
    field("side", to_string(c.side));
    field("chip", config.chips[c.chip].id);
    field(c.side == Side::bid ? "origin" : "region", config.regions[c.region].id);
    if (c.side == Side::bid && c.has_latency_max) {
      out += ",\"max_latency_ms\":" + std::to_string(c.latency_ms_max);
    }
    if (c.green_pct != 0) {
      out += std::string(c.side == Side::bid ? ",\"min_green_pct\":" : ",\"green_pct\":") +
             std::to_string(c.green_pct);
    }
    if (c.tif != Tif::gtc) field("tif", to_string(c.tif));
    if (c.side == Side::bid && c.urgency != Urgency::standard)
      field("urgency", to_string(c.urgency));
  }
  if (c.has_qty) field("qty", format_decimal(c.qty_milli, qty_frac_digits));
  if (c.has_price) field("price", format_decimal(c.price_ticks, price_frac_digits));
  out += "}\n";
}

}  // namespace

std::string stream_json(const Config& config, const Stream& stream) {
  std::string out;
  out.reserve((stream.setup.size() + stream.commands.size()) * 200);
  for (const Command& command : stream.setup) append_command_json(out, config, stream, command);
  for (const Command& command : stream.commands) append_command_json(out, config, stream, command);
  return out;
}

RunTotals run_stream(const Config& config, const Stream& stream, Run mode, bool check_invariants) {
  EngineLimits limits;
  limits.order_keys_initial =
      uint32_t(std::min<std::size_t>(stream.commands.size() + 1024, 1u << 26));
  Engine engine(Config(config), limits);
  EventList events;
  events.reserve(4096);
  for (const Command& command : stream.setup) {
    events.clear();
    engine.execute(command, events);
  }
  RunTotals totals;
  totals.commands = stream.commands.size();
  if (mode == Run::timed_each) totals.latencies_ns.resize(stream.commands.size());
  auto account = [&](const Event& event) {
    switch (event.type) {
      case EventType::trade:
        ++totals.fills;
        totals.volume += uint64_t(event.qty_milli);
        totals.notional += int128(event.price_ticks) * event.qty_milli;
        break;
      case EventType::rejected:
        ++totals.rejected;
        break;
      default:
        break;
    }
  };
  std::string why;
  const auto start = Clock::now();
  if (mode == Run::throughput) {
    for (const Command& command : stream.commands) {
      events.clear();
      engine.execute(command, events);
      totals.events += events.size();
    }
    totals.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (check_invariants) CPX_ASSERT(engine.check_invariants(why));
    return totals;
  }
  for (std::size_t i = 0; i < stream.commands.size(); ++i) {
    events.clear();
    if (mode == Run::timed_each) {
      const auto before = Clock::now();
      engine.execute(stream.commands[i], events);
      const auto after = Clock::now();
      totals.latencies_ns[i] = uint32_t(std::min<int64_t>(
          UINT32_MAX,
          std::chrono::duration_cast<std::chrono::nanoseconds>(after - before).count()));
    } else {
      engine.execute(stream.commands[i], events);
    }
    totals.events += events.size();
    for (const Event& event : events) account(event);
    if (check_invariants) CPX_ASSERT(engine.check_invariants(why));
  }
  totals.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return totals;
}

}  // namespace cpx::workload
