//===- MoeShapes.cpp - result types of the moe ops ------------------------===//
#include "moe/MoeShapes.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::moe;

bool mlir::moe::isSupportedFloat(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

int64_t mlir::moe::mulDims(int64_t a, int64_t b) {
  if (ShapedType::isDynamic(a) || ShapedType::isDynamic(b))
    return ShapedType::kDynamic;
  return a * b;
}

std::string mlir::moe::dimToString(int64_t size) {
  return ShapedType::isDynamic(size) ? "?" : std::to_string(size);
}

RankedTensorType mlir::moe::inferRouteIdsType(RankedTensorType logits,
                                              int64_t k) {
  return RankedTensorType::get({logits.getDimSize(0), k},
                               IntegerType::get(logits.getContext(), 32));
}

RankedTensorType mlir::moe::inferRouteWeightsType(RankedTensorType logits,
                                                  int64_t k) {
  return RankedTensorType::get({logits.getDimSize(0), k},
                               Float32Type::get(logits.getContext()));
}

PermuteResultTypes mlir::moe::inferPermuteTypes(RankedTensorType x,
                                                RankedTensorType ids,
                                                int64_t numExperts) {
  Type i32 = IntegerType::get(x.getContext(), 32);
  int64_t pairs = mulDims(ids.getDimSize(0), ids.getDimSize(1));
  return {RankedTensorType::get({pairs, x.getDimSize(1)}, x.getElementType()),
          RankedTensorType::get({numExperts + 1}, i32),
          RankedTensorType::get({pairs}, i32)};
}

PermuteResultTypes
mlir::moe::inferDispatchTypes(RankedTensorType x, int64_t numExperts,
                              std::optional<int64_t> capacity) {
  Type i32 = IntegerType::get(x.getContext(), 32);
  int64_t rows = mulDims(numExperts, capacity.value_or(ShapedType::kDynamic));
  return {RankedTensorType::get({rows, x.getDimSize(1)}, x.getElementType()),
          RankedTensorType::get({numExperts}, i32),
          RankedTensorType::get({rows}, i32)};
}

int64_t mlir::moe::weightOutDim(RankedTensorType w, WeightLayout layout) {
  return w.getDimSize(layout == WeightLayout::ExpertInOut ? 2 : 1);
}

int64_t mlir::moe::weightInDim(RankedTensorType w, WeightLayout layout) {
  return w.getDimSize(layout == WeightLayout::ExpertInOut ? 1 : 2);
}

RankedTensorType mlir::moe::inferGroupedGemmType(
    RankedTensorType x, RankedTensorType w, RankedTensorType gatherRows,
    RankedTensorType combineWeights, bool gated, WeightLayout layout) {
  int64_t rows = x.getDimSize(0);
  if (combineWeights)
    rows = combineWeights.getDimSize(0);
  else if (gatherRows)
    rows = gatherRows.getDimSize(0);
  int64_t out = weightOutDim(w, layout);
  if (gated && !ShapedType::isDynamic(out))
    out /= 2;
  return RankedTensorType::get({rows, out}, x.getElementType());
}

int64_t mlir::moe::dispatchCapacity(double factor, int64_t pairs,
                                    int64_t numExperts) {
  double perExpert = factor * double(pairs) / double(numExperts);
  double clamped = std::min(std::ceil(perExpert), 0x1p62);
  return std::max<int64_t>(1, int64_t(clamped));
}

int64_t mlir::moe::maxTokensForCapacity(double factor, int64_t k,
                                        int64_t numExperts) {
  int64_t limit = std::numeric_limits<int32_t>::max() / numExperts;
  auto fits = [&](int64_t tokens) {
    return dispatchCapacity(factor, tokens * k, numExperts) <= limit;
  };
  if (!fits(0))
    return -1;
  // The capacity grows with T: the largest T that fits, by bisection.
  int64_t lo = 0, hi = (int64_t(1) << 62) / k;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo + 1) / 2;
    if (fits(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return lo;
}

bool mlir::moe::hasStaticWeightShape(Type weight) {
  auto type = dyn_cast<RankedTensorType>(weight);
  return type && type.hasStaticShape();
}

RankedTensorType mlir::moe::inferUnpermuteType(RankedTensorType y,
                                               RankedTensorType weights) {
  return RankedTensorType::get({weights.getDimSize(0), y.getDimSize(1)},
                               y.getElementType());
}
