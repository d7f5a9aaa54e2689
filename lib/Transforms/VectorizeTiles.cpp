//===- VectorizeTiles.cpp - moe-vectorize-tiles ---------------------------===//
//
// The register tiling of the matmuls moe-tile made, with upstream machinery:
// each linalg.matmul carrying `moe.micro_tile = [MR, NR, Kc]` is tiled
// (scf::tileUsingSCF) into loops k-block / column / row over MR x NR x Kc
// tiles, those again along k by 1, and the MR x NR x 1 tile is vectorized
// (linalg::vectorize) into a vector.contract. The accumulator's read and
// write are then hoisted out of the k loop, so the MR x NR accumulator stays
// in registers for a whole k-block: after vector lowering each k step is NR /
// (vector width) weight loads, MR broadcasts and MR x NR / (vector width)
// FMAs, the classic outer-product micro-kernel.
//
// The loop order keeps a Kc x NR weight panel in L1 while it is used by all
// the row tiles of the block, and walks each expert's weights once per block
// of rows. For deep k-blocks the panels are packed first, a k-block at a
// time (packWeightPanels): read in place, a panel's rows are a weight row
// apart and miss caches on every row tile. The sum over k for every output runs in ascending k, a fixed order
// whatever the threads.
//
// The matmul's rows are static (block_m); moe-tile writes only the first
// rows of its x tile (the tile's rows rounded up to a multiple of MR), as
// `insert_slice %rows into %empty[0, 0] [n, In]`. The row loop then stops at
// n: rows nobody wrote are not computed, every register tile is whole and
// static, and no masks are needed.
//
//===----------------------------------------------------------------------===//
#include "moe/Transforms/Passes.h"
#include "moe/Transforms/TileGroupedGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEVECTORIZETILES
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The rows of the matmul operand `a` that hold data: n when `a` is
/// `tensor.insert_slice %rows into %empty[0, 0] [n, ...]`, else null (all).
Value writtenRows(Value a) {
  auto insert = a.getDefiningOp<tensor::InsertSliceOp>();
  if (!insert || !insert.getDest().getDefiningOp<tensor::EmptyOp>())
    return Value();
  SmallVector<OpFoldResult> offsets = insert.getMixedOffsets();
  if (!llvm::all_of(offsets, isZeroInteger))
    return Value();
  return dyn_cast<Value>(insert.getMixedSizes()[0]);
}

/// Stops the row loop of a tiled matmul at `rows`: the loop whose induction
/// variable is the row offset of the tiled op's first operand.
void boundRowLoop(Operation *tiled, ArrayRef<LoopLikeOpInterface> loops,
                  Value rows) {
  auto slice =
      cast<linalg::LinalgOp>(tiled).getDpsInputOperand(0)->get()
          .getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice)
    return;
  auto rowOffset = dyn_cast<Value>(slice.getMixedOffsets()[0]);
  for (LoopLikeOpInterface loop : loops) {
    auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
    if (forOp && rowOffset == forOp.getInductionVar())
      forOp.getUpperBoundMutable().assign(rows);
  }
}

/// Widens the operands of `contract` whose element type is not the
/// accumulator's. linalg::vectorize builds the contraction of a mixed-type
/// matmul (f32 x tile, 16-bit weights) with its operands as read, which
/// vector.contract does not accept (MLIR 22: lhs and rhs must have one
/// element type); the widening it needs is an arith.extf of the weights'
/// register vector, what the bf16/f16 micro-kernel does anyway.
void widenContractOperands(RewriterBase &rewriter,
                           vector::ContractionOp contract) {
  auto accType = dyn_cast<VectorType>(contract.getAccType());
  if (!accType)
    return;
  Type element = accType.getElementType();
  rewriter.setInsertionPoint(contract);
  for (OpOperand *operand :
       {&contract.getLhsMutable(), &contract.getRhsMutable()}) {
    auto type = cast<VectorType>(operand->get().getType());
    if (type.getElementType() == element)
      continue;
    Value wide = arith::ExtFOp::create(rewriter, contract.getLoc(),
                                       type.clone(element), operand->get());
    rewriter.modifyOpInPlace(contract, [&] { operand->set(wide); });
  }
}

