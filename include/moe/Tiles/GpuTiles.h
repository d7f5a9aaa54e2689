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

/// The warp matrix instruction kernels for a chip use.
enum class MatrixInstruction {
  None,    // SIMT only
  MmaSync, // nvgpu.mma.sync m16n8k16 with ldmatrix, 32-lane warps
  Mfma,    // amdgpu.mfma 16x16x16, 64-lane waves
};

/// NVIDIA chips from sm_80 on and the emulator's own chip (empty) take
/// mma.sync; the AMD CDNA chips with bf16 "_1k" MFMA (gfx90a, gfx940,
/// gfx941, gfx942, gfx950) take MFMA. The emulator runs both.
MatrixInstruction matrixInstruction(std::string_view chip);

/// The lanes of one warp of `instruction`: 64 for MFMA, else 32.
int warpLanes(MatrixInstruction instruction);

/// The grouped GEMM tile for `chip` (sm_80, sm_90, gfx90a, gfx942; empty for
/// the emulator). `sixteenBit` says x and the weights are f16 or bf16: with
/// a matrix instruction the tile is a tensor-core one (warp_m x warp_n
/// pieces), else a SIMT one.
TileSizes gpuTile(std::string_view chip, bool sixteenBit = false);

} // namespace moe::tiles

#endif // MOE_TILES_GPUTILES_H
