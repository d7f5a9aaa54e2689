//===- TileGroupedGemm.h - the tiled form of moe.grouped_gemm ---*- C++ -*-===//
#ifndef MOE_TRANSFORMS_TILEGROUPEDGEMM_H
#define MOE_TRANSFORMS_TILEGROUPEDGEMM_H

#include "moe/MoeOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::moe {

/// The register tile [MR, NR, Kc] that moe-tile puts on each linalg.matmul of
/// a tiled grouped GEMM, for moe-vectorize-tiles.
inline constexpr llvm::StringLiteral kMicroTileAttrName = "moe.micro_tile";

/// Whether `op` can be tiled: a #moe.tile, static weights, not the combine
/// form. Emits the reason on `op`.
LogicalResult checkTileable(GroupedGemmOp op);

/// Builds the tiled form of `op` (scf.forall over row and column tiles of
/// linalg on slices, see moe-tile) at `builder`'s position and returns the
/// tensor that replaces its result. `op` itself is left in place.
FailureOr<Value> tileGroupedGemm(OpBuilder &builder, GroupedGemmOp op);

} // namespace mlir::moe

#endif // MOE_TRANSFORMS_TILEGROUPEDGEMM_H