/// Tiles `op` by `tileSizes` (loops in `interchange` order; no sizes: not
/// tiled) and vectorizes the innermost tile with `vectorSizes` (its static
/// shape), as a vector.contract where it is a contraction. Returns the
/// operation that holds the vector code; errors call the tile `piece`.
FailureOr<Operation *> tileAndVectorize(RewriterBase &rewriter, Operation *op,
                                        ArrayRef<int64_t> tileSizes,
                                        ArrayRef<int64_t> interchange,
                                        ArrayRef<int64_t> vectorSizes,
                                        StringRef piece) {
  Operation *target = op;
  if (!tileSizes.empty()) {
    scf::SCFTilingOptions options;
    options.setTileSizes(
        getAsIndexOpFoldResult(rewriter.getContext(), tileSizes));
    options.setInterchange(interchange);
    FailureOr<scf::SCFTilingResult> tiled =
        scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
    if (failed(tiled))
      return op->emitOpError("could not be tiled into ") << piece << "s";
    rewriter.replaceOp(op, tiled->replacements);
    target = tiled->tiledOps.back();
  }
  rewriter.setInsertionPoint(target);
  // One scalable flag per size: an empty list would make vector types that
  // print like fixed ones but differ from them.
  SmallVector<bool> scalable(vectorSizes.size(), false);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, target, vectorSizes, scalable, /*vectorizeNDExtract=*/false,
      /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false,
      /*createNamedContraction=*/true);
  if (failed(vectorized))
    return target->emitOpError("could not be vectorized as a ") << piece;
  Operation *parent = target->getParentOp();
  rewriter.replaceOp(target, vectorized->replacements);
  return parent;
}

/// Packs each k-block's weights, Kc rows x the tile's BN columns, into
/// [BN / NR, Kc, NR] f32 before the column loop, and points the register
/// tiles at it. In place, a register tile column's Kc x NR panel is Kc
/// cache lines one weight row apart (6 or 8 KiB for Qwen3): each row tile
/// walks them again, missing caches, and the hardware prefetchers do not
/// follow that stride. The pack reads the k-block row by row, whole rows of
/// BN columns (sequential memory), and every panel is then contiguous and
/// stays in L1 across the row tiles; 16-bit weights are widened once here.
/// Loops are [k-block, column, row]; a k-block or column count that does not
/// divide evenly (dynamic slices) is left in place.
LogicalResult packWeightPanels(RewriterBase &rewriter, linalg::LinalgOp block,
                               ArrayRef<LoopLikeOpInterface> loops) {
  if (loops.size() != 3)
    return success();
  LoopLikeOpInterface outer = loops[0], middle = loops[1], inner = loops[2];
  auto kLoop = dyn_cast<scf::ForOp>(outer.getOperation());
  auto nLoop = dyn_cast<scf::ForOp>(middle.getOperation());
  Operation *rowLoop = inner.getOperation();
  OpOperand *weights = block.getDpsInputOperand(1);
  auto slice = weights->get().getDefiningOp<tensor::ExtractSliceOp>();
  if (!kLoop || !nLoop || !slice || !slice.getType().hasStaticShape() ||
      !slice.hasUnitStride())
    return success();
  auto source = dyn_cast<RankedTensorType>(slice.getSource().getType());
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  if (!source || !source.hasStaticShape() ||
      !kLoop.isDefinedOutsideOfLoop(slice.getSource()) ||
      dyn_cast<Value>(offsets[0]) != kLoop.getInductionVar() ||
      dyn_cast<Value>(offsets[1]) != nLoop.getInductionVar())
    return success();
  int64_t depth = slice.getType().getDimSize(0);
  int64_t columns = slice.getType().getDimSize(1);
  int64_t width = source.getDimSize(1);
  if (width % columns || source.getDimSize(0) % depth)
    return success();
  int64_t panels = width / columns;

  MLIRContext *ctx = rewriter.getContext();
  Location loc = slice.getLoc();
  Type f32 = rewriter.getF32Type();
  rewriter.setInsertionPoint(nLoop);
  auto rows = RankedTensorType::get({depth, width},
                                    source.getElementType());
  Value kBlock = tensor::ExtractSliceOp::create(
      rewriter, loc, rows, slice.getSource(),
      ValueRange{kLoop.getInductionVar()}, ValueRange{}, ValueRange{},
      rewriter.getDenseI64ArrayAttr({ShapedType::kDynamic, 0}),
      rewriter.getDenseI64ArrayAttr({depth, width}),
      rewriter.getDenseI64ArrayAttr({1, 1}));
  // [Kc, BN] viewed as [Kc, BN / NR, NR], so the pack is a permutation.
  auto split = RankedTensorType::get({depth, panels, columns},
                                     source.getElementType());
  Value kBlockPanels = tensor::ExpandShapeOp::create(
      rewriter, loc, split, kBlock,
      ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{panels, depth, columns}, f32);
  AffineExpr p, k, j;
  bindDims(ctx, p, k, j);
  auto read = AffineMap::get(3, 0, {k, p, j}, ctx);
  auto write = AffineMap::getMultiDimIdentityMap(3, ctx);
  auto pack = linalg::GenericOp::create(
      rewriter, loc, TypeRange{empty.getType()}, ValueRange{kBlockPanels},
      ValueRange{empty}, ArrayRef<AffineMap>{read, write},
      SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
      [&](OpBuilder &b, Location nested, ValueRange args) {
        Value v = args[0];
        if (v.getType() != f32)
          v = arith::ExtFOp::create(b, nested, f32, v);
        linalg::YieldOp::create(b, nested, v);
      });

  // The panel of the register tile column the row loop works on.
  rewriter.setInsertionPoint(rowLoop);
  Value panel = arith::DivUIOp::create(
      rewriter, loc, nLoop.getInductionVar(),
      arith::ConstantIndexOp::create(rewriter, loc, columns));
  auto panelType = RankedTensorType::get({depth, columns}, f32);
  Value packed = tensor::ExtractSliceOp::create(
      rewriter, loc, panelType, pack.getResult(0), ValueRange{panel},
      ValueRange{}, ValueRange{},
      rewriter.getDenseI64ArrayAttr({ShapedType::kDynamic, 0, 0}),
      rewriter.getDenseI64ArrayAttr({1, depth, columns}),
      rewriter.getDenseI64ArrayAttr({1, 1, 1}));
  rewriter.modifyOpInPlace(block, [&] { weights->set(packed); });

  // Rows of the k-block outer, panels inner: the pack reads whole weight
  // rows in order, NR columns a vector.
  return tileAndVectorize(rewriter, pack, {1, 1, 0}, {1, 0, 2},
                          {1, 1, columns}, "weight row piece");
}

