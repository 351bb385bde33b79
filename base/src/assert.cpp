#include "cpx/base/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace cpx {

void assertion_failed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "cpx: assertion failed: %s at %s:%d\n", expression, file, line);
  std::abort();
}

}  // namespace cpx
