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

#include <sys/mman.h>

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

/// T·K pairs beyond i32 (pair numbers, rows and offsets are i32): refused by
/// shape, before anything is read. The ids are 8 GiB of address space that
/// is never touched (MAP_NORESERVE), so the test needs no memory; on the
/// cpu only, where inputs are not staged.
TEST(ShapeContracts, PairsBeyondI32AreRefused) {
  if (backend() != MOE_BACKEND_CPU)
    GTEST_SKIP() << "inputs are staged on this backend";
  Module module = compileMlir(R"(
func.func @f(%x: tensor<?x0xf32>, %ids: tensor<?x2xi32>) -> tensor<?xi32> {
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<?x0xf32>, tensor<?x2xi32>
  return %r : tensor<?xi32>
}
)",
                              /*checks=*/false);
  ASSERT_TRUE(module);
  int64_t tokens = int64_t(1) << 30; // T·K = 2^31
  size_t idsBytes = size_t(tokens) * 2 * sizeof(int32_t);
  void *ids = mmap(nullptr, idsBytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(ids, MAP_FAILED);
  float xByte = 0;
  int64_t xShape[] = {tokens, 0}, idsShape[] = {tokens, 2};
  moe_buffer_t inputs[] = {{&xByte, MOE_DTYPE_F32, 2, xShape, nullptr},
                           {ids, MOE_DTYPE_I32, 2, idsShape, nullptr}};
  moe_results_t results = nullptr;
  moe_status_t status = moe_run_alloc(module.get(), nullptr, inputs, 2, &results);
  std::string error = moe_last_error();
  munmap(ids, idsBytes);
  EXPECT_EQ(status, MOE_ERROR_CONTRACT) << error;
  EXPECT_EQ(error, "moe.permute: runtime contract ids dim 0 <= (2^31 - 1) / "
                   "ids dim 1 violated: ids dim 0 = 1073741824 ((2^31 - 1) / "
                   "ids dim 1 = 1073741823)");
}

/// A capacity factor whose capacity C = ceil(factor · T·K / E) puts
/// E · C rows beyond i32 is refused by T, with the value checks on or off.
TEST(ShapeContracts, LayerCapacityBeyondI32RowsIsRefused) {
  for (bool checks : {true, false}) {
    Module module = compileLayer(
        "experts=8,k=2,hidden=16,inter=8,dtype=f32,capacity_factor=1e9",
        checks);
    ASSERT_TRUE(module);
    std::mt19937 rng(5);
    auto inputs = [&](int64_t tokens) {
      return std::vector<HostTensor>{
          floatTensor({tokens, 16}, ref::DType::F32, rng),
          floatTensor({16, 8}, ref::DType::F32, rng),
          floatTensor({8, 16, 16}, ref::DType::F32, rng),
          floatTensor({8, 8, 16}, ref::DType::F32, rng)};
    };
    // T = 1 gives C = 250000000, so E · C < 2^31 (too large to run here);
    // T = 2 doubles it. T = 0 runs (C = 1).
    std::vector<HostTensor> none = inputs(0);
    RunResult fits = run(module.get(), none);
    EXPECT_EQ(fits.status, MOE_OK) << fits.error;
    std::vector<HostTensor> two = inputs(2);
    RunResult refused = run(module.get(), two);
    EXPECT_EQ(refused.status, MOE_ERROR_CONTRACT) << refused.error;
    EXPECT_EQ(refused.error,
              "moe.layer: runtime contract x dim 0 <= max T with E * C < 2^31 "
              "= 1 violated: x dim 0 = 2");
  }
}

/// The same op with a static and a dynamic token count gives the same bits;
/// a module may return its argument.
struct StaticCase {
  const char *name;
  const char *staticModule;
  const char *dynamicModule;
  std::vector<Input> inputs;
};

std::ostream &operator<<(std::ostream &os, const StaticCase &c) {
  return os << c.name;
}

