//===- VectorToMmaSync.cpp - the moe-vector-to-mma-sync pass --------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEVECTORTOMMASYNC
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {

struct MoeVectorToMmaSyncPass
    : public mlir::moe::impl::MoeVectorToMmaSyncBase<MoeVectorToMmaSyncPass> {
  void runOnOperation() override {
    Operation *kernels = getOperation();
    RewritePatternSet patterns(&getContext());
    populatePrepareVectorToMMAPatterns(patterns, /*useNvGpu=*/true);
    if (failed(applyPatternsGreedily(kernels, std::move(patterns))))
      return signalPassFailure();
    // Rooted at the contraction, the conversion walks only it; its slice
    // (reads, writes, loop-carried accumulators) still goes along. Ops are
    // erased on the way, so look for the next untried one afresh each time.
    IRRewriter rewriter(&getContext());
    DenseSet<Operation *> tried;
    for (;;) {
      Operation *next = nullptr;
      kernels->walk([&](vector::ContractionOp contract) {
        if (tried.contains(contract))
          return WalkResult::advance();
        next = contract;
        return WalkResult::interrupt();
      });
      if (!next)
        return;
      tried.insert(next);
      // MLIR 22 gives 16-bit fragments registers for f16 only
      // (nvgpu::getMmaSyncRegisterType): a bf16 slice would fail halfway.
      // Such a contraction stays (each thread computes it whole).
      auto contract = cast<vector::ContractionOp>(next);
      if (contract.getLhsType().getElementType().isBF16())
        continue;
      if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, next)))
        return signalPassFailure();
    }
  }
};

} // namespace
