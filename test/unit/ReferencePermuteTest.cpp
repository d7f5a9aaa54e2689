//===- ReferencePermuteTest.cpp - permute, dispatch, unpermute -----------===//

#include "ReferenceTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace moe::ref;
using namespace moe::ref::test;

namespace {

/// Token t is the row [t, 10 + t] so every copied row says where it came from.
Tensor numberedTokens(int64_t numTokens) {
  Tensor x = Tensor::zeros({numTokens, 2});
  for (int64_t t = 0; t < numTokens; ++t) {
    x.at(t, 0) = static_cast<float>(t);
    x.at(t, 1) = static_cast<float>(10 + t);
  }
  return x;
}

/// The rows of `x` that `tokens` names; -1 names a zero row.
std::vector<float> rowsOf(const Tensor &x, const std::vector<int> &tokens) {
  std::vector<float> data;
  for (int t : tokens) {
    data.push_back(t < 0 ? 0.0f : x.at(t, 0));
    data.push_back(t < 0 ? 0.0f : x.at(t, 1));
  }
  return data;
}

} // namespace

TEST(ReferencePermute, StableCountingSortWorkedExample) {
  // Pairs p = t*K + k go to experts 2 0 | 0 2 | 1 0 | 2 1.
  Tensor x = numberedTokens(4);
  PermuteResult p = permute(x, indices({4, 2}, {2, 0, 0, 2, 1, 0, 2, 1}), 3);
  EXPECT_EQ(p.offsets, (std::vector<int32_t>{0, 3, 5, 8}));
  EXPECT_EQ(p.rows, (std::vector<int32_t>{1, 2, 5, 4, 7, 0, 3, 6}));
  EXPECT_EQ(p.xp.shape, (std::vector<int64_t>{8, 2}));
  // xp[i] = x[rows[i] / K].
  EXPECT_EQ(p.xp.data, rowsOf(x, {0, 1, 2, 2, 3, 0, 1, 3}));
}

