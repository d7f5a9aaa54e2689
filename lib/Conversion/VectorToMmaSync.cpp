//===- VectorToMmaSync.cpp - the moe-vector-to-mma-sync pass --------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/Conversion/VectorToGPU/VectorToGPU.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
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
    // A contraction on the 16-bit patterns of another type (bf16 data in
    // f16 vectors) converts as f16, and the mma.sync ops of its slice then
    // multiply the real type. The tag comes off first: upstream's
    // conversion does not convert a contraction with unknown attributes.
    DenseMap<Operation *, Type> realElement;
    kernels->walk([&](vector::ContractionOp contract) {
      if (auto real = contract->getAttrOfType<TypeAttr>(moe::kMmaElementAttrName)) {
        realElement[contract] = real.getValue();
        contract->removeAttr(moe::kMmaElementAttrName);
      }
    });
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
        break;
      tried.insert(next);
      auto contract = cast<vector::ContractionOp>(next);
      // MLIR 22 gives 16-bit fragments registers for f16 only
      // (nvgpu::getMmaSyncRegisterType): a bf16 slice would fail halfway.
      // Such a contraction stays (each thread computes it whole).
      if (contract.getLhsType().getElementType().isBF16())
        continue;
      Type real = realElement.lookup(next);
      DenseSet<Operation *> mmasBefore;
      kernels->walk([&](nvgpu::MmaSyncOp mma) { mmasBefore.insert(mma); });
      Location loc = contract.getLoc();
      if (failed(convertVectorToNVVMCompatibleMMASync(rewriter, next)))
        return signalPassFailure();
      // The conversion leaves the contractions of the slice it took without
      // users once their consumers are gone (later canonicalization would
      // erase them): erase them here, chains included, and check that they
      // all had the same tag.
      for (bool erased = true; erased;) {
        SmallVector<vector::ContractionOp> dead;
        kernels->walk([&](vector::ContractionOp c) {
          if (c->use_empty())
            dead.push_back(c);
        });
        erased = !dead.empty();
        for (vector::ContractionOp gone : dead) {
          if (realElement.lookup(gone) != real) {
            emitError(loc) << "a contraction's mma.sync slice mixes f16 with "
                              "the bits of another type";
            return signalPassFailure();
          }
          realElement.erase(gone);
          rewriter.eraseOp(gone);
        }
      }
      if (real)
        retypeNewMmas(rewriter, kernels, mmasBefore, real);
    }
    // A tagged contraction that did not convert would multiply bit patterns
    // as f16: never leave one.
    for (auto [contract, real] : realElement) {
      contract->emitOpError("holds the bits of ")
          << real << " values in f16 vectors but did not become "
          << "nvgpu.mma.sync";
      return signalPassFailure();
    }
  }

  /// The mma.sync ops not in `before` take their A and B fragments as
  /// `element` (a bitcast of the same bits).
  static void retypeNewMmas(IRRewriter &rewriter, Operation *kernels,
                            const DenseSet<Operation *> &before, Type element) {
    SmallVector<nvgpu::MmaSyncOp> fresh;
    kernels->walk([&](nvgpu::MmaSyncOp mma) {
      if (!before.contains(mma))
        fresh.push_back(mma);
    });
    for (nvgpu::MmaSyncOp mma : fresh) {
      rewriter.setInsertionPoint(mma);
      auto retype = [&](Value fragment) -> Value {
        auto type = cast<VectorType>(fragment.getType());
        return arith::BitcastOp::create(rewriter, mma.getLoc(),
                                        type.clone(element), fragment);
      };
      auto replacement = nvgpu::MmaSyncOp::create(
          rewriter, mma.getLoc(), retype(mma.getMatrixA()),
          retype(mma.getMatrixB()), mma.getMatrixC(), mma.getMmaShapeAttr());
      rewriter.replaceOp(mma, replacement.getRes());
    }
  }
};

} // namespace
