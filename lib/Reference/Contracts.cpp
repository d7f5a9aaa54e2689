//===- Contracts.cpp - Runtime contract checks ----------------------------===//
//
// The messages follow one pattern so that the runtime, moe-run and the tests
// can report them verbatim:
//   <op>: runtime contract <contract> violated: <tensor>[<position>] = <value>
//   (<context>)
//
//===----------------------------------------------------------------------===//

#include "moe/Reference/Reference.h"

#include <cmath>
#include <sstream>

namespace moe::ref {

namespace {

/// "name[i, j]" for flat index `flat` of a tensor of shape `shape`.
std::string position(std::string_view name, const std::vector<int64_t> &shape,
                     int64_t flat) {
  std::vector<int64_t> index(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    int64_t extent = shape[d] > 0 ? shape[d] : 1;
    index[d] = flat % extent;
    flat /= extent;
  }
  std::string text(name);
  text += '[';
  for (size_t d = 0; d < index.size(); ++d) {
    if (d)
      text += ", ";
    text += std::to_string(index[d]);
  }
  return text + ']';
}

std::string position(std::string_view name, size_t i) {
  return std::string(name) + '[' + std::to_string(i) + ']';
}

/// Spelled the same on every platform (printf gives "-nan" on glibc).
std::string formatFloat(float value) {
  if (std::isnan(value))
    return "nan";
  if (std::isinf(value))
    return value < 0 ? "-inf" : "inf";
  std::ostringstream stream;
  stream.precision(9);
  stream << value;
  return stream.str();
}

std::string violation(std::string_view op, std::string_view contract,
                      const std::string &where, const std::string &value,
                      const std::string &context = "") {
  std::string text(op);
  text += ": runtime contract ";
  text += contract;
  text += " violated: ";
  text += where;
  text += " = ";
  text += value;
  if (!context.empty())
    text += " (" + context + ")";
  return text;
}

} // namespace

std::string checkIds(std::string_view op, const IndexTensor &ids,
                     int64_t numExperts) {
  for (size_t i = 0; i < ids.data.size(); ++i) {
    int32_t id = ids.data[i];
    if (id < 0 || id >= numExperts)
      return violation(op, "0 <= ids < num_experts",
                       position("ids", ids.shape, static_cast<int64_t>(i)),
                       std::to_string(id),
                       "num_experts = " + std::to_string(numExperts));
  }
  return {};
}

std::string checkOffsets(std::string_view op,
                         const std::vector<int32_t> &offsets, int64_t numRows) {
  if (offsets.empty())
    return std::string(op) +
           ": runtime contract offsets[0] == 0 violated: offsets is empty";
  if (offsets[0] != 0)
    return violation(op, "offsets[0] == 0", position("offsets", 0),
                     std::to_string(offsets[0]));
  for (size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] < offsets[i - 1])
      return violation(op, "offsets never decrease", position("offsets", i),
                       std::to_string(offsets[i]),
                       position("offsets", i - 1) + " = " +
                           std::to_string(offsets[i - 1]));
  size_t last = offsets.size() - 1;
  if (offsets[last] > numRows)
    return violation(op, "offsets[E] <= M", position("offsets", last),
                     std::to_string(offsets[last]),
                     "M = " + std::to_string(numRows));
  return {};
}

std::string checkCounts(std::string_view op, const std::vector<int32_t> &counts,
                        int64_t capacity) {
  for (size_t i = 0; i < counts.size(); ++i)
    if (counts[i] < 0 || counts[i] > capacity)
      return violation(op, "0 <= counts <= capacity", position("counts", i),
                       std::to_string(counts[i]),
                       "capacity = " + std::to_string(capacity));
  return {};
}

std::string checkFinite(std::string_view op, const Tensor &t,
                        std::string_view name) {
  for (size_t i = 0; i < t.data.size(); ++i)
    if (!std::isfinite(t.data[i]))
      return violation(op, std::string(name) + " finite",
                       position(name, t.shape, static_cast<int64_t>(i)),
                       formatFloat(t.data[i]));
  return {};
}

std::string checkCapacity(std::string_view op, int64_t capacity) {
  if (capacity >= 1)
    return {};
  return violation(op, "capacity >= 1", "capacity", std::to_string(capacity));
}

std::string checkRows(std::string_view op, const std::vector<int32_t> &rows,
                      int64_t numPairs, std::string_view name) {
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i] < -1 || rows[i] >= numPairs)
      return violation(op, "-1 <= " + std::string(name) + " < N",
                       position(name, i), std::to_string(rows[i]),
                       "N = " + std::to_string(numPairs));
  return {};
}

} // namespace moe::ref
