// Random command lines for differential tests: valid orders of every kind across chips,
// regions, ceilings and green floors, plus cancels, amends, deposits and invalid input.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/splitmix64.hpp"

namespace cpx::test {

class CommandGenerator {
 public:
  // hourly: streams of docs/delivery.md as well, with ticks, sites (declared, changed, retired,
  // suspended), orders for delivery hours and asks naming their sites.
  explicit CommandGenerator(uint64_t seed, bool hourly = false) : rng_(seed), hourly_(hourly) {}

  // The account set-up every stream starts with.
  std::vector<std::string> preamble();
  std::string next();

 private:
  uint64_t below(uint64_t n) { return rng_.below(n); }
  bool chance(uint64_t per_thousand) { return below(1000) < per_thousand; }
  template <class T, std::size_t N>
  const T& pick(const T (&items)[N]) {
    return items[below(N)];
  }

  std::string new_order(bool bid);
  std::string cancel_or_amend(bool amend);
  std::string junk();
  std::string tick();
  std::string contract_op();
  std::string site_change();
  std::string delivery_fields(bool bid, const std::string& account);
  std::string site_declaration(const std::string& provider, const std::string& site);
  std::string decimal(int whole_low, int whole_high, int frac_digits_max);

  workload::SplitMix64 rng_;
  bool hourly_ = false;
  int64_t now_ms_ = 0;
  uint64_t calls_ = 0;
  uint64_t next_id_ = 0;
  std::vector<std::pair<std::string, std::string>> placed_;  // (account, client_order_id)
};

}  // namespace cpx::test
