//===- CheckShapes.cpp - the moe-check-shapes pass ------------------------===//
//
// A verifier sees only static sizes. Where a shape relation of a moe op has a
// dynamic side, this pass tests it before the op runs and, when it fails,
// skips the op and everything after it in its block: an unchecked op with
// disagreeing operand shapes would read or write out of bounds. The test is
// O(1) per relation, so it stays on when the value checks are off.
//
//===----------------------------------------------------------------------===//
#include "moe/MoeOps.h"
#include "moe/MoeShapeContracts.h"
#include "moe/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOECHECKSHAPES
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// `size` of `op`'s relation as an index value, at the builder's point.
Value materialize(OpBuilder &b, Location loc, const ShapeSize &size) {
  if (size.isConstant())
    return arith::ConstantIndexOp::create(b, loc, size.offset);
  Value value = size.value;
  if (size.dim != ShapeSize::kScalar) {
    int64_t extent =
        cast<RankedTensorType>(value.getType()).getDimSize(size.dim);
    value = ShapedType::isDynamic(extent)
                ? Value(tensor::DimOp::create(b, loc, size.value, size.dim))
                : Value(arith::ConstantIndexOp::create(b, loc, extent));
  }
  if (size.numerator) {
    Value divisor = arith::MaxSIOp::create(
        b, loc, value, arith::ConstantIndexOp::create(b, loc, 1));
    return arith::DivSIOp::create(
        b, loc, arith::ConstantIndexOp::create(b, loc, *size.numerator),
        divisor);
  }
  if (size.scale != 1)
    value = arith::MulIOp::create(
        b, loc, value, arith::ConstantIndexOp::create(b, loc, size.scale));
  if (size.offset != 0)
    value = arith::AddIOp::create(
        b, loc, value, arith::ConstantIndexOp::create(b, loc, size.offset));
  return value;
}

/// An i1 that is true when `subject` and `bound` violate `kind`.
Value violated(OpBuilder &b, Location loc, ShapeRelation::Kind kind,
               Value subject, Value bound) {
  using Pred = arith::CmpIPredicate;
  auto cmp = [&](Pred pred, Value lhs, Value rhs) -> Value {
    return arith::CmpIOp::create(b, loc, pred, lhs, rhs);
  };
  switch (kind) {
  case ShapeRelation::Kind::Equal:
    return cmp(Pred::ne, subject, bound);
  case ShapeRelation::Kind::AtLeast:
    return cmp(Pred::slt, subject, bound);
  case ShapeRelation::Kind::AtMost:
    return cmp(Pred::sgt, subject, bound);
  case ShapeRelation::Kind::MultipleOf: {
    // A bound below 1 is itself a violation, and must not reach the remainder.
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value notPositive = cmp(Pred::slt, bound, one);
    Value divisor = arith::MaxSIOp::create(b, loc, bound, one);
    Value remainder = arith::RemSIOp::create(b, loc, subject, divisor);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    return arith::OrIOp::create(b, loc, notPositive,
                                cmp(Pred::ne, remainder, zero));
  }
  }
  return {};
}

/// What the skipped rest of a block yields: empty tensors (dynamic dims 0),
/// zero scalars. Null for a type that has no such value.
Value placeholder(OpBuilder &b, Location loc, Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type)) {
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    SmallVector<Value> dynamicSizes(tensor.getNumDynamicDims(), zero);
    return tensor::EmptyOp::create(b, loc, tensor, dynamicSizes);
  }
  if (isa<IntegerType, IndexType, FloatType>(type))
    return arith::ConstantOp::create(b, loc, type, b.getZeroAttr(type));
  return {};
}

/// Tests `op`'s dynamic relations; on failure records them and skips `op`
/// and the rest of its block.
LogicalResult guard(Operation *op, ArrayRef<ShapeRelation> relations) {
  Location loc = op->getLoc();
  OpBuilder b(op);
  struct Test {
    const ShapeRelation *relation;
    Value subject, bound, failed;
  };
  SmallVector<Test> tests;
  Value anyFailed;
  for (const ShapeRelation &relation : relations) {
    Value subject = materialize(b, loc, relation.subject);
    Value bound = materialize(b, loc, relation.bound);
    Value failed = violated(b, loc, relation.kind, subject, bound);
    tests.push_back({&relation, subject, bound, failed});
    anyFailed =
        anyFailed ? arith::OrIOp::create(b, loc, anyFailed, failed) : failed;
  }

  Block *block = op->getBlock();
  Operation *terminator = block->getTerminator();
  TypeRange resultTypes = terminator->getOperandTypes();
  auto ifOp = scf::IfOp::create(b, loc, resultTypes, anyFailed,
                                /*withElseRegion=*/true);

  // Then: record, yield placeholders.
  b.setInsertionPointToStart(ifOp.thenBlock());
  for (const Test &test : tests) {
    auto record = scf::IfOp::create(b, loc, test.failed);
    OpBuilder inner = record.getThenBodyBuilder();
    const ShapeRelation &relation = *test.relation;
    ShapeViolationOp::create(
        inner, loc, test.subject, test.bound,
        op->getName().getStringRef(), relation.contract(),
        relation.subject.describe(),
        relation.bound.isConstant() ? "" : relation.bound.describe());
  }
  SmallVector<Value> placeholders;
  for (Type type : resultTypes) {
    Value value = placeholder(b, loc, type);
    if (!value)
      return op->emitOpError()
             << "has a shape relation that holds only at run time, in a block "
                "that yields "
             << type << ", which cannot be skipped when the relation fails";
    placeholders.push_back(value);
  }
  scf::YieldOp::create(b, loc, placeholders);

  // Else: the op and the rest of the block.
  Block *elseBlock = ifOp.elseBlock();
  elseBlock->getOperations().splice(elseBlock->end(), block->getOperations(),
                                    op->getIterator(),
                                    terminator->getIterator());
  b.setInsertionPointToEnd(elseBlock);
  scf::YieldOp::create(b, loc, terminator->getOperands());
  terminator->setOperands(ifOp.getResults());
  return success();
}

struct MoeCheckShapesPass
    : public mlir::moe::impl::MoeCheckShapesBase<MoeCheckShapesPass> {
  void runOnOperation() override {
    SmallVector<std::pair<Operation *, std::vector<ShapeRelation>>> work;
    getOperation().walk([&](Operation *op) {
      if (!isa_and_nonnull<MoeDialect>(op->getDialect()))
        return;
      std::vector<ShapeRelation> dynamic;
      for (ShapeRelation &relation : getShapeRelations(op))
        if (!relation.isStatic())
          dynamic.push_back(std::move(relation));
      if (!dynamic.empty())
        work.emplace_back(op, std::move(dynamic));
    });
    for (auto &[op, relations] : work)
      if (failed(guard(op, relations)))
        return signalPassFailure();
  }
};

} // namespace