/// Register tiles of deep k-blocks (large row tiles) read packed panels;
/// the small tiles' short k-blocks stream the weights in place.
constexpr int64_t kPackedDepth = 32;

LogicalResult vectorizeMicroTiles(RewriterBase &rewriter, linalg::MatmulOp op,
                                  ArrayRef<int64_t> microTile) {
  int64_t rows = microTile[0], columns = microTile[1], depth = microTile[2];
  rewriter.setInsertionPoint(op);
  Value filled = writtenRows(op.getDpsInputOperand(0)->get());

  // k-block, then column, then row tiles: interchange (k, n, m).
  scf::SCFTilingOptions blocks;
  blocks.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(),
                                             {rows, columns, depth}));
  blocks.setInterchange({2, 1, 0});
  FailureOr<scf::SCFTilingResult> blocked =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()),
                        blocks);
  if (failed(blocked))
    return op.emitOpError("could not be tiled into ")
           << rows << "x" << columns << "x" << depth << " blocks";
  rewriter.replaceOp(op, blocked->replacements);

  Operation *block = blocked->tiledOps.back();
  if (filled)
    boundRowLoop(block, blocked->loops, filled);
  if (depth >= kPackedDepth &&
      failed(packWeightPanels(rewriter, cast<linalg::LinalgOp>(block),
                              blocked->loops)))
    return failure();
  FailureOr<Operation *> steps = tileAndVectorize(
      rewriter, block, {0, 0, 1}, {}, {rows, columns, 1}, "register tile k step");
  if (failed(steps))
    return failure();
  (*steps)->walk([&](vector::ContractionOp contract) {
    widenContractOperands(rewriter, contract);
  });
  return success();
}

/// AMX tile shapes: 16 rows of 16 f32 accumulators, bf16 operands in pairs
/// along k (a 32-deep k step is 16 pairs).
constexpr int64_t kAmxRows = 16, kAmxColumns = 16, kAmxPairs = 16;

