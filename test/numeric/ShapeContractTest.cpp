//===- ShapeContractTest.cpp - shape relations checked at run time --------===//
//
// For every moe op and every relation among its operands' dims, a module whose
// dims are all dynamic gets inputs that break exactly that relation. The run
// must fail with MOE_ERROR_CONTRACT naming the op, the relation and both sizes,
// with the value checks on and off (moe-check-shapes is always on): an op run
// on disagreeing shapes would read or write out of bounds.
//
//===----------------------------------------------------------------------===//
#include "NumericTestUtil.h"

using namespace moe;
using namespace moe::numeric;

namespace {

struct Input {
  std::vector<int64_t> shape;
  bool integer = false;
};

Input floats(std::vector<int64_t> shape) { return {std::move(shape), false}; }
Input ints(std::vector<int64_t> shape) { return {std::move(shape), true}; }

struct ShapeCase {
  const char *name;
  const char *module;
  std::vector<Input> inputs;
  const char *message;
};

std::ostream &operator<<(std::ostream &os, const ShapeCase &c) {
  return os << c.name;
}

const char *kPermute = R"(
func.func @f(%x: tensor<?x?xf32>, %ids: tensor<?x?xi32>) -> (tensor<?x?xf32>, tensor<5xi32>, tensor<?xi32>) {
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<?x?xf32>, tensor<?x?xi32>
  return %xp, %o, %r : tensor<?x?xf32>, tensor<5xi32>, tensor<?xi32>
}
)";

const char *kDispatch = R"(
func.func @f(%x: tensor<?x?xf32>, %ids: tensor<?x?xi32>) -> (tensor<8x?xf32>, tensor<4xi32>, tensor<8xi32>) {
  %xp, %c, %r = moe.dispatch %x, %ids experts(4) capacity(2) : tensor<?x?xf32>, tensor<?x?xi32>
  return %xp, %c, %r : tensor<8x?xf32>, tensor<4xi32>, tensor<8xi32>
}
)";

const char *kRoute = R"(
func.func @f(%l: tensor<?x?xf32>, %b: tensor<?xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %ids, %w = moe.route %l bias(%b : tensor<?xf32>) top_k(2) scoring<sigmoid> groups(4, 2) : tensor<?x?xf32>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}
)";

const char *kGemmOffsets = R"(
func.func @f(%x: tensor<?x?xf32>, %w: tensor<?x?x?xf32>, %o: tensor<?xi32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) bias(%b : tensor<?x?xf32>) activation<silu> gated : tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?xi32>
  return %y : tensor<?x?xf32>
}
)";

const char *kGemmCounts = R"(
func.func @f(%x: tensor<?x?xf32>, %w: tensor<?x?x?xf32>, %c: tensor<?xi32>) -> tensor<?x?xf32> {
  %y = moe.grouped_gemm %x, %w, counts(%c) : tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?xi32>
  return %y : tensor<?x?xf32>
}
)";

const char *kUnpermute = R"(
func.func @f(%y: tensor<?x?xf32>, %rows: tensor<?xi32>, %w: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x?xf32>, tensor<?xi32>, tensor<?x?xf32>
  return %out : tensor<?x?xf32>
}
)";

const char *kBalanceLoss = R"(
func.func @f(%l: tensor<?x?xf32>, %ids: tensor<?x?xi32>) -> tensor<f32> {
  %loss = moe.balance_loss %l, %ids : tensor<?x?xf32>, tensor<?x?xi32>
  return %loss : tensor<f32>
}
)";

const char *kLayer = R"(
func.func @f(%x: tensor<?x?xf32>, %r: tensor<?x4xf32>, %gu: tensor<?x?x?xf32>, %d: tensor<?x?x?xf32>) -> tensor<?x?xf32> {
  %out = moe.layer %x, %r, %gu, %d top_k(2) renormalize activation<silu> gated : tensor<?x?xf32>, tensor<?x4xf32>, tensor<?x?x?xf32>, tensor<?x?x?xf32>
  return %out : tensor<?x?xf32>
}
)";

