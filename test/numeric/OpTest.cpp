//===- OpTest.cpp - every moe op on its own against the reference ---------===//
#include "NumericTestUtil.h"

#include <sstream>

using namespace moe;
using namespace moe::numeric;

namespace {

/// `tensor<?x8xf32>`: -1 is a dynamic extent.
std::string tensorType(std::vector<int64_t> shape, const std::string &element) {
  std::string text = "tensor<";
  for (int64_t dim : shape)
    text += (dim < 0 ? std::string("?") : std::to_string(dim)) + "x";
  return text + element + ">";
}

std::vector<int32_t> randomIds(int64_t tokens, int64_t k, int64_t experts,
                               std::mt19937 &rng, int64_t skipExpert = -1) {
  std::uniform_int_distribution<int32_t> pick(0, int32_t(experts - 1));
  std::vector<int32_t> ids(size_t(tokens * k));
  for (int32_t &id : ids) {
    do
      id = pick(rng);
    while (id == skipExpert);
  }
  return ids;
}

ref::IndexTensor indexTensor(const HostTensor &t) {
  return ref::IndexTensor{t.shape, t.ints};
}

//===----------------------------------------------------------------------===//
// moe.route
//===----------------------------------------------------------------------===//

struct RouteCase {
  int64_t experts, k;
  ref::DType dtype;
  std::string attrs; // after top_k(k)
  ref::RouteOptions options;
  bool bias;
};

void checkRoute(const RouteCase &c, int64_t tokens, bool tiedLogits = false) {
  std::string logitsType = tensorType({-1, c.experts}, mlirType(c.dtype));
  std::string biasType = tensorType({c.experts}, "f32");
  std::string idsType = tensorType({-1, c.k}, "i32");
  std::string weightsType = tensorType({-1, c.k}, "f32");
  std::ostringstream mlir;
  mlir << "func.func @route(%l: " << logitsType
       << (c.bias ? ", %b: " + biasType : "") << ") -> (" << idsType << ", "
       << weightsType << ") {\n  %ids, %w = moe.route %l "
       << (c.bias ? "bias(%b : " + biasType + ") " : "") << "top_k(" << c.k
       << ") " << c.attrs << " : " << logitsType << "\n  return %ids, %w : "
       << idsType << ", " << weightsType << "\n}\n";
  Module module = compileMlir(mlir.str());
  ASSERT_TRUE(module);

  std::mt19937 rng(uint32_t(tokens * 31 + c.experts));
  std::vector<HostTensor> inputs{
      floatTensor({tokens, c.experts}, c.dtype, rng, 2.0f)};
  if (tiedLogits)
    std::fill(inputs[0].floats.begin(), inputs[0].floats.end(), 0.0f);
  if (c.bias)
    inputs.push_back(floatTensor({c.experts}, ref::DType::F32, rng, 0.1f));
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  ref::Tensor biasTensor = c.bias ? toReference(inputs[1]) : ref::Tensor{};
  ref::RouteResult expected = ref::route(toReference(inputs[0]),
                                         c.bias ? &biasTensor : nullptr,
                                         c.options);
  expectEqualInts(result.outputs[0], expected.ids.data, "ids");
  expectClose(result.outputs[1], expected.weights, ref::DType::F32, "weights");
}

ref::RouteOptions routeOptions(int64_t k, ref::Scoring scoring, bool renormalize,
                               float scaling = 1.0f, int64_t groups = 1,
                               int64_t groupTopk = 1) {
  ref::RouteOptions options;
  options.k = k;
  options.scoring = scoring;
  options.renormalize = renormalize;
  options.scaling = scaling;
  options.groups = groups;
  options.groupTopk = groupTopk;
  return options;
}

TEST(Route, SoftmaxTopKInEveryDtype) {
  for (ref::DType dtype : {ref::DType::F32, ref::DType::F16, ref::DType::BF16})
    for (int64_t tokens : {0, 1, 13})
      checkRoute({8, 2, dtype, "", routeOptions(2, ref::Scoring::Softmax, false),
                  false},
                 tokens);
}

TEST(Route, RenormalizedQwen3Shape) {
  checkRoute({128, 8, ref::DType::BF16, "renormalize",
              routeOptions(8, ref::Scoring::Softmax, true), false},
             21);
}

TEST(Route, DeepSeekV3GroupedSigmoidWithBias) {
  checkRoute({256, 8, ref::DType::F32,
              "scoring<sigmoid> groups(8, 4) renormalize scaling(2.5)",
              routeOptions(8, ref::Scoring::Sigmoid, true, 2.5f, 8, 4), true},
             17);
}

TEST(Route, ManyExpertsNotAPowerOfTwo) {
  checkRoute({384, 8, ref::DType::F32, "scoring<sigmoid>",
              routeOptions(8, ref::Scoring::Sigmoid, false), false},
             5);
  checkRoute({60, 4, ref::DType::F16, "groups(6, 3)",
              routeOptions(4, ref::Scoring::Softmax, false, 1.0f, 6, 3), false},
             9);
}

TEST(Route, TiedLogitsPickTheLowestIndexAndKEqualsE) {
  checkRoute({6, 6, ref::DType::F32, "renormalize",
              routeOptions(6, ref::Scoring::Softmax, true), false},
             4, /*tiedLogits=*/true);
  checkRoute({6, 3, ref::DType::F32, "",
              routeOptions(3, ref::Scoring::Softmax, false), false},
             4, /*tiedLogits=*/true);
}

//===----------------------------------------------------------------------===//
// moe.permute, moe.dispatch, moe.unpermute
//===----------------------------------------------------------------------===//

TEST(Permute, StableExpertOrderWithAnEmptyExpert) {
  const int64_t k = 3, experts = 5, hidden = 9;
  std::string xType = tensorType({-1, hidden}, "bf16");
  std::string idsType = tensorType({-1, k}, "i32");
  Module module = compileMlir(
      "func.func @f(%x: " + xType + ", %ids: " + idsType + ") -> (" + xType +
      ", tensor<6xi32>, tensor<?xi32>) {\n  %xp, %o, %r = moe.permute %x, %ids "
      "experts(5) : " + xType + ", " + idsType +
      "\n  return %xp, %o, %r : " + xType + ", tensor<6xi32>, tensor<?xi32>\n}\n");
  ASSERT_TRUE(module);
  for (int64_t tokens : {0, 1, 13}) {
    std::mt19937 rng{uint32_t(tokens)};
    std::vector<HostTensor> inputs{
        floatTensor({tokens, hidden}, ref::DType::BF16, rng),
        intTensor({tokens, k}, randomIds(tokens, k, experts, rng, 2))};
    RunResult result = run(module.get(), inputs);
    ASSERT_EQ(result.status, MOE_OK) << result.error;
    ref::PermuteResult expected = ref::permute(
        toReference(inputs[0]), indexTensor(inputs[1]), experts);
    expectClose(result.outputs[0], expected.xp, ref::DType::BF16, "xp");
    expectEqualInts(result.outputs[1], expected.offsets, "offsets");
    expectEqualInts(result.outputs[2], expected.rows, "rows");
  }
}

TEST(Dispatch, DropsPairsBeyondCapacityInPairOrder) {
  const int64_t k = 2, experts = 4, hidden = 6, capacity = 3;
  std::string xType = tensorType({-1, hidden}, "f16");
  std::string idsType = tensorType({-1, k}, "i32");
  Module module = compileMlir(
      "func.func @f(%x: " + xType + ", %ids: " + idsType +
      ") -> (tensor<12x6xf16>, tensor<4xi32>, tensor<12xi32>) {\n"
      "  %xp, %c, %r = moe.dispatch %x, %ids experts(4) capacity(3) : " +
      xType + ", " + idsType +
      "\n  return %xp, %c, %r : tensor<12x6xf16>, tensor<4xi32>, "
      "tensor<12xi32>\n}\n");
  ASSERT_TRUE(module);
  for (int64_t tokens : {0, 1, 11}) {
    std::mt19937 rng(uint32_t(tokens + 5));
    std::vector<HostTensor> inputs{
        floatTensor({tokens, hidden}, ref::DType::F16, rng),
        intTensor({tokens, k}, randomIds(tokens, k, experts, rng))};
    RunResult result = run(module.get(), inputs);
    ASSERT_EQ(result.status, MOE_OK) << result.error;
    ref::DispatchResult expected = ref::dispatch(
        toReference(inputs[0]), indexTensor(inputs[1]), experts, capacity);
    expectClose(result.outputs[0], expected.xp, ref::DType::F16, "xp");
    expectEqualInts(result.outputs[1], expected.counts, "counts");
    expectEqualInts(result.outputs[2], expected.rows, "rows");
  }
}

TEST(Unpermute, PaddedRowsAndDroppedPairs) {
  // Rows from a dispatch that dropped pairs: -1 rows contribute nothing.
  const int64_t tokens = 10, k = 2, experts = 4, capacity = 3, hidden = 7;
  std::mt19937 rng(3);
  HostTensor x = floatTensor({tokens, hidden}, ref::DType::F32, rng);
  HostTensor ids = intTensor({tokens, k}, randomIds(tokens, k, experts, rng));
  ref::DispatchResult dispatched =
      ref::dispatch(toReference(x), indexTensor(ids), experts, capacity);
  HostTensor y = floatTensor({experts * capacity, hidden}, ref::DType::BF16, rng);
  HostTensor weights = floatTensor({tokens, k}, ref::DType::F32, rng);
  std::string yType = tensorType({-1, hidden}, "bf16");
  std::string wType = tensorType({-1, k}, "f32");
  Module module = compileMlir(
      "func.func @f(%y: " + yType + ", %rows: tensor<?xi32>, %w: " + wType +
      ") -> " + yType + " {\n  %out = moe.unpermute %y, %rows, %w : " + yType +
      ", tensor<?xi32>, " + wType + "\n  return %out : " + yType + "\n}\n");
  ASSERT_TRUE(module);
  std::vector<HostTensor> inputs{
      y, intTensor({experts * capacity}, dispatched.rows), weights};
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  expectClose(result.outputs[0],
              ref::unpermute(toReference(y), dispatched.rows,
                             toReference(weights), ref::DType::BF16),
              ref::DType::BF16, "out");
}

TEST(BalanceLoss, MatchesTheReference) {
  const int64_t k = 2, experts = 6;
  std::string lType = tensorType({-1, experts}, "f32");
  std::string idsType = tensorType({-1, k}, "i32");
  Module module = compileMlir(
      "func.func @f(%l: " + lType + ", %ids: " + idsType +
      ") -> tensor<f32> {\n  %loss = moe.balance_loss %l, %ids : " + lType +
      ", " + idsType + "\n  return %loss : tensor<f32>\n}\n");
  ASSERT_TRUE(module);
  for (int64_t tokens : {0, 1, 19}) {
    std::mt19937 rng(uint32_t(tokens + 77));
    std::vector<HostTensor> inputs{
        floatTensor({tokens, experts}, ref::DType::F32, rng),
        intTensor({tokens, k}, randomIds(tokens, k, experts, rng))};
    RunResult result = run(module.get(), inputs);
    ASSERT_EQ(result.status, MOE_OK) << result.error;
    float expected =
        ref::balanceLoss(toReference(inputs[0]), indexTensor(inputs[1]));
    expectClose(result.outputs[0], ref::Tensor{{}, {expected}},
                ref::DType::F32, "loss at T = " + std::to_string(tokens));
  }
}

//===----------------------------------------------------------------------===//
// moe.grouped_gemm
//===----------------------------------------------------------------------===//

struct GemmCase {
  std::string name;
  ref::DType dtype;
  bool counts;       // padded [E, C] layout instead of CSR offsets
  bool eoi;          // [E, Out, In]
  bool bias;
  ref::Activation activation;
  bool gated;
  bool gather;
  bool combine;
  /// A #moe.tile<...> body for the op (GPU kernels; empty: the default).
  std::string tile = "";
  /// The same tile for 64-lane waves (a tensor-core tile's thread count is
  /// its warps' lanes); empty: `tile`.
  std::string waveTile = "";
  /// More attributes after the tile: the CPU's small_tile and medium_tile.
  std::string rowTiles = "";
};

void checkGroupedGemm(const GemmCase &c) {
  const std::string &tile =
      warpLanes() == 64 && !c.waveTile.empty() ? c.waveTile : c.tile;
  SCOPED_TRACE(c.name);
  const int64_t tokens = 11, k = 2, experts = 5, in = 13, out = 10,
                capacity = 4;
  const int64_t width = c.gated ? out / 2 : out;
  std::mt19937 rng(99);
  HostTensor x = floatTensor({tokens, in}, c.dtype, rng);
  HostTensor ids = intTensor({tokens, k}, randomIds(tokens, k, experts, rng, 3));
  HostTensor w = floatTensor(c.eoi ? std::vector<int64_t>{experts, out, in}
                                   : std::vector<int64_t>{experts, in, out},
                             c.dtype, rng, 0.3f);
  HostTensor bias = floatTensor({experts, out}, c.dtype, rng, 0.3f);
  HostTensor routeWeights = floatTensor({tokens, k}, ref::DType::F32, rng);

  // The grouped rows come from the reference's permute or dispatch.
  ref::Tensor grouped;
  std::vector<int32_t> rows, segments;
  if (c.counts) {
    ref::DispatchResult d =
        ref::dispatch(toReference(x), indexTensor(ids), experts, capacity);
    grouped = d.xp;
    rows = d.rows;
    segments = d.counts;
  } else {
    ref::PermuteResult p =
        ref::permute(toReference(x), indexTensor(ids), experts);
    grouped = p.xp;
    rows = p.rows;
    segments = p.offsets;
  }
  int64_t numRows = int64_t(rows.size());

  std::string dt = mlirType(c.dtype);
  std::string xType = c.gather ? tensorType({-1, in}, dt)
                               : tensorType({numRows, in}, dt);
  std::string wType = tensorType(c.eoi ? std::vector<int64_t>{experts, out, in}
                                       : std::vector<int64_t>{experts, in, out},
                                 dt);
  std::string segType = tensorType({int64_t(segments.size())}, "i32");
  std::string rowsType = tensorType({numRows}, "i32");
  std::string bType = tensorType({experts, out}, dt);
  std::string rwType = tensorType({-1, k}, "f32");
  std::string yType = c.combine ? tensorType({-1, width}, dt)
                                : tensorType({numRows, width}, dt);
  std::string activation = ref::toString(c.activation);

  std::ostringstream mlir;
  mlir << "func.func @f(%x: " << xType << ", %w: " << wType
       << ", %seg: " << segType << ", %b: " << bType << ", %rows: " << rowsType
       << ", %rw: " << rwType << ") -> " << yType << " {\n"
       << "  %y = moe.grouped_gemm %x, %w, "
       << (c.counts ? "counts" : "offsets") << "(%seg)";
  if (c.bias)
    mlir << " bias(%b : " << bType << ")";
  if (c.gather)
    mlir << " gather(%rows : " << rowsType << ", k = " << k << ")";
  if (c.combine)
    mlir << " combine(%rows : " << rowsType << ", %rw : " << rwType << ")";
  mlir << " activation<" << activation << ">" << (c.gated ? " gated" : "")
       << (c.eoi ? " layout<eoi>" : "")
       << (tile.empty() ? ""
                        : " {tile = #moe.tile<" + tile + ">" +
                              (c.rowTiles.empty() ? "" : ", " + c.rowTiles) +
                              "}")
       << " : " << xType << ", " << wType
       << ", " << segType << "\n  return %y : " << yType << "\n}\n";
  Module module = compileMlir(mlir.str());
  ASSERT_TRUE(module);

  HostTensor xArg = c.gather ? x : fromReference(grouped, c.dtype);
  std::vector<HostTensor> inputs{
      xArg, w, intTensor({int64_t(segments.size())}, segments), bias,
      intTensor({numRows}, rows), routeWeights};
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;

  ref::GemmAttrs attrs;
  attrs.activation = c.activation;
  attrs.gated = c.gated;
  attrs.layout = c.eoi ? ref::WeightLayout::ExpertOutIn
                       : ref::WeightLayout::ExpertInOut;
  attrs.dtype = c.dtype;
  ref::Segments refSegments = c.counts ? ref::Segments::fromCounts(segments)
                                       : ref::Segments::fromOffsets(segments);
  ref::Gather gather{rows, k};
  ref::Combine combine{rows, toReference(routeWeights)};
  ref::Tensor biasRef = toReference(bias);
  ref::Tensor expected = ref::groupedGemm(
      c.gather ? toReference(x) : grouped, toReference(w), refSegments,
      c.bias ? &biasRef : nullptr, attrs, c.gather ? &gather : nullptr,
      c.combine ? &combine : nullptr);
  expectClose(result.outputs[0], expected, c.dtype, c.name);
}

/// gtest prints a parameter in failure messages and test lists.
void PrintTo(const GemmCase &c, std::ostream *os) { *os << c.name; }

class GroupedGemmForms : public ::testing::TestWithParam<GemmCase> {};

TEST_P(GroupedGemmForms, MatchesTheReference) { checkGroupedGemm(GetParam()); }

using A = ref::Activation;
INSTANTIATE_TEST_SUITE_P(
    Numeric, GroupedGemmForms,
    ::testing::Values(
        GemmCase{"offsets_eio_plain_f32", ref::DType::F32, false, false, false,
                 A::None, false, false, false},
        GemmCase{"offsets_eio_bias_silu_gated_f32", ref::DType::F32, false,
                 false, true, A::Silu, true, false, false},
        GemmCase{"offsets_eoi_gelu_bf16", ref::DType::BF16, false, true, false,
                 A::Gelu, false, false, false},
        GemmCase{"counts_eio_relu_f16", ref::DType::F16, true, false, true,
                 A::Relu, false, false, false},
        GemmCase{"counts_eoi_gelu_tanh_gated_f32", ref::DType::F32, true, true,
                 false, A::GeluTanh, true, false, false},
        GemmCase{"gather_offsets_silu_gated_bf16", ref::DType::BF16, false,
                 false, false, A::Silu, true, true, false},
        GemmCase{"combine_offsets_f32", ref::DType::F32, false, false, true,
                 A::None, false, false, true},
        GemmCase{"gather_combine_counts_eoi_f16", ref::DType::F16, true, true,
                 true, A::Relu, false, true, true},
        GemmCase{"gather_combine_offsets_gated_f32", ref::DType::F32, false,
                 false, false, A::Silu, true, true, true},
        // Tiles on the op: sizes that are not multiples of the tile (In 13,
        // Out 10), a small tile of 64 threads and sm_90's default.
        GemmCase{"offsets_bias_silu_gated_f32_tile16x16x8", ref::DType::F32,
                 false, false, true, A::Silu, true, false, false,
                 "block_m = 16, block_n = 16, block_k = 8, thread_m = 2, "
                 "thread_n = 2"},
        GemmCase{"gather_combine_counts_eoi_bf16_tile64x128x16",
                 ref::DType::BF16, true, true, false, A::Gelu, false, true,
                 true,
                 "block_m = 64, block_n = 128, block_k = 16, thread_m = 4, "
                 "thread_n = 8"},
        // The CPU's three row-tile classes: each expert's rows (about 4) in
        // tiles of 4; a last tile of 1 row takes the small tile, one of 2
        // or 3 rows the medium tile (streamed k-blocks of 2; the width's
        // last column in a forall of its own), 4 rows the large tile.
        GemmCase{"offsets_bias_silu_gated_f32_three_row_tiles",
                 ref::DType::F32, false, false, true, A::Silu, true, false,
                 false,
                 "block_m = 4, block_n = 4, block_k = 8, thread_m = 2, "
                 "thread_n = 4",
                 "", "small_tile = #moe.tile<block_m = 1, block_n = 5, "
                 "block_k = 4, thread_m = 1, thread_n = 5>, medium_tile = "
                 "#moe.tile<block_m = 3, block_n = 4, block_k = 2, "
                 "thread_m = 3, thread_n = 4>"},
        GemmCase{"gather_combine_offsets_bf16_three_row_tiles",
                 ref::DType::BF16, false, false, false, A::Gelu, false, true,
                 true,
                 "block_m = 4, block_n = 8, block_k = 8, thread_m = 2, "
                 "thread_n = 8",
                 "", "small_tile = #moe.tile<block_m = 1, block_n = 10, "
                 "block_k = 1, thread_m = 1, thread_n = 10>, medium_tile = "
                 "#moe.tile<block_m = 2, block_n = 10, block_k = 4, "
                 "thread_m = 2, thread_n = 5>"},
        // Tensor-core tiles (f16; on emu the mma.sync or MFMA collectives):
        // four warps of 16 x 16, gated with bias (eio: transposed ldmatrix of
        // the weight) and gathered and combined (eoi).
        GemmCase{"offsets_bias_silu_gated_f16_mma16x16", ref::DType::F16,
                 false, false, true, A::Silu, true, false, false,
                 "block_m = 32, block_n = 32, block_k = 16, thread_m = 2, "
                 "thread_n = 4, warp_m = 16, warp_n = 16",
                 "block_m = 32, block_n = 32, block_k = 16, thread_m = 2, "
                 "thread_n = 2, warp_m = 16, warp_n = 16"},
        GemmCase{"gather_combine_offsets_eoi_f16_mma32x32", ref::DType::F16,
                 false, true, false, A::Gelu, false, true, true,
                 "block_m = 64, block_n = 64, block_k = 32, thread_m = 4, "
                 "thread_n = 8, warp_m = 32, warp_n = 32",
                 "block_m = 64, block_n = 64, block_k = 32, thread_m = 4, "
                 "thread_n = 4, warp_m = 32, warp_n = 32"}),
    [](const ::testing::TestParamInfo<GemmCase> &info) {
      return info.param.name;
    });

} // namespace
