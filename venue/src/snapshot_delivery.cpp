// The delivery part of the venue's state (docs/delivery.md, docs/durability.md): the clock, the
// sites with their open hours' use, and the contracts, in the state hash and in snapshots.
#include "cpx/base/decimal.hpp"
#include "cpx/venue/venue.hpp"

namespace cpx::venue {

void Venue::hash_delivery(std::string& text) const {
  // Nothing for a venue whose clock never ran and that has no site: the text of matching.md's
  // markets stays as it was.
  if (engine_.now_ms() < 0 && engine_.sites().empty()) return;
  text += "clock " + std::to_string(engine_.now_ms()) + " escrow ";
  append_int128(text, engine_.escrow_e7());
  text += "\n";
  for (const Site& site : engine_.sites()) {
    text += "s " + site.id + " " + std::to_string(site.account) + " " + std::to_string(site.chip) +
            " " + std::to_string(site.region) + " " + std::to_string(unsigned(site.status)) + " " +
            std::to_string(site.capacity_milli) + " " + std::to_string(site.green_pct);
    if (site.has_green_profile) {
      for (const uint8_t share : site.green_profile) text += " " + std::to_string(share);
    }
    text += "\n";
    for (const auto& [hour, use] : site.hours.sorted()) {
      text += "h " + std::to_string(hour) + " " + std::to_string(use.sold_milli) + " " +
              std::to_string(use.committed_milli) + "\n";
    }
  }
  for (const Contract& c : engine_.contracts()) {
    text += "c " + std::to_string(c.trade_id) + " " + std::to_string(c.buyer) + " " +
            std::to_string(c.seller) + " " + std::to_string(c.site) + " " +
            std::to_string(unsigned(c.status)) + " " + std::to_string(c.hour) + " " +
            std::to_string(c.qty_milli) + " " + std::to_string(c.price_ticks) + " " +
            std::to_string(c.ask_price_ticks) + " " + std::to_string(c.delivered_milli) + " " +
            std::to_string(c.reported_ms) + " ";
    append_int128(text, c.paid_e7);
    text += " ";
    append_int128(text, c.refunded_e7);
    text += " ";
    append_int128(text, c.penalty_e7);
    text += "\n";
  }
}

void Venue::save_delivery(journal::SnapshotWriter& out) const {
  out.i64(engine_.now_ms());
  out.u64(engine_.sites().size());
  for (const Site& site : engine_.sites()) {
    out.text(site.id);
    out.u32(site.account);
    out.u16(site.chip);
    out.u16(site.region);
    out.u8(uint8_t(site.status));
    out.u8(site.has_green_profile ? 1 : 0);
    out.u8(site.green_pct);
    out.bytes(site.green_profile, sizeof site.green_profile);
    out.i64(site.capacity_milli);
    const auto hours = site.hours.sorted();
    out.u64(hours.size());
    for (const auto& [hour, use] : hours) {
      out.i64(hour);
      out.i64(use.sold_milli);
      out.i64(use.committed_milli);
    }
  }
  static_assert(std::is_trivially_copyable_v<Contract>);
  out.u32(sizeof(Contract));
  out.u64(engine_.contracts().size());
  out.bytes(engine_.contracts().data(), engine_.contracts().size() * sizeof(Contract));
}

void Venue::load_delivery(journal::SnapshotReader& in) {
  const Config& config = engine_.config();
  const std::size_t account_count = accounts_.size();
  engine_.restore_clock(in.i64());
  const uint64_t site_count = in.count(4 + 4 + 2 + 2 + 3 + hours_per_day + 8 + 8);
  for (uint64_t i = 0; i < site_count; ++i) {
    Site site;
    site.id = in.text();
    site.account = in.u32();
    site.chip = in.u16();
    site.region = in.u16();
    const uint8_t status = in.u8();
    site.has_green_profile = in.u8() != 0;
    site.green_pct = in.u8();
    in.bytes(site.green_profile, sizeof site.green_profile);
    site.capacity_milli = in.i64();
    std::vector<std::pair<int64_t, Site::Hour>> hours(in.count(24));
    for (auto& [hour, use] : hours) {
      hour = in.i64();
      use.sold_milli = in.i64();
      use.committed_milli = in.i64();
    }
    if (!is_valid_id(site.id) || engine_.find_site(site.id) || site.account >= account_count ||
        site.chip >= config.chips.size() || site.region >= config.regions.size() ||
        status > uint8_t(SiteStatus::suspended) ||
        hours.size() > std::size_t(config.delivery_horizon_h) + 1) {
      in.fail("a bad site");
    }
    site.status = SiteStatus(status);
    engine_.restore_site(std::move(site), hours);
  }
  if (in.u32() != sizeof(Contract)) in.fail("a snapshot written with another contract layout");
  const uint64_t contract_count = in.count(sizeof(Contract));
  uint64_t last_trade = 0;
  for (uint64_t i = 0; i < contract_count; ++i) {
    Contract contract;
    in.bytes(&contract, sizeof contract);
    if (contract.trade_id <= last_trade || contract.buyer >= account_count ||
        contract.seller >= account_count || contract.site >= engine_.sites().size() ||
        uint8_t(contract.status) > uint8_t(ContractStatus::settled)) {
      in.fail("a bad contract");
    }
    last_trade = contract.trade_id;
    engine_.restore_contract(contract);
    accounts_[contract.buyer].contracts.push_back(uint32_t(i));
    if (contract.seller != contract.buyer)
      accounts_[contract.seller].contracts.push_back(uint32_t(i));
  }
}

}  // namespace cpx::venue
