//===- ReferenceDTypeTest.cpp - f16/bf16 rounding and enum names ---------===//

#include "moe/Reference/Reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace moe::ref;

namespace {

float bitsToFloat(uint32_t bits) {
  float x;
  std::memcpy(&x, &bits, sizeof x);
  return x;
}

const float kInf = std::numeric_limits<float>::infinity();

} // namespace

TEST(ReferenceF16, ExactValuesHaveKnownBits) {
  EXPECT_EQ(toF16Bits(1.0f), 0x3c00);
  EXPECT_EQ(toF16Bits(-2.0f), 0xc000);
  EXPECT_EQ(toF16Bits(0.5f), 0x3800);
  EXPECT_EQ(toF16Bits(65504.0f), 0x7bff);
  EXPECT_EQ(toF16Bits(0.0f), 0x0000);
  EXPECT_EQ(toF16Bits(-0.0f), 0x8000);
  EXPECT_EQ(fromF16Bits(0x3555), 0.333251953125f);
  EXPECT_EQ(fromF16Bits(0x7c00), kInf);
  EXPECT_EQ(fromF16Bits(0xfc00), -kInf);
  EXPECT_TRUE(std::signbit(fromF16Bits(0x8000)));
}

TEST(ReferenceF16, RoundsToNearestTiesToEven) {
  // The f16 ulp at 1 is 2^-10.
  const float ulp = std::ldexp(1.0f, -10);
  // Halfway between 1 (even mantissa) and 1 + ulp: stays at 1.
  EXPECT_EQ(roundTo(DType::F16, 1.0f + ulp / 2), 1.0f);
  // Halfway between 1 + ulp (odd) and 1 + 2 ulp (even): goes up.
  EXPECT_EQ(roundTo(DType::F16, 1.0f + 3 * ulp / 2), 1.0f + 2 * ulp);
  // Just above a tie rounds up, just below rounds down.
  EXPECT_EQ(roundTo(DType::F16, 1.0f + ulp / 2 + std::ldexp(1.0f, -20)),
            1.0f + ulp);
  EXPECT_EQ(roundTo(DType::F16, 1.0f + ulp / 2 - std::ldexp(1.0f, -20)), 1.0f);
  EXPECT_EQ(roundTo(DType::F16, -(1.0f + 3 * ulp / 2)), -(1.0f + 2 * ulp));
  // A carry out of the mantissa moves to the next binade.
  EXPECT_EQ(roundTo(DType::F16, 2.0f - ulp / 2), 2.0f);
}

TEST(ReferenceF16, OverflowsToInfinity) {
  // 65504 is the largest f16; its ulp is 32, so 65520 is the tie, and the
  // tie goes to the even neighbour, which is 2^16, i.e. inf.
  EXPECT_EQ(roundTo(DType::F16, 65519.0f), 65504.0f);
  EXPECT_EQ(roundTo(DType::F16, 65520.0f), kInf);
  EXPECT_EQ(roundTo(DType::F16, -65520.0f), -kInf);
  EXPECT_EQ(roundTo(DType::F16, 1.0e6f), kInf);
  EXPECT_EQ(roundTo(DType::F16, std::numeric_limits<float>::max()), kInf);
  EXPECT_EQ(toF16Bits(kInf), 0x7c00);
  EXPECT_EQ(toF16Bits(-kInf), 0xfc00);
}

TEST(ReferenceF16, Subnormals) {
  const float unit = std::ldexp(1.0f, -24); // smallest f16 subnormal
  EXPECT_EQ(toF16Bits(unit), 0x0001);
  EXPECT_EQ(fromF16Bits(0x0001), unit);
  EXPECT_EQ(fromF16Bits(0x03ff), 1023 * unit);
  EXPECT_EQ(roundTo(DType::F16, 0.5f * unit), 0.0f); // tie -> even 0
  EXPECT_EQ(roundTo(DType::F16, 0.75f * unit), unit);
  EXPECT_EQ(roundTo(DType::F16, 1.5f * unit), 2 * unit); // tie -> even 2
  EXPECT_EQ(roundTo(DType::F16, 2.5f * unit), 2 * unit); // tie -> even 2
  EXPECT_EQ(roundTo(DType::F16, 1.25f * unit), unit);
  EXPECT_EQ(roundTo(DType::F16, 0.25f * unit), 0.0f);
  EXPECT_TRUE(std::signbit(roundTo(DType::F16, -0.25f * unit)));
  EXPECT_EQ(toF16Bits(-unit), 0x8001);
  // 1023.5 units ties to 1024 units, the smallest normal.
  EXPECT_EQ(toF16Bits(1023.5f * unit), 0x0400);
  EXPECT_EQ(fromF16Bits(0x0400), std::ldexp(1.0f, -14));
}

TEST(ReferenceF16, NaNIsPreserved) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(roundTo(DType::F16, nan)));
  EXPECT_TRUE(std::isnan(roundTo(DType::F16, -nan)));
  // A payload only in the low bits must not collapse to inf.
  const float lowPayload = bitsToFloat(0x7f800001u);
  ASSERT_TRUE(std::isnan(lowPayload));
  uint16_t bits = toF16Bits(lowPayload);
  EXPECT_EQ(bits & 0x7c00, 0x7c00);
  EXPECT_NE(bits & 0x03ff, 0);
  EXPECT_TRUE(std::isnan(fromF16Bits(0x7e00)));
  EXPECT_TRUE(std::isnan(fromF16Bits(0x7c01)));
}

