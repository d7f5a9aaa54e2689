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
#include <cstring>
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

/// `tensor[i, j]`, `tensor[i]` (j == -1) or `tensor` (both -1).
std::string position(std::string_view tensor, int64_t i, int64_t j) {
  std::string text(tensor);
  if (i < 0 && j < 0)
    return text;
  text += '[' + std::to_string(i);
  if (j >= 0)
    text += ", " + std::to_string(j);
  return text + ']';
}

int64_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return static_cast<int64_t>(bits);
}

/// Splits flat index `flat` of a rank-1 or rank-2 tensor into (i, j), j = -1
/// for rank 1. Other ranks are not in the formatViolation vocabulary.
bool splitIndex(const std::vector<int64_t> &shape, int64_t flat, int64_t &i,
                int64_t &j) {
  if (shape.size() == 1) {
    i = flat;
    j = -1;
    return true;
  }
  if (shape.size() == 2 && shape[1] > 0) {
    i = flat / shape[1];
    j = flat % shape[1];
    return true;
  }
  return false;
}

} // namespace

const char *toString(ContractKind kind) {
  switch (kind) {
  case ContractKind::IdsRange:
    return "ids_range";
  case ContractKind::OffsetsStart:
    return "offsets_start";
  case ContractKind::OffsetsMonotone:
    return "offsets_monotone";
  case ContractKind::OffsetsEnd:
    return "offsets_end";
  case ContractKind::CountsRange:
    return "counts_range";
  case ContractKind::Finite:
    return "finite";
  case ContractKind::Capacity:
    return "capacity";
  case ContractKind::RowsRange:
    return "rows_range";
  case ContractKind::Shape:
    return "shape";
  }
  return "unknown";
}

std::optional<ContractKind> parseContractKind(std::string_view name) {
  for (ContractKind kind :
       {ContractKind::IdsRange, ContractKind::OffsetsStart,
        ContractKind::OffsetsMonotone, ContractKind::OffsetsEnd,
        ContractKind::CountsRange, ContractKind::Finite,
        ContractKind::Capacity, ContractKind::RowsRange, ContractKind::Shape})
    if (name == toString(kind))
      return kind;
  return std::nullopt;
}

std::string formatViolation(std::string_view op, ContractKind kind,
                            std::string_view tensor, int64_t i, int64_t j,
                            int64_t value, int64_t context) {
  std::string t(tensor);
  std::string where = position(tensor, i, j);
  std::string number = std::to_string(value);
  std::string ctx = std::to_string(context);
  switch (kind) {
  case ContractKind::IdsRange:
    return violation(op, "0 <= " + t + " < num_experts", where, number,
                     "num_experts = " + ctx);
  case ContractKind::OffsetsStart:
    return violation(op, t + "[0] == 0", where, number);
  case ContractKind::OffsetsMonotone:
    return violation(op, t + " never decrease", where, number,
                     position(tensor, i - 1, -1) + " = " + ctx);
  case ContractKind::OffsetsEnd:
    return violation(op, t + "[E] <= M", where, number, "M = " + ctx);
  case ContractKind::CountsRange:
    return violation(op, "0 <= " + t + " <= capacity", where, number,
                     "capacity = " + ctx);
  case ContractKind::Finite: {
    uint32_t bits = static_cast<uint32_t>(value);
    float f;
    std::memcpy(&f, &bits, sizeof(f));
    return violation(op, t + " finite", where, formatFloat(f));
  }
  case ContractKind::Capacity:
    return violation(op, t + " >= 1", where, number);
  case ContractKind::RowsRange:
    return violation(op, "-1 <= " + t + " < N", where, number, "N = " + ctx);
  case ContractKind::Shape:
    return formatShapeViolation(op, t + " (shape)", t, "", value, context);
  }
  return violation(op, "(unknown contract)", where, number);
}

std::string formatShapeViolation(std::string_view op, std::string_view contract,
                                 std::string_view subject,
                                 std::string_view bound, int64_t size,
                                 int64_t boundSize) {
  std::string context;
  if (!bound.empty())
    context = std::string(bound) + " = " + std::to_string(boundSize);
  return violation(op, contract, std::string(subject), std::to_string(size),
                   context);
}

std::string checkIds(std::string_view op, const IndexTensor &ids,
                     int64_t numExperts) {
  for (size_t i = 0; i < ids.data.size(); ++i) {
    int32_t id = ids.data[i];
    if (id < 0 || id >= numExperts) {
      int64_t row, col;
      if (splitIndex(ids.shape, static_cast<int64_t>(i), row, col))
        return formatViolation(op, ContractKind::IdsRange, "ids", row, col,
                               id, numExperts);
      return violation(op, "0 <= ids < num_experts",
                       position("ids", ids.shape, static_cast<int64_t>(i)),
                       std::to_string(id),
                       "num_experts = " + std::to_string(numExperts));
    }
  }
  return {};
}

std::string checkOffsets(std::string_view op,
                         const std::vector<int32_t> &offsets, int64_t numRows) {
  if (offsets.empty())
    return std::string(op) +
           ": runtime contract offsets[0] == 0 violated: offsets is empty";
  if (offsets[0] != 0)
    return formatViolation(op, ContractKind::OffsetsStart, "offsets", 0, -1,
                           offsets[0], 0);
  for (size_t i = 1; i < offsets.size(); ++i)
    if (offsets[i] < offsets[i - 1])
      return formatViolation(op, ContractKind::OffsetsMonotone, "offsets",
                             static_cast<int64_t>(i), -1, offsets[i],
                             offsets[i - 1]);
  size_t last = offsets.size() - 1;
  if (offsets[last] > numRows)
    return formatViolation(op, ContractKind::OffsetsEnd, "offsets",
                           static_cast<int64_t>(last), -1, offsets[last],
                           numRows);
  return {};
}

std::string checkCounts(std::string_view op, const std::vector<int32_t> &counts,
                        int64_t capacity) {
  for (size_t i = 0; i < counts.size(); ++i)
    if (counts[i] < 0 || counts[i] > capacity)
      return formatViolation(op, ContractKind::CountsRange, "counts",
                             static_cast<int64_t>(i), -1, counts[i], capacity);
  return {};
}

std::string checkFinite(std::string_view op, const Tensor &t,
                        std::string_view name) {
  for (size_t i = 0; i < t.data.size(); ++i)
    if (!std::isfinite(t.data[i])) {
      int64_t row, col;
      if (splitIndex(t.shape, static_cast<int64_t>(i), row, col))
        return formatViolation(op, ContractKind::Finite, name, row, col,
                               floatBits(t.data[i]), 0);
      return violation(op, std::string(name) + " finite",
                       position(name, t.shape, static_cast<int64_t>(i)),
                       formatFloat(t.data[i]));
    }
  return {};
}

std::string checkCapacity(std::string_view op, int64_t capacity) {
  if (capacity >= 1)
    return {};
  return formatViolation(op, ContractKind::Capacity, "capacity", -1, -1,
                         capacity, 0);
}

std::string checkRows(std::string_view op, const std::vector<int32_t> &rows,
                      int64_t numPairs, std::string_view name) {
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i] < -1 || rows[i] >= numPairs)
      return formatViolation(op, ContractKind::RowsRange, name,
                             static_cast<int64_t>(i), -1, rows[i], numPairs);
  return {};
}

} // namespace moe::ref
