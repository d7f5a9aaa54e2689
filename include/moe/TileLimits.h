//===- TileLimits.h - the largest tiles moe-mlir compiles -----------------===//
//
// Bounds on #moe.tile (and tuning-table tiles), so that a tile written by
// hand or by a tool is refused with a message rather than compiled into a
// register tile of millions of accumulators or a scratch tile of gigabytes.
// They are far above any tile the heuristics or moe-tune choose (register
// tiles of at most 256 accumulators, row tiles of at most 256 rows, column
// tiles of at most 2048 columns, k-blocks of at most 512).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TILELIMITS_H
#define MOE_TILELIMITS_H

#include <cstdint>

namespace moe {

/// block_m, block_n and block_k: a row tile's scratch holds block_m rows of
/// the input, its accumulators block_m x block_n.
inline constexpr int64_t kMaxTileExtent = 65536;

/// thread_m x thread_n: a CPU register tile's accumulators (unrolled into
/// vector operations) or a GPU thread's results.
inline constexpr int64_t kMaxRegisterTile = 4096;

} // namespace moe

#endif // MOE_TILELIMITS_H
