//===- ReferenceEdgeCaseTest.cpp - T = 0, E = 1, K = E -------------------===//

#include "ReferenceTestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

using namespace moe::ref;
using namespace moe::ref::test;

TEST(ReferenceEdgeCases, NoTokensForEveryOp) {
  const int64_t E = 4, K = 2, H = 3;
  Tensor x = Tensor::zeros({0, H});
  RouteOptions routeOptions;
  routeOptions.k = K;
  RouteResult r = route(Tensor::zeros({0, E}), nullptr, routeOptions);
  EXPECT_EQ(r.ids.shape, (std::vector<int64_t>{0, K}));
  EXPECT_EQ(r.weights.shape, (std::vector<int64_t>{0, K}));
  EXPECT_TRUE(r.ids.data.empty());

  PermuteResult p = permute(x, r.ids, E);
  EXPECT_EQ(p.xp.shape, (std::vector<int64_t>{0, H}));
  EXPECT_EQ(p.offsets, (std::vector<int32_t>(E + 1, 0)));
  EXPECT_TRUE(p.rows.empty());

  DispatchResult d = dispatch(x, r.ids, E, capacityFromFactor(1.0, 0, E));
  EXPECT_EQ(d.xp.shape, (std::vector<int64_t>{E, H}));
  EXPECT_EQ(d.xp.data, std::vector<float>(E * H, 0.0f));
  EXPECT_EQ(d.counts, std::vector<int32_t>(E, 0));
  EXPECT_EQ(d.rows, std::vector<int32_t>(E, -1));

  Tensor w = pattern({E, H, 2 * H});
  GemmAttrs attrs;
  attrs.activation = Activation::Silu;
  attrs.gated = true;
  Tensor y =
      groupedGemm(p.xp, w, Segments::fromOffsets(p.offsets), nullptr, attrs);
  EXPECT_EQ(y.shape, (std::vector<int64_t>{0, H}));
  Gather gather{p.rows, K};
  Combine combine{p.rows, r.weights};
  Tensor fused = groupedGemm(x, w, Segments::fromOffsets(p.offsets), nullptr,
                             attrs, &gather, &combine);
  EXPECT_EQ(fused.shape, (std::vector<int64_t>{0, H}));
  // The padded form still has E*C (all unowned, zero) rows.
  Tensor padded =
      groupedGemm(d.xp, w, Segments::fromCounts(d.counts), nullptr, attrs);
  EXPECT_EQ(padded.data, std::vector<float>(E * H, 0.0f));

  Tensor out = unpermute(y, p.rows, r.weights);
  EXPECT_EQ(out.shape, (std::vector<int64_t>{0, H}));
  EXPECT_EQ(balanceLoss(Tensor::zeros({0, E}), r.ids), 0.0f);

  Tensor routerW = pattern({H, E});
  Tensor wDown = pattern({E, H, H});
  LayerWeights weights;
  weights.routerW = &routerW;
  weights.wGateUp = &w;
  weights.wDown = &wDown;
  LayerOptions options;
  options.route = routeOptions;
  EXPECT_EQ(layer(x, weights, options).shape, (std::vector<int64_t>{0, H}));
  options.capacityFactor = 1.25;
  EXPECT_EQ(layer(x, weights, options).shape, (std::vector<int64_t>{0, H}));
}