const ShapeCase kCases[] = {
    {"PermuteTokens", kPermute, {floats({3, 2}), ints({4, 2})},
     "moe.permute: runtime contract ids dim 0 == x dim 0 violated: "
     "ids dim 0 = 4 (x dim 0 = 3)"},
    {"PermuteNoSlots", kPermute, {floats({3, 2}), ints({3, 0})},
     "moe.permute: runtime contract ids dim 1 >= 1 violated: ids dim 1 = 0"},
    {"DispatchTokens", kDispatch, {floats({3, 2}), ints({2, 2})},
     "moe.dispatch: runtime contract ids dim 0 == x dim 0 violated: "
     "ids dim 0 = 2 (x dim 0 = 3)"},
    {"RouteBias", kRoute, {floats({3, 8}), floats({6})},
     "moe.route: runtime contract bias dim 0 == logits dim 1 violated: "
     "bias dim 0 = 6 (logits dim 1 = 8)"},
    {"RouteFewerExpertsThanK", kRoute, {floats({3, 1}), floats({1})},
     "moe.route: runtime contract logits dim 1 >= k = 2 violated: "
     "logits dim 1 = 1"},
    {"RouteGroupsDivideExperts", kRoute, {floats({3, 2}), floats({2})},
     "moe.route: runtime contract logits dim 1 is a multiple of groups = 4 "
     "violated: logits dim 1 = 2"},
    {"RouteEmptyExperts", kRoute, {floats({3, 0}), floats({0})},
     "moe.route: runtime contract logits dim 1 >= k = 2 violated: "
     "logits dim 1 = 0"},
    {"GemmIn", kGemmOffsets,
     {floats({4, 3}), floats({2, 5, 6}), ints({3}), floats({2, 6})},
     "moe.grouped_gemm: runtime contract w dim 1 == x dim 1 violated: "
     "w dim 1 = 5 (x dim 1 = 3)"},
    {"GemmOffsets", kGemmOffsets,
     {floats({4, 3}), floats({2, 3, 6}), ints({2}), floats({2, 6})},
     "moe.grouped_gemm: runtime contract offsets dim 0 == w dim 0 + 1 "
     "violated: offsets dim 0 = 2 (w dim 0 + 1 = 3)"},
    {"GemmGatedOddOut", kGemmOffsets,
     {floats({4, 3}), floats({2, 3, 5}), ints({3}), floats({2, 5})},
     "moe.grouped_gemm: runtime contract w dim 2 is a multiple of 2 "
     "violated: w dim 2 = 5"},
    {"GemmBiasExperts", kGemmOffsets,
     {floats({4, 3}), floats({2, 3, 6}), ints({3}), floats({3, 6})},
     "moe.grouped_gemm: runtime contract bias dim 0 == w dim 0 violated: "
     "bias dim 0 = 3 (w dim 0 = 2)"},
    {"GemmBiasOut", kGemmOffsets,
     {floats({4, 3}), floats({2, 3, 6}), ints({3}), floats({2, 4})},
     "moe.grouped_gemm: runtime contract bias dim 1 == w dim 2 violated: "
     "bias dim 1 = 4 (w dim 2 = 6)"},
    {"GemmNoExperts", kGemmCounts, {floats({4, 3}), floats({0, 3, 6}), ints({0})},
     "moe.grouped_gemm: runtime contract w dim 0 >= 1 violated: w dim 0 = 0"},
    {"GemmCountsLength", kGemmCounts,
     {floats({4, 3}), floats({2, 3, 6}), ints({3})},
     "moe.grouped_gemm: runtime contract counts dim 0 == w dim 0 violated: "
     "counts dim 0 = 3 (w dim 0 = 2)"},
    {"GemmCountsRows", kGemmCounts,
     {floats({5, 3}), floats({2, 3, 6}), ints({2})},
     "moe.grouped_gemm: runtime contract x dim 0 is a multiple of w dim 0 "
     "violated: x dim 0 = 5 (w dim 0 = 2)"},
    {"UnpermuteRows", kUnpermute, {floats({2, 3}), ints({8}), floats({4, 2})},
     "moe.unpermute: runtime contract rows dim 0 == y dim 0 violated: "
     "rows dim 0 = 8 (y dim 0 = 2)"},
    {"UnpermuteNoSlots", kUnpermute, {floats({2, 3}), ints({2}), floats({4, 0})},
     "moe.unpermute: runtime contract weights dim 1 >= 1 violated: "
     "weights dim 1 = 0"},
    {"BalanceLossTokens", kBalanceLoss, {floats({3, 4}), ints({4, 2})},
     "moe.balance_loss: runtime contract ids dim 0 == logits dim 0 violated: "
     "ids dim 0 = 4 (logits dim 0 = 3)"},
    {"LayerHidden", kLayer,
     {floats({3, 8}), floats({6, 4}), floats({4, 8, 10}), floats({4, 5, 8})},
     "moe.layer: runtime contract router_w dim 0 == x dim 1 violated: "
     "router_w dim 0 = 6 (x dim 1 = 8)"},
    {"LayerExperts", kLayer,
     {floats({3, 8}), floats({8, 4}), floats({4, 8, 10}), floats({3, 5, 8})},
     "moe.layer: runtime contract w_down dim 0 == router_w dim 1 violated: "
     "w_down dim 0 = 3 (router_w dim 1 = 4)"},
    {"LayerIntermediate", kLayer,
     {floats({3, 8}), floats({8, 4}), floats({4, 8, 12}), floats({4, 5, 8})},
     "moe.layer: runtime contract w_gate_up dim 2 == 2 * w_down dim 1 "
     "violated: w_gate_up dim 2 = 12 (2 * w_down dim 1 = 10)"},
};

