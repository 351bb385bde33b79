#include "cpx/ledger/record.hpp"

#include "cpx/engine/wire_names.hpp"

namespace cpx::ledger {

namespace {

constexpr NamedValue<EndReason> end_reason_names[] = {{EndReason::canceled, "canceled"},
                                                      {EndReason::filled, "filled"},
                                                      {EndReason::expired, "expired"},
                                                      {EndReason::killed, "killed"},
                                                      {EndReason::restart, "restart"}};
static_assert(is_dense(end_reason_names));

}  // namespace

std::string_view to_string(EndReason reason) {
  return name_of(end_reason_names, reason);
}

}  // namespace cpx::ledger
