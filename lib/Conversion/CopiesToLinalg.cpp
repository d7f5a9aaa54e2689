//===- CopiesToLinalg.cpp - moe-copies-to-linalg --------------------------===//
//
// Bufferization writes copies as memref.copy, whose LLVM lowering calls the
// `memrefCopy` function of MLIR's C runner utilities for strided views: a
// library artifacts do not link. As linalg.copy they become plain loops.
// A copy of a view onto itself (bufferization leaves one where a tile is
// written back in place) is dropped.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOECOPIESTOLINALG
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {

struct CopyToLinalg : public OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    if (copy.getSource() == copy.getTarget()) {
      rewriter.eraseOp(copy);
      return success();
    }
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                copy.getTarget());
    return success();
  }
};

struct MoeCopiesToLinalgPass
    : public mlir::moe::impl::MoeCopiesToLinalgBase<MoeCopiesToLinalgPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CopyToLinalg>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