const StaticCase kStaticCases[] = {
    {"Route",
     R"(func.func @f(%l: tensor<5x8xf32>) -> (tensor<5x2xi32>, tensor<5x2xf32>) {
  %ids, %w = moe.route %l top_k(2) : tensor<5x8xf32>
  return %ids, %w : tensor<5x2xi32>, tensor<5x2xf32>
})",
     R"(func.func @f(%l: tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %ids, %w = moe.route %l top_k(2) : tensor<?x8xf32>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
})",
     {floats({5, 8})}},
    {"PermuteReturningItsArgument",
     R"(func.func @f(%x: tensor<3x16xf32>, %ids: tensor<3x4xi32>) -> (tensor<3x16xf32>, tensor<12x16xf32>, tensor<61xi32>, tensor<12xi32>) {
  %xp, %o, %r = moe.permute %x, %ids experts(60) : tensor<3x16xf32>, tensor<3x4xi32>
  return %x, %xp, %o, %r : tensor<3x16xf32>, tensor<12x16xf32>, tensor<61xi32>, tensor<12xi32>
})",
     R"(func.func @f(%x: tensor<?x16xf32>, %ids: tensor<?x4xi32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<61xi32>, tensor<?xi32>) {
  %xp, %o, %r = moe.permute %x, %ids experts(60) : tensor<?x16xf32>, tensor<?x4xi32>
  return %x, %xp, %o, %r : tensor<?x16xf32>, tensor<?x16xf32>, tensor<61xi32>, tensor<?xi32>
})",
     {floats({3, 16}), ints({3, 4})}},
    {"Unpermute",
     R"(func.func @f(%y: tensor<8x4xf32>, %rows: tensor<8xi32>, %w: tensor<4x2xf32>) -> tensor<4x4xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<8x4xf32>, tensor<8xi32>, tensor<4x2xf32>
  return %out : tensor<4x4xf32>
})",
     R"(func.func @f(%y: tensor<?x4xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x4xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x4xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x4xf32>
})",
     {floats({8, 4}), ints({8}), floats({4, 2})}},
    {"Layer",
     R"(func.func @f(%x: tensor<4x16xf32>, %r: tensor<16x8xf32>, %gu: tensor<8x16x16xf32>, %d: tensor<8x8x16xf32>) -> tensor<4x16xf32> {
  %out = moe.layer %x, %r, %gu, %d top_k(2) renormalize activation<silu> gated : tensor<4x16xf32>, tensor<16x8xf32>, tensor<8x16x16xf32>, tensor<8x8x16xf32>
  return %out : tensor<4x16xf32>
})",
     R"(func.func @f(%x: tensor<?x16xf32>, %r: tensor<16x8xf32>, %gu: tensor<8x16x16xf32>, %d: tensor<8x8x16xf32>) -> tensor<?x16xf32> {
  %out = moe.layer %x, %r, %gu, %d top_k(2) renormalize activation<silu> gated : tensor<?x16xf32>, tensor<16x8xf32>, tensor<8x16x16xf32>, tensor<8x8x16xf32>
  return %out : tensor<?x16xf32>
})",
     {floats({4, 16}), floats({16, 8}), floats({8, 16, 16}), floats({8, 8, 16})}},
};

class StaticShapes : public ::testing::TestWithParam<StaticCase> {};

TEST_P(StaticShapes, MatchTheDynamicModule) {
  const StaticCase &c = GetParam();
  Module fixed = compileMlir(c.staticModule);
  Module dynamic = compileMlir(c.dynamicModule);
  ASSERT_TRUE(fixed && dynamic);
  std::mt19937 rng(11);
  std::vector<HostTensor> inputs;
  for (const Input &input : c.inputs) {
    int64_t n = 1;
    for (int64_t d : input.shape)
      n *= d;
    std::vector<int32_t> values(n);
    for (int64_t i = 0; i < n; ++i)
      values[i] = int32_t(i % 8); // valid ids (< 60), rows (< 8)
    inputs.push_back(input.integer
                         ? intTensor(input.shape, values)
                         : floatTensor(input.shape, ref::DType::F32, rng));
  }
  std::vector<HostTensor> copy = inputs;
  RunResult a = run(fixed.get(), inputs);
  RunResult b = run(dynamic.get(), copy);
  ASSERT_EQ(a.status, MOE_OK) << a.error;
  ASSERT_EQ(b.status, MOE_OK) << b.error;
  ASSERT_EQ(a.outputs.size(), b.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    EXPECT_EQ(a.outputs[i].shape, b.outputs[i].shape) << "output " << i;
    EXPECT_EQ(a.outputs[i].floats, b.outputs[i].floats) << "output " << i;
    EXPECT_EQ(a.outputs[i].ints, b.outputs[i].ints) << "output " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, StaticShapes, ::testing::ValuesIn(kStaticCases),
                         [](const auto &info) {
                           return std::string(info.param.name);
                         });

} // namespace
