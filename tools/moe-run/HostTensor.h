//===- HostTensor.h - moe-run's tensors: dtypes, npy, random ----*- C++ -*-===//
#ifndef MOE_TOOLS_MOE_RUN_HOSTTENSOR_H
#define MOE_TOOLS_MOE_RUN_HOSTTENSOR_H

#include "Npy.h"

#include "moe/Runtime/moe_runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe::tools {

/// A contiguous row-major tensor in the module's own element encoding
/// (f16 and bf16 as their 2-byte bit patterns).
struct HostTensor {
  moe_dtype_t dtype = MOE_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<char> bytes;

  int64_t numElements() const;
  /// A caller buffer over this tensor (valid while it lives).
  moe_buffer_t buffer();
  /// The values as floats (exact for every dtype but large i32).
  std::vector<float> toFloats() const;

  /// A tensor holding `values` rounded to `dtype` (nearest even).
  static HostTensor fromFloats(moe_dtype_t dtype, std::vector<int64_t> shape,
                               const std::vector<float> &values);
  static HostTensor zeros(moe_dtype_t dtype, std::vector<int64_t> shape);
};

/// "[16, 64]".
std::string formatShape(const std::vector<int64_t> &shape);

/// Converts a .npy array to `dtype`:
///  - f32, f16, bf16 from any float array ('<f2', '<f4', '<f8'), rounded to
///    nearest even; bf16 also from '<u2' (the raw bfloat16 bits);
///  - i32 from '<i4', or from '<i8' when every value fits.
bool fromNpy(const NpyArray &array, moe_dtype_t dtype, HostTensor &tensor,
             std::string &error);

/// The .npy form of a tensor: f32 '<f4', f16 '<f2', i32 '<i4', and bf16 as
/// '<f4' (exact: every bfloat16 is an f32; NumPy has no bfloat16).
NpyArray toNpy(const HostTensor &tensor);

/// Deterministic uniform values in [-scale, scale) from (seed, stream): the
/// same on every platform (no std:: distributions). Integer tensors get
/// zeros.
void fillRandom(HostTensor &tensor, uint64_t seed, uint64_t stream,
                float scale);

} // namespace moe::tools

#endif // MOE_TOOLS_MOE_RUN_HOSTTENSOR_H
