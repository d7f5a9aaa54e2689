//===- LowerToLoops.cpp - the moe-lower-to-loops pass ---------------------===//
#include "LowerOps.h"
#include "MoeFunctionLowering.h"
#include "moe/Conversion/Passes.h"


namespace mlir::moe {
#define GEN_PASS_DEF_MOELOWERTOLOOPS
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

SmallVector<Value> lowerOp(Operation *op, LoopEmitter &em,
                           ContractRecorder &checks) {
  if (auto route = dyn_cast<RouteOp>(op))
    return lowerRoute(route, em, checks);
  if (auto permute = dyn_cast<PermuteOp>(op))
    return lowerPermute(permute, em, checks);
  if (auto dispatch = dyn_cast<DispatchOp>(op))
    return lowerDispatch(dispatch, em, checks);
  if (auto gemm = dyn_cast<GroupedGemmOp>(op))
    return lowerGroupedGemm(gemm, em, checks);
  if (auto unpermute = dyn_cast<UnpermuteOp>(op))
    return lowerUnpermute(unpermute, em, checks);
  if (auto loss = dyn_cast<BalanceLossOp>(op))
    return lowerBalanceLoss(loss, em, checks);
  if (auto violation = dyn_cast<ShapeViolationOp>(op))
    return recordShapeViolation(violation, em, checks);
  return {};
}

struct MoeLowerToLoopsPass
    : public mlir::moe::impl::MoeLowerToLoopsBase<MoeLowerToLoopsPass> {
  using MoeLowerToLoopsBase::MoeLowerToLoopsBase;

  void runOnOperation() override {
    LogicalResult lowered = lowerMoeFunctions(
        getOperation(), checks,
        [](Operation *op, LoopEmitter &em, Value status, bool,
           SmallVectorImpl<ContractSite> &sites)
            -> FailureOr<SmallVector<Value>> {
          ContractRecorder recorder(status, sites);
          SmallVector<Value> replacements = lowerOp(op, em, recorder);
          if (replacements.size() != op->getNumResults())
            return op->emitOpError("has no loop lowering");
          return replacements;
        });
    if (failed(lowered))
      signalPassFailure();
  }
};

} // namespace
