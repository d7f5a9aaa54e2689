//===- LowerToGpu.cpp - the moe-lower-to-gpu pass -------------------------===//
#include "GpuKernels.h"
#include "MoeFunctionLowering.h"
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

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
    LogicalResult lowered = lowerMoeFunctions(
        getOperation(), checks,
        [&](Operation *op, LoopEmitter &em, Value status,
            SmallVectorImpl<ContractSite> &sites) {
          GpuContractChecks recorder(status, sites);
          return lower(op, em, recorder);
        });
    if (failed(lowered))
      signalPassFailure();
  }

  FailureOr<SmallVector<Value>> lower(Operation *op, LoopEmitter &em,
                                      GpuContractChecks &checks) {
    if (auto gemm = dyn_cast<GroupedGemmOp>(op)) {
      TileAttr attr = gemm.getTileAttr();
      if (!attr)
        return gemm.emitOpError("has no #moe.tile (run moe-select-tiles)");
      GemmTile tile{attr.getBlockM(), attr.getBlockN(), attr.getBlockK(),
                    attr.getThreadM(), attr.getThreadN(), attr.getWarpM(),
                    attr.getWarpN()};
      return lowerGroupedGemmToGpu(gemm, em, tile, checks);
    }
    if (auto unpermute = dyn_cast<UnpermuteOp>(op))
      return lowerUnpermuteToGpu(unpermute, em, checks);
    if (auto route = dyn_cast<RouteOp>(op))
      return lowerRouteToGpu(route, em, checks);
    if (auto permute = dyn_cast<PermuteOp>(op))
      return lowerPermuteToGpu(permute, em, checks);
    if (auto dispatch = dyn_cast<DispatchOp>(op))
      return lowerDispatchToGpu(dispatch, em, checks);
    if (auto loss = dyn_cast<BalanceLossOp>(op))
      return lowerBalanceLossToGpu(loss, em, checks);
    if (auto violation = dyn_cast<ShapeViolationOp>(op)) {
      // The status buffer is device memory: a one-thread kernel records it.
      checks.record(em, shapeViolationSite(violation), "shape_violation",
                    violation.getSize(), violation.getBound());
      return SmallVector<Value>{};
    }
    return op->emitOpError("has no GPU lowering");
  }
};

} // namespace
