// The auditor's check of a ledger: recomputes the hash chain from the settled rows, checks that
// postings balance per batch and in total, and that every account's balance equals its
// postings. Used by `cpx-audit verify` and GET /v1/ledger/verify.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cpx::ledger {

struct VerifyReport {
  bool ok = false;
  uint64_t batches = 0;
  uint64_t trades = 0;
  uint64_t postings = 0;
  // The first batch whose rows or links do not hash to what it stores; 0 when the chain holds.
  uint64_t first_broken_batch = 0;
  std::vector<std::string> problems;  // each one line, at most a few dozen
  std::string error;                  // the check could not run (connection, schema)
};

VerifyReport verify(const std::string& url);

// The report as one JSON object (GET /v1/ledger/verify) and as lines for a terminal.
std::string to_json(const VerifyReport& report);
std::string to_text(const VerifyReport& report);

}  // namespace cpx::ledger
