//===- LowerToGpu.cpp - the moe-lower-to-gpu pass -------------------------===//
#include "GpuKernels.h"
#include "LowerOps.h"
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOELOWERTOGPU
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

struct MoeLowerToGpuPass
    : public mlir::moe::impl::MoeLowerToGpuBase<MoeLowerToGpuPass> {
  using MoeLowerToGpuBase::MoeLowerToGpuBase;

  void runOnOperation() override {
    GemmTile tile{blockM, blockN, blockK, threadM, threadN};
    if (tile.bm <= 0 || tile.bn <= 0 || tile.bk <= 0 || tile.tm <= 0 ||
        tile.tn <= 0) {
      getOperation().emitError("moe-lower-to-gpu: tile sizes must be positive");
      return signalPassFailure();
    }
    SmallVector<Operation *> ops;
    if (failed(collectMoeOps(getOperation(), ops)))
      return signalPassFailure();

    for (Operation *op : ops) {
      OpBuilder builder(op);
      LoopEmitter em(builder, op->getLoc());
      FailureOr<SmallVector<Value>> replacements = lower(op, em, tile);
      if (failed(replacements))
        return signalPassFailure();
      op->replaceAllUsesWith(*replacements);
      op->erase();
    }
  }

  FailureOr<SmallVector<Value>> lower(Operation *op, LoopEmitter &em,
                                      const GemmTile &tile) {
    if (auto gemm = dyn_cast<GroupedGemmOp>(op))
      return lowerGroupedGemmToGpu(gemm, em, tile);
    if (auto unpermute = dyn_cast<UnpermuteOp>(op))
      return lowerUnpermuteToGpu(unpermute, em);
    if (auto route = dyn_cast<RouteOp>(op))
      return lowerRouteToGpu(route, em);
    if (auto permute = dyn_cast<PermuteOp>(op))
      return lowerPermuteToGpu(permute, em);
    if (auto dispatch = dyn_cast<DispatchOp>(op))
      return lowerDispatchToGpu(dispatch, em);
    if (auto loss = dyn_cast<BalanceLossOp>(op))
      return lowerBalanceLossToGpu(loss, em);
    return op->emitOpError("has no GPU lowering");
  }
};

} // namespace
