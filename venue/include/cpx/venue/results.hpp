// What the exchange answers when it refuses: the HTTP status and message of each of the spec's
// rejection reasons, and the one form of an error body on each surface (the venue, the REST
// router and the WebSocket session all write theirs with append_error_body).
#pragma once

#include <string>
#include <string_view>

#include "cpx/engine/types.hpp"
#include "cpx/venue/request.hpp"

namespace cpx::venue {

unsigned http_status_of(Reason reason);
std::string_view message_of(Reason reason);

// REST: {"error":{"code":..,"message":..}}. WebSocket: {"type":"rejected","req_id":..,
// "reason":..,"message":..}, where req_id is the request's own JSON text (null when none).
void append_error_body(std::string& out, Surface surface, std::string_view req_id,
                       std::string_view code, std::string_view message);

}  // namespace cpx::venue