/// Packs each k-block's bf16 weights, Kc rows x the tile's BN columns, into
/// pairs of rows, [BN / 16, Kc / 2, 16, 2] (the VNNI layout AMX's B operand
/// takes), before the column loop, and returns the [Kc / 2, 16, 2] panel of
/// the register tile column the row loop works on. Each row pair is read in
/// order, 16 columns of both rows at a time, and interleaved in registers
/// into one 32-element store. (linalg::vectorize makes this permutation a
/// 4-D transposing transfer, which lowers through stack buffers allocated
/// anew in every iteration of the parallel loop.)
FailureOr<Value> packPairPanels(RewriterBase &rewriter, linalg::LinalgOp block,
                                scf::ForOp kLoop, scf::ForOp nLoop,
                                Operation *rowLoop) {
  auto slice = block.getDpsInputOperand(1)->get()
                   .getDefiningOp<tensor::ExtractSliceOp>();
  if (!slice || !slice.getType().hasStaticShape() || !slice.hasUnitStride())
    return block->emitOpError(
        "AMX tile: the weights' k-blocks are not static slices (In must be a "
        "multiple of the k-block)");
  auto source = dyn_cast<RankedTensorType>(slice.getSource().getType());
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  int64_t depth = slice.getType().getDimSize(0);
  if (!source || !source.hasStaticShape() ||
      !kLoop.isDefinedOutsideOfLoop(slice.getSource()) ||
      dyn_cast<Value>(offsets[0]) != kLoop.getInductionVar() ||
      dyn_cast<Value>(offsets[1]) != nLoop.getInductionVar() ||
      source.getDimSize(0) % depth || source.getDimSize(1) % kAmxColumns ||
      depth % 2)
    return block->emitOpError(
        "AMX tile: the k-block weights cannot be packed in pairs");
  int64_t width = source.getDimSize(1);
  int64_t panels = width / kAmxColumns;
  Type element = source.getElementType();
  Location loc = slice.getLoc();
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(rewriter, loc, v).getResult();
  };

  rewriter.setInsertionPoint(nLoop);
  Value weights = slice.getSource();
  Value padding = arith::ConstantOp::create(rewriter, loc, element,
                                            rewriter.getFloatAttr(element, 0));
  auto rowPiece = VectorType::get({kAmxColumns}, element);
  auto pairPiece = VectorType::get({2 * kAmxColumns}, element);
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, ArrayRef<int64_t>{panels, depth / 2, 2 * kAmxColumns},
      element);
  auto pairs = scf::ForOp::create(
      rewriter, loc, index(0), index(depth / 2), index(1), ValueRange{empty},
      [&](OpBuilder &b, Location l, Value pair, ValueRange carried) {
        Value row = arith::AddIOp::create(
            b, l, kLoop.getInductionVar(),
            arith::MulIOp::create(b, l, pair, index(2)));
        Value next = arith::AddIOp::create(b, l, row, index(1));
        auto columns = scf::ForOp::create(
            b, l, index(0), index(panels), index(1), carried,
            [&](OpBuilder &nb, Location nl, Value p, ValueRange packed) {
              Value column = arith::MulIOp::create(nb, nl, p,
                                                   index(kAmxColumns));
              auto read = [&](Value r) {
                return vector::TransferReadOp::create(
                    nb, nl, rowPiece, weights, ValueRange{r, column},
                    padding, ArrayRef<bool>{true});
              };
              Value both = vector::InterleaveOp::create(
                  nb, nl, pairPiece, read(row), read(next));
              Value written = vector::TransferWriteOp::create(
                  nb, nl, both, packed[0], ValueRange{p, pair, index(0)},
                  ArrayRef<bool>{true})
                                  .getResult();
              scf::YieldOp::create(nb, nl, written);
            });
        scf::YieldOp::create(b, l, columns.getResult(0));
      });
  Value vnni = tensor::ExpandShapeOp::create(
      rewriter, loc,
      RankedTensorType::get({panels, depth / 2, kAmxColumns, 2}, element),
      pairs.getResult(0), ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});

  rewriter.setInsertionPoint(rowLoop);
  Value panel = arith::DivUIOp::create(rewriter, loc,
                                       nLoop.getInductionVar(),
                                       index(kAmxColumns));
  return tensor::ExtractSliceOp::create(
             rewriter, loc,
             RankedTensorType::get({depth / 2, kAmxColumns, 2}, element),
             vnni, ValueRange{panel}, ValueRange{}, ValueRange{},
             rewriter.getDenseI64ArrayAttr({ShapedType::kDynamic, 0, 0, 0}),
             rewriter.getDenseI64ArrayAttr({1, depth / 2, kAmxColumns, 2}),
             rewriter.getDenseI64ArrayAttr({1, 1, 1, 1}))
      .getResult();
}

