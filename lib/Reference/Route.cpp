//===- Route.cpp - moe.route: top-k gating --------------------------------===//

#include "Internal.h"

#include <cmath>

namespace moe::ref {

namespace {

/// Group score for grouped selection (DeepSeek-V3): the sum of the group's two
/// largest selection scores when a correction bias is given, else its largest.
float groupScore(const float *selection, int64_t groupSize, bool hasBias) {
  std::vector<bool> taken(static_cast<size_t>(groupSize), false);
  int64_t first = detail::argmaxExcluding(selection, groupSize, taken);
  if (!hasBias || groupSize == 1)
    return selection[first];
  taken[first] = true;
  int64_t second = detail::argmaxExcluding(selection, groupSize, taken);
  return selection[first] + selection[second];
}

} // namespace

RouteResult route(const Tensor &logits, const Tensor *bias,
                  const RouteOptions &options) {
  MOE_REF_REQUIRE(detail::isMatrix(logits));
  const int64_t numTokens = logits.dim(0);
  const int64_t numExperts = logits.dim(1);
  const int64_t k = options.k;
  const int64_t groups = options.groups;
  MOE_REF_REQUIRE(k >= 1 && k <= numExperts);
  MOE_REF_REQUIRE(groups >= 1 && numExperts % groups == 0);
  const int64_t groupSize = numExperts / groups;
  MOE_REF_REQUIRE(groups == 1 ||
                  (options.groupTopk >= 1 && options.groupTopk <= groups &&
                   k <= options.groupTopk * groupSize));
  MOE_REF_REQUIRE(!bias || (bias->wellFormed() && bias->numel() == numExperts));

  RouteResult result{IndexTensor::zeros({numTokens, k}),
                     Tensor::zeros({numTokens, k})};
  std::vector<float> scores(static_cast<size_t>(numExperts));
  std::vector<float> selection(static_cast<size_t>(numExperts));
  std::vector<float> groupScores(static_cast<size_t>(groups));
  std::vector<bool> excluded(static_cast<size_t>(numExperts));
  std::vector<bool> groupTaken(static_cast<size_t>(groups));

  for (int64_t t = 0; t < numTokens; ++t) {
    const float *row = logits.row(t);
    if (options.scoring == Scoring::Softmax)
      detail::softmaxRow(row, numExperts, scores.data());
    else
      for (int64_t e = 0; e < numExperts; ++e)
        scores[e] = 1.0f / (1.0f + std::exp(-row[e]));
    for (int64_t e = 0; e < numExperts; ++e)
      selection[e] = scores[e] + (bias ? bias->data[e] : 0.0f);

    excluded.assign(excluded.size(), false);
    if (groups > 1) {
      for (int64_t g = 0; g < groups; ++g)
        groupScores[g] = groupScore(selection.data() + g * groupSize, groupSize,
                                    bias != nullptr);
      groupTaken.assign(groupTaken.size(), false);
      for (int64_t i = 0; i < options.groupTopk; ++i)
        groupTaken[detail::argmaxExcluding(groupScores.data(), groups,
                                           groupTaken)] = true;
      for (int64_t e = 0; e < numExperts; ++e)
        excluded[e] = !groupTaken[e / groupSize];
    }

    int32_t *ids = result.ids.row(t);
    float *weights = result.weights.row(t);
    float sum = 0.0f;
    for (int64_t i = 0; i < k; ++i) {
      int64_t chosen =
          detail::argmaxExcluding(selection.data(), numExperts, excluded);
      excluded[chosen] = true;
      ids[i] = static_cast<int32_t>(chosen);
      weights[i] = scores[chosen];
      sum += weights[i];
    }
    if (options.renormalize)
      for (int64_t i = 0; i < k; ++i)
        weights[i] =
            sum == 0.0f ? 1.0f / static_cast<float>(k) : weights[i] / sum;
    for (int64_t i = 0; i < k; ++i)
      weights[i] *= options.scaling;
  }
  return result;
}

} // namespace moe::ref
