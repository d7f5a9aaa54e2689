//===- Buffers.h - caller buffers: validation and strided copies -*- C++ -*-===//
#ifndef MOE_RUNTIME_BUFFERS_H
#define MOE_RUNTIME_BUFFERS_H

#include "Errors.h"
#include "Manifest.h"

#include "moe/Runtime/moe_runtime.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe::runtime {

/// Bytes per element of a valid dtype, 0 otherwise.
size_t dtypeSize(moe_dtype_t dtype);
bool validDType(moe_dtype_t dtype);

/// The row-major strides (in elements) of `shape`.
std::vector<int64_t> rowMajorStrides(const int64_t *shape, int64_t rank);

/// The number of elements of `shape` (1 for rank 0); -1 when an extent is
/// negative or the product overflows int64.
int64_t elementCount(const int64_t *shape, int64_t rank);

/// elementCount times the dtype's size; -1 when that overflows int64.
int64_t byteSize(const int64_t *shape, int64_t rank, moe_dtype_t dtype);

/// The bytes a row-major layout of `shape` spans when every extent counts as
/// at least 1 (what its strides reach); -1 on overflow or a negative extent.
int64_t rowMajorSpan(const int64_t *shape, int64_t rank, moe_dtype_t dtype);

/// Checks one caller buffer against its signature: a valid dtype equal to
/// the signature's, the rank, a shape pointer, non-negative extents equal to
/// every static extent, a size in bytes that fits in int64, data for a
/// non-empty tensor. `role` is "argument" or
/// "output"; messages read e.g.
///   argument 'x' (#0) has dtype f16 but the module expects bf16
Error checkBuffer(const moe_buffer_t &buffer, const TensorSignature &signature,
                  const char *role, size_t index);

/// True when `buffer` can be used as a contiguous row-major array (NULL
/// strides, row-major strides, or no elements; the stride of an extent-1
/// dimension does not matter).
bool isContiguous(const moe_buffer_t &buffer);

/// Copies the `shape` elements of size `elementSize` from `source` to
/// `target`, each addressed with its strides (in elements).
void stridedCopy(void *target, const int64_t *targetStrides, const void *source,
                 const int64_t *sourceStrides, const int64_t *shape,
                 int64_t rank, size_t elementSize);

} // namespace moe::runtime

#endif // MOE_RUNTIME_BUFFERS_H
