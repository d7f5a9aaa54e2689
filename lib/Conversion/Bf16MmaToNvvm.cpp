//===- Bf16MmaToNvvm.cpp - the moe-bf16-mma-to-nvvm pass ------------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEBF16MMATONVVM
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {

struct Bf16MmaSyncToNvvm : public OpRewritePattern<nvgpu::MmaSyncOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(nvgpu::MmaSyncOp op,
                                PatternRewriter &rewriter) const override {
    VectorType a = op.getMatrixA().getType(), b = op.getMatrixB().getType(),
               c = op.getMatrixC().getType();
    if (!a.getElementType().isBF16() || !c.getElementType().isF32() ||
        op.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16} ||
        a.getShape() != ArrayRef<int64_t>{4, 2} ||
        b.getShape() != ArrayRef<int64_t>{2, 2} ||
        c.getShape() != ArrayRef<int64_t>{2, 2})
      return failure();
    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
    // Register r of a fragment is row r of its vector: two bf16 in one i32.
    auto registers = [&](Value fragment, int64_t rows) {
      SmallVector<Value> words;
      for (int64_t r = 0; r < rows; ++r) {
        Value pair = vector::ExtractOp::create(rewriter, loc, fragment, r);
        Value word = vector::BitCastOp::create(
            rewriter, loc, VectorType::get({1}, i32), pair);
        words.push_back(vector::ExtractOp::create(rewriter, loc, word, 0));
      }
      return words;
    };
    SmallVector<Value> accumulators;
    for (int64_t r = 0; r < 2; ++r)
      for (int64_t j = 0; j < 2; ++j)
        accumulators.push_back(vector::ExtractOp::create(
            rewriter, loc, op.getMatrixC(), ArrayRef<int64_t>{r, j}));
    auto resultType = LLVM::LLVMStructType::getLiteral(
        rewriter.getContext(), {f32, f32, f32, f32});
    auto mma = NVVM::MmaOp::create(
        rewriter, loc, resultType, registers(op.getMatrixA(), 4),
        registers(op.getMatrixB(), 2), accumulators, {16, 8, 16},
        /*b1Op=*/std::nullopt, /*intOverflow=*/std::nullopt,
        std::array<NVVM::MMATypes, 2>{NVVM::MMATypes::bf16,
                                      NVVM::MMATypes::bf16},
        std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                       NVVM::MMALayout::col});
    SmallVector<Value> results;
    for (int64_t i = 0; i < 4; ++i)
      results.push_back(LLVM::ExtractValueOp::create(rewriter, loc, mma, i));
    rewriter.replaceOpWithNewOp<vector::FromElementsOp>(op, c, results);
    return success();
  }
};

struct MoeBf16MmaToNvvmPass
    : public mlir::moe::impl::MoeBf16MmaToNvvmBase<MoeBf16MmaToNvvmPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<Bf16MmaSyncToNvvm>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
