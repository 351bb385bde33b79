// Delivery hours, the clock and providers' sites (docs/delivery.md): the matcher's part of them
// that plain markets never reach.
#include <algorithm>

#include "cpx/engine/engine.hpp"

namespace cpx {
namespace {

// Hourly markets get smaller reservations than a chip's plain book: there are many of them.
constexpr uint32_t hourly_orders_max = 1u << 22;
constexpr uint32_t hourly_levels_max = 1u << 20;
constexpr std::size_t books_max = UINT16_MAX;

}  // namespace

uint32_t Engine::find_hourly_book(uint16_t chip, int64_t delivery_ms) const {
  const auto found = hourly_books_.find({delivery_ms / hour_ms, chip});
  return found == hourly_books_.end() ? index_none : found->second;
}

std::optional<uint32_t> Engine::find_site(std::string_view id) const {
  const auto found = site_by_id_.find(id);
  if (found == site_by_id_.end()) return std::nullopt;
  return found->second;
}

Reason Engine::place_hourly(const Command& command, uint32_t account, Placement& place) const {
  // The hour: the order's delivery, or the current hour for an order without one.
  if (now_ms_ < 0) return Reason::delivery_not_open;
  const int64_t current = now_ms_ / hour_ms;
  const int64_t hour = command.delivery_ms != 0 ? command.delivery_ms / hour_ms : current;
  if (hour < current) return Reason::delivery_closed;
  if (hour > current + config_.delivery_horizon_h) return Reason::delivery_not_open;
  place.hour = hour;
  if (command.side == Side::ask) {
    const auto found = site_by_id_.find(command.site);
    if (command.site.empty() || found == site_by_id_.end()) return Reason::unknown_site;
    const Site& site = sites_[found->second];
    if (site.account != account) return Reason::unknown_site;
    if (site.status != SiteStatus::active) return Reason::site_inactive;
    if ((command.has_chip && command.chip != site.chip) ||
        (command.has_region && command.region != site.region) ||
        (command.has_green && command.green_pct != site.green_at(hour))) {
      return Reason::site_mismatch;
    }
    place.site = found->second;
    place.chip = site.chip;
    place.region = site.region;
    place.green_pct = site.green_at(hour);
  }
  const auto book = hourly_books_.find({hour, place.chip});
  if (book != hourly_books_.end()) {
    place.book = book->second;
  } else {
    if (free_books_.empty() && books_.size() >= books_max) return Reason::delivery_not_open;
    place.book_exists = false;
  }
  return Reason::none;
}

uint16_t Engine::open_hourly_book(uint16_t chip, int64_t hour) {
  uint16_t book;
  if (!free_books_.empty()) {
    book = free_books_.back();
    free_books_.pop_back();
  } else {
    book = uint16_t(books_.size());
    books_.emplace_back(config_, latency_values_, hourly_orders_max, hourly_levels_max);
    markets_.emplace_back();
  }
  CPX_ASSERT(books_[book].resting_count() == 0);
  markets_[book] = Market{chip, hour * hour_ms, true};
  hourly_books_.emplace(std::pair(hour, chip), book);
  return book;
}

std::vector<uint32_t> Engine::site_asks(uint32_t site, int64_t hour) const {
  std::vector<std::pair<uint64_t, uint32_t>> asks;  // (time, key)
  const auto book = hourly_books_.find({hour, sites_[site].chip});
  if (book == hourly_books_.end()) return {};
  books_[book->second].for_each_order([&](const Order& order) {
    if (order.side == Side::ask && keys_[order.key].site == site) {
      asks.emplace_back(order.time, order.key);
    }
  });
  std::sort(asks.begin(), asks.end(), std::greater<>());
  std::vector<uint32_t> keys;
  for (const auto& ask : asks) keys.push_back(ask.second);
  return keys;
}

Reason Engine::execute_tick(const Command& command, uint64_t seq, EventList& events) {
  if (command.field_reason != Reason::none) return command.field_reason;
  if (command.time_ms < now_ms_) return Reason::bad_time;
  const int64_t before = now_ms_ < 0 ? INT64_MIN : now_ms_ / hour_ms;
  now_ms_ = command.time_ms;
  push_event(events, EventType::ok, seq, 0);
  if (now_ms_ / hour_ms != before) close_hours_before(now_ms_ / hour_ms, seq, events);
  return Reason::none;
}

void Engine::close_hours_before(int64_t hour, uint64_t seq, EventList& events) {
  // Each closed market's resting orders expire in time order; markets by hour, then chip.
  while (!hourly_books_.empty() && hourly_books_.begin()->first.first < hour) {
    const uint16_t book = hourly_books_.begin()->second;
    std::vector<std::pair<uint64_t, uint32_t>> resting;
    books_[book].for_each_order(
        [&](const Order& order) { resting.emplace_back(order.time, order.key); });
    std::sort(resting.begin(), resting.end());
    for (const auto& order : resting) end_resting(order.second, DoneReason::expired, seq, events);
    markets_[book].live = false;
    free_books_.push_back(book);
    hourly_books_.erase(hourly_books_.begin());
  }
  for (Site& site : sites_) {
    while (!site.hours.empty() && site.hours.begin()->first < hour) {
      site.hours.erase(site.hours.begin());
    }
  }
}

Reason Engine::execute_site(const Command& command, uint64_t seq, EventList& events) {
  const uint32_t account = resolve_account(command);
  if (account == index_none) return Reason::unknown_account;
  const Role role = accounts_[account].role;
  if (role != Role::provider && role != Role::operator_) return Reason::role_mismatch;
  if (command.field_reason != Reason::none) return command.field_reason;
  const auto found = site_by_id_.find(command.site);
  if (role == Role::operator_) {
    // Operators suspend and resume sites; they declare nothing.
    if (!command.has_site_status || command.site_status == SiteStatus::retired) {
      return Reason::role_mismatch;
    }
    if (found == site_by_id_.end()) return Reason::unknown_site;
    Site& site = sites_[found->second];
    if (site.status == SiteStatus::retired) return Reason::site_inactive;
    site.status = command.site_status;
    push_event(events, EventType::ok, seq, 0);
    if (site.status == SiteStatus::suspended) {
      for (const auto& [hour, use] : std::map(site.hours)) {
        std::vector<uint32_t> asks = site_asks(found->second, hour);
        std::reverse(asks.begin(), asks.end());
        for (uint32_t key : asks) end_resting(key, DoneReason::canceled, seq, events);
      }
    }
    return Reason::none;
  }
  if (found != site_by_id_.end()) {
    if (sites_[found->second].account != account) return Reason::duplicate_site;
    return change_site(sites_[found->second], found->second, command, seq, events);
  }
  // A new site: chip, region and capacity are required, and it starts active.
  if (!command.has_chip || !command.has_region || !command.has_qty) return Reason::bad_request;
  if (command.has_site_status && command.site_status != SiteStatus::active) {
    return Reason::site_inactive;
  }
  Site site;
  site.id = std::string(command.site);
  site.account = account;
  site.chip = command.chip;
  site.region = command.region;
  site.green_pct = command.green_pct;
  site.has_green_profile = command.has_green_profile;
  std::copy(std::begin(command.green_profile), std::end(command.green_profile), site.green_profile);
  site.capacity_milli = command.qty_milli;
  site_by_id_.emplace(site.id, uint32_t(sites_.size()));
  sites_.push_back(std::move(site));
  push_event(events, EventType::ok, seq, 0);
  return Reason::none;
}

Reason Engine::change_site(Site& site, uint32_t index, const Command& command, uint64_t seq,
                           EventList& events) {
  if (site.status == SiteStatus::retired) return Reason::site_inactive;
  if (command.has_site_status && command.site_status == SiteStatus::suspended) {
    return Reason::role_mismatch;  // only an operator suspends
  }
  if ((command.has_chip && command.chip != site.chip) ||
      (command.has_region && command.region != site.region)) {
    return Reason::site_mismatch;
  }
  const bool retire = command.has_site_status && command.site_status == SiteStatus::retired;
  if (!retire && site.status == SiteStatus::suspended) return Reason::site_inactive;
  if (command.has_qty) {
    for (const auto& [hour, use] : site.hours) {
      if (use.sold_milli > command.qty_milli) return Reason::below_sold;
    }
  }
  push_event(events, EventType::ok, seq, 0);
  if (command.has_green) site.green_pct = command.green_pct;
  if (command.has_green_profile) {
    site.has_green_profile = true;
    std::copy(std::begin(command.green_profile), std::end(command.green_profile),
              site.green_profile);
  }
  const std::map<int64_t, Site::Hour> hours = site.hours;
  if (retire) {
    site.status = SiteStatus::retired;
    for (const auto& [hour, use] : hours) {
      std::vector<uint32_t> asks = site_asks(index, hour);
      std::reverse(asks.begin(), asks.end());
      for (uint32_t key : asks) end_resting(key, DoneReason::canceled, seq, events);
    }
    return Reason::none;
  }
  if (!command.has_qty) return Reason::none;
  site.capacity_milli = command.qty_milli;
  // Above the new capacity: the youngest asks of the hour give way first, each told.
  for (const auto& [hour, use] : hours) {
    int64_t excess = use.committed_milli - site.capacity_milli;
    for (uint32_t key : site_asks(index, hour)) {
      if (excess <= 0) break;
      const OrderKey& record = keys_[key];
      Book& book = books_[record.book];
      const Order& order = book.order(record.slot);
      if (order.qty_milli <= excess) {
        excess -= order.qty_milli;
        end_resting(key, DoneReason::canceled, seq, events);
        continue;
      }
      const int64_t qty = order.qty_milli - excess;
      Event& amended = push_event(events, EventType::amended, seq, key);
      amended.qty_milli = qty;
      amended.price_ticks = order.price_ticks;
      add_committed(index, hour, -excess);
      book.reduce(record.slot, qty);
      excess = 0;
    }
  }
  return Reason::none;
}

bool Engine::check_sites(std::string& why) const {
  const std::size_t why_size = why.size();
  std::map<std::pair<uint32_t, int64_t>, int64_t> open;  // (site, hour) -> open asks
  for (const auto& [market, book] : hourly_books_) {
    books_[book].for_each_order([&](const Order& order) {
      const uint32_t site = keys_[order.key].site;
      if (order.side == Side::ask && site != index_none) {
        open[{site, market.first}] += order.qty_milli;
      }
    });
  }
  for (uint32_t s = 0; s < sites_.size(); ++s) {
    const Site& site = sites_[s];
    for (const auto& [hour, use] : site.hours) {
      const auto offered = open.find({s, hour});
      const int64_t asks = offered == open.end() ? 0 : offered->second;
      if (use.committed_milli != use.sold_milli + asks) {
        why += "site " + site.id + " hour " + std::to_string(hour) +
               ": committed is not sold + open asks\n";
      }
      if (use.committed_milli > site.capacity_milli) {
        why += "site " + site.id + " hour " + std::to_string(hour) + " is oversold\n";
      }
      if (site.status != SiteStatus::active && asks != 0) {
        why += "site " + site.id + " is not active but has open asks\n";
      }
    }
  }
  for (const auto& [pair, asks] : open) {
    if (!sites_[pair.first].hours.count(pair.second)) why += "open asks of an unknown hour\n";
  }
  return why.size() == why_size;
}

}  // namespace cpx