/// The AMX form of a tiled matmul (moe.amx): k-block / column / row tiles
/// of 16 x 16 f32 accumulators, each k-block's weights packed in pairs, and
/// each 32-deep k step a vector.contract in the pairs layout
/// ([16, 16, 2] x [16, 16, 2] -> [16, 16]) that upstream's
/// convert-vector-to-amx makes a tdpbf16ps after bufferization. The
/// accumulator tile is read and written around each step (AMX tiles are
/// loaded from and stored to memory); bf16 products are exact in f32.
LogicalResult vectorizeAmxTiles(RewriterBase &rewriter, linalg::MatmulOp op,
                                int64_t depth) {
  MLIRContext *ctx = rewriter.getContext();
  rewriter.setInsertionPoint(op);
  Value filled = writtenRows(op.getDpsInputOperand(0)->get());
  scf::SCFTilingOptions blocks;
  blocks.setTileSizes(
      getAsIndexOpFoldResult(ctx, {kAmxRows, kAmxColumns, depth}));
  blocks.setInterchange({2, 1, 0});
  FailureOr<scf::SCFTilingResult> blocked = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), blocks);
  if (failed(blocked) || blocked->loops.size() != 3)
    return op.emitOpError("could not be tiled into AMX tiles");
  rewriter.replaceOp(op, blocked->replacements);
  auto block = cast<linalg::LinalgOp>(blocked->tiledOps.back());
  if (filled)
    boundRowLoop(block, blocked->loops, filled);
  auto kLoop = dyn_cast<scf::ForOp>(blocked->loops[0].getOperation());
  auto nLoop = dyn_cast<scf::ForOp>(blocked->loops[1].getOperation());
  if (!kLoop || !nLoop)
    return op.emitOpError("AMX tile: expected k-block and column loops");
  FailureOr<Value> panel = packPairPanels(rewriter, block, kLoop, nLoop,
                                          blocked->loops[2].getOperation());
  if (failed(panel))
    return failure();

  // The block over pairs: A [16, Kc] as [16, Kc / 2, 2].
  Location loc = block.getLoc();
  rewriter.setInsertionPoint(block);
  Value a = block.getDpsInputOperand(0)->get();
  auto aType = cast<RankedTensorType>(a.getType());
  Value pairsA = tensor::ExpandShapeOp::create(
      rewriter, loc,
      RankedTensorType::get({kAmxRows, depth / 2, 2},
                            aType.getElementType()),
      a, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  Value acc = block.getDpsInitOperand(0)->get();
  AffineExpr m, n, k, v;
  bindDims(ctx, m, n, k, v);
  Type f32 = rewriter.getF32Type();
  auto contraction = linalg::GenericOp::create(
      rewriter, loc, TypeRange{acc.getType()}, ValueRange{pairsA, *panel},
      ValueRange{acc},
      ArrayRef<AffineMap>{AffineMap::get(4, 0, {m, k, v}, ctx),
                          AffineMap::get(4, 0, {k, n, v}, ctx),
                          AffineMap::get(4, 0, {m, n}, ctx)},
      ArrayRef<utils::IteratorType>{
          utils::IteratorType::parallel, utils::IteratorType::parallel,
          utils::IteratorType::reduction, utils::IteratorType::reduction},
      [&](OpBuilder &b, Location nested, ValueRange args) {
        Value x = arith::ExtFOp::create(b, nested, f32, args[0]);
        Value w = arith::ExtFOp::create(b, nested, f32, args[1]);
        Value product = arith::MulFOp::create(b, nested, x, w);
        linalg::YieldOp::create(
            b, nested, arith::AddFOp::create(b, nested, args[2], product)
                           .getResult());
      });
  rewriter.replaceOp(block, contraction.getResults());

  FailureOr<Operation *> steps = tileAndVectorize(
      rewriter, contraction, {0, 0, kAmxPairs, 0}, {},
      {kAmxRows, kAmxColumns, kAmxPairs, 2}, "AMX k step");
  if (failed(steps))
    return failure();
  // bf16 operands into the contraction (AMX multiplies bf16, not f32).
  RewritePatternSet patterns(ctx);
  vector::populateFoldArithExtensionPatterns(patterns);
  // The operands' broadcasting reads into plain reads of the tiles, the
  // broadcasts folded into the contraction's maps.
  vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
  vector::populateVectorReductionToContractPatterns(patterns);
  return applyPatternsGreedily(*steps, std::move(patterns));
}

