//===- BalanceLoss.cpp - moe.balance_loss: load-balancing statistic -----===//

#include "Internal.h"

namespace moe::ref {

float balanceLoss(const Tensor &logits, const IndexTensor &ids) {
  MOE_REF_REQUIRE(detail::isMatrix(logits) && ids.rank() == 2 &&
                  ids.wellFormed() && ids.dim(0) == logits.dim(0));
  const int64_t numTokens = logits.dim(0);
  const int64_t numExperts = logits.dim(1);
  const int64_t numPairs = ids.numel();
  if (numTokens == 0 || numPairs == 0)
    return 0.0f;

  std::vector<int64_t> routed(static_cast<size_t>(numExperts), 0);
  for (int32_t id : ids.data)
    if (id >= 0 && id < numExperts)
      ++routed[id];

  std::vector<float> probabilitySum(static_cast<size_t>(numExperts), 0.0f);
  std::vector<float> probabilities(static_cast<size_t>(numExperts));
  for (int64_t t = 0; t < numTokens; ++t) {
    detail::softmaxRow(logits.row(t), numExperts, probabilities.data());
    for (int64_t e = 0; e < numExperts; ++e)
      probabilitySum[e] += probabilities[e];
  }

  float sum = 0.0f;
  for (int64_t e = 0; e < numExperts; ++e) {
    float fraction =
        static_cast<float>(routed[e]) / static_cast<float>(numPairs);
    float meanProbability = probabilitySum[e] / static_cast<float>(numTokens);
    sum += fraction * meanProbability;
  }
  return static_cast<float>(numExperts) * sum;
}

} // namespace moe::ref
