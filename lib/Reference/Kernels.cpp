//===- Kernels.cpp - Row kernels shared by the reference ops -------------===//

#include "Internal.h"

#include <algorithm>
#include <cmath>

namespace moe::ref {

float activate(Activation activation, float x) {
  constexpr float kSqrt2 = 1.41421356237309504880f;
  constexpr float kSqrt2OverPi = 0.79788456080286535588f;
  switch (activation) {
  case Activation::None:
    return x;
  case Activation::Relu:
    return x > 0.0f ? x : 0.0f;
  case Activation::Silu:
    return x / (1.0f + std::exp(-x));
  case Activation::Gelu:
    return 0.5f * x * (1.0f + std::erf(x / kSqrt2));
  case Activation::GeluTanh:
    return 0.5f * x *
           (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
  }
  return x;
}

namespace detail {

void softmaxRow(const float *in, int64_t n, float *out) {
  if (n <= 0)
    return;
  float maximum = in[0];
  for (int64_t i = 1; i < n; ++i)
    maximum = std::max(maximum, in[i]);
  float sum = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    out[i] = std::exp(in[i] - maximum);
    sum += out[i];
  }
  for (int64_t i = 0; i < n; ++i)
    out[i] /= sum;
}

void matVecRow(const float *x, const float *w, int64_t in, int64_t out,
               WeightLayout layout, float *acc) {
  if (layout == WeightLayout::ExpertOutIn) {
    for (int64_t o = 0; o < out; ++o) {
      const float *column = w + o * in;
      float sum = 0.0f;
      for (int64_t k = 0; k < in; ++k)
        sum += x[k] * column[k];
      acc[o] = sum;
    }
    return;
  }
  // Walk W row by row for locality; each acc[o] still sums over k in order,
  // so the result is bit-identical to the EOI loop above.
  std::fill(acc, acc + out, 0.0f);
  for (int64_t k = 0; k < in; ++k) {
    const float xk = x[k];
    const float *wRow = w + k * out;
    for (int64_t o = 0; o < out; ++o)
      acc[o] += xk * wRow[o];
  }
}

void epilogueRow(float *acc, int64_t accWidth, const float *bias,
                 Activation activation, bool gated, DType dtype, float *y) {
  if (bias)
    for (int64_t o = 0; o < accWidth; ++o)
      acc[o] += bias[o];
  if (!gated) {
    for (int64_t o = 0; o < accWidth; ++o)
      y[o] = roundTo(dtype, activate(activation, acc[o]));
    return;
  }
  int64_t width = accWidth / 2;
  for (int64_t o = 0; o < width; ++o)
    y[o] = roundTo(dtype, activate(activation, acc[o]) * acc[width + o]);
}

std::vector<std::pair<int64_t, int64_t>>
expertRowRanges(const Segments &segments, int64_t numRows) {
  int64_t numExperts = std::max<int64_t>(segments.numExperts(), 0);
  std::vector<std::pair<int64_t, int64_t>> ranges;
  ranges.reserve(static_cast<size_t>(numExperts));
  const std::vector<int32_t> &v = segments.values;

  if (segments.kind == Segments::Kind::Counts) {
    int64_t capacity = numExperts ? numRows / numExperts : 0;
    for (int64_t e = 0; e < numExperts; ++e) {
      int64_t count = std::clamp<int64_t>(v[e], 0, capacity);
      ranges.emplace_back(e * capacity, e * capacity + count);
    }
    return ranges;
  }

  int64_t previousEnd = 0;
  for (int64_t e = 0; e < numExperts; ++e) {
    int64_t begin = std::clamp<int64_t>(v[e], previousEnd, numRows);
    int64_t end = std::clamp<int64_t>(v[e + 1], begin, numRows);
    ranges.emplace_back(begin, end);
    previousEnd = end;
  }
  return ranges;
}

int64_t argmaxExcluding(const float *v, int64_t n,
                        const std::vector<bool> &excluded) {
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    if (excluded[i])
      continue;
    // Strict comparison keeps the lower index on ties.
    if (best < 0 || v[i] > v[best])
      best = i;
  }
  return best;
}

} // namespace detail
} // namespace moe::ref
