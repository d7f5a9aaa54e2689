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

/// Whether kernels for `chip` use warp matrix ops (nvgpu.mma.sync with
/// ldmatrix): NVIDIA chips from sm_80 on, and the emulator (empty chip),
/// which runs those ops itself.
bool hasMmaSync(std::string_view chip);

/// The grouped GEMM tile for `chip` (sm_80, sm_90, gfx90a, gfx942; empty for
/// the emulator). `sixteenBit` says x and the weights are f16 or bf16: with
/// mma.sync the tile is a tensor-core one (warp_m x warp_n pieces), else a
/// SIMT one.
TileSizes gpuTile(std::string_view chip, bool sixteenBit = false);

} // namespace moe::tiles

#endif // MOE_TILES_GPUTILES_H
