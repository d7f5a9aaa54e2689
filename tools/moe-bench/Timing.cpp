//===- Timing.cpp - timing a compiled layer at one token count ------------===//

#include "Timing.h"

namespace moe::bench {

LayerOutput::LayerOutput(ref::DType dtype, moe_dtype_t bufferDType,
                         int64_t tokens, int64_t hidden)
    : dtype_(dtype), shape_{tokens, hidden},
      buffer_{nullptr, bufferDType, 2, nullptr, nullptr} {
  buffer_.shape = shape_.data();
  size_t count = static_cast<size_t>(tokens * hidden);
  if (dtype == ref::DType::F32) {
    floats_.assign(count, 0.0f);
    buffer_.data = floats_.data();
  } else {
    bits_.assign(count, 0);
    buffer_.data = bits_.data();
  }
}

std::vector<float> LayerOutput::values(int64_t count) const {
  if (dtype_ == ref::DType::F32)
    return std::vector<float>(floats_.begin(), floats_.begin() + count);
  std::vector<float> values(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i)
    values[i] = dtype_ == ref::DType::F16 ? ref::fromF16Bits(bits_[i])
                                          : ref::fromBF16Bits(bits_[i]);
  return values;
}

} // namespace moe::bench
