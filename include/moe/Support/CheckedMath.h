//===- CheckedMath.h - size arithmetic that reports overflow ----*- C++ -*-===//
//
// Every size computed from outside input (a layer spec, a .npy header, a
// caller's shape or byte count) goes through these: a wrapped product or a
// wrapped round-up yields a small size, a small allocation and then a write
// past its end. Each returns false (and leaves `out` unspecified) when the
// exact result does not fit. Plain C++17 with GCC/Clang builtins: the runtime
// and the tools use it without LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_SUPPORT_CHECKEDMATH_H
#define MOE_SUPPORT_CHECKEDMATH_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace moe {

template <typename T> bool checkedMul(T a, T b, T &out) {
  return !__builtin_mul_overflow(a, b, &out);
}

template <typename T> bool checkedAdd(T a, T b, T &out) {
  return !__builtin_add_overflow(a, b, &out);
}

/// `value` rounded up to a multiple of `alignment` (> 0).
inline bool checkedRoundUp(size_t value, size_t alignment, size_t &out) {
  size_t padded;
  if (!checkedAdd(value, alignment - 1, padded))
    return false;
  out = padded / alignment * alignment;
  return true;
}

/// The element count of `shape` (1 for rank 0); false when an extent is
/// negative or the product does not fit in int64.
inline bool checkedElementCount(const int64_t *shape, size_t rank,
                                int64_t &count) {
  count = 1;
  for (size_t d = 0; d < rank; ++d)
    if (shape[d] < 0 || !checkedMul(count, shape[d], count))
      return false;
  return true;
}

/// The byte size of a dense `shape` of `elementSize`-byte elements; false
/// when it is negative or does not fit in int64 (no buffer is that large,
/// and int64 is what descriptors and offsets hold).
inline bool checkedByteSize(const std::vector<int64_t> &shape,
                            size_t elementSize, int64_t &bytes) {
  int64_t count;
  return checkedElementCount(shape.data(), shape.size(), count) &&
         checkedMul(count, static_cast<int64_t>(elementSize), bytes);
}

} // namespace moe

#endif // MOE_SUPPORT_CHECKEDMATH_H
