// Journal records of requests: what replay needs comes back exactly; anything else is refused.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "cpx/sequencer/journal_codec.hpp"

namespace cpx::sequencer {

using venue::AccountStatus;
using venue::RequestKind;
using venue::Surface;

TEST_CASE("a request's journal record gives back everything replay needs") {
  std::mt19937_64 random(9);
  for (int i = 0; i < 2000; ++i) {
    Request request;
    const RequestKind kinds[] = {RequestKind::order, RequestKind::order, RequestKind::deposit,
                                 RequestKind::cancel_all, RequestKind::account_status};
    request.kind = kinds[random() % 5];
    request.account_status = AccountStatus(random() % 3);
    request.chip_filter = request.kind == RequestKind::cancel_all && random() % 2;
    request.surface = random() % 2 ? Surface::ws : Surface::rest;
    request.now_ms = int64_t(random() >> 1);
    request.key_id.assign("key-" + std::to_string(random() % 1000));
    request.new_key_id.assign(random() % 2 ? "nk" : "");
    request.new_secret.assign(std::string(random() % 65, 's'));
    Command command;
    command.op = Op(random() % 5);
    command.side = random() % 2 ? Side::ask : Side::bid;
    command.tif = Tif(random() % 3);
    command.urgency = Urgency(random() % 3);
    command.role = Role(random() % 4);
    command.shape_reason = Reason(random() % 17);
    command.field_reason = Reason(random() % 17);
    command.has_qty = random() % 2;
    command.has_price = random() % 2;
    command.has_latency_max = random() % 2;
    command.post_only = random() % 2;
    command.green_pct = uint8_t(random() % 101);
    command.chip = uint16_t(random() % 8);
    command.region = uint16_t(random() % 16);
    command.latency_ms_max = uint16_t(random() % 1001);
    command.account_index = uint32_t(random());
    command.qty_milli = int64_t(random() % qty_milli_max);
    command.price_ticks = int64_t(random() % price_ticks_max);
    command.amount_e7 = (random() % 2 ? -1 : 1) * (int128(random()) * int128(random() % 1000));
    const std::string account = "acct-" + std::to_string(random() % 100);
    const std::string id = random() % 2 ? std::to_string(random() % 100000) : "order-x";
    command.account = account;
    command.set_client_order_id(id);
    // docs/delivery.md's fields.
    command.has_chip = random() % 2;
    command.has_region = random() % 2;
    command.has_green = random() % 2;
    command.has_green_profile = random() % 2;
    command.has_site_status = random() % 2;
    command.site_status = SiteStatus(random() % 3);
    command.delivery_ms = int64_t(random() % 1000) * 3'600'000;
    command.time_ms = int64_t(random());
    command.trade_id = uint64_t(random());
    for (uint8_t& share : command.green_profile) share = uint8_t(random() % 101);
    const std::string site = random() % 2 ? "site-" + std::to_string(random() % 9) : "";
    command.site = site;
    request.command = CommandEnvelope::wrap(command);

    std::vector<unsigned char> record;
    const uint32_t caller = uint32_t(random() % 100000);
    const Role role = Role(random() % 4);
    encode_request(request, caller, role, record);
    CHECK(record.size() < 250);  // a few times smaller than the struct
    const std::optional<JournaledRequest> journaled = decode_request(record);
    REQUIRE(journaled.has_value());
    CHECK(journaled->account == caller);
    CHECK(journaled->role == role);
    const Request* back = &journaled->request;
    CHECK(back->kind == request.kind);
    CHECK(back->chip_filter == request.chip_filter);
    CHECK(back->account_status == request.account_status);
    CHECK(back->surface == request.surface);
    CHECK(back->now_ms == request.now_ms);
    CHECK(back->key_id.view() == request.key_id.view());
    CHECK(back->new_key_id.view() == request.new_key_id.view());
    CHECK(back->new_secret.view() == request.new_secret.view());
    const Command got = back->command.unwrap();
    CHECK(got.op == command.op);
    CHECK(got.side == command.side);
    CHECK(got.tif == command.tif);
    CHECK(got.urgency == command.urgency);
    CHECK(got.role == command.role);
    CHECK(got.shape_reason == command.shape_reason);
    CHECK(got.field_reason == command.field_reason);
    CHECK(got.has_qty == command.has_qty);
    CHECK(got.has_price == command.has_price);
    CHECK(got.has_latency_max == command.has_latency_max);
    CHECK(got.post_only == command.post_only);
    CHECK(got.green_pct == command.green_pct);
    CHECK(got.chip == command.chip);
    CHECK(got.region == command.region);
    CHECK(got.latency_ms_max == command.latency_ms_max);
    CHECK(got.account_index == command.account_index);
    CHECK(got.qty_milli == command.qty_milli);
    CHECK(got.price_ticks == command.price_ticks);
    CHECK(got.amount_e7 == command.amount_e7);
    CHECK(got.account == account);
    CHECK(got.client_order_id == id);
    CHECK(got.client_order_number == command.client_order_number);
    CHECK(got.has_chip == command.has_chip);
    CHECK(got.has_region == command.has_region);
    CHECK(got.has_green == command.has_green);
    CHECK(got.has_green_profile == command.has_green_profile);
    CHECK(got.has_site_status == command.has_site_status);
    CHECK(got.site_status == command.site_status);
    CHECK(got.delivery_ms == command.delivery_ms);
    CHECK(got.time_ms == command.time_ms);
    CHECK(got.trade_id == command.trade_id);
    CHECK(got.site == site);
    if (command.has_green_profile) {
      CHECK(std::equal(std::begin(got.green_profile), std::end(got.green_profile),
                       std::begin(command.green_profile)));
    }

    // Cut short, or of another version: refused, never half read.
    record.pop_back();
    CHECK_FALSE(decode_request(record).has_value());
    record.push_back(0);
    record.push_back(0);
    CHECK_FALSE(decode_request(record).has_value());
    record[0] = request_record_version + 1;
    CHECK_FALSE(decode_request(record).has_value());
  }
}

}  // namespace cpx::sequencer
