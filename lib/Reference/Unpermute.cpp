//===- Unpermute.cpp - moe.unpermute: weighted combine to token order ---===//

#include "Internal.h"

namespace moe::ref {

Tensor unpermute(const Tensor &y, const std::vector<int32_t> &rows,
                 const Tensor &weights, DType dtype) {
  MOE_REF_REQUIRE(detail::isMatrix(y) && detail::isMatrix(weights));
  MOE_REF_REQUIRE(static_cast<int64_t>(rows.size()) == y.dim(0));
  const int64_t numTokens = weights.dim(0);
  const int64_t k = weights.dim(1);
  const int64_t hidden = y.dim(1);
  const int64_t numPairs = numTokens * k;

  // Invert rows -> pairs once so each token sums its k slots in order.
  std::vector<int64_t> holder(static_cast<size_t>(numPairs), -1);
  for (size_t r = 0; r < rows.size(); ++r) {
    int64_t pair = rows[r];
    if (pair >= 0 && pair < numPairs && holder[pair] < 0)
      holder[pair] = static_cast<int64_t>(r);
  }

  Tensor out = Tensor::zeros({numTokens, hidden});
  std::vector<float> acc(static_cast<size_t>(hidden));
  for (int64_t t = 0; t < numTokens; ++t) {
    acc.assign(acc.size(), 0.0f);
    for (int64_t slot = 0; slot < k; ++slot) {
      int64_t r = holder[t * k + slot];
      if (r < 0)
        continue;
      const float weight = weights.at(t, slot);
      const float *source = y.row(r);
      for (int64_t h = 0; h < hidden; ++h)
        acc[h] += weight * source[h];
    }
    float *target = out.row(t);
    for (int64_t h = 0; h < hidden; ++h)
      target[h] = roundTo(dtype, acc[h]);
  }
  return out;
}

} // namespace moe::ref