TEST(ReferenceEdgeCases, OneExpert) {
  Tensor logits = pattern({3, 1});
  RouteOptions options;
  RouteResult r = route(logits, nullptr, options);
  EXPECT_EQ(r.ids.data, (std::vector<int32_t>{0, 0, 0}));
  EXPECT_EQ(r.weights.data, (std::vector<float>{1, 1, 1}));
  options.scoring = Scoring::Sigmoid;
  options.renormalize = true;
  EXPECT_EQ(route(logits, nullptr, options).weights.data,
            (std::vector<float>{1, 1, 1}));

  Tensor x = pattern({3, 2}, 1);
  PermuteResult p = permute(x, r.ids, 1);
  EXPECT_EQ(p.offsets, (std::vector<int32_t>{0, 3}));
  EXPECT_EQ(p.rows, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(p.xp.data, x.data);
  EXPECT_EQ(balanceLoss(logits, r.ids), 1.0f);

  // A one-expert layer is a dense FFN scaled by weight 1.
  Tensor routerW = pattern({2, 1}, 2);
  Tensor wGateUp = tensor({1, 2, 2}, {1, 0, 0, 1});
  Tensor wDown = tensor({1, 1, 2}, {1, 1});
  LayerWeights weights;
  weights.routerW = &routerW;
  weights.wGateUp = &wGateUp;
  weights.wDown = &wDown;
  LayerOptions layerOptions;
  layerOptions.activation = Activation::Relu;
  Tensor out = layer(x, weights, layerOptions);
  for (int64_t t = 0; t < 3; ++t) {
    float h = std::max(x.at(t, 0), 0.0f) * x.at(t, 1);
    EXPECT_EQ(out.at(t, 0), h);
    EXPECT_EQ(out.at(t, 1), h);
  }
}

TEST(ReferenceEdgeCases, KEqualsE) {
  // Every expert is chosen, best first; renormalized softmax weights are the
  // softmax itself.
  Tensor logits = tensor({2, 3}, {0.0f, 2.0f, 1.0f, //
                                  5.0f, 5.0f, 5.0f});
  RouteOptions options;
  options.k = 3;
  options.renormalize = true;
  RouteResult r = route(logits, nullptr, options);
  EXPECT_EQ(r.ids.data, (std::vector<int32_t>{1, 2, 0, 0, 1, 2}));
  double z = 1 + std::exp(1.0) + std::exp(2.0);
  EXPECT_NEAR(r.weights.data[0], std::exp(2.0) / z, 1e-6);
  EXPECT_NEAR(r.weights.data[1], std::exp(1.0) / z, 1e-6);
  EXPECT_NEAR(r.weights.data[2], 1 / z, 1e-6);
  for (int k = 3; k < 6; ++k)
    EXPECT_NEAR(r.weights.data[k], 1.0 / 3.0, 1e-7);

  // Every expert receives every token, in token order.
  Tensor x = pattern({2, 2});
  PermuteResult p = permute(x, r.ids, 3);
  EXPECT_EQ(p.offsets, (std::vector<int32_t>{0, 2, 4, 6}));
  EXPECT_EQ(p.rows, (std::vector<int32_t>{2, 3, 0, 4, 1, 5}));
  // Unpermuting with weights that sum to 1 per token recovers x.
  Tensor thirds = tensor({2, 3}, {0.25f, 0.25f, 0.5f, 0.5f, 0.25f, 0.25f});
  EXPECT_EQ(unpermute(p.xp, p.rows, thirds).data, x.data);
  // Grouped routing with K = E keeps every group.
  options.groups = 3;
  options.groupTopk = 3;
  EXPECT_EQ(route(logits, nullptr, options).ids.data, r.ids.data);
}

TEST(ReferenceEdgeCases, ContractViolationsStayInBounds) {
  // Values that break runtime contracts give unspecified results but must
  // not crash or touch memory out of bounds (run under ASan to see).
  Tensor x = pattern({2, 2});
  IndexTensor bad = indices({2, 2}, {0, 9, -1, 1});
  PermuteResult p = permute(x, bad, 2);
  EXPECT_EQ(p.offsets, (std::vector<int32_t>{0, 1, 2}));
  EXPECT_EQ(p.rows, (std::vector<int32_t>{0, 3, -1, -1}));
  DispatchResult d = dispatch(x, bad, 2, 1);
  EXPECT_EQ(d.counts, (std::vector<int32_t>{1, 1}));
  EXPECT_EQ(dispatch(x, bad, 2, 0).xp.numel(), 0);

  Tensor w = pattern({2, 2, 2});
  for (const Segments &s :
       {Segments::fromOffsets({3, 1, 99}), Segments::fromOffsets({0, -5, 2}),
        Segments::fromCounts({7, -1})}) {
    Tensor y = groupedGemm(x, w, s, nullptr, GemmAttrs{});
    EXPECT_EQ(y.shape, (std::vector<int64_t>{2, 2}));
  }
  Gather gather{{-7, 100}, 2};
  EXPECT_EQ(groupedGemm(x, w, Segments::fromOffsets({0, 1, 2}), nullptr,
                        GemmAttrs{}, &gather)
                .data,
            std::vector<float>(4, 0.0f));
  EXPECT_EQ(unpermute(x, {-3, 42}, tensor({1, 2}, {1, 1})).data,
            std::vector<float>(2, 0.0f));
}

TEST(ReferenceEdgeCases, SixtyExpertsInvariants) {
  // E not a power of two: route gives K distinct experts in non-increasing
  // score order, and permute is a stable, complete sort of the pairs.
  const int64_t T = 7, E = 60, K = 4;
  Tensor logits = pattern({T, E}, 9);
  RouteOptions options;
  options.k = K;
  options.groups = 6;
  options.groupTopk = 2;
  RouteResult r = route(logits, nullptr, options);
  for (int64_t t = 0; t < T; ++t) {
    for (int64_t k = 0; k < K; ++k) {
      int32_t id = r.ids.at(t, k);
      ASSERT_GE(id, 0);
      ASSERT_LT(id, E);
      if (k > 0) {
        EXPECT_GE(r.weights.at(t, k - 1), r.weights.at(t, k));
        for (int64_t j = 0; j < k; ++j)
          EXPECT_NE(r.ids.at(t, j), id);
      }
    }
  }
  EXPECT_EQ(checkIds("moe.permute", r.ids, E), "");

  PermuteResult p = permute(pattern({T, 3}), r.ids, E);
  EXPECT_EQ(checkOffsets("moe.grouped_gemm", p.offsets, T * K), "");
  EXPECT_EQ(p.offsets.back(), T * K);
  std::vector<bool> seen(T * K, false);
  for (int64_t e = 0; e < E; ++e) {
    for (int32_t i = p.offsets[e]; i < p.offsets[e + 1]; ++i) {
      int32_t pair = p.rows[i];
      EXPECT_FALSE(seen[pair]);
      seen[pair] = true;
      EXPECT_EQ(r.ids.data[pair], e);
      if (i > p.offsets[e]) {
        EXPECT_LT(p.rows[i - 1], pair);
      }
    }
  }
}
