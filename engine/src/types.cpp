#include "cpx/engine/types.hpp"

#include "cpx/engine/wire_names.hpp"

namespace cpx {

std::string_view to_string(Reason reason) {
  return name_of(reason_names, reason);
}
std::string_view to_string(DoneReason reason) {
  return name_of(done_reason_names, reason);
}
std::string_view to_string(Side side) {
  return name_of(side_names, side);
}
std::string_view to_string(Tif tif) {
  return name_of(tif_names, tif);
}
std::string_view to_string(Urgency urgency) {
  return name_of(urgency_names, urgency);
}
std::string_view to_string(Role role) {
  return name_of(role_names, role);
}
std::string_view to_string(Op op) {
  return name_of(op_names, op);
}
std::string_view to_string(SiteStatus status) {
  return name_of(site_status_names, status);
}
std::string_view to_string(ContractStatus status) {
  return name_of(contract_status_names, status);
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

bool is_valid_id(std::string_view text) {
  if (text.empty() || text.size() > id_length_max) return false;
  bool valid = true;
  for (char c : text) valid &= id_characters.allowed[static_cast<unsigned char>(c)];
  return valid;
}

}  // namespace cpx
