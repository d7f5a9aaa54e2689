//===- WarpReduce.cpp - shuffles and subgroup reductions, lane by lane ----===//
#include "WarpReduce.h"

#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_emu.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

namespace moe::emu {
namespace {

bool isFloat(int32_t scalar) { return scalar & 0x100; }
int bitsOf(int32_t scalar) { return scalar & 0xff; }

double toDouble(int64_t bits, int32_t scalar) {
  switch (scalar) {
  case MOE_EMU_SCALAR_F16:
    return ref::fromF16Bits(uint16_t(bits));
  case MOE_EMU_SCALAR_BF16:
    return ref::fromBF16Bits(uint16_t(bits));
  case MOE_EMU_SCALAR_F32: {
    float f;
    uint32_t u = uint32_t(bits);
    std::memcpy(&f, &u, 4);
    return f;
  }
  default: {
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  }
}

int64_t fromDouble(double value, int32_t scalar) {
  switch (scalar) {
  case MOE_EMU_SCALAR_F16:
    return ref::toF16Bits(float(value));
  case MOE_EMU_SCALAR_BF16:
    return ref::toBF16Bits(float(value));
  case MOE_EMU_SCALAR_F32: {
    float f = float(value);
    uint32_t u;
    std::memcpy(&u, &f, 4);
    return int64_t(u);
  }
  default: {
    int64_t bits;
    std::memcpy(&bits, &value, 8);
    return bits;
  }
  }
}

/// An integer's bits sign- or zero-extended from its width.
int64_t signedValue(int64_t bits, int width) {
  return width == 64 ? bits : int64_t(uint64_t(bits) << (64 - width)) >> (64 - width);
}
uint64_t unsignedValue(int64_t bits, int width) {
  return width == 64 ? uint64_t(bits) : uint64_t(bits) & ((uint64_t(1) << width) - 1);
}

int64_t combineFloats(int64_t a, int64_t b, int32_t op, int32_t scalar) {
  double x = toDouble(a, scalar), y = toDouble(b, scalar), r = 0;
  switch (op) {
  case MOE_EMU_REDUCE_ADD:
    r = scalar == MOE_EMU_SCALAR_F64 ? x + y : double(float(x) + float(y));
    break;
  case MOE_EMU_REDUCE_MUL:
    r = scalar == MOE_EMU_SCALAR_F64 ? x * y : double(float(x) * float(y));
    break;
  case MOE_EMU_REDUCE_MINNUMF:
    r = std::fmin(x, y);
    break;
  case MOE_EMU_REDUCE_MAXNUMF:
    r = std::fmax(x, y);
    break;
  case MOE_EMU_REDUCE_MINIMUMF:
    r = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
    break;
  case MOE_EMU_REDUCE_MAXIMUMF:
    r = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
    break;
  }
  return fromDouble(r, scalar);
}

int64_t combineIntegers(int64_t a, int64_t b, int32_t op, int width) {
  int64_t sa = signedValue(a, width), sb = signedValue(b, width);
  uint64_t ua = unsignedValue(a, width), ub = unsignedValue(b, width);
  uint64_t r = 0;
  switch (op) {
  case MOE_EMU_REDUCE_ADD:
    r = ua + ub;
    break;
  case MOE_EMU_REDUCE_MUL:
    r = ua * ub;
    break;
  case MOE_EMU_REDUCE_MINUI:
    r = std::min(ua, ub);
    break;
  case MOE_EMU_REDUCE_MAXUI:
    r = std::max(ua, ub);
    break;
  case MOE_EMU_REDUCE_MINSI:
    r = uint64_t(std::min(sa, sb));
    break;
  case MOE_EMU_REDUCE_MAXSI:
    r = uint64_t(std::max(sa, sb));
    break;
  case MOE_EMU_REDUCE_AND:
    r = ua & ub;
    break;
  case MOE_EMU_REDUCE_OR:
    r = ua | ub;
    break;
  case MOE_EMU_REDUCE_XOR:
    r = ua ^ ub;
    break;
  }
  return int64_t(unsignedValue(int64_t(r), width));
}

} // namespace

void shuffle(int lanes, const int64_t *values, const int32_t *offsets,
             int32_t mode, int32_t width, int64_t *results, bool *valid) {
  std::vector<int64_t> in(values, values + lanes);
  for (int lane = 0; lane < lanes; ++lane) {
    int64_t offset = offsets[lane], source = 0;
    switch (mode) {
    case MOE_EMU_SHUFFLE_XOR:
      source = lane ^ offset;
      break;
    case MOE_EMU_SHUFFLE_UP:
      source = lane - offset;
      break;
    case MOE_EMU_SHUFFLE_DOWN:
      source = lane + offset;
      break;
    default:
      source = offset;
      break;
    }
    bool inside = source >= 0 && source < width && source < lanes;
    valid[lane] = inside;
    results[lane] = inside ? in[size_t(source)] : in[size_t(lane)];
  }
}

std::optional<std::string> unsupportedReduce(int32_t op, int32_t scalar) {
  bool floating = isFloat(scalar);
  bool knownScalar = floating ? (scalar == MOE_EMU_SCALAR_F16 ||
                                 scalar == MOE_EMU_SCALAR_BF16 ||
                                 scalar == MOE_EMU_SCALAR_F32 ||
                                 scalar == MOE_EMU_SCALAR_F64)
                              : bitsOf(scalar) >= 1 && bitsOf(scalar) <= 64;
  if (!knownScalar)
    return "an element type the emulator does not reduce";
  bool floatOp = op == MOE_EMU_REDUCE_ADD || op == MOE_EMU_REDUCE_MUL ||
                 op == MOE_EMU_REDUCE_MINNUMF || op == MOE_EMU_REDUCE_MAXNUMF ||
                 op == MOE_EMU_REDUCE_MINIMUMF || op == MOE_EMU_REDUCE_MAXIMUMF;
  bool intOp = op >= MOE_EMU_REDUCE_ADD && op <= MOE_EMU_REDUCE_XOR &&
               op != MOE_EMU_REDUCE_MINNUMF && op != MOE_EMU_REDUCE_MAXNUMF;
  if (floating ? !floatOp : !intOp)
    return "an operation that does not apply to the element type";
  return std::nullopt;
}

void subgroupReduce(int lanes, const int64_t *values, int32_t op,
                    int32_t scalar, int32_t size, int32_t stride,
                    int64_t *results) {
  std::vector<int64_t> in(values, values + lanes);
  for (int lane = 0; lane < lanes; ++lane) {
    int span = size * stride;
    int first = (lane / span) * span + lane % stride;
    int64_t acc = in[size_t(first)];
    for (int i = 1; i < size; ++i) {
      int64_t next = in[size_t(first + i * stride)];
      acc = isFloat(scalar) ? combineFloats(acc, next, op, scalar)
                            : combineIntegers(acc, next, op, bitsOf(scalar));
    }
    results[lane] = acc;
  }
}

} // namespace moe::emu
