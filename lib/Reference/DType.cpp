//===- DType.cpp - f16 / bf16 rounding and bit conversions ---------------===//

#include "moe/Reference/Reference.h"

#include <cmath>
#include <cstring>

namespace moe::ref {

namespace {

uint32_t floatBits(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  return bits;
}

float bitsToFloat(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

/// Drops the low `shift` bits of `value`, rounding to nearest, ties to even.
uint32_t shiftRightRoundEven(uint32_t value, unsigned shift) {
  uint32_t kept = value >> shift;
  uint32_t rest = value & ((1u << shift) - 1);
  uint32_t half = 1u << (shift - 1);
  if (rest > half || (rest == half && (kept & 1u)))
    ++kept;
  return kept;
}

} // namespace

uint16_t toF16Bits(float x) {
  uint32_t bits = floatBits(x);
  auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t magnitude = bits & 0x7fffffffu;

  if (magnitude >= 0x7f800000u) {
    if (magnitude == 0x7f800000u)
      return sign | 0x7c00u;
    // Keep the top payload bits and force the quiet bit so a NaN whose
    // payload lives only in the low bits does not become inf.
    return static_cast<uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
  }
  // 2^16 and above is past 65504 + half an ulp: inf.
  if (magnitude >= 0x47800000u)
    return sign | 0x7c00u;

  uint32_t exponent = magnitude >> 23; // biased for f32 (127)
  uint32_t mantissa = magnitude & 0x7fffffu;

  if (exponent >= 113) { // >= 2^-14: normal in f16 (bias 15)
    uint32_t half = ((exponent - 112) << 10) | (mantissa >> 13);
    uint32_t rest = mantissa & 0x1fffu;
    // A carry out of the mantissa correctly bumps the exponent, up to inf.
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u)))
      ++half;
    return static_cast<uint16_t>(sign | half);
  }

  // Subnormal in f16: count units of 2^-24. At most half a unit (2^-25) rounds
  // to zero (the tie goes to the even 0).
  if (magnitude <= 0x33000000u)
    return sign;
  uint32_t significand =
      mantissa | 0x800000u;        // value = significand * 2^(exponent-150)
  unsigned shift = 126 - exponent; // 14..24 here
  // Rounding up to 0x400 yields the smallest normal, which is the right
  // encoding.
  return static_cast<uint16_t>(sign | shiftRightRoundEven(significand, shift));
}

float fromF16Bits(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    float value = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -value : value;
  }
  if (exponent == 31)
    return bitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t toBF16Bits(float x) {
  uint32_t bits = floatBits(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    // Truncating could clear every payload bit and give inf: force quiet.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  // Round to nearest even; overflow carries into the exponent and gives inf.
  uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

float fromBF16Bits(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

float roundTo(DType type, float x) {
  switch (type) {
  case DType::F32:
    return x;
  case DType::F16:
    return fromF16Bits(toF16Bits(x));
  case DType::BF16:
    return fromBF16Bits(toBF16Bits(x));
  }
  return x;
}

void roundAll(DType type, Tensor &t) {
  if (type == DType::F32)
    return;
  for (float &v : t.data)
    v = roundTo(type, v);
}

} // namespace moe::ref
