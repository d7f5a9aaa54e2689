//===- TileGroupedGemm.h - the tiled form of moe.grouped_gemm ---*- C++ -*-===//
#ifndef MOE_TRANSFORMS_TILEGROUPEDGEMM_H
#define MOE_TRANSFORMS_TILEGROUPEDGEMM_H

#include "moe/MoeOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::moe {

/// The register tile [MR, NR, Kc] that moe-tile puts on each linalg.matmul of
/// a tiled grouped GEMM, for moe-vectorize-tiles.
inline constexpr llvm::StringLiteral kMicroTileAttrName = "moe.micro_tile";

/// Marks a linalg.matmul of moe-tile whose register tiles run on AMX: bf16
/// operands, 16 x 16 f32 accumulator tiles, 32-deep k steps (moe-vectorize-
/// tiles packs its weights in pairs and contracts in that layout).
inline constexpr llvm::StringLiteral kAmxAttrName = "moe.amx";

/// Whether the row tiles of `op` with register tile `tile` run on AMX: bf16
/// x and eio weights, a 16 x 16 register tile, on a module target with
/// AMX's tile registers and bf16 dot products (moe-select-tiles gives such
/// GEMMs that tile).
bool usesAmxTiles(GroupedGemmOp op, TileAttr tile);

/// Marks the elementwise copy of one x row into a row tile's x tile (made by
/// moe-tile, vectorized by moe-vectorize-tiles).
inline constexpr llvm::StringLiteral kGatherRowAttrName = "moe.gather_row";

/// Whether `op` can be tiled: a #moe.tile, static weights, not the combine
/// form. Emits the reason on `op`.
LogicalResult checkTileable(GroupedGemmOp op);

/// A copy of the combine-form `op` at `builder`'s position without its
/// combine: the [M, width] grouped GEMM whose rows the combine sums.
GroupedGemmOp cloneWithoutCombine(OpBuilder &builder, GroupedGemmOp op);

/// Builds the tiled form of `op` (scf.forall over row and column tiles of
/// linalg on slices, see moe-tile) at `builder`'s position and returns the
/// tensor that replaces its result. `op` itself is left in place.
FailureOr<Value> tileGroupedGemm(OpBuilder &builder, GroupedGemmOp op);

/// The tile moe-select-tiles puts on the dense linalg.matmul ops of a layer
/// (router, shared expert), as a discardable attribute.
inline constexpr llvm::StringLiteral kDenseTileAttrName = "moe.tile";

/// Tiles the dense `op` into an scf.forall of `tile`'s BM x BN tiles, each
/// padded to its static size and tagged with the register tile for
/// moe-vectorize-tiles.
LogicalResult tileDenseMatmul(RewriterBase &rewriter, linalg::MatmulOp op,
                              TileAttr tile);

} // namespace mlir::moe

#endif // MOE_TRANSFORMS_TILEGROUPEDGEMM_H
