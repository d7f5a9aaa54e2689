//===- ReferenceTestUtil.h - Helpers for the reference unit tests --------===//

#ifndef MOE_TEST_UNIT_REFERENCETESTUTIL_H
#define MOE_TEST_UNIT_REFERENCETESTUTIL_H

#include "moe/Reference/Reference.h"

#include <cstdint>
#include <vector>

namespace moe::ref::test {

inline Tensor tensor(std::vector<int64_t> shape, std::vector<float> data) {
  return Tensor{std::move(shape), std::move(data)};
}

inline IndexTensor indices(std::vector<int64_t> shape,
                           std::vector<int32_t> data) {
  return IndexTensor{std::move(shape), std::move(data)};
}

/// Deterministic small values in [-1, 1], multiples of 1/8 so that they are
/// exact in f16 and bf16 and most products and short sums are exact in f32.
inline Tensor pattern(std::vector<int64_t> shape, int64_t seed = 0) {
  Tensor t = Tensor::zeros(std::move(shape));
  for (size_t i = 0; i < t.data.size(); ++i) {
    int64_t v = (static_cast<int64_t>(i) * 7919 + seed * 104729 + 13) % 17;
    t.data[i] = static_cast<float>(v - 8) / 8.0f;
  }
  return t;
}

/// Swaps the last two dimensions (EIO <-> EOI weights, [H, X] <-> [X, H]).
inline Tensor transposeLastTwo(const Tensor &t) {
  std::vector<int64_t> shape = t.shape;
  size_t n = shape.size();
  int64_t rows = shape[n - 2], cols = shape[n - 1];
  std::swap(shape[n - 2], shape[n - 1]);
  Tensor result = Tensor::zeros(shape);
  int64_t batches = t.numel() / (rows * cols);
  for (int64_t b = 0; b < batches; ++b)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        result.data[(b * cols + j) * rows + i] =
            t.data[(b * rows + i) * cols + j];
  return result;
}

} // namespace moe::ref::test

#endif // MOE_TEST_UNIT_REFERENCETESTUTIL_H
