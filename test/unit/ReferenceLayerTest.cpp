//===- ReferenceLayerTest.cpp - moe.layer --------------------------------===//

#include "ReferenceTestUtil.h"

#include <gtest/gtest.h>

using namespace moe::ref;
using namespace moe::ref::test;

namespace {

/// E = 2, K = 1, H = 2, I = 1, gated relu, EIO; see TinyHandComputed.
struct TinyLayer {
  Tensor x = tensor({2, 2}, {1, 2, 3, -1});
  Tensor routerW = tensor({2, 2}, {1, 0, 0, 1}); // logits = x
  // Expert 0: gate = x0, up = x0 + x1. Expert 1: gate = x1, up = x0.
  Tensor wGateUp = tensor({2, 2, 2}, {1, 1, 0, 1, //
                                      0, 1, 1, 0});
  // Expert 0: h -> [h, -h]. Expert 1: h -> [2h, 0].
  Tensor wDown = tensor({2, 1, 2}, {1, -1, 2, 0});
  // Shared expert: gate = x0, up = x1; down h -> [h, h].
  Tensor sharedGateUp = tensor({2, 2}, {1, 0, 0, 1});
  Tensor sharedDown = tensor({1, 2}, {1, 1});

  LayerWeights weights(bool shared) const {
    LayerWeights w;
    w.routerW = &routerW;
    w.wGateUp = &wGateUp;
    w.wDown = &wDown;
    if (shared) {
      w.sharedGateUp = &sharedGateUp;
      w.sharedDown = &sharedDown;
    }
    return w;
  }

  static LayerOptions options() {
    LayerOptions o;
    o.route.k = 1;
    o.activation = Activation::Relu;
    o.gated = true;
    return o;
  }
};

// softmax([1, 2])_1 = 1 / (1 + e^-1) and softmax([3, -1])_0 = 1 / (1 + e^-4).
constexpr double kWeight0 = 0.7310585786300049;
constexpr double kWeight1 = 0.9820137900379085;

void expectNear(const Tensor &actual, const std::vector<double> &expected) {
  ASSERT_EQ(actual.data.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_NEAR(actual.data[i], expected[i], 1e-5) << "element " << i;
}

} // namespace

TEST(ReferenceLayer, TinyHandComputed) {
  TinyLayer l;
  // Token 0 [1, 2] -> expert 1: gate 2, up 1, h = 2, y = [4, 0].
  // Token 1 [3, -1] -> expert 0: gate 3, up 2, h = 6, y = [6, -6].
  Tensor out = layer(l.x, l.weights(false), TinyLayer::options());
  EXPECT_EQ(out.shape, (std::vector<int64_t>{2, 2}));
  expectNear(out, {4 * kWeight0, 0, 6 * kWeight1, -6 * kWeight1});
}

TEST(ReferenceLayer, TinyWithSharedExpert) {
  TinyLayer l;
  // hs = relu(x0) * x1 = 2 and -3; s = [hs, hs].
  Tensor out = layer(l.x, l.weights(true), TinyLayer::options());
  expectNear(out, {4 * kWeight0 + 2, 2, 6 * kWeight1 - 3, -6 * kWeight1 - 3});
}

TEST(ReferenceLayer, EoiLayoutWithTransposedWeightsIsIdentical) {
  TinyLayer l;
  Tensor eio = layer(l.x, l.weights(true), TinyLayer::options());
  TinyLayer t;
  t.wGateUp = transposeLastTwo(l.wGateUp);
  t.wDown = transposeLastTwo(l.wDown);
  t.sharedGateUp = transposeLastTwo(l.sharedGateUp);
  t.sharedDown = transposeLastTwo(l.sharedDown);
  LayerOptions options = TinyLayer::options();
  options.layout = WeightLayout::ExpertOutIn;
  EXPECT_EQ(layer(t.x, t.weights(true), options).data, eio.data);
}

namespace {

struct RandomLayer {
  Tensor x = pattern({5, 4}, 1);
  Tensor routerW = pattern({4, 3}, 2);
  Tensor wGateUp = pattern({3, 4, 6}, 3);
  Tensor wDown = pattern({3, 3, 4}, 4);
  Tensor sharedGateUp = pattern({4, 4}, 5);
  Tensor sharedDown = pattern({2, 4}, 6);
  Tensor routerBias = tensor({3}, {0.0f, 0.25f, -0.25f});