class ShapeContracts
    : public ::testing::TestWithParam<std::tuple<ShapeCase, bool>> {};

TEST_P(ShapeContracts, MismatchIsAContractError) {
  const auto &[shapeCase, checks] = GetParam();
  Module module = compileMlir(shapeCase.module, checks);
  ASSERT_TRUE(module);
  std::mt19937 rng(7);
  std::vector<HostTensor> inputs;
  for (const Input &input : shapeCase.inputs) {
    int64_t n = 1;
    for (int64_t d : input.shape)
      n *= d;
    inputs.push_back(input.integer
                         ? intTensor(input.shape, std::vector<int32_t>(n, 0))
                         : floatTensor(input.shape, ref::DType::F32, rng));
  }
  RunResult result = run(module.get(), inputs);
  EXPECT_EQ(result.status, MOE_ERROR_CONTRACT) << result.error;
  EXPECT_EQ(result.error, shapeCase.message);
}

INSTANTIATE_TEST_SUITE_P(
    AllOps, ShapeContracts,
    ::testing::Combine(::testing::ValuesIn(kCases), ::testing::Bool()),
    [](const auto &info) {
      return std::string(std::get<0>(info.param).name) +
             (std::get<1>(info.param) ? "_Checks" : "_NoChecks");
    });

/// Shapes that agree run: the guard does not fire on valid input.
TEST(ShapeContracts, AgreeingDynamicShapesRun) {
  Module module = compileMlir(kUnpermute, /*checks=*/false);
  ASSERT_TRUE(module);
  std::mt19937 rng(3);
  std::vector<HostTensor> inputs = {floatTensor({4, 3}, ref::DType::F32, rng),
                                    intTensor({4}, {3, 0, 1, 2}),
                                    floatTensor({2, 2}, ref::DType::F32, rng)};
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  ASSERT_EQ(result.outputs.size(), 1u);
  EXPECT_EQ(result.outputs[0].shape, (std::vector<int64_t>{2, 3}));
}

} // namespace
