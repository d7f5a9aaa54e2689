//===- FuzzCheck.h - a property a fuzz target asserts -----------*- C++ -*-===//
//
// A violated property is a finding: the target aborts (libFuzzer saves the
// input) after naming the target and the property.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TEST_FUZZ_FUZZCHECK_H
#define MOE_TEST_FUZZ_FUZZCHECK_H

#include <cstdio>
#include <cstdlib>

namespace moe::fuzz {

inline void check(bool condition, const char *target, const char *what) {
  if (!condition) {
    std::fprintf(stderr, "%s: %s\n", target, what);
    std::abort();
  }
}

} // namespace moe::fuzz

#endif // MOE_TEST_FUZZ_FUZZCHECK_H
