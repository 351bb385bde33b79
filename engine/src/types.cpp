#include "cpx/engine/types.hpp"

#include <cstdio>
#include <cstdlib>

namespace cpx {

std::string_view to_string(Reason reason) {
  switch (reason) {
    case Reason::none:
      return "none";
    case Reason::bad_request:
      return "bad_request";
    case Reason::unknown_account:
      return "unknown_account";
    case Reason::duplicate_account:
      return "duplicate_account";
    case Reason::role_mismatch:
      return "role_mismatch";
    case Reason::unknown_chip:
      return "unknown_chip";
    case Reason::unknown_region:
      return "unknown_region";
    case Reason::bad_qty:
      return "bad_qty";
    case Reason::bad_price:
      return "bad_price";
    case Reason::bad_amount:
      return "bad_amount";
    case Reason::bad_latency:
      return "bad_latency";
    case Reason::bad_green:
      return "bad_green";
    case Reason::bad_tif:
      return "bad_tif";
    case Reason::bad_urgency:
      return "bad_urgency";
    case Reason::duplicate_client_order_id:
      return "duplicate_client_order_id";
    case Reason::unknown_order:
      return "unknown_order";
    case Reason::insufficient_funds:
      return "insufficient_funds";
  }
  return "unknown";
}

std::string_view to_string(DoneReason reason) {
  switch (reason) {
    case DoneReason::canceled:
      return "canceled";
    case DoneReason::filled:
      return "filled";
    case DoneReason::expired:
      return "expired";
    case DoneReason::killed:
      return "killed";
  }
  return "unknown";
}

std::string_view to_string(Side side) {
  return side == Side::bid ? "bid" : "ask";
}

std::string_view to_string(Tif tif) {
  switch (tif) {
    case Tif::gtc:
      return "GTC";
    case Tif::ioc:
      return "IOC";
    case Tif::fok:
      return "FOK";
  }
  return "unknown";
}

std::string_view to_string(Urgency urgency) {
  switch (urgency) {
    case Urgency::urgent:
      return "urgent";
    case Urgency::standard:
      return "standard";
    case Urgency::batch:
      return "batch";
  }
  return "unknown";
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::enterprise:
      return "enterprise";
    case Role::provider:
      return "provider";
    case Role::auditor:
      return "auditor";
    case Role::operator_:
      return "operator";
  }
  return "unknown";
}

namespace {

struct IdCharacters {
  bool allowed[256] = {};
  constexpr IdCharacters() {
    for (int c = 'a'; c <= 'z'; ++c) allowed[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c) allowed[c] = true;
    for (int c = '0'; c <= '9'; ++c) allowed[c] = true;
    allowed[int('.')] = allowed[int('_')] = allowed[int(':')] = allowed[int('-')] = true;
  }
};
constexpr IdCharacters id_characters;

}  // namespace

std::string_view to_string(Op op) {
  switch (op) {
    case Op::account:
      return "account";
    case Op::deposit:
      return "deposit";
    case Op::new_order:
      return "new";
    case Op::cancel:
      return "cancel";
    case Op::amend:
      return "amend";
  }
  return "unknown";
}

bool is_valid_id(std::string_view text) {
  if (text.empty() || text.size() > id_length_max) return false;
  bool valid = true;
  for (char c : text) valid &= id_characters.allowed[static_cast<unsigned char>(c)];
  return valid;
}

void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "cpx: assertion failed: %s at %s:%d\n", expression, file, line);
  std::abort();
}

}  // namespace cpx
