// What the gateway takes by name from the stages beside it: the venue's request and output types
// (the I/O threads build Requests, the matcher thread's Venue answers with these messages) and
// request signing.
#pragma once

#include "cpx/auth/signing.hpp"
#include "cpx/venue/output.hpp"
#include "cpx/venue/replay_guard.hpp"
#include "cpx/venue/request.hpp"

namespace cpx::gateway {

using auth::AuthFailure;
using auth::check_signature;
using auth::parse_timestamp_ms;
using auth::random_hex;
using auth::to_string;
using venue::BookHeader;
using venue::BookLevel;
using venue::CurveHeader;
using venue::CurvePoint;
using venue::io_threads_max;
using venue::key_id_length_max;
using venue::KeyRecord;
using venue::LedgerQuery;
using venue::LevelTotal;
using venue::OutHeader;
using venue::OutKind;
using venue::ReplayGuard;
using venue::req_id_length_max;
using venue::Request;
using venue::RequestKind;
using venue::secret_length_max;
using venue::signature_length;
using venue::Surface;
using venue::TradeRecord;

}  // namespace cpx::gateway
