//===- GpuTiles.cpp - the GPU grouped GEMM tile heuristic -----------------===//

#include "moe/Tiles/GpuTiles.h"

namespace moe::tiles {

bool hasMmaSync(std::string_view chip) {
  if (chip.empty())
    return true;
  if (chip.substr(0, 3) != "sm_")
    return false;
  int number = 0;
  for (char c : chip.substr(3)) {
    if (c < '0' || c > '9')
      break;
    number = number * 10 + (c - '0');
  }
  return number >= 80;
}

TileSizes gpuTile(std::string_view chip, bool sixteenBit) {
  // Tensor cores (mma.sync m16n8k16): four warps of 32 x 32 each, K in
  // steps of 32 staged in workgroup memory; each thread's share of the
  // epilogue is 4 x 8. Not yet timed on a GPU.
  if (sixteenBit && hasMmaSync(chip)) {
    TileSizes tile{64, 64, 32, 4, 8};
    tile.warpM = 32;
    tile.warpN = 32;
    return tile;
  }
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
