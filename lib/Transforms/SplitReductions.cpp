//===- SplitReductions.cpp - the moe-split-reductions pass ----------------===//
#include "moe/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOESPLITREDUCTIONS
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {

struct MoeSplitReductionsPass
    : public mlir::moe::impl::MoeSplitReductionsBase<MoeSplitReductionsPass> {
  using MoeSplitReductionsBase::MoeSplitReductionsBase;

  /// Whether `op`'s reduction is split into chunks.
  bool splits(linalg::LinalgOp op) const {
    if (op.getNumReductionLoops() != 1 || !op.hasPureTensorSemantics() ||
        chunk < 1)
      return false;
    SmallVector<unsigned> reductions;
    op.getReductionDims(reductions);
    int64_t extent = op.getStaticLoopRanges()[reductions.front()];
    return !ShapedType::isDynamic(extent) && extent >= minExtent &&
           extent % chunk == 0 && extent / chunk > 1;
  }

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> candidates;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (splits(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : candidates) {
      rewriter.setInsertionPoint(op);
      // The chunk index goes after the op's parallel dims (the partial
      // result is [..., extent / chunk]); within a chunk the reduction
      // stays. (MLIR 22's splitReduction makes a tensor.empty without the
      // dynamic sizes of a dynamic T; the scaling form does not.)
      FailureOr<linalg::SplitReductionResult> split =
          linalg::splitReductionByScaling(rewriter, op, [&](linalg::LinalgOp) {
            linalg::SplitReductionOptions options;
            options.ratio = chunk;
            options.index = op.getNumParallelLoops();
            options.innerParallel = false;
            return options;
          });
      // An op splitReduction does not take (no recognizable combiner)
      // keeps its single loop: slower, still correct.
      if (failed(split))
        continue;
      keepInitNextToReduction(rewriter, split->resultCombiningLinalgOp);
    }
  }

  /// The sum of the partial results starts from the original op's init,
  /// usually a linalg.fill made before the partial results: moved right
  /// before the sum (its shape read from the fill's own init), the two
  /// become adjacent parallel loops on the GPU, which fuse into one kernel.
  static void keepInitNextToReduction(IRRewriter &rewriter,
                                      linalg::LinalgOp merge) {
    Value init = merge.getDpsInitOperand(0)->get();
    auto fill = init.getDefiningOp<linalg::FillOp>();
    if (!fill || fill->getBlock() != merge->getBlock())
      return;
    for (OpOperand &use : llvm::make_early_inc_range(fill->getResult(0).getUses()))
      if (auto dim = dyn_cast<tensor::DimOp>(use.getOwner()))
        rewriter.modifyOpInPlace(dim, [&] {
          use.set(fill.getDpsInitOperand(0)->get());
        });
    if (llvm::all_of(fill->getResult(0).getUsers(),
                     [&](Operation *user) { return user == merge; }))
      rewriter.moveOpBefore(fill, merge);
  }
};

} // namespace
