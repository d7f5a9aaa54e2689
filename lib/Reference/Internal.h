//===- Internal.h - Helpers shared by the reference implementation -------===//
//
// Private to lib/Reference: the row kernels that several ops share, so that
// the grouped GEMM, the router matmul and the shared expert of moe.layer round
// and accumulate in exactly the same way.
//
//===----------------------------------------------------------------------===//

#ifndef MOE_LIB_REFERENCE_INTERNAL_H
#define MOE_LIB_REFERENCE_INTERNAL_H

#include "moe/Reference/Reference.h"

#include <cassert>
#include <utility>
#include <vector>

/// Shape facts are static contracts that the verifier checks, so a violation
/// here is a caller bug: stop in debug builds, and in release builds return an
/// empty result rather than read or write out of bounds.
#define MOE_REF_REQUIRE(cond)                                                  \
  do {                                                                         \
    if (!(cond)) {                                                             \
      assert(false && "moe::ref precondition failed: " #cond);                 \
      return {};                                                               \
    }                                                                          \
  } while (false)

namespace moe::ref::detail {

inline bool isMatrix(const Tensor &t) {
  return t.rank() == 2 && t.wellFormed();
}

/// Softmax of `in[0..n)` into `out`, max-subtracted, summed in index order.
void softmaxRow(const float *in, int64_t n, float *out);

/// acc[o] = sum over k = 0..in-1 (in that order) of x[k] * W[k, o], for the
/// matrix `w` stored as [in, out] (EIO) or [out, in] (EOI).
void matVecRow(const float *x, const float *w, int64_t in, int64_t out,
               WeightLayout layout, float *acc);

/// The grouped GEMM epilogue for one row: adds `bias` (nullable, `accWidth`
/// long), applies the activation (gated: act(gate) * up over the halves of
/// `acc`), rounds to `dtype` and writes the `accWidth` (gated: half) results.
/// Modifies `acc`.
void epilogueRow(float *acc, int64_t accWidth, const float *bias,
                 Activation activation, bool gated, DType dtype, float *y);

/// The rows [begin, end) each expert owns in a grouped GEMM over `numRows`
/// rows. Clamped so that ranges are in bounds and disjoint whatever the
/// segment values (see the runtime-contract note in Reference.h).
std::vector<std::pair<int64_t, int64_t>>
expertRowRanges(const Segments &segments, int64_t numRows);

/// Index of the largest v[i] among i in [0, n) with !excluded[i]; ties go to
/// the lower index. -1 when every index is excluded.
int64_t argmaxExcluding(const float *v, int64_t n,
                        const std::vector<bool> &excluded);

} // namespace moe::ref::detail

#endif // MOE_LIB_REFERENCE_INTERNAL_H
