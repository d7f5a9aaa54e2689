//===- GroupedGemm.cpp - moe.grouped_gemm ---------------------------------===//

#include "Internal.h"

namespace moe::ref {

Tensor groupedGemm(const Tensor &x, const Tensor &w, const Segments &segments,
                   const Tensor *bias, const GemmAttrs &attrs,
                   const Gather *gather, const Combine *combine) {
  MOE_REF_REQUIRE(detail::isMatrix(x) && w.rank() == 3 && w.wellFormed());
  const bool eio = attrs.layout == WeightLayout::ExpertInOut;
  const int64_t numExperts = w.dim(0);
  const int64_t in = x.dim(1);
  const int64_t out = eio ? w.dim(2) : w.dim(1);
  MOE_REF_REQUIRE((eio ? w.dim(1) : w.dim(2)) == in);
  MOE_REF_REQUIRE(!attrs.gated || out % 2 == 0);
  MOE_REF_REQUIRE(segments.numExperts() == numExperts);
  MOE_REF_REQUIRE(!bias || (detail::isMatrix(*bias) &&
                            bias->dim(0) == numExperts && bias->dim(1) == out));
  MOE_REF_REQUIRE(!gather || gather->k >= 1);

  const int64_t numRows =
      gather ? static_cast<int64_t>(gather->rows.size()) : x.dim(0);
  MOE_REF_REQUIRE(segments.kind == Segments::Kind::Offsets ||
                  numRows % numExperts == 0);
  const int64_t width = attrs.gated ? out / 2 : out;

  // Gathered rows outside [0, T*K) read nothing: -1 by design, others are
  // contract violations that must not be read out of bounds.
  const int64_t gatherPairs = gather ? x.dim(0) * gather->k : 0;
  auto inputRow = [&](int64_t r) -> const float * {
    if (!gather)
      return x.row(r);
    int64_t pair = gather->rows[r];
    return pair >= 0 && pair < gatherPairs ? x.row(pair / gather->k) : nullptr;
  };

  Tensor y = Tensor::zeros({numRows, width});
  std::vector<float> acc(static_cast<size_t>(out));
  std::vector<float> zeroRow(static_cast<size_t>(in), 0.0f);
  const auto ranges = detail::expertRowRanges(segments, numRows);
  for (int64_t e = 0; e < numExperts; ++e) {
    const float *weights = w.row(e);
    const float *expertBias = bias ? bias->row(e) : nullptr;
    for (int64_t r = ranges[e].first; r < ranges[e].second; ++r) {
      const float *source = inputRow(r);
      detail::matVecRow(source ? source : zeroRow.data(), weights, in, out,
                        attrs.layout, acc.data());
      detail::epilogueRow(acc.data(), out, expertBias, attrs.activation,
                          attrs.gated, attrs.dtype, y.row(r));
    }
  }

  if (!combine)
    return y;
  MOE_REF_REQUIRE(static_cast<int64_t>(combine->rows.size()) == numRows);
  return unpermute(y, combine->rows, combine->weights, attrs.dtype);
}

} // namespace moe::ref
