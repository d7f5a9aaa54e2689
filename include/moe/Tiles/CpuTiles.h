//===- CpuTiles.h - the CPU grouped GEMM tile heuristic ---------*- C++ -*-===//
//
// The tiles moe-select-tiles gives a CPU grouped GEMM that the tuning table
// does not name, as plain integers: moe-tune starts its search from them
// and links no MLIR. Nothing else decides CPU tile sizes (DESIGN.md §5).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TILES_CPUTILES_H
#define MOE_TILES_CPUTILES_H

#include <cstdint>
#include <optional>
#include <string>

namespace moe::tiles {

/// The five sizes of a #moe.tile.
struct TileSizes {
  int64_t blockM = 0, blockN = 0, blockK = 0, threadM = 0, threadN = 0;
  // GPU tensor cores: a warp's piece of the block (0: SIMT).
  int64_t warpM = 0, warpN = 0;
  bool operator==(const TileSizes &other) const {
    return blockM == other.blockM && blockN == other.blockN &&
           blockK == other.blockK && threadM == other.threadM &&
           threadN == other.threadN && warpM == other.warpM &&
           warpN == other.warpN;
  }
};

/// The f32 lanes of a vector register and the number of registers.
struct VectorUnit {
  int64_t lanes;
  int64_t registers;
};

/// AVX-512 (16 lanes, 32 registers), AVX/AVX2 (8, 16), else SSE (4, 16).
VectorUnit vectorUnit(bool avx512f, bool avx);

/// The tuning table's name of a vector unit: avx512, avx2 or sse.
std::string isaName(const VectorUnit &unit);

/// A grouped GEMM's heuristic CPU tiles: the register-blocked tile, the
/// small tile of row tiles with few rows (decode) and, where measured
/// faster, a medium tile between them. `width` is the result width after
/// gating (Out / 2 when gated); `wideWeights` is f32 weights.
struct CpuTiles {
  TileSizes large, small;
  std::optional<TileSizes> medium;
};
CpuTiles cpuTiles(int64_t width, bool wideWeights, const VectorUnit &unit);

/// The tiles of a grouped GEMM of bf16 x and bf16 weights on AMX (16 x 16
/// f32 accumulator tiles, 32-deep bf16 k steps), for a result `width` and an
/// `in` (K): `tiles.large` becomes the AMX tile and `tiles.small` a tile
/// that streams a lone row's weights, the row tiles AMX does not win. False, with
/// `tiles` unchanged, where the GEMM does not fit AMX tiles (width not a
/// multiple of 16, K not of 32).
bool amxTiles(int64_t width, int64_t in, CpuTiles &tiles);

/// A dense matmul's (router, shared expert) heuristic tile.
TileSizes cpuDenseTile(int64_t width, const VectorUnit &unit);

} // namespace moe::tiles

#endif // MOE_TILES_CPUTILES_H
