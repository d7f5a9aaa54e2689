//===- ReferenceGroupedGemmTest.cpp - moe.grouped_gemm -------------------===//

#include "ReferenceTestUtil.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace moe::ref;
using namespace moe::ref::test;

namespace {

/// Two experts over In = Out = 2, EIO: expert 0 is the identity, expert 1
/// maps [a, b] to [a + b, a - b].
Tensor twoExperts() {
  return tensor({2, 2, 2}, {1.0f, 0.0f, 0.0f, 1.0f, //
                            1.0f, 1.0f, 1.0f, -1.0f});
}

GemmAttrs plain() { return GemmAttrs{}; }

GemmAttrs withActivation(Activation activation, bool gated = false) {
  GemmAttrs attrs;
  attrs.activation = activation;
  attrs.gated = gated;
  return attrs;
}

} // namespace

TEST(ReferenceGroupedGemm, CsrSegments) {
  Tensor x = tensor({3, 2}, {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f});
  Tensor y = groupedGemm(x, twoExperts(), Segments::fromOffsets({0, 2, 3}),
                         nullptr, plain());
  EXPECT_EQ(y.shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(y.data, (std::vector<float>{1, 2, 3, 4, 11, -1}));
}

TEST(ReferenceGroupedGemm, CountsSegmentsLeaveUnownedRowsZero) {
  // C = M / E = 2: rows 0, 1 are expert 0's, row 2 expert 1's, row 3 unowned.
  Tensor x = tensor({4, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor y = groupedGemm(x, twoExperts(), Segments::fromCounts({2, 1}), nullptr,
                         plain());
  EXPECT_EQ(y.data, (std::vector<float>{1, 2, 3, 4, 11, -1, 0, 0}));
}

TEST(ReferenceGroupedGemm, RowsOwnedByNoExpertAndEmptyExperts) {
  Tensor x = tensor({5, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  Tensor w = tensor({3, 2, 2}, {1, 0, 0, 1, //
                                2, 0, 0, 2, //
                                1, 1, 1, -1});
  // Expert 1 owns no rows; row 4 is past offsets[E].
  Tensor y =
      groupedGemm(x, w, Segments::fromOffsets({0, 1, 1, 4}), nullptr, plain());
  EXPECT_EQ(y.data, (std::vector<float>{1, 2, 7, -1, 11, -1, 15, -1, 0, 0}));
  // An expert with no rows in the padded layout (C = 2).
  Tensor x6 = tensor({6, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  Tensor padded =
      groupedGemm(x6, w, Segments::fromCounts({1, 0, 2}), nullptr, plain());
  EXPECT_EQ(padded.data,
            (std::vector<float>{1, 2, 0, 0, 0, 0, 0, 0, 19, -1, 23, -1}));
}

TEST(ReferenceGroupedGemm, EoiEqualsEioWithTransposedWeights) {
  Tensor x = pattern({7, 5}, 1);
  Tensor eio = pattern({3, 5, 4}, 2);
  Tensor eoi = transposeLastTwo(eio);
  Segments segments = Segments::fromOffsets({0, 3, 3, 7});
  GemmAttrs attrs = withActivation(Activation::Silu);
  Tensor a = groupedGemm(x, eio, segments, nullptr, attrs);
  attrs.layout = WeightLayout::ExpertOutIn;
  Tensor b = groupedGemm(x, eoi, segments, nullptr, attrs);
  EXPECT_EQ(a.data, b.data);
  // And the EOI weight really is read as [E, Out, In]: acc = [1, 2, 3].
  Tensor single =
      groupedGemm(tensor({1, 2}, {1, 2}), tensor({1, 3, 2}, {1, 0, 0, 1, 1, 1}),
                  Segments::fromOffsets({0, 1}), nullptr, attrs);
  EXPECT_EQ(single.data, (std::vector<float>{activate(Activation::Silu, 1),
                                             activate(Activation::Silu, 2),
                                             activate(Activation::Silu, 3)}));
}

TEST(ReferenceGroupedGemm, BiasIsAddedBeforeTheActivation) {
  Tensor x = tensor({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor bias = tensor({2, 2}, {0.5f, -10.0f, //
                                -20.0f, 2.0f});
  Segments segments = Segments::fromOffsets({0, 2, 3});
  Tensor y = groupedGemm(x, twoExperts(), segments, &bias, plain());
  EXPECT_EQ(y.data, (std::vector<float>{1.5f, -8, 3.5f, -6, -9, 1}));
  // relu(acc + b): relu after the bias zeroes -8, -6 and -9.
  Tensor r = groupedGemm(x, twoExperts(), segments, &bias,
                         withActivation(Activation::Relu));
  EXPECT_EQ(r.data, (std::vector<float>{1.5f, 0, 3.5f, 0, 0, 1}));
}

TEST(ReferenceGroupedGemm, EachActivationOnKnownValues) {
  // E = 1, In = Out = 1, w = 1: y = act(x).
  Tensor x = tensor({5, 1}, {-2.0f, -0.5f, 0.0f, 1.0f, 3.0f});
  Tensor w = tensor({1, 1, 1}, {1.0f});
  Segments segments = Segments::fromOffsets({0, 5});
  struct Case {
    Activation activation;
    std::vector<double> expected;
  };
  const Case cases[] = {
      {Activation::None, {-2, -0.5, 0, 1, 3}},
      {Activation::Relu, {0, 0, 0, 1, 3}},
      {Activation::Silu,
       {-0.2384058440442351, -0.1887703343990727, 0, 0.7310585786300049,
        2.8577223804672998}},
      {Activation::Gelu,
       {-0.04550026389635842, -0.15426876936299344, 0, 0.8413447460685429,
        2.99595030590511}},
      {Activation::GeluTanh,
       {-0.04540230591222494, -0.15428599017485606, 0, 0.8411919906082768,
        2.996362607918227}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(toString(c.activation));
    Tensor y =
        groupedGemm(x, w, segments, nullptr, withActivation(c.activation));
    for (size_t i = 0; i < c.expected.size(); ++i) {
      EXPECT_NEAR(y.data[i], c.expected[i], 1e-6) << "x = " << x.data[i];
      EXPECT_EQ(activate(c.activation, x.data[i]), y.data[i]);
    }
  }
}

TEST(ReferenceGroupedGemm, GatedIsActOfGateTimesUp) {
  // Out = 4 = 2I: columns [gate0 gate1 | up0 up1].
  Tensor x = tensor({1, 2}, {1.0f, 2.0f});
  Tensor w = tensor({1, 2, 4}, {1, 1, 0, 1, //
                                1, -1, 1, 2});
  // acc = [3, -1 | 2, 5].
  Segments segments = Segments::fromOffsets({0, 1});
  Tensor relu = groupedGemm(x, w, segments, nullptr,
                            withActivation(Activation::Relu, true));
  EXPECT_EQ(relu.shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(relu.data, (std::vector<float>{6, 0}));
  Tensor silu = groupedGemm(x, w, segments, nullptr,
                            withActivation(Activation::Silu, true));
  EXPECT_NEAR(silu.data[0], 3.0 / (1.0 + std::exp(-3.0)) * 2.0, 1e-5);
  EXPECT_NEAR(silu.data[1], -1.0 / (1.0 + std::exp(1.0)) * 5.0, 1e-6);
  // The bias of the up half is added before the product.
  Tensor bias = tensor({1, 4}, {0, 0, 1, 1});
  Tensor biased = groupedGemm(x, w, segments, &bias,
                              withActivation(Activation::Relu, true));
  EXPECT_EQ(biased.data, (std::vector<float>{9, 0}));
}

TEST(ReferenceGroupedGemm, ResultIsRoundedToDtypeOnce) {
  // (1 + 2^-10)^2 = 1 + 2^-9 + 2^-20: f16 keeps 1 + 2^-9.
  const float a = 1.0f + std::ldexp(1.0f, -10);
  Tensor x = tensor({1, 1}, {a});
  Tensor w = tensor({1, 1, 1}, {a});
  GemmAttrs attrs;
  attrs.dtype = DType::F16;
  Tensor y = groupedGemm(x, w, Segments::fromOffsets({0, 1}), nullptr, attrs);
  EXPECT_EQ(y.data[0], 1.0f + std::ldexp(1.0f, -9));
  attrs.dtype = DType::F32;
  EXPECT_EQ(
      groupedGemm(x, w, Segments::fromOffsets({0, 1}), nullptr, attrs).data[0],
      a * a);
}

TEST(ReferenceGroupedGemm, AccumulatesOverInInOrder) {
  // 1e8 + 1 - 1e8 over k = 0, 1, 2 is 0 in f32.
  Tensor x = tensor({1, 3}, {1e8f, 1.0f, -1e8f});
  Tensor w = tensor({1, 3, 1}, {1, 1, 1});
  for (WeightLayout layout :
       {WeightLayout::ExpertInOut, WeightLayout::ExpertOutIn}) {
    GemmAttrs attrs;
    attrs.layout = layout;
    EXPECT_EQ(groupedGemm(
                  x,
                  layout == WeightLayout::ExpertInOut ? w : transposeLastTwo(w),
                  Segments::fromOffsets({0, 1}), nullptr, attrs)
                  .data[0],
              0.0f);
  }
}

TEST(ReferenceGroupedGemm, GatherFormEqualsPermuteThenGemm) {
  Tensor x = pattern({4, 3}, 3);
  IndexTensor ids = indices({4, 2}, {2, 0, 0, 2, 1, 0, 2, 1});
  Tensor w = pattern({3, 3, 4}, 4);
  Tensor bias = pattern({3, 4}, 5);
  GemmAttrs attrs = withActivation(Activation::Gelu, true);

  PermuteResult p = permute(x, ids, 3);
  Segments csr = Segments::fromOffsets(p.offsets);
  Gather gather{p.rows, 2};
  Tensor unfused = groupedGemm(p.xp, w, csr, &bias, attrs);
  Tensor fused = groupedGemm(x, w, csr, &bias, attrs, &gather);
  EXPECT_EQ(fused.shape, unfused.shape);
  EXPECT_EQ(fused.data, unfused.data);

  // The padded layout: -1 rows read a zero row, like dispatch's xp.
  DispatchResult d = dispatch(x, ids, 3, 2);
  Segments counts = Segments::fromCounts(d.counts);
  Gather dispatchGather{d.rows, 2};
  EXPECT_EQ(groupedGemm(x, w, counts, &bias, attrs, &dispatchGather).data,
            groupedGemm(d.xp, w, counts, &bias, attrs).data);
}

TEST(ReferenceGroupedGemm, CombineFormEqualsGemmThenUnpermute) {
  Tensor x = pattern({4, 3}, 6);
  IndexTensor ids = indices({4, 2}, {2, 0, 0, 2, 0, 1, 2, 0});
  Tensor routing = pattern({4, 2}, 7);
  Tensor w = pattern({3, 3, 4}, 8);
  for (DType dtype : {DType::F32, DType::BF16, DType::F16}) {
    SCOPED_TRACE(toString(dtype));
    GemmAttrs attrs = withActivation(Activation::Silu);
    attrs.dtype = dtype;

    PermuteResult p = permute(x, ids, 3);
    Segments csr = Segments::fromOffsets(p.offsets);
    Combine combine{p.rows, routing};
    Tensor fused = groupedGemm(p.xp, w, csr, nullptr, attrs, nullptr, &combine);
    Tensor unfused = unpermute(groupedGemm(p.xp, w, csr, nullptr, attrs),
                               p.rows, routing, dtype);
    EXPECT_EQ(fused.shape, (std::vector<int64_t>{4, 4}));
    EXPECT_EQ(fused.data, unfused.data);

    // With dropped pairs (C = 1) and gather and combine fused together.
    DispatchResult d = dispatch(x, ids, 3, 1);
    Segments counts = Segments::fromCounts(d.counts);
    Gather gather{d.rows, 2};
    Combine dropCombine{d.rows, routing};
    Tensor both =
        groupedGemm(x, w, counts, nullptr, attrs, &gather, &dropCombine);
    EXPECT_EQ(both.data, unpermute(groupedGemm(d.xp, w, counts, nullptr, attrs),
                                   d.rows, routing, dtype)
                             .data);
  }
}
