//===- Timing.h - timing a compiled layer at one token count ----*- C++ -*-===//
//
// Shared by moe-bench and moe-tune: best-of-N wall time after a warm-up,
// and the [T, H] output buffer of the layer in its dtype.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TOOLS_MOE_BENCH_TIMING_H
#define MOE_TOOLS_MOE_BENCH_TIMING_H

#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_runtime.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <vector>

namespace moe::bench {

/// Best-of-`repeat` wall time in ms of `body`, after one warm-up call;
/// `before` (when set) runs untimed before each timed call.
template <typename Body>
double bestMs(int repeat, Body &&body,
              const std::function<void()> &before = nullptr) {
  body();
  double best = 0;
  for (int r = 0; r < repeat; ++r) {
    if (before)
      before();
    auto start = std::chrono::steady_clock::now();
    body();
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start)
                    .count();
    best = r == 0 ? ms : std::min(best, ms);
  }
  return best;
}

/// The layer's [T, H] output: f32 values, or f16/bf16 bit patterns.
class LayerOutput {
public:
  LayerOutput(ref::DType dtype, moe_dtype_t bufferDType, int64_t tokens,
              int64_t hidden);
  LayerOutput(const LayerOutput &) = delete;
  LayerOutput &operator=(const LayerOutput &) = delete;
  moe_buffer_t &buffer() { return buffer_; }
  /// The first `count` values as floats.
  std::vector<float> values(int64_t count) const;

private:
  ref::DType dtype_;
  std::vector<int64_t> shape_;
  std::vector<float> floats_;
  std::vector<uint16_t> bits_;
  moe_buffer_t buffer_;
};

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_TIMING_H
