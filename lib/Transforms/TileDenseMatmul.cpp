//===- TileDenseMatmul.cpp - the dense matmuls of a layer, tiled ----------===//
//
// The matmuls moe-decompose leaves around the moe ops (the router logits,
// the shared expert) go through the same machinery as the grouped GEMM, all
// upstream: scf::tileUsingSCF into an scf.forall of BM x BN tiles, each tile
// padded to its static size (linalg::rewriteAsPaddedOp: the last row tile
// of a dynamic T is partial), then tagged for moe-vectorize-tiles.
//
//===----------------------------------------------------------------------===//
#include "moe/Transforms/TileGroupedGemm.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::moe;

LogicalResult mlir::moe::tileDenseMatmul(RewriterBase &rewriter,
                                         linalg::MatmulOp op, TileAttr tile) {
  rewriter.setInsertionPoint(op);
  MLIRContext *ctx = rewriter.getContext();
  scf::SCFTilingOptions tiles;
  tiles.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  tiles.setTileSizes(
      getAsIndexOpFoldResult(ctx, {tile.getBlockM(), tile.getBlockN(), 0}));
  FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), tiles);
  if (failed(tiled))
    return op.emitOpError("could not be tiled into ")
           << tile.getBlockM() << "x" << tile.getBlockN() << " tiles";
  rewriter.replaceOp(op, tiled->replacements);

  // A partial tile is padded (zero rows and columns) to the static tile.
  auto tileOp = cast<linalg::LinalgOp>(tiled->tiledOps.back());
  SmallVector<Attribute> zeros;
  for (OpOperand &operand : tileOp->getOpOperands()) {
    Type element = getElementTypeOrSelf(operand.get().getType());
    zeros.push_back(rewriter.getZeroAttr(element));
  }
  linalg::LinalgPaddingOptions padding;
  padding.setPaddingDimensions({0, 1});
  padding.setPaddingValues(zeros);
  padding.setCopyBackOp(linalg::LinalgPaddingOptions::CopyBackOp::LinalgCopy);
  linalg::LinalgOp padded;
  SmallVector<Value> replacements;
  SmallVector<tensor::PadOp> pads;
  if (failed(linalg::rewriteAsPaddedOp(rewriter, tileOp, padding, padded,
                                       replacements, pads)))
    return tileOp->emitOpError("could not be padded to a ")
           << tile.getBlockM() << "x" << tile.getBlockN() << " tile";
  rewriter.replaceOp(tileOp, replacements);
  padded->removeAttr(kDenseTileAttrName);
  padded->setAttr(kMicroTileAttrName,
                  rewriter.getDenseI64ArrayAttr({tile.getThreadM(),
                                                 tile.getThreadN(),
                                                 tile.getBlockK()}));
  return success();
}
