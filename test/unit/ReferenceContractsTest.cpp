//===- ReferenceContractsTest.cpp - runtime contract messages ------------===//

#include "ReferenceTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace moe::ref;
using namespace moe::ref::test;

TEST(ReferenceContracts, IdsInRange) {
  IndexTensor ids = indices({4, 2}, {0, 1, 2, 3, 4, 5, 6, 9});
  EXPECT_EQ(checkIds("moe.permute", ids, 10), "");
  // The message of DESIGN.md, word for word.
  EXPECT_EQ(checkIds("moe.permute", ids, 8),
            "moe.permute: runtime contract 0 <= ids < num_experts violated: "
            "ids[3, 1] = 9 (num_experts = 8)");
  // The first offending position is reported, negatives included.
  IndexTensor twoBad = indices({2, 3}, {0, 1, -2, 7, 0, 0});
  EXPECT_EQ(checkIds("moe.dispatch", twoBad, 4),
            "moe.dispatch: runtime contract 0 <= ids < num_experts violated: "
            "ids[0, 2] = -2 (num_experts = 4)");
  EXPECT_EQ(checkIds("moe.permute", IndexTensor::zeros({0, 2}), 1), "");
}

TEST(ReferenceContracts, OffsetsStartAtZero) {
  EXPECT_EQ(checkOffsets("moe.grouped_gemm", {0, 2, 2, 5}, 5), "");
  EXPECT_EQ(checkOffsets("moe.grouped_gemm", {1, 2, 3}, 5),
            "moe.grouped_gemm: runtime contract offsets[0] == 0 violated: "
            "offsets[0] = 1");
}

TEST(ReferenceContracts, OffsetsNeverDecrease) {
  EXPECT_EQ(checkOffsets("moe.grouped_gemm", {0, 4, 4, 2, 1}, 8),
            "moe.grouped_gemm: runtime contract offsets never decrease "
            "violated: offsets[3] = 2 (offsets[2] = 4)");
}

TEST(ReferenceContracts, OffsetsEndWithinRows) {
  EXPECT_EQ(checkOffsets("moe.grouped_gemm", {0, 3, 9}, 8),
            "moe.grouped_gemm: runtime contract offsets[E] <= M violated: "
            "offsets[2] = 9 (M = 8)");
  EXPECT_EQ(checkOffsets("moe.grouped_gemm", {0, 3, 8}, 8), "");
  EXPECT_NE(checkOffsets("moe.grouped_gemm", {}, 8), "");
}

TEST(ReferenceContracts, CountsWithinCapacity) {
  EXPECT_EQ(checkCounts("moe.grouped_gemm", {0, 4, 2}, 4), "");
  EXPECT_EQ(checkCounts("moe.grouped_gemm", {0, 4, 5, 6}, 4),
            "moe.grouped_gemm: runtime contract 0 <= counts <= capacity "
            "violated: counts[2] = 5 (capacity = 4)");
  EXPECT_EQ(checkCounts("moe.grouped_gemm", {1, -1}, 4),
            "moe.grouped_gemm: runtime contract 0 <= counts <= capacity "
            "violated: counts[1] = -1 (capacity = 4)");
}

TEST(ReferenceContracts, LogitsFinite) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor logits = tensor({2, 3}, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(checkFinite("moe.route", logits), "");
  logits.at(1, 2) = -inf;
  logits.at(1, 1) = nan;
  EXPECT_EQ(checkFinite("moe.route", logits),
            "moe.route: runtime contract logits finite violated: "
            "logits[1, 1] = nan");
  logits.at(0, 2) = inf;
  EXPECT_EQ(checkFinite("moe.route", logits),
            "moe.route: runtime contract logits finite violated: "
            "logits[0, 2] = inf");
  EXPECT_EQ(checkFinite("moe.balance_loss", tensor({1, 1}, {-inf})),
            "moe.balance_loss: runtime contract logits finite violated: "
            "logits[0, 0] = -inf");
  EXPECT_EQ(checkFinite("moe.route", tensor({2}, {0, -nan}), "bias"),
            "moe.route: runtime contract bias finite violated: bias[1] = nan");
}

TEST(ReferenceContracts, CapacityAtLeastOne) {
  EXPECT_EQ(checkCapacity("moe.dispatch", 1), "");
  EXPECT_EQ(checkCapacity("moe.dispatch", 0),
            "moe.dispatch: runtime contract capacity >= 1 violated: "
            "capacity = 0");
  EXPECT_EQ(checkCapacity("moe.layer", -3),
            "moe.layer: runtime contract capacity >= 1 violated: "
            "capacity = -3");
}

TEST(ReferenceContracts, RowsInRange) {
  EXPECT_EQ(checkRows("moe.unpermute", {3, -1, 0}, 4), "");
  EXPECT_EQ(checkRows("moe.unpermute", {3, -1, 4, -2}, 4),
            "moe.unpermute: runtime contract -1 <= rows < N violated: "
            "rows[2] = 4 (N = 4)");
  EXPECT_EQ(checkRows("moe.grouped_gemm", {-2}, 4, "gather_rows"),
            "moe.grouped_gemm: runtime contract -1 <= gather_rows < N "
            "violated: gather_rows[0] = -2 (N = 4)");
}
