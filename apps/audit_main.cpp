// cpx-audit: the auditor's command line. `cpx-audit verify --db URL` recomputes the ledger's
// hash chain and checks postings and balances; exit status 0 when all hold, 1 when anything is
// wrong, 2 when the check cannot run.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cpx/ledger/verify.hpp"

namespace {

constexpr const char* usage =
    "usage: cpx-audit verify [--db URL]\n"
    "  URL defaults to CPX_DATABASE_URL. Exit status: 0 the ledger verifies, 1 it does not,\n"
    "  2 the check cannot run.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "verify") {
    std::fputs(usage, stderr);
    return 2;
  }
  std::string url;
  if (const char* from_environment = std::getenv("CPX_DATABASE_URL")) url = from_environment;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--db" && i + 1 < argc) {
      url = argv[++i];
    } else {
      std::fputs(usage, stderr);
      return 2;
    }
  }
  if (url.empty()) {
    std::fputs("cpx-audit: no database: give --db URL or set CPX_DATABASE_URL\n", stderr);
    return 2;
  }
  const cpx::ledger::VerifyReport report = cpx::ledger::verify(url);
  std::fputs(cpx::ledger::to_text(report).c_str(), report.error.empty() ? stdout : stderr);
  if (!report.error.empty()) return 2;
  return report.ok ? 0 : 1;
}
