//===- Buffers.cpp - caller buffers: validation and strided copies --------===//

#include "Buffers.h"

#include "moe/Support/CheckedMath.h"

#include <cstring>

namespace moe::runtime {

bool validDType(moe_dtype_t dtype) {
  switch (dtype) {
  case MOE_DTYPE_F32:
  case MOE_DTYPE_F16:
  case MOE_DTYPE_BF16:
  case MOE_DTYPE_I32:
    return true;
  case MOE_DTYPE_MAX_ENUM:
    break;
  }
  return false;
}

size_t dtypeSize(moe_dtype_t dtype) {
  switch (dtype) {
  case MOE_DTYPE_F32:
  case MOE_DTYPE_I32:
    return 4;
  case MOE_DTYPE_F16:
  case MOE_DTYPE_BF16:
    return 2;
  case MOE_DTYPE_MAX_ENUM:
    break;
  }
  return 0;
}

std::vector<int64_t> rowMajorStrides(const int64_t *shape, int64_t rank) {
  std::vector<int64_t> strides(static_cast<size_t>(rank));
  int64_t stride = 1;
  for (int64_t d = rank; d-- > 0;) {
    strides[d] = stride;
    // Saturates: only an empty tensor (checkBuffer bounds the rest) can get
    // here with extents whose product overflows, and its strides are unused.
    if (!checkedMul(stride, shape[d] > 0 ? shape[d] : int64_t(1), stride))
      stride = INT64_MAX;
  }
  return strides;
}

int64_t elementCount(const int64_t *shape, int64_t rank) {
  int64_t count = 1;
  if (rank < 0 ||
      !checkedElementCount(shape, static_cast<size_t>(rank), count))
    return -1;
  return count;
}

int64_t byteSize(const int64_t *shape, int64_t rank, moe_dtype_t dtype) {
  int64_t count = elementCount(shape, rank), bytes;
  if (count < 0 ||
      !checkedMul(count, static_cast<int64_t>(dtypeSize(dtype)), bytes))
    return -1;
  return bytes;
}

int64_t rowMajorSpan(const int64_t *shape, int64_t rank, moe_dtype_t dtype) {
  int64_t span = static_cast<int64_t>(dtypeSize(dtype));
  for (int64_t d = 0; d < rank; ++d)
    if (shape[d] < 0 ||
        !checkedMul(span, shape[d] > 0 ? shape[d] : int64_t(1), span))
      return -1;
  return span;
}

Error checkBuffer(const moe_buffer_t &buffer, const TensorSignature &signature,
                  const char *role, size_t index) {
  std::string what = std::string(role) + " " + quoted(signature.name) + " (#" +
                     std::to_string(index) + ")";
  auto invalid = [](std::string text) {
    return makeError(MOE_ERROR_INVALID_ARGUMENT, std::move(text));
  };
  if (!validDType(buffer.dtype))
    return invalid(what + " has an invalid dtype (" +
                   std::to_string(static_cast<int>(buffer.dtype)) +
                   ") but the module expects " +
                   moe_dtype_name(signature.dtype));
  if (buffer.dtype != signature.dtype)
    return invalid(what + " has dtype " + moe_dtype_name(buffer.dtype) +
                   " but the module expects " + moe_dtype_name(signature.dtype));
  if (buffer.rank != signature.rank())
    return invalid(what + " has rank " + std::to_string(buffer.rank) +
                   " but the module expects rank " +
                   std::to_string(signature.rank()) + " (shape " +
                   formatShape(signature.shape) + ")");
  if (buffer.rank > 0 && !buffer.shape)
    return invalid(what + " has rank " + std::to_string(buffer.rank) +
                   " but no shape (NULL)");
  for (int32_t d = 0; d < buffer.rank; ++d) {
    int64_t extent = buffer.shape[d];
    if (extent < 0)
      return invalid(what + " has a negative extent " + std::to_string(extent) +
                     " in dim " + std::to_string(d));
    int64_t expected = signature.shape[static_cast<size_t>(d)];
    if (expected >= 0 && extent != expected) {
      std::string shape = "[";
      for (int32_t e = 0; e < buffer.rank; ++e)
        shape += (e ? ", " : "") + std::to_string(buffer.shape[e]);
      return invalid(what + " has shape " + shape + "] but the module expects " +
                     formatShape(signature.shape) + " (dim " +
                     std::to_string(d) + " is " + std::to_string(extent) +
                     ", not " + std::to_string(expected) + ")");
    }
  }
  int64_t count = elementCount(buffer.shape, buffer.rank);
  // The byte size and the row-major strides (of the non-empty extents, which
  // an empty tensor's descriptor still carries) must fit in int64.
  if (count < 0 || byteSize(buffer.shape, buffer.rank, buffer.dtype) < 0 ||
      rowMajorSpan(buffer.shape, buffer.rank, buffer.dtype) < 0) {
    std::string shape = "[";
    for (int32_t e = 0; e < buffer.rank; ++e)
      shape += (e ? ", " : "") + std::to_string(buffer.shape[e]);
    return invalid(what + " has shape " + shape + "], whose size in bytes (" +
                   moe_dtype_name(buffer.dtype) +
                   ") overflows a 64-bit integer");
  }
  if (count > 0 && !buffer.data)
    return invalid(what + " has " + std::to_string(count) +
                   " elements but no data (NULL)");
  return Error::ok();
}

bool isContiguous(const moe_buffer_t &buffer) {
  if (!buffer.strides || buffer.rank == 0)
    return true;
  if (elementCount(buffer.shape, buffer.rank) == 0)
    return true;
  std::vector<int64_t> expected = rowMajorStrides(buffer.shape, buffer.rank);
  for (int32_t d = 0; d < buffer.rank; ++d)
    if (buffer.shape[d] > 1 && buffer.strides[d] != expected[d])
      return false;
  return true;
}

namespace {

void copyDim(char *target, const int64_t *targetStrides, const char *source,
             const int64_t *sourceStrides, const int64_t *shape, int64_t rank,
             size_t size) {
  int64_t extent = shape[0];
  int64_t tStride = targetStrides[0] * static_cast<int64_t>(size);
  int64_t sStride = sourceStrides[0] * static_cast<int64_t>(size);
  if (rank == 1) {
    if (targetStrides[0] == 1 && sourceStrides[0] == 1) {
      std::memcpy(target, source, static_cast<size_t>(extent) * size);
      return;
    }
    for (int64_t i = 0; i < extent; ++i)
      std::memcpy(target + i * tStride, source + i * sStride, size);
    return;
  }
  for (int64_t i = 0; i < extent; ++i)
    copyDim(target + i * tStride, targetStrides + 1, source + i * sStride,
            sourceStrides + 1, shape + 1, rank - 1, size);
}

} // namespace

void stridedCopy(void *target, const int64_t *targetStrides, const void *source,
                 const int64_t *sourceStrides, const int64_t *shape,
                 int64_t rank, size_t elementSize) {
  if (elementCount(shape, rank) <= 0)
    return;
  if (rank == 0) {
    std::memcpy(target, source, elementSize);
    return;
  }
  copyDim(static_cast<char *>(target), targetStrides,
          static_cast<const char *>(source), sourceStrides, shape, rank,
          elementSize);
}

} // namespace moe::runtime