TEST(ReferencePermute, ExpertWithNoPairsAndAllOnOneExpert) {
  Tensor x = numberedTokens(3);
  PermuteResult p = permute(x, indices({3, 1}, {2, 2, 2}), 4);
  EXPECT_EQ(p.offsets, (std::vector<int32_t>{0, 0, 0, 3, 3}));
  EXPECT_EQ(p.rows, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(p.xp.data, x.data);
}

TEST(ReferenceDispatch, DropsPairsBeyondCapacityInPairOrder) {
  // Pairs go to experts 2 0 | 0 2 | 0 1 | 2 0. With C = 2 expert 0 keeps
  // pairs 1 and 2 (drops 4 and 7), expert 1 keeps 5 and has a free row,
  // expert 2 keeps 0 and 3 (drops 6).
  Tensor x = numberedTokens(4);
  IndexTensor ids = indices({4, 2}, {2, 0, 0, 2, 0, 1, 2, 0});
  DispatchResult d = dispatch(x, ids, 3, 2);
  EXPECT_EQ(d.counts, (std::vector<int32_t>{2, 1, 2}));
  EXPECT_EQ(d.rows, (std::vector<int32_t>{1, 2, 5, -1, 0, 3}));
  EXPECT_EQ(d.xp.shape, (std::vector<int64_t>{6, 2}));
  EXPECT_EQ(d.xp.data, rowsOf(x, {0, 1, 2, -1, 0, 1}));

  DispatchResult wide = dispatch(x, ids, 3, 4);
  EXPECT_EQ(wide.counts, (std::vector<int32_t>{4, 1, 3}));
  EXPECT_EQ(wide.rows,
            (std::vector<int32_t>{1, 2, 4, 7, 5, -1, -1, -1, 0, 3, 6, -1}));
  EXPECT_EQ(wide.xp.data, rowsOf(x, {0, 1, 2, 3, 2, -1, -1, -1, 0, 1, 3, -1}));
}

TEST(ReferenceDispatch, CapacityFromFactor) {
  EXPECT_EQ(capacityFromFactor(1.25, 8, 3), 4); // ceil(10 / 3)
  EXPECT_EQ(capacityFromFactor(1.0, 8, 4), 2);  // exact: no rounding up
  EXPECT_EQ(capacityFromFactor(2.0, 8, 8), 2);
  // (factor * N) / E, in that order: (1.1 * 50) / 5 = 11.000000000000002,
  // whereas 1.1 * (50 / 5) = 11 exactly.
  EXPECT_EQ(capacityFromFactor(1.1, 50, 5), 12);
  // (1.3 * 70) / 13 = 7 exactly, whereas 1.3 * (70 / 13) = 7.000000000000001.
  EXPECT_EQ(capacityFromFactor(1.3, 70, 13), 7);
  // Capacity is at least 1.
  EXPECT_EQ(capacityFromFactor(1.0, 0, 4), 1);
  EXPECT_EQ(capacityFromFactor(0.01, 4, 4), 1);
  EXPECT_EQ(capacityFromFactor(0.0, 100, 4), 1);
}

TEST(ReferenceUnpermute, WeightedSumWithDroppedPair) {
  // T = 2, K = 2. Pair 2 (token 1, slot 0) was dropped; row 1 is empty.
  Tensor y = tensor({4, 2}, {1.0f, 2.0f,     // pair 3
                             9.0f, 9.0f,     // empty
                             10.0f, 20.0f,   // pair 0
                             100.0f, 200.0f} // pair 1
  );
  std::vector<int32_t> rows = {3, -1, 0, 1};
  Tensor weights = tensor({2, 2}, {0.5f, 0.25f, 0.75f, 2.0f});
  Tensor out = unpermute(y, rows, weights);
  EXPECT_EQ(out.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(out.data,
            (std::vector<float>{0.5f * 10 + 0.25f * 100,
                                0.5f * 20 + 0.25f * 200, 2.0f * 1, 2.0f * 2}));
}

TEST(ReferenceUnpermute, InvertsPermuteAndRoundsOnceAtTheEnd) {
  Tensor x = numberedTokens(4);
  IndexTensor ids = indices({4, 2}, {2, 0, 0, 2, 1, 0, 2, 1});
  PermuteResult p = permute(x, ids, 3);
  Tensor halves = tensor({4, 2}, {0.5f, 0.5f, 0.5f, 0.5f, //
                                  0.5f, 0.5f, 0.5f, 0.5f});
  EXPECT_EQ(unpermute(p.xp, p.rows, halves).data, x.data);

  // In bf16, 1 + 3 * 2^-9 lies past the midpoint of 1 and 1 + 2^-7.
  Tensor y = tensor({2, 1}, {1.0f, 3.0f * std::ldexp(1.0f, -9)});
  Tensor ones = tensor({1, 2}, {1.0f, 1.0f});
  EXPECT_EQ(unpermute(y, {0, 1}, ones).data[0],
            1.0f + 3 * std::ldexp(1.0f, -9));
  EXPECT_EQ(unpermute(y, {0, 1}, ones, DType::BF16).data[0],
            1.0f + std::ldexp(1.0f, -7));

  // 1 + 2^-8 + 2^-8 is 1 + 2^-7, a bf16 value; rounding after each term
  // would tie 1 + 2^-8 down to 1 twice.
  const float quarterUlp = std::ldexp(1.0f, -8);
  Tensor small = tensor({3, 1}, {1.0f, quarterUlp, quarterUlp});
  EXPECT_EQ(unpermute(small, {0, 1, 2}, tensor({1, 3}, {1, 1, 1}), DType::BF16)
                .data[0],
            1.0f + std::ldexp(1.0f, -7));
}

TEST(ReferenceUnpermute, SumsSlotsInOrder) {
  // 1e8 + 1 - 1e8 in f32: slot order k = 0, 1, 2 gives 0; any order that
  // adds the ones first would give a different answer.
  Tensor y = tensor({3, 1}, {1e8f, 1.0f, -1e8f});
  Tensor weights = tensor({1, 3}, {1.0f, 1.0f, 1.0f});
  EXPECT_EQ(unpermute(y, {0, 1, 2}, weights).data[0], 0.0f);
  EXPECT_EQ(unpermute(y, {0, 2, 1}, weights).data[0], 1.0f);
}
