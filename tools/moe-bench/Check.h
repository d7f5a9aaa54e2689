//===- Check.h - moe-bench's check against the scalar reference -*- C++ -*-===//
//
// The reference is scalar, far too slow for every token of a real shape, so
// only the first min(T, 16) tokens are checked: without a capacity factor the
// layer is per token, so those tokens run through the reference alone. With
// a capacity factor a token's result depends on the others (dropped pairs),
// so the reference runs on all T tokens, and only while T <= 64.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TOOLS_MOE_BENCH_CHECK_H
#define MOE_TOOLS_MOE_BENCH_CHECK_H

#include "Inputs.h"

#include "moe/Reference/Reference.h"
#include "moe/Spec/LayerSpec.h"

#include <cstdint>

namespace moe::bench {

struct CheckResult {
  enum class Status { Ok, Failed, Skipped };
  Status status = Status::Skipped;
  int64_t tokens = 0; ///< tokens compared
  double maxAbsError = 0;
  double maxRelError = 0; ///< max abs error / max |ref|
  double maxRef = 0;
  double tolerance = 0;
  bool finite = true;

  /// "ok", "FAILED", "skipped (capacity)".
  const char *word() const;
};

/// The tokens of T to compare, or 0 when the check is skipped.
int64_t checkedTokens(const LayerSpec &spec, int64_t tokens);

/// The reference output [n, H] of x's first n tokens.
ref::Tensor referenceOutput(const LayerSpec &spec, const LayerInputs &inputs,
                            int64_t n);

/// Compares `got` (row-major, at least reference.numel() floats) with the
/// reference at moe-run's tolerances: 1e-5 relative to max |ref| for f32,
/// 1e-2 for f16 and bf16 (DESIGN.md §7).
CheckResult compare(const ref::Tensor &reference, const float *got,
                    ref::DType dtype);

/// A skipped check (the capacity case past 64 tokens).
CheckResult skippedCheck();

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_CHECK_H
