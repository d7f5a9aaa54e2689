//===- DispatchCapacity.cpp - moe.dispatch's capacity and rows ------------===//
#include "DispatchCapacity.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

DispatchCapacity DispatchCapacity::create(DispatchOp op, LoopEmitter &em,
                                          ContractRecorder &checks) {
  int64_t numExperts = op.getNumExperts();
  DispatchCapacity result;
  if (std::optional<int64_t> fixed = op.getCapacity()) {
    result.capacity = em.index(*fixed);
    result.staticRows = numExperts * *fixed;
    return result;
  }
  Value requested = op.getDynamicCapacity();
  Value tooSmall = arith::CmpIOp::create(em.b, em.loc,
                                         arith::CmpIPredicate::slt, requested,
                                         em.index(1));
  checks.check(em, tooSmall, {"moe.dispatch", "capacity", "capacity", 0},
               Value(), Value(), requested, Value());
  result.capacity =
      arith::MaxSIOp::create(em.b, em.loc, requested, em.index(0));
  result.staticRows = ShapedType::kDynamic;
  result.rowSizes.push_back(arith::MulIOp::create(
      em.b, em.loc, result.capacity, em.index(numExperts)));
  return result;
}

Value DispatchCapacity::numRows(LoopEmitter &em) const {
  return rowSizes.empty() ? em.index(staticRows) : rowSizes.front();
}
