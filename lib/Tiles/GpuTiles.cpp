//===- GpuTiles.cpp - the GPU grouped GEMM tile heuristic -----------------===//

#include "moe/Tiles/GpuTiles.h"

namespace moe::tiles {

TileSizes gpuTile(std::string_view chip) {
  // sm_90: of eight tiles timed on an H100 with the Qwen3 layer
  // (docs/decisions.md), 64x128 (4x8 a thread) beat the 64x64 tile at every
  // T from 1 to 4096 and was the fastest from T = 1024 up; smaller tiles win
  // below that. The other chips keep 64x64 (4x4) until they are measured.
  if (chip == "sm_90")
    return {/*blockM=*/64, /*blockN=*/128, /*blockK=*/16, /*threadM=*/4,
            /*threadN=*/8};
  return {64, 64, 16, 4, 4};
}

} // namespace moe::tiles
