//===- GpuTiles.h - the GPU grouped GEMM tile heuristic ---------*- C++ -*-===//
//
// The tile moe-select-tiles gives a grouped GEMM of a GPU target (nvptx,
// rocdl, emu) that carries none: a block computes block_m x block_n results
// stepping block_k, each of its threads thread_m x thread_n. Nothing else
// decides GPU tile sizes (DESIGN.md §5).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TILES_GPUTILES_H
#define MOE_TILES_GPUTILES_H

#include "moe/Tiles/CpuTiles.h"

#include <string_view>

namespace moe::tiles {

/// The SIMT grouped GEMM tile for `chip` (sm_80, sm_90, gfx90a, gfx942;
/// empty for the emulator).
TileSizes gpuTile(std::string_view chip);

} // namespace moe::tiles

#endif // MOE_TILES_GPUTILES_H