/// Vectorizes moe-tile's copy of one x row into an x tile (moe.gather_row):
/// pieces of up to 64 elements (the largest that divide In), each one
/// vector read, widened, selected and written.
LogicalResult vectorizeGatherRow(RewriterBase &rewriter,
                                 linalg::GenericOp copy) {
  auto type = dyn_cast<RankedTensorType>(copy.getResult(0).getType());
  if (!type || type.getRank() != 1 || !type.hasStaticShape())
    return copy.emitOpError("'") << kGatherRowAttrName
                                 << "' needs a static row";
  int64_t in = type.getDimSize(0), piece = 1;
  for (int64_t size = 1; size <= std::min<int64_t>(in, 64); ++size)
    if (in % size == 0)
      piece = size;
  SmallVector<int64_t> pieces;
  if (piece < in)
    pieces.push_back(piece);
  return tileAndVectorize(rewriter, copy, pieces, {}, {piece},
                          "row copy piece");
}

/// Carries each register tile's accumulator across its k loop: the loops
/// whose body holds a vector.contract read and write their accumulator at
/// fixed positions, which loop-invariant subset hoisting moves out. The
/// slices are canonicalized first so reads and writes match.
LogicalResult hoistAccumulators(Operation *root) {
  MLIRContext *ctx = root->getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  if (failed(applyPatternsGreedily(root, std::move(patterns))))
    return failure();
  SmallVector<scf::ForOp> loops;
  root->walk([&](vector::ContractionOp contract) {
    if (auto loop = dyn_cast<scf::ForOp>(contract->getParentOp()))
      loops.push_back(loop);
  });
  IRRewriter rewriter(ctx);
  for (scf::ForOp loop : loops)
    hoistLoopInvariantSubsets(rewriter, loop);

  // Register tiles are read and written a row at a time: 1-D transfers of
  // NR (or 1) elements, which lower to plain vector loads and stores.
  RewritePatternSet unroll(ctx);
  vector::populateVectorUnrollPatterns(
      unroll,
      vector::UnrollVectorOptions()
          .setFilterConstraint([](Operation *op) {
            return success(isa<vector::TransferReadOp,
                               vector::TransferWriteOp>(op));
          })
          .setNativeShapeFn(
              [](Operation *op) -> std::optional<SmallVector<int64_t>> {
                auto transfer = cast<VectorTransferOpInterface>(op);
                ArrayRef<int64_t> shape = transfer.getVectorType().getShape();
                if (shape.size() < 2)
                  return std::nullopt;
                SmallVector<int64_t> row(shape.size(), 1);
                row.back() = shape.back();
                return row;
              }));
  return applyPatternsGreedily(root, std::move(unroll));
}

struct MoeVectorizeTilesPass
    : public mlir::moe::impl::MoeVectorizeTilesBase<MoeVectorizeTilesPass> {
  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation()->walk([&](linalg::MatmulOp op) {
      if (op->hasAttr(kMicroTileAttrName))
        matmuls.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::GenericOp> rowCopies;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr(kGatherRowAttrName))
        rowCopies.push_back(op);
    });
    for (linalg::GenericOp copy : rowCopies)
      if (failed(vectorizeGatherRow(rewriter, copy)))
        return signalPassFailure();
    SmallVector<linalg::MatmulOp> amxMatmuls;
    for (linalg::MatmulOp op : matmuls) {
      if (op->hasAttr(kAmxAttrName)) {
        amxMatmuls.push_back(op);
        continue;
      }
      auto microTile = op->getAttrOfType<DenseI64ArrayAttr>(kMicroTileAttrName);
      if (!microTile || microTile.size() != 3 ||
          llvm::any_of(microTile.asArrayRef(),
                       [](int64_t size) { return size <= 0; })) {
        op.emitOpError("'") << kMicroTileAttrName
                            << "' must be three positive sizes [MR, NR, Kc]";
        return signalPassFailure();
      }
      if (failed(vectorizeMicroTiles(rewriter, op, microTile.asArrayRef())))
        return signalPassFailure();
    }
    if (!matmuls.empty() && failed(hoistAccumulators(getOperation())))
      return signalPassFailure();
    // After the FMA tiles' hoisting: AMX accumulators stay in memory.
    for (linalg::MatmulOp op : amxMatmuls) {
      auto microTile = op->getAttrOfType<DenseI64ArrayAttr>(kMicroTileAttrName);
      if (!microTile || microTile.size() != 3 || microTile[0] != kAmxRows ||
          microTile[1] != kAmxColumns || microTile[2] % (2 * kAmxPairs)) {
        op.emitOpError("an AMX tile needs '")
            << kMicroTileAttrName << "' = [16, 16, a multiple of 32]";
        return signalPassFailure();
      }
      if (failed(vectorizeAmxTiles(rewriter, op, microTile[2])))
        return signalPassFailure();
    }
  }
};

} // namespace
