//===- HostTensor.cpp - moe-run's tensors: dtypes, npy, random ------------===//

#include "HostTensor.h"

#include "moe/Reference/Reference.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace moe::tools {

namespace {

uint16_t load16(const char *p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

void store16(char *p, uint16_t v) { std::memcpy(p, &v, 2); }

/// splitmix64: a small, well-mixed, portable generator.
uint64_t splitmix(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Reads element i of a float .npy array as a float (or double-rounded).
bool npyFloat(const NpyArray &array, int64_t i, float &value) {
  const char *p = array.data.data() + i * static_cast<int64_t>(array.itemSize());
  if (array.descr == "<f4") {
    std::memcpy(&value, p, 4);
  } else if (array.descr == "<f2") {
    value = ref::fromF16Bits(load16(p));
  } else if (array.descr == "<f8") {
    double d;
    std::memcpy(&d, p, 8);
    value = static_cast<float>(d);
  } else {
    return false;
  }
  return true;
}

} // namespace

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

moe_buffer_t HostTensor::buffer() {
  moe_buffer_t b;
  b.data = bytes.empty() ? nullptr : bytes.data();
  b.dtype = dtype;
  b.rank = static_cast<int32_t>(shape.size());
  b.shape = shape.data();
  b.strides = nullptr;
  return b;
}

std::vector<float> HostTensor::toFloats() const {
  std::vector<float> values(static_cast<size_t>(numElements()));
  for (size_t i = 0; i < values.size(); ++i) {
    const char *p = bytes.data() + i * moe_dtype_size(dtype);
    switch (dtype) {
    case MOE_DTYPE_F32:
      std::memcpy(&values[i], p, 4);
      break;
    case MOE_DTYPE_F16:
      values[i] = ref::fromF16Bits(load16(p));
      break;
    case MOE_DTYPE_BF16:
      values[i] = ref::fromBF16Bits(load16(p));
      break;
    case MOE_DTYPE_I32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      values[i] = static_cast<float>(v);
      break;
    }
    case MOE_DTYPE_MAX_ENUM:
      break;
    }
  }
  return values;
}

HostTensor HostTensor::zeros(moe_dtype_t dtype, std::vector<int64_t> shape) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.bytes.assign(static_cast<size_t>(t.numElements()) * moe_dtype_size(dtype),
                 0);
  return t;
}

HostTensor HostTensor::fromFloats(moe_dtype_t dtype, std::vector<int64_t> shape,
                                  const std::vector<float> &values) {
  HostTensor t = zeros(dtype, std::move(shape));
  for (size_t i = 0; i < values.size(); ++i) {
    char *p = t.bytes.data() + i * moe_dtype_size(dtype);
    switch (dtype) {
    case MOE_DTYPE_F32:
      std::memcpy(p, &values[i], 4);
      break;
    case MOE_DTYPE_F16:
      store16(p, ref::toF16Bits(values[i]));
      break;
    case MOE_DTYPE_BF16:
      store16(p, ref::toBF16Bits(values[i]));
      break;
    case MOE_DTYPE_I32: {
      int32_t v = static_cast<int32_t>(values[i]);
      std::memcpy(p, &v, 4);
      break;
    }
    case MOE_DTYPE_MAX_ENUM:
      break;
    }
  }
  return t;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") +
            (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return text + "]";
}

bool fromNpy(const NpyArray &array, moe_dtype_t dtype, HostTensor &tensor,
             std::string &error) {
  tensor = HostTensor::zeros(dtype, array.shape);
  int64_t n = array.numElements();
  if (dtype == MOE_DTYPE_I32) {
    if (array.descr == "<i4") {
      std::memcpy(tensor.bytes.data(), array.data.data(), tensor.bytes.size());
      return true;
    }
    if (array.descr == "<i8") {
      for (int64_t i = 0; i < n; ++i) {
        int64_t v;
        std::memcpy(&v, array.data.data() + 8 * i, 8);
        if (v < INT32_MIN || v > INT32_MAX) {
          error = "value " + std::to_string(v) + " does not fit in i32";
          return false;
        }
        int32_t narrow = static_cast<int32_t>(v);
        std::memcpy(tensor.bytes.data() + 4 * i, &narrow, 4);
      }
      return true;
    }
    error = "the argument is i32 but the file holds " + array.descr +
            " (expected <i4 or <i8)";
    return false;
  }
  if (dtype == MOE_DTYPE_BF16 && array.descr == "<u2") {
    std::memcpy(tensor.bytes.data(), array.data.data(), tensor.bytes.size());
    return true;
  }
  if (dtype == MOE_DTYPE_F16 && array.descr == "<f2") {
    std::memcpy(tensor.bytes.data(), array.data.data(), tensor.bytes.size());
    return true;
  }
  std::vector<float> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i)
    if (!npyFloat(array, i, values[static_cast<size_t>(i)])) {
      error = std::string("the argument is ") + moe_dtype_name(dtype) +
              " but the file holds " + array.descr +
              (dtype == MOE_DTYPE_BF16
                   ? " (expected <f2, <f4, <f8, or <u2 raw bfloat16 bits)"
                   : " (expected <f2, <f4 or <f8)");
      return false;
    }
  tensor = HostTensor::fromFloats(dtype, array.shape, values);
  return true;
}

NpyArray toNpy(const HostTensor &tensor) {
  NpyArray array;
  array.shape = tensor.shape;
  switch (tensor.dtype) {
  case MOE_DTYPE_F32:
    array.descr = "<f4";
    array.data = tensor.bytes;
    break;
  case MOE_DTYPE_F16:
    array.descr = "<f2";
    array.data = tensor.bytes;
    break;
  case MOE_DTYPE_I32:
    array.descr = "<i4";
    array.data = tensor.bytes;
    break;
  case MOE_DTYPE_BF16: {
    array.descr = "<f4";
    std::vector<float> values = tensor.toFloats();
    array.data.resize(values.size() * 4);
    std::memcpy(array.data.data(), values.data(), array.data.size());
    break;
  }
  case MOE_DTYPE_MAX_ENUM:
    break;
  }
  return array;
}

void fillRandom(HostTensor &tensor, uint64_t seed, uint64_t stream,
                float scale) {
  if (tensor.dtype == MOE_DTYPE_I32) {
    std::fill(tensor.bytes.begin(), tensor.bytes.end(), 0);
    return;
  }
  uint64_t state = seed * 0x2545f4914f6cdd1dull + stream * 0x9e3779b97f4a7c15ull;
  splitmix(state);
  std::vector<float> values(static_cast<size_t>(tensor.numElements()));
  for (float &v : values) {
    // 24 random bits -> [0, 1) exactly, then [-1, 1).
    float unit = static_cast<float>(splitmix(state) >> 40) * 0x1.0p-24f;
    v = (2.0f * unit - 1.0f) * scale;
  }
  tensor = HostTensor::fromFloats(tensor.dtype, tensor.shape, values);
}

} // namespace moe::tools
