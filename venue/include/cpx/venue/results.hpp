// What the venue answers for each of the spec's rejection reasons: the HTTP status and the
// message that goes with the reason's code.
#pragma once

#include <string_view>

#include "cpx/engine/types.hpp"

namespace cpx::venue {

unsigned http_status_of(Reason reason);
std::string_view message_of(Reason reason);

}  // namespace cpx::venue
