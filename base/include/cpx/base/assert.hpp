// Invariant checks that stay on in every build type: a broken invariant is a bug, not a case to
// handle, so the process stops and says where.
#pragma once

namespace cpx {

[[noreturn]] void assertion_failed(const char* expression, const char* file, int line);

}  // namespace cpx

#define CPX_ASSERT(expression) \
  ((expression) ? static_cast<void>(0) : ::cpx::assertion_failed(#expression, __FILE__, __LINE__))