  LayerWeights weights() const {
    LayerWeights w;
    w.routerW = &routerW;
    w.routerBias = &routerBias;
    w.wGateUp = &wGateUp;
    w.wDown = &wDown;
    w.sharedGateUp = &sharedGateUp;
    w.sharedDown = &sharedDown;
    return w;
  }

  static LayerOptions options() {
    LayerOptions o;
    o.route.k = 2;
    o.route.renormalize = true;
    o.activation = Activation::Silu;
    return o;
  }
};

} // namespace

TEST(ReferenceLayer, LargeCapacityEqualsDropless) {
  RandomLayer l;
  for (DType dtype : {DType::F32, DType::BF16}) {
    SCOPED_TRACE(toString(dtype));
    LayerOptions options = RandomLayer::options();
    options.dtype = dtype;
    Tensor dropless = layer(l.x, l.weights(), options);
    // C = ceil(3 * 10 / 3) = 10 >= any expert's share of the 10 pairs.
    options.capacityFactor = 3.0;
    Tensor padded = layer(l.x, l.weights(), options);
    EXPECT_EQ(padded.shape, dropless.shape);
    EXPECT_EQ(padded.data, dropless.data);
  }
}

TEST(ReferenceLayer, SmallCapacityDropsLaterTokens) {
  // Every token prefers expert 0; C = max(1, ceil(0.5 * 3 / 2)) = 1 keeps only
  // token 0's pair, so tokens 1 and 2 get nothing from the routed experts.
  Tensor x = tensor({3, 1}, {1, 2, 3});
  Tensor routerW = tensor({1, 2}, {1, -1});
  Tensor wGateUp = tensor({2, 1, 1}, {1, 1});
  Tensor wDown = tensor({2, 1, 1}, {1, 1});
  LayerWeights w;
  w.routerW = &routerW;
  w.wGateUp = &wGateUp;
  w.wDown = &wDown;
  LayerOptions options;
  options.route.k = 1;
  options.route.renormalize = true;
  options.activation = Activation::None;
  options.gated = false;
  EXPECT_EQ(layer(x, w, options).data, (std::vector<float>{1, 2, 3}));
  options.capacityFactor = 0.5;
  EXPECT_EQ(layer(x, w, options).data, (std::vector<float>{1, 0, 0}));
}

TEST(ReferenceLayer, EqualsItsDecompositionInBF16) {
  RandomLayer l;
  LayerOptions options = RandomLayer::options();
  options.dtype = DType::BF16;
  Tensor out = layer(l.x, l.weights(), options);

  // The decomposition DESIGN.md §4.6 describes, from the public ops.
  Tensor logits = Tensor::zeros({5, 3});
  for (int64_t t = 0; t < 5; ++t)
    for (int64_t e = 0; e < 3; ++e)
      for (int64_t h = 0; h < 4; ++h)
        logits.at(t, e) += l.x.at(t, h) * l.routerW.at(h, e);
  RouteResult r = route(logits, &l.routerBias, options.route);
  PermuteResult p = permute(l.x, r.ids, 3);
  Segments segments = Segments::fromOffsets(p.offsets);
  GemmAttrs up{Activation::Silu, true, WeightLayout::ExpertInOut, DType::BF16};
  GemmAttrs down{Activation::None, false, WeightLayout::ExpertInOut,
                 DType::BF16};
  Tensor h = groupedGemm(p.xp, l.wGateUp, segments, nullptr, up);
  Tensor y = groupedGemm(h, l.wDown, segments, nullptr, down);
  Tensor routed = unpermute(y, p.rows, r.weights, DType::BF16);

  // Shared expert as a one-expert grouped GEMM; its down projection stays f32.
  Segments all = Segments::fromOffsets({0, 5});
  Tensor hs = groupedGemm(l.x, Tensor{{1, 4, 4}, l.sharedGateUp.data}, all,
                          nullptr, up);
  GemmAttrs downF32 = down;
  downF32.dtype = DType::F32;
  Tensor s = groupedGemm(hs, Tensor{{1, 2, 4}, l.sharedDown.data}, all, nullptr,
                         downF32);

  ASSERT_EQ(out.data.size(), routed.data.size());
  for (size_t i = 0; i < out.data.size(); ++i) {
    EXPECT_EQ(out.data[i], roundTo(DType::BF16, routed.data[i] + s.data[i]))
        << "element " << i;
    EXPECT_EQ(out.data[i], roundTo(DType::BF16, out.data[i]));
  }
}
