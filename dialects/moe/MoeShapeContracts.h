//===- MoeShapeContracts.h - shape relations of the moe ops -----*- C++ -*-===//
//
// The one description of which dims of which operands must be equal, at
// least, at most or a multiple of some size (DESIGN.md §4, static contract).
// The verifiers check it where both sides are static; moe-check-shapes
// checks it at run time where a side is dynamic. A relation added here is
// therefore checked in both places or in neither.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_MOESHAPECONTRACTS_H
#define MOE_MOESHAPECONTRACTS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <vector>
#include <string>

namespace mlir::moe {

/// A size a relation speaks of: `scale * size + offset`, where size is dim
/// `dim` of the ranked tensor `value`, the `index` value itself (dim ==
/// kScalar), or nothing (a constant `offset`); or, with a `numerator`, the
/// quotient `numerator / max(size, 1)` (how many of `size` fit in a limit).
struct ShapeSize {
  static constexpr int64_t kScalar = -1;

  Value value;
  std::string name; // the operand's or attribute's name, as ODS spells it
  int64_t dim = 0;
  int64_t scale = 1;
  int64_t offset = 0;
  std::optional<int64_t> numerator = std::nullopt;
  std::string numeratorName = {};

  static ShapeSize dimOf(Value value, StringRef name, int64_t dim,
                         int64_t scale = 1, int64_t offset = 0);
  static ShapeSize scalar(Value value, StringRef name);
  /// `numerator / max(dim `dim` of `value`, 1)`, shown as
  /// "numeratorName / name dim d".
  static ShapeSize quotient(int64_t numerator, StringRef numeratorName,
                            Value value, StringRef name, int64_t dim);
  /// A constant; `name` (an attribute, e.g. "k") may be empty.
  static ShapeSize constant(int64_t value, StringRef name = "");

  bool isConstant() const { return !value; }
  /// The size when it is known at compile time.
  std::optional<int64_t> staticValue() const;
  /// "ids dim 0", "2 * w_down dim 1", "w dim 0 + 1", "k = 3", "1".
  std::string describe() const;
};

struct ShapeRelation {
  enum class Kind { Equal, AtLeast, AtMost, MultipleOf };

  Kind kind;
  ShapeSize subject; // an operand's dim or scalar value, never scaled
  ShapeSize bound;
  std::string what; // what the subject is: "T", "E", "In"

  /// Whether both sides are known at compile time.
  bool isStatic() const;
  /// Whether `subject` and `bound` satisfy the relation.
  static bool holds(Kind kind, int64_t subject, int64_t bound);
  /// "ids dim 0 == x dim 0", "logits dim 1 >= k = 3".
  std::string contract() const;
  /// The verifier's message for sizes that violate the relation.
  std::string message(int64_t subjectSize, int64_t boundSize) const;
};

/// The shape relations among the operands of a moe op (none for other ops).
/// Operand ranks must have been verified.
std::vector<ShapeRelation> getShapeRelations(Operation *op);

/// Checks every relation whose sides are both static; the first violated one
/// is reported on `op`.
LogicalResult verifyStaticShapeRelations(Operation *op);

} // namespace mlir::moe

#endif // MOE_MOESHAPECONTRACTS_H
