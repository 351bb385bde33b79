// How a journaled request is written into the command journal: only what replaying it needs
// (the key, the clock, the new key of an account, and the decoded command), in an explicit
// little-endian layout with a format version, so a journal outlives changes to Request's layout.
// docs/durability.md, "Records".
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "cpx/venue/request.hpp"

namespace cpx::sequencer {

using venue::Request;

// 2: with the signature's fingerprint (the replay guard survives restarts); 1 is still read.
inline constexpr uint8_t request_record_version = 5;

// A journaled request and who sent it (the caller the venue admitted: replay must not depend on
// the key still being there, nor on the operator's key staying the same across starts).
struct JournaledRequest {
  Request request;
  uint32_t account = 0;
  Role role = Role::enterprise;
  // What the replay guard remembers of the request's signature (signature_fingerprint); 0 when
  // it was not signed, or in a version 1 record.
  uint64_t signature_fingerprint = 0;
};

// Appends the request's record to `out`.
void encode_request(const Request& request, uint32_t account, Role role,
                    std::vector<unsigned char>& out);
// The request back (fields replay does not need are left default); nothing when the record is
// not one this build can read.
std::optional<JournaledRequest> decode_request(std::span<const unsigned char> record);

}  // namespace cpx::sequencer
