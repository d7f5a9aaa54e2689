//===- Fuse.cpp - moe-fuse ------------------------------------------------===//
//
// Folds the token permutation into the grouped GEMMs (DESIGN.md §5), one
// pattern per fusion:
//   - gather: a grouped GEMM whose rows are the `xp` of a moe.permute (or
//     moe.dispatch) reads the token rows through the permutation instead,
//     `gather(%rows, K)`, so the [T·K, H] copy is never made;
//   - combine: a moe.unpermute of a grouped GEMM's only use becomes the
//     GEMM's `combine(%rows, %weights)` form, producing token order directly.
// Activation, gating and bias already are the GEMM's epilogue. The fused
// forms compute exactly what the unfused ops do (docs/decisions.md).
//
//===----------------------------------------------------------------------===//
#include "moe/Transforms/Passes.h"
#include "moe/MoeOps.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEFUSE
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The token matrix, rows and K of a permuted operand: `xp` of a
/// moe.permute or moe.dispatch whose ids have a static K.
struct Permutation {
  Value tokens, rows;
  int64_t k;
};

std::optional<Permutation> permutationOf(Value xp) {
  auto result = dyn_cast<OpResult>(xp);
  if (!result || result.getResultNumber() != 0)
    return std::nullopt;
  Operation *producer = result.getOwner();
  Value tokens, ids, rows;
  if (auto permute = dyn_cast<PermuteOp>(producer)) {
    tokens = permute.getX();
    ids = permute.getIds();
    rows = permute.getRows();
  } else if (auto dispatch = dyn_cast<DispatchOp>(producer)) {
    tokens = dispatch.getX();
    ids = dispatch.getIds();
    rows = dispatch.getRows();
  } else {
    return std::nullopt;
  }
  int64_t k = cast<RankedTensorType>(ids.getType()).getDimSize(1);
  if (ShapedType::isDynamic(k))
    return std::nullopt;
  return Permutation{tokens, rows, k};
}

/// grouped_gemm(xp, ...) -> grouped_gemm(x, ..., gather(rows, K)).
struct FuseGather : public OpRewritePattern<GroupedGemmOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GroupedGemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getGatherRows())
      return rewriter.notifyMatchFailure(op, "already gathers");
    std::optional<Permutation> permutation = permutationOf(op.getX());
    if (!permutation)
      return rewriter.notifyMatchFailure(op, "x is not a permuted matrix");
    rewriter.modifyOpInPlace(op, [&] {
      op.getXMutable().assign(permutation->tokens);
      op.getGatherRowsMutable().assign(permutation->rows);
      op.setGatherK(permutation->k);
    });
    return success();
  }
};

/// unpermute(grouped_gemm(...), rows, w) -> grouped_gemm(..., combine(rows,
/// w)) when the GEMM's result has no other use.
struct FuseCombine : public OpRewritePattern<UnpermuteOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(UnpermuteOp op,
                                PatternRewriter &rewriter) const override {
    auto gemm = op.getY().getDefiningOp<GroupedGemmOp>();
    if (!gemm || gemm.getCombineRows() || !gemm->hasOneUse())
      return rewriter.notifyMatchFailure(op, "y is not a grouped GEMM's "
                                             "only use");
    auto fused = cast<GroupedGemmOp>(rewriter.clone(*gemm));
    rewriter.modifyOpInPlace(fused, [&] {
      fused.getCombineRowsMutable().assign(op.getRows());
      fused.getCombineWeightsMutable().assign(op.getWeights());
      fused.getY().setType(op.getOut().getType());
    });
    rewriter.replaceOp(op, fused.getY());
    rewriter.eraseOp(gemm);
    return success();
  }
};

struct MoeFusePass : public mlir::moe::impl::MoeFuseBase<MoeFusePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMoeFusePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::moe::populateMoeFusePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseGather, FuseCombine>(patterns.getContext());
}
