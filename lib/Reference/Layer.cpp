//===- Layer.cpp - moe.layer: a whole MoE block ---------------------------===//
//
// Composed from the other reference ops exactly as moe-decompose expands the
// op, so that the layer and its decomposition agree bit for bit.
//
//===----------------------------------------------------------------------===//

#include "Internal.h"

namespace moe::ref {

namespace {

/// [rows, cols] for EIO, [cols, rows] for EOI.
bool hasLayoutShape(const Tensor &t, WeightLayout layout, int64_t rows,
                    int64_t cols) {
  if (!detail::isMatrix(t))
    return false;
  return layout == WeightLayout::ExpertInOut
             ? t.dim(0) == rows && t.dim(1) == cols
             : t.dim(0) == cols && t.dim(1) == rows;
}

/// Adds the shared expert's dense FFN to `routed` in place:
/// out = round(routed + round(act(x Sg) * (x Su)) . Sdown).
void addSharedExpert(const Tensor &x, const Tensor &gateUp, const Tensor &down,
                     int64_t sharedWidth, const LayerOptions &options,
                     Tensor &routed) {
  const int64_t numTokens = x.dim(0);
  const int64_t hidden = x.dim(1);
  const int64_t accWidth = options.gated ? 2 * sharedWidth : sharedWidth;
  std::vector<float> acc(static_cast<size_t>(accWidth));
  std::vector<float> hs(static_cast<size_t>(sharedWidth));
  std::vector<float> s(static_cast<size_t>(hidden));
  for (int64_t t = 0; t < numTokens; ++t) {
    detail::matVecRow(x.row(t), gateUp.data.data(), hidden, accWidth,
                      options.layout, acc.data());
    detail::epilogueRow(acc.data(), accWidth, /*bias=*/nullptr,
                        options.activation, options.gated, options.dtype,
                        hs.data());
    // The down projection stays in f32: it is rounded only once, together
    // with the routed output.
    detail::matVecRow(hs.data(), down.data.data(), sharedWidth, hidden,
                      options.layout, s.data());
    float *out = routed.row(t);
    for (int64_t h = 0; h < hidden; ++h)
      out[h] = roundTo(options.dtype, out[h] + s[h]);
  }
}

} // namespace

Tensor layer(const Tensor &x, const LayerWeights &weights,
             const LayerOptions &options) {
  MOE_REF_REQUIRE(detail::isMatrix(x) && weights.routerW && weights.wGateUp &&
                  weights.wDown);
  MOE_REF_REQUIRE((weights.sharedGateUp == nullptr) ==
                  (weights.sharedDown == nullptr));
  const bool eio = options.layout == WeightLayout::ExpertInOut;
  const Tensor &routerW = *weights.routerW;
  const Tensor &wGateUp = *weights.wGateUp;
  const Tensor &wDown = *weights.wDown;
  const int64_t numTokens = x.dim(0);
  const int64_t hidden = x.dim(1);
  MOE_REF_REQUIRE(detail::isMatrix(routerW) && routerW.dim(0) == hidden);
  const int64_t numExperts = routerW.dim(1);
  MOE_REF_REQUIRE(wDown.rank() == 3 && wDown.wellFormed() &&
                  wDown.dim(0) == numExperts &&
                  wDown.dim(eio ? 2 : 1) == hidden);
  const int64_t inter = wDown.dim(eio ? 1 : 2);
  MOE_REF_REQUIRE(
      wGateUp.rank() == 3 && wGateUp.wellFormed() &&
      wGateUp.dim(0) == numExperts && wGateUp.dim(eio ? 1 : 2) == hidden &&
      wGateUp.dim(eio ? 2 : 1) == (options.gated ? 2 * inter : inter));

  int64_t sharedInter = 0;
  if (weights.sharedDown) {
    const Tensor &down = *weights.sharedDown;
    MOE_REF_REQUIRE(detail::isMatrix(down));
    sharedInter = down.dim(eio ? 0 : 1);
    MOE_REF_REQUIRE(hasLayoutShape(down, options.layout, sharedInter, hidden));
    MOE_REF_REQUIRE(
        hasLayoutShape(*weights.sharedGateUp, options.layout, hidden,
                       options.gated ? 2 * sharedInter : sharedInter));
  }

  Tensor logits = Tensor::zeros({numTokens, numExperts});
  for (int64_t t = 0; t < numTokens; ++t)
    detail::matVecRow(x.row(t), routerW.data.data(), hidden, numExperts,
                      WeightLayout::ExpertInOut, logits.row(t));
  RouteResult routing = route(logits, weights.routerBias, options.route);
  MOE_REF_REQUIRE(routing.ids.rank() == 2);

  Tensor xp;
  Segments segments;
  std::vector<int32_t> rows;
  if (options.capacityFactor) {
    int64_t capacity = capacityFromFactor(*options.capacityFactor,
                                          routing.ids.numel(), numExperts);
    DispatchResult d = dispatch(x, routing.ids, numExperts, capacity);
    xp = std::move(d.xp);
    segments = Segments::fromCounts(std::move(d.counts));
    rows = std::move(d.rows);
  } else {
    PermuteResult p = permute(x, routing.ids, numExperts);
    xp = std::move(p.xp);
    segments = Segments::fromOffsets(std::move(p.offsets));
    rows = std::move(p.rows);
  }

  Tensor h = groupedGemm(
      xp, wGateUp, segments, /*bias=*/nullptr,
      {options.activation, options.gated, options.layout, options.dtype});
  Tensor y =
      groupedGemm(h, wDown, segments, /*bias=*/nullptr,
                  {Activation::None, false, options.layout, options.dtype});
  Tensor out = unpermute(y, rows, routing.weights, options.dtype);

  if (weights.sharedDown)
    addSharedExpert(x, *weights.sharedGateUp, *weights.sharedDown, sharedInter,
                    options, out);
  return out;
}

} // namespace moe::ref
