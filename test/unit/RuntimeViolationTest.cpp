//===- RuntimeViolationTest.cpp - formatViolation and contract kinds ------===//
//
// The text of every contract kind, as docs/abi.md's table spells it. The
// runtime formats a compiled module's status buffer with it, and the
// reference's check* functions use it too (ReferenceContractsTest checks
// their messages did not change).
//
//===----------------------------------------------------------------------===//

#include "moe/Reference/Reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

using namespace moe::ref;

namespace {

int64_t bitsOf(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return static_cast<int64_t>(bits);
}

} // namespace

TEST(RuntimeViolation, EveryKindAsTheTableSpellsIt) {
  EXPECT_EQ(formatViolation("moe.permute", ContractKind::IdsRange, "ids", 3, 1,
                            9, 8),
            "moe.permute: runtime contract 0 <= ids < num_experts violated: "
            "ids[3, 1] = 9 (num_experts = 8)");
  EXPECT_EQ(formatViolation("moe.grouped_gemm", ContractKind::OffsetsStart,
                            "offsets", 0, -1, 1, 0),
            "moe.grouped_gemm: runtime contract offsets[0] == 0 violated: "
            "offsets[0] = 1");
  EXPECT_EQ(formatViolation("moe.grouped_gemm", ContractKind::OffsetsMonotone,
                            "offsets", 3, -1, 2, 4),
            "moe.grouped_gemm: runtime contract offsets never decrease "
            "violated: offsets[3] = 2 (offsets[2] = 4)");
  EXPECT_EQ(formatViolation("moe.grouped_gemm", ContractKind::OffsetsEnd,
                            "offsets", 8, -1, 17, 16),
            "moe.grouped_gemm: runtime contract offsets[E] <= M violated: "
            "offsets[8] = 17 (M = 16)");
  EXPECT_EQ(formatViolation("moe.grouped_gemm", ContractKind::CountsRange,
                            "counts", 2, -1, 5, 4),
            "moe.grouped_gemm: runtime contract 0 <= counts <= capacity "
            "violated: counts[2] = 5 (capacity = 4)");
  EXPECT_EQ(formatViolation("moe.route", ContractKind::Finite, "logits", 1, 2,
                            bitsOf(std::numeric_limits<float>::quiet_NaN()), 0),
            "moe.route: runtime contract logits finite violated: "
            "logits[1, 2] = nan");
  EXPECT_EQ(formatViolation("moe.dispatch", ContractKind::Capacity, "capacity",
                            -1, -1, 0, 0),
            "moe.dispatch: runtime contract capacity >= 1 violated: "
            "capacity = 0");
  EXPECT_EQ(formatViolation("moe.unpermute", ContractKind::RowsRange, "rows",
                            2, -1, 4, 4),
            "moe.unpermute: runtime contract -1 <= rows < N violated: "
            "rows[2] = 4 (N = 4)");
}

TEST(RuntimeViolation, FiniteDecodesTheF32BitPattern) {
  const float inf = std::numeric_limits<float>::infinity();
  auto text = [](float value) {
    return formatViolation("moe.route", ContractKind::Finite, "logits", 0, 0,
                           bitsOf(value), 0);
  };
  EXPECT_EQ(text(inf),
            "moe.route: runtime contract logits finite violated: "
            "logits[0, 0] = inf");
  EXPECT_EQ(text(-inf),
            "moe.route: runtime contract logits finite violated: "
            "logits[0, 0] = -inf");
  // A negative NaN prints "nan" too (printf would say "-nan").
  EXPECT_EQ(text(-std::numeric_limits<float>::quiet_NaN()),
            "moe.route: runtime contract logits finite violated: "
            "logits[0, 0] = nan");
  // Only the low 32 bits count (the status word is zero-extended).
  EXPECT_EQ(formatViolation("moe.route", ContractKind::Finite, "logits", 0, 0,
                            bitsOf(1.5f) | (int64_t(1) << 40), 0),
            "moe.route: runtime contract logits finite violated: "
            "logits[0, 0] = 1.5");
}

TEST(RuntimeViolation, PositionFollowsTheIndices) {
  // Both -1: a scalar; j == -1: rank 1; else rank 2. The tensor name is used
  // in the position and, where the table shows it, in the contract.
  EXPECT_EQ(formatViolation("moe.route", ContractKind::Finite, "bias", 7, -1,
                            bitsOf(std::numeric_limits<float>::infinity()), 0),
            "moe.route: runtime contract bias finite violated: bias[7] = inf");
  EXPECT_EQ(formatViolation("moe.grouped_gemm", ContractKind::RowsRange,
                            "gather_rows", 0, -1, -2, 4),
            "moe.grouped_gemm: runtime contract -1 <= gather_rows < N "
            "violated: gather_rows[0] = -2 (N = 4)");
  EXPECT_EQ(formatViolation("moe.layer", ContractKind::Capacity, "capacity",
                            -1, -1, -3, 0),
            "moe.layer: runtime contract capacity >= 1 violated: "
            "capacity = -3");
  EXPECT_EQ(formatViolation("moe.dispatch", ContractKind::IdsRange, "ids", 0,
                            0, -1, 4),
            "moe.dispatch: runtime contract 0 <= ids < num_experts violated: "
            "ids[0, 0] = -1 (num_experts = 4)");
}

TEST(RuntimeViolation, MatchesTheReferenceChecks) {
  IndexTensor ids{{2, 3}, {0, 1, -2, 7, 0, 0}};
  EXPECT_EQ(checkIds("moe.dispatch", ids, 4),
            formatViolation("moe.dispatch", ContractKind::IdsRange, "ids", 0,
                            2, -2, 4));
  EXPECT_EQ(checkOffsets("moe.grouped_gemm", {0, 4, 4, 2, 1}, 8),
            formatViolation("moe.grouped_gemm", ContractKind::OffsetsMonotone,
                            "offsets", 3, -1, 2, 4));
  EXPECT_EQ(checkCounts("moe.grouped_gemm", {1, -1}, 4),
            formatViolation("moe.grouped_gemm", ContractKind::CountsRange,
                            "counts", 1, -1, -1, 4));
  Tensor logits{{2, 2}, {0, 1, 2, -std::numeric_limits<float>::infinity()}};
  EXPECT_EQ(checkFinite("moe.route", logits),
            formatViolation("moe.route", ContractKind::Finite, "logits", 1, 1,
                            bitsOf(-std::numeric_limits<float>::infinity()),
                            0));
}

TEST(RuntimeViolation, KindNamesRoundTrip) {
  const char *names[] = {"ids_range",  "offsets_start", "offsets_monotone",
                         "offsets_end", "counts_range", "finite",
                         "capacity",   "rows_range"};
  const ContractKind kinds[] = {
      ContractKind::IdsRange,    ContractKind::OffsetsStart,
      ContractKind::OffsetsMonotone, ContractKind::OffsetsEnd,
      ContractKind::CountsRange, ContractKind::Finite,
      ContractKind::Capacity,    ContractKind::RowsRange};
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_STREQ(toString(kinds[i]), names[i]);
    std::optional<ContractKind> parsed = parseContractKind(names[i]);
    ASSERT_TRUE(parsed.has_value()) << names[i];
    EXPECT_EQ(*parsed, kinds[i]);
  }
  EXPECT_FALSE(parseContractKind("IdsRange").has_value());
  EXPECT_FALSE(parseContractKind("ids-range").has_value());
  EXPECT_FALSE(parseContractKind("").has_value());
}
