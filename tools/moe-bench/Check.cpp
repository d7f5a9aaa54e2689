//===- Check.cpp - moe-bench's comparison with the scalar reference -------===//

#include "Check.h"

#include <algorithm>
#include <cmath>

namespace moe::bench {

namespace {
constexpr int64_t kCheckedTokens = 16;
constexpr int64_t kCapacityCheckLimit = 64;
} // namespace

const char *CheckResult::word() const {
  switch (status) {
  case Status::Ok:
    return "ok";
  case Status::Failed:
    return finite ? "FAILED" : "FAILED (non-finite)";
  case Status::Skipped:
    return "skipped (capacity)";
  }
  return "?";
}

int64_t checkedTokens(const LayerSpec &spec, int64_t tokens) {
  if (spec.capacityFactor)
    return tokens <= kCapacityCheckLimit ? tokens : 0;
  return std::min(tokens, kCheckedTokens);
}

ref::Tensor referenceOutput(const LayerSpec &spec, const LayerInputs &inputs,
                            int64_t n) {
  return ref::layer(inputs.tokens(n), inputs.weights(),
                    spec.referenceOptions());
}

CheckResult compare(const ref::Tensor &reference, const float *got,
                    ref::DType dtype) {
  CheckResult result;
  result.tokens = reference.shape.empty() ? 0 : reference.dim(0);
  result.tolerance = dtype == ref::DType::F32 ? 1e-5 : 1e-2;
  for (size_t i = 0; i < reference.data.size(); ++i) {
    double diff =
        std::fabs(static_cast<double>(got[i]) - reference.data[i]);
    if (!std::isfinite(got[i]) || std::isnan(diff))
      result.finite = false;
    result.maxAbsError = std::max(result.maxAbsError, diff);
    result.maxRef = std::max(
        result.maxRef, std::fabs(static_cast<double>(reference.data[i])));
  }
  result.maxRelError = result.maxRef > 0 ? result.maxAbsError / result.maxRef
                                         : result.maxAbsError;
  result.status = result.finite && result.maxRelError <= result.tolerance
                      ? CheckResult::Status::Ok
                      : CheckResult::Status::Failed;
  return result;
}

CheckResult skippedCheck() { return CheckResult{}; }

} // namespace moe::bench
