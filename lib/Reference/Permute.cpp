//===- Permute.cpp - moe.permute and moe.dispatch -------------------------===//

#include "Internal.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace moe::ref {

namespace {

bool validInputs(const Tensor &x, const IndexTensor &ids, int64_t numExperts) {
  return detail::isMatrix(x) && ids.rank() == 2 && ids.wellFormed() &&
         ids.dim(0) == x.dim(0) && numExperts >= 1;
}

/// Copies token `pair / k` of x into row `row` of xp.
void copyTokenRow(const Tensor &x, int64_t pair, int64_t k, Tensor &xp,
                  int64_t row) {
  int64_t hidden = x.dim(1);
  if (hidden > 0)
    std::memcpy(xp.row(row), x.row(pair / k),
                static_cast<size_t>(hidden) * sizeof(float));
}

} // namespace

PermuteResult permute(const Tensor &x, const IndexTensor &ids,
                      int64_t numExperts) {
  MOE_REF_REQUIRE(validInputs(x, ids, numExperts));
  const int64_t k = ids.dim(1);
  const int64_t numPairs = ids.numel();

  // Ids outside [0, E) break the contract; their pairs go nowhere, which
  // leaves trailing rows at -1 / zero instead of writing out of bounds.
  std::vector<int32_t> offsets(static_cast<size_t>(numExperts + 1), 0);
  for (int32_t id : ids.data)
    if (id >= 0 && id < numExperts)
      ++offsets[id + 1];
  for (int64_t e = 0; e < numExperts; ++e)
    offsets[e + 1] += offsets[e];

  // Scanning pairs in order and appending at each expert's cursor is what
  // makes the sort stable.
  std::vector<int32_t> rows(static_cast<size_t>(numPairs), -1);
  std::vector<int32_t> cursor(offsets.begin(), offsets.end() - 1);
  for (int64_t p = 0; p < numPairs; ++p) {
    int32_t id = ids.data[p];
    if (id >= 0 && id < numExperts)
      rows[cursor[id]++] = static_cast<int32_t>(p);
  }

  Tensor xp = Tensor::zeros({numPairs, x.dim(1)});
  for (int64_t i = 0; i < offsets[numExperts]; ++i)
    copyTokenRow(x, rows[i], k, xp, i);
  return {std::move(xp), std::move(offsets), std::move(rows)};
}

DispatchResult dispatch(const Tensor &x, const IndexTensor &ids,
                        int64_t numExperts, int64_t capacity) {
  MOE_REF_REQUIRE(validInputs(x, ids, numExperts));
  // capacity >= 1 is a runtime contract; below it no pair is kept.
  capacity = std::max<int64_t>(capacity, 0);
  const int64_t k = ids.dim(1);
  const int64_t numPairs = ids.numel();
  const int64_t numRows = numExperts * capacity;

  DispatchResult result{
      Tensor::zeros({numRows, x.dim(1)}),
      std::vector<int32_t>(static_cast<size_t>(numExperts), 0),
      std::vector<int32_t>(static_cast<size_t>(numRows), -1)};
  for (int64_t p = 0; p < numPairs; ++p) {
    int32_t id = ids.data[p];
    if (id < 0 || id >= numExperts || result.counts[id] >= capacity)
      continue;
    int64_t row = id * capacity + result.counts[id]++;
    result.rows[row] = static_cast<int32_t>(p);
    copyTokenRow(x, p, k, result.xp, row);
  }
  return result;
}

int64_t capacityFromFactor(double factor, int64_t numPairs,
                           int64_t numExperts) {
  if (numExperts <= 0)
    return 1;
  double capacity = std::ceil((factor * static_cast<double>(numPairs)) /
                              static_cast<double>(numExperts));
  // `!(>= 1)` also catches NaN from a NaN factor.
  if (!(capacity >= 1.0))
    return 1;
  // Converting a double past the int64 range is undefined behaviour.
  if (capacity >= 9.2e18)
    return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(capacity);
}

} // namespace moe::ref
