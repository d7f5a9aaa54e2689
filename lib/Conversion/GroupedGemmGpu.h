//===- GroupedGemmGpu.h - what the grouped GEMM's GPU kernels share -*- C++ -*-===//
//
// The grouped GEMM has two GPU kernels (DESIGN.md §5): a SIMT one (scalar FMA
// from workgroup memory, GroupedGemmToGpu.cpp) and a tensor-core one (warps
// on mma.sync, GroupedGemmMma.cpp), chosen by the op's #moe.tile. Both walk
// the experts' segments to find their row tile, stage x the same way and end
// in the same epilogue.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_GROUPEDGEMMGPU_H
#define MOE_LIB_CONVERSION_GROUPEDGEMMGPU_H

#include "GpuKernels.h"
#include "GroupedGemmBuffers.h"

namespace mlir::moe {

/// What a grouped GEMM kernel reads and writes.
struct GemmKernelInputs {
  mutable GroupedGemmOp op; // ODS getters are not const
  GroupedGemmBuffers g;
  Value y;                     // [M, width] result
  Value gatherK, gatherPairs;  // the gather form: K, and T·K
  bool eio = false, gated = false;
};

/// The row range of one row tile: rows [begin, end) of `expert`.
struct TileRows {
  Value found; // i1: the block has rows to compute
  Value expert, begin, end;
};

/// Walks the experts' segments in order, counting row tiles of `bm` rows,
/// until the tile numbered `tile`.
TileRows locateTile(LoopEmitter &em, const GemmKernelInputs &in, Value tile,
                    int64_t bm);

/// `value` when `valid`, else zero of `type`, without touching memory when
/// not valid.
Value loadOrZero(LoopEmitter &em, Type type, Value valid,
                 function_ref<Value()> load);

/// x's element for result row `row` (of tile `rows`) and reduction index
/// `column` (the gathered token's row in the gather form): in x's type, or
/// widened to f32 with `widen`; zero past the tile's rows, past In, and for
/// an empty gather row.
Value loadXOrZero(LoopEmitter &k, const GemmKernelInputs &in,
                  const TileRows &rows, Value row, Value column, bool widen);

/// Element `idx` of a block's K tile of the weight (bk x bn), numbered so
/// that consecutive threads read the weight's contiguous dim (Out for eio,
/// In for eoi): its place in the tile (`kk` along K, `c` along the
/// columns), and `value` (and `up`, the up half's, when gated): the
/// weight's element, in its type or widened to f32 with `widen`, zero past
/// In and the width.
struct WeightTileElement {
  Value kk, c;
  Value value, up;
};
WeightTileElement loadWeightTileElement(LoopEmitter &k,
                                        const GemmKernelInputs &in,
                                        const TileRows &rows, Value idx,
                                        Value k0, Value firstColumn,
                                        int64_t bk, int64_t bn, bool widen);

/// y[row, column] = activation(acc + bias) (· (accUp + bias up) when gated),
/// rounded to y's type, when the element is inside the tile and the width.
void storeEpilogue(LoopEmitter &k, const GemmKernelInputs &in,
                   const TileRows &rows, Value row, Value column, Value acc,
                   Value accUp);

/// The tensor-core kernel (tile.wm > 0): f16 or bf16 x and weights.
void emitMmaGemmKernel(LoopEmitter &em, const GemmKernelInputs &in,
                       const GemmTile &tile, Value rowTiles,
                       Value columnTiles);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_GROUPEDGEMMGPU_H
