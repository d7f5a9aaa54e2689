//===- LowerToGpu.cpp - the moe-lower-to-gpu pass -------------------------===//
#include "GpuKernels.h"
#include "MoeFunctionLowering.h"
#include "moe/Conversion/Passes.h"
#include "moe/Tiles/GpuTiles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
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
            bool contractsProven, SmallVectorImpl<ContractSite> &sites) {
          GpuContractChecks recorder(status, sites);
          return lower(op, em, recorder, contractsProven);
        });
    if (failed(lowered))
      signalPassFailure();
  }

  /// A tensor-core tile's steps are the target's warp matrix instruction
  /// (the module's #moe.target; none: the emulator's own chip), and its
  /// thread count that of the instruction's warps.
  static LogicalResult setMatrixInstruction(GroupedGemmOp gemm,
                                            GemmTile &tile) {
    auto module = gemm->getParentOfType<ModuleOp>();
    auto target = module ? module->getAttrOfType<TargetAttr>(
                               TargetAttr::getModuleAttrName())
                         : TargetAttr();
    std::string chip = target ? target.getChip().str() : "";
    namespace tiles = ::moe::tiles;
    tiles::MatrixInstruction instruction = tiles::matrixInstruction(chip);
    if (instruction == tiles::MatrixInstruction::None)
      return gemm.emitOpError("has a tensor-core tile (warp_m, warp_n) but "
                              "chip '")
             << chip << "' has no warp matrix instruction the kernels use "
                        "(sm_80 and newer, gfx90a, gfx942, gfx950)";
    tile.mfma = instruction == tiles::MatrixInstruction::Mfma;
    int64_t lanes = tiles::warpLanes(instruction);
    int64_t warps = (tile.bm / tile.wm) * (tile.bn / tile.wn);
    if (tile.threads() != warps * lanes)
      return gemm.emitOpError("has a tensor-core tile of ")
             << tile.threads() << " threads, but on chip '" << chip << "' its "
             << warps << " warps need " << warps * lanes << " (" << lanes
             << " lanes each)";
    if (tile.mfma && tile.wn % 16)
      return gemm.emitOpError("has a tensor-core tile with warp_n = ")
             << tile.wn << ", but MFMA 16x16x16 needs a multiple of 16";
    return success();
  }

  FailureOr<SmallVector<Value>> lower(Operation *op, LoopEmitter &em,
                                      GpuContractChecks &checks,
                                      bool contractsProven) {
    if (auto gemm = dyn_cast<GroupedGemmOp>(op)) {
      TileAttr attr = gemm.getTileAttr();
      if (!attr)
        return gemm.emitOpError("has no #moe.tile (run moe-select-tiles)");
      GemmTile tile{attr.getBlockM(), attr.getBlockN(), attr.getBlockK(),
                    attr.getThreadM(), attr.getThreadN(), attr.getWarpM(),
                    attr.getWarpN()};
      if (tile.wm > 0 && failed(setMatrixInstruction(gemm, tile)))
        return failure();
      // Proven offsets (a permute's) own every row: no row is left for the
      // zero kernel.
      bool everyRowOwned = contractsProven &&
                           gemm.getSegmentKind() == SegmentKind::Offsets;
      return lowerGroupedGemmToGpu(gemm, em, tile, checks, everyRowOwned);
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
