//===- ReferenceRouteTest.cpp - moe.route and moe.balance_loss -----------===//

#include "ReferenceTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace moe::ref;
using namespace moe::ref::test;

namespace {

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::vector<int32_t> idsRow(const RouteResult &r, int64_t t) {
  const int32_t *row = r.ids.row(t);
  return {row, row + r.ids.dim(1)};
}

} // namespace

TEST(ReferenceRoute, EqualLogitsPickLowestExpertFirst) {
  for (Scoring scoring : {Scoring::Softmax, Scoring::Sigmoid}) {
    SCOPED_TRACE(toString(scoring));
    RouteOptions options;
    options.k = 2;
    options.scoring = scoring;
    RouteResult all =
        route(tensor({1, 4}, {0.5f, 0.5f, 0.5f, 0.5f}), nullptr, options);
    EXPECT_EQ(idsRow(all, 0), (std::vector<int32_t>{0, 1}));
    // Ties below the maximum too: experts 1, 2 and 4 tie for first.
    options.k = 3;
    RouteResult some =
        route(tensor({1, 5}, {1.0f, 3.0f, 3.0f, 0.0f, 3.0f}), nullptr, options);
    EXPECT_EQ(idsRow(some, 0), (std::vector<int32_t>{1, 2, 4}));
  }
  RouteOptions softmax;
  softmax.k = 2;
  RouteResult r =
      route(tensor({1, 4}, {0.5f, 0.5f, 0.5f, 0.5f}), nullptr, softmax);
  EXPECT_EQ(r.weights.data, (std::vector<float>{0.25f, 0.25f}));
}

TEST(ReferenceRoute, SoftmaxTop2HandComputed) {
  Tensor logits = tensor({1, 4}, {1.0f, 2.0f, 3.0f, 0.0f});
  RouteOptions options;
  options.k = 2;
  RouteResult raw = route(logits, nullptr, options);
  EXPECT_EQ(idsRow(raw, 0), (std::vector<int32_t>{2, 1}));
  // e^3 / (1 + e + e^2 + e^3) and e^2 / (1 + e + e^2 + e^3).
  EXPECT_NEAR(raw.weights.data[0], 0.6439142598879724, 1e-6);
  EXPECT_NEAR(raw.weights.data[1], 0.2368828180899102, 1e-6);

  options.renormalize = true;
  RouteResult renormalized = route(logits, nullptr, options);
  EXPECT_EQ(idsRow(renormalized, 0), (std::vector<int32_t>{2, 1}));
  // e^3 / (e^3 + e^2) = 1 / (1 + e^-1).
  EXPECT_NEAR(renormalized.weights.data[0], 0.7310585786300049, 1e-6);
  EXPECT_NEAR(renormalized.weights.data[1], 0.2689414213699951, 1e-6);

  // Scaling applies after renormalization.
  options.scaling = 2.5f;
  RouteResult scaled = route(logits, nullptr, options);
  EXPECT_NEAR(scaled.weights.data[0], 2.5 * 0.7310585786300049, 1e-6);
  EXPECT_NEAR(scaled.weights.data[1], 2.5 * 0.2689414213699951, 1e-6);
}

TEST(ReferenceRoute, SoftmaxIsMaxSubtracted) {
  // Without subtracting the max, exp(1000) overflows and the weights are NaN.
  RouteOptions options;
  options.k = 1;
  RouteResult r =
      route(tensor({1, 3}, {0.0f, 999.0f, 1000.0f}), nullptr, options);
  EXPECT_EQ(r.ids.data[0], 2);
  EXPECT_NEAR(r.weights.data[0], 0.7310585786300049, 1e-6);
}

TEST(ReferenceRoute, SigmoidWeightsAreScoresWithoutBias) {
  RouteOptions options;
  options.k = 2;
  options.scoring = Scoring::Sigmoid;
  Tensor bias = tensor({3}, {0.0f, 0.0f, 0.6f});
  RouteResult r =
      route(tensor({1, 3}, {0.0f, std::log(3.0f), 0.0f}), &bias, options);
  // c = [0.5, 0.75, 1.1]: expert 2 first thanks to its bias, weight still 0.5.
  EXPECT_EQ(idsRow(r, 0), (std::vector<int32_t>{2, 1}));
  EXPECT_NEAR(r.weights.data[0], 0.5, 1e-6);
  EXPECT_NEAR(r.weights.data[1], 0.75, 1e-6);
}