TEST(ReferenceF16, EveryFiniteValueRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    if ((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff))
      continue; // NaN
    float value = fromF16Bits(static_cast<uint16_t>(bits));
    ASSERT_EQ(toF16Bits(value), bits) << "bits 0x" << std::hex << bits;
    ASSERT_EQ(roundTo(DType::F16, value), value);
  }
}

TEST(ReferenceBF16, RoundsToNearestTiesToEven) {
  EXPECT_EQ(toBF16Bits(1.0f), 0x3f80);
  EXPECT_EQ(fromBF16Bits(0x3f80), 1.0f);
  // The bf16 ulp at 1 is 2^-7.
  const float ulp = std::ldexp(1.0f, -7);
  EXPECT_EQ(roundTo(DType::BF16, 1.0f + ulp / 2), 1.0f);
  EXPECT_EQ(roundTo(DType::BF16, 1.0f + 3 * ulp / 2), 1.0f + 2 * ulp);
  EXPECT_EQ(roundTo(DType::BF16, 1.0f + ulp / 2 + std::ldexp(1.0f, -20)),
            1.0f + ulp);
  // bf16 keeps the f32 exponent range: f32 subnormals round like normals.
  EXPECT_EQ(toBF16Bits(bitsToFloat(0x00018000u)), 0x0002); // tie, odd -> up
  EXPECT_EQ(toBF16Bits(bitsToFloat(0x00008000u)), 0x0000); // tie, even -> down
}

TEST(ReferenceBF16, OverflowsToInfinity) {
  // 0x7f7f is the largest finite bf16; halfway above it ties to the even
  // neighbour, which is inf.
  EXPECT_EQ(toBF16Bits(bitsToFloat(0x7f7f7fffu)), 0x7f7f);
  EXPECT_EQ(toBF16Bits(bitsToFloat(0x7f7f8000u)), 0x7f80);
  EXPECT_EQ(roundTo(DType::BF16, std::numeric_limits<float>::max()), kInf);
  EXPECT_EQ(roundTo(DType::BF16, -std::numeric_limits<float>::max()), -kInf);
  EXPECT_EQ(roundTo(DType::BF16, kInf), kInf);
}

TEST(ReferenceBF16, NaNIsPreserved) {
  const float lowPayload = bitsToFloat(0xff800001u);
  EXPECT_TRUE(std::isnan(roundTo(DType::BF16, lowPayload)));
  EXPECT_EQ(toBF16Bits(lowPayload) & 0x8000, 0x8000); // sign kept
  EXPECT_TRUE(std::isnan(
      roundTo(DType::BF16, std::numeric_limits<float>::quiet_NaN())));
}

TEST(ReferenceBF16, EveryFiniteValueRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    if ((bits & 0x7f80) == 0x7f80 && (bits & 0x7f))
      continue; // NaN
    float value = fromBF16Bits(static_cast<uint16_t>(bits));
    ASSERT_EQ(toBF16Bits(value), bits) << "bits 0x" << std::hex << bits;
  }
}

TEST(ReferenceDType, F32IsIdentityAndRoundAllRoundsEveryElement) {
  EXPECT_EQ(roundTo(DType::F32, 0.1f), 0.1f);
  Tensor t{{3}, {0.1f, 1.0f + std::ldexp(1.0f, -9), 3.0f}};
  roundAll(DType::BF16, t);
  EXPECT_EQ(t.data[0], fromBF16Bits(toBF16Bits(0.1f)));
  EXPECT_NE(t.data[0], 0.1f);
  EXPECT_EQ(t.data[1], 1.0f);
  EXPECT_EQ(t.data[2], 3.0f);
}

TEST(ReferenceNames, ParseAndPrintEverySpelling) {
  for (const char *name : {"f32", "f16", "bf16"})
    EXPECT_STREQ(toString(*parseDType(name)), name);
  for (const char *name : {"softmax", "sigmoid"})
    EXPECT_STREQ(toString(*parseScoring(name)), name);
  for (const char *name : {"none", "relu", "silu", "gelu", "gelu_tanh"})
    EXPECT_STREQ(toString(*parseActivation(name)), name);
  for (const char *name : {"eio", "eoi"})
    EXPECT_STREQ(toString(*parseWeightLayout(name)), name);

  EXPECT_EQ(parseActivation("gelu_tanh"), Activation::GeluTanh);
  EXPECT_EQ(parseWeightLayout("eoi"), WeightLayout::ExpertOutIn);
  EXPECT_EQ(parseDType("bf16"), DType::BF16);
  EXPECT_FALSE(parseScoring("Softmax").has_value());
  EXPECT_FALSE(parseActivation("swiglu").has_value());
  EXPECT_FALSE(parseDType("").has_value());
  EXPECT_FALSE(parseWeightLayout("oie").has_value());
}