TEST(ReferenceRoute, RenormalizeZeroSumGivesOneOverK) {
  // Sigmoid of -200 underflows to exactly 0 in f32.
  RouteOptions sigmoidOptions;
  sigmoidOptions.k = 2;
  sigmoidOptions.scoring = Scoring::Sigmoid;
  Tensor logits = tensor({1, 3}, {-200.0f, -200.0f, -200.0f});
  EXPECT_EQ(route(logits, nullptr, sigmoidOptions).weights.data,
            (std::vector<float>{0.0f, 0.0f}));
  sigmoidOptions.renormalize = true;
  EXPECT_EQ(route(logits, nullptr, sigmoidOptions).weights.data,
            (std::vector<float>{0.5f, 0.5f}));
  sigmoidOptions.scaling = 3.0f;
  EXPECT_EQ(route(logits, nullptr, sigmoidOptions).weights.data,
            (std::vector<float>{1.5f, 1.5f}));

  // Softmax: the bias selects two experts whose scores underflow to 0.
  RouteOptions softmaxOptions;
  softmaxOptions.k = 2;
  softmaxOptions.renormalize = true;
  Tensor bias = tensor({3}, {0.0f, 2.0f, 2.0f});
  RouteResult r =
      route(tensor({1, 3}, {0.0f, -200.0f, -200.0f}), &bias, softmaxOptions);
  EXPECT_EQ(idsRow(r, 0), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(r.weights.data, (std::vector<float>{0.5f, 0.5f}));
}

namespace {

/// A DeepSeek-V3 style router row for E = 32 in 8 groups of 4 experts. The
/// group top-2 sums of the sigmoid scores (s(x) + s(-x) = 1 for group 0) are
///   g0 1.000, g1 1.462, g2 1.245, g3 1.381,
///   g4 1.100, g5 0.036, g6 1.050, g7 0.036,
/// so groups {1, 3, 2, 4} are kept. Group 0 holds the best single expert (0,
/// s = 0.953) yet is dropped: its second expert is poor.
Tensor deepSeekLogits() {
  // clang-format off
  return tensor({1, 32}, {
       3.0f, -3.0f, -3.0f, -3.0f,  // g0
       1.0f,  1.0f, -4.0f, -4.0f,  // g1
       0.5f,  0.5f, -4.0f, -4.0f,  // g2
       2.0f,  0.0f, -4.0f, -4.0f,  // g3
       0.2f,  0.2f, -4.0f, -4.0f,  // g4
      -4.0f, -4.0f, -4.0f, -4.0f,  // g5
       0.1f,  0.1f, -4.0f, -4.0f,  // g6
      -4.0f, -4.0f, -4.0f, -4.0f,  // g7
  });
  // clang-format on
}

RouteOptions deepSeekOptions() {
  RouteOptions options;
  options.k = 8;
  options.scoring = Scoring::Sigmoid;
  options.renormalize = true;
  options.scaling = 2.5f;
  options.groups = 8;
  options.groupTopk = 4;
  return options;
}

void expectDeepSeekWeights(const RouteResult &r, const Tensor &logits) {
  double sum = 0.0;
  for (int64_t k = 0; k < 8; ++k)
    sum += sigmoid(logits.data[r.ids.data[k]]);
  for (int64_t k = 0; k < 8; ++k)
    EXPECT_NEAR(r.weights.data[k],
                2.5 * sigmoid(logits.data[r.ids.data[k]]) / sum, 1e-6)
        << "slot " << k;
}

} // namespace

TEST(ReferenceRoute, DeepSeekV3GroupedSelection) {
  Tensor logits = deepSeekLogits();
  Tensor bias = Tensor::zeros({32});
  RouteResult r = route(logits, &bias, deepSeekOptions());
  // Best 8 of groups 1-4 by score; experts 4 and 5 tie and 4 goes first.
  EXPECT_EQ(idsRow(r, 0), (std::vector<int32_t>{12, 4, 5, 8, 9, 16, 17, 13}));
  expectDeepSeekWeights(r, logits);
  float total = 0.0f;
  for (float w : r.weights.data)
    total += w;
  EXPECT_NEAR(total, 2.5, 1e-5);

  // Without groups the best expert overall (0) is chosen.
  RouteOptions flat = deepSeekOptions();
  flat.groups = 1;
  flat.groupTopk = 1;
  EXPECT_EQ(route(logits, &bias, flat).ids.data[0], 0);
}

TEST(ReferenceRoute, DeepSeekV3BiasChangesChoiceNotWeight) {
  Tensor logits = deepSeekLogits();
  Tensor bias = Tensor::zeros({32});
  // Expert 14 (s = 0.018) gets c = 0.618, between experts 9 and 16.
  bias.data[14] = 0.6f;
  RouteResult r = route(logits, &bias, deepSeekOptions());
  EXPECT_EQ(idsRow(r, 0), (std::vector<int32_t>{12, 4, 5, 8, 9, 14, 16, 17}));
  // Its weight comes from its score (sigmoid(-4) = 0.018), not from c.
  expectDeepSeekWeights(r, logits);
  EXPECT_LT(r.weights.data[5], 0.1f);

  // A bias can also bring a group in: group 0's top-2 sum becomes 2.0 and it
  // displaces group 4, the weakest of the four.
  Tensor groupBias = Tensor::zeros({32});
  groupBias.data[1] = 1.0f;
  RouteResult g = route(logits, &groupBias, deepSeekOptions());
  // c: e1 = 1.047, e0 = 0.953, e12 = 0.881, e4 = e5 = 0.731, e8 = e9 = 0.622,
  // e13 = 0.5.
  EXPECT_EQ(idsRow(g, 0), (std::vector<int32_t>{1, 0, 12, 4, 5, 8, 9, 13}));
  expectDeepSeekWeights(g, logits);
}

TEST(ReferenceRoute, GroupScoreIsMaxWithoutBiasTop2SumWithBias) {
  // g0 = {0, 1}: one strong expert; g1 = {2, 3}: two good ones.
  // softmax numerators: g0 max e^3 = 20.1 > g1 max e^2.8 = 16.4,
  // but g1 top-2 2 e^2.8 = 32.9 > g0 top-2 e^3 + e^-5 = 20.1.
  Tensor logits = tensor({1, 4}, {3.0f, -5.0f, 2.8f, 2.8f});
  RouteOptions options;
  options.k = 2;
  options.groups = 2;
  options.groupTopk = 1;
  EXPECT_EQ(idsRow(route(logits, nullptr, options), 0),
            (std::vector<int32_t>{0, 1}));
  Tensor zeroBias = Tensor::zeros({4});
  EXPECT_EQ(idsRow(route(logits, &zeroBias, options), 0),
            (std::vector<int32_t>{2, 3}));
}

TEST(ReferenceRoute, SingleExpertGroupsUseThatExpert) {
  // G = E: each group's score is its one expert's c, even with a bias, so
  // grouped routing equals plain top-k.
  Tensor logits = tensor({1, 4}, {0.1f, 0.9f, 0.5f, 0.7f});
  Tensor bias = tensor({4}, {0.0f, 0.0f, 0.3f, 0.0f});
  RouteOptions options;
  options.k = 2;
  options.scoring = Scoring::Sigmoid;
  options.groups = 4;
  options.groupTopk = 2;
  EXPECT_EQ(idsRow(route(logits, &bias, options), 0),
            (std::vector<int32_t>{2, 1}));
}

TEST(ReferenceRoute, GroupTiesGoToLowerGroup) {
  // Both groups' best score is s(1): group 0 wins the tie.
  Tensor logits = tensor({1, 4}, {0.0f, 1.0f, 1.0f, 0.0f});
  RouteOptions options;
  options.k = 2;
  options.groups = 2;
  options.groupTopk = 1;
  EXPECT_EQ(idsRow(route(logits, nullptr, options), 0),
            (std::vector<int32_t>{1, 0}));
}

TEST(ReferenceRoute, TokensAreIndependent) {
  Tensor logits = tensor({3, 3}, {0.0f, 1.0f, 2.0f, //
                                  2.0f, 1.0f, 0.0f, //
                                  1.0f, 2.0f, 0.0f});
  RouteOptions options;
  options.k = 1;
  RouteResult r = route(logits, nullptr, options);
  EXPECT_EQ(r.ids.shape, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(r.ids.data, (std::vector<int32_t>{2, 0, 1}));
  EXPECT_NEAR(r.weights.data[0], r.weights.data[1], 1e-7);
}

TEST(ReferenceBalanceLoss, PerfectlyBalancedIsExactlyOne) {
  Tensor uniform = Tensor::zeros({4, 4});
  EXPECT_EQ(balanceLoss(uniform, indices({4, 1}, {0, 1, 2, 3})), 1.0f);
  EXPECT_EQ(balanceLoss(uniform, indices({4, 2}, {0, 1, 2, 3, 0, 2, 1, 3})),
            1.0f);
}

TEST(ReferenceBalanceLoss, HandComputedImbalance) {
  // P = [0.25, 0.75], f = [0, 1]: 2 * 0.75.
  EXPECT_NEAR(
      balanceLoss(tensor({1, 2}, {0.0f, std::log(3.0f)}), indices({1, 1}, {1})),
      1.5, 1e-6);
  // Everything on expert 0 with uniform probabilities: E * 1 * 1/E = 1;
  // with P_0 = 0.75 it is 2 * 0.75.
  EXPECT_NEAR(balanceLoss(tensor({2, 2}, {std::log(3.0f), 0.0f, //
                                          std::log(3.0f), 0.0f}),
                          indices({2, 1}, {0, 0})),
              1.5, 1e-6);
}

TEST(ReferenceBalanceLoss, NoTokensGivesZero) {
  EXPECT_EQ(balanceLoss(Tensor::zeros({0, 8}), IndexTensor::zeros({0, 2})),
            0.0f);
}
