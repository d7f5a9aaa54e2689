//===- GpuTiles.cpp - the GPU grouped GEMM tile heuristic -----------------===//

#include "moe/Tiles/GpuTiles.h"

namespace moe::tiles {

MatrixInstruction matrixInstruction(std::string_view chip) {
  if (chip.empty())
    return MatrixInstruction::MmaSync;
  for (std::string_view cdna : {"gfx90a", "gfx940", "gfx941", "gfx942",
                                "gfx950"})
    if (chip == cdna)
      return MatrixInstruction::Mfma;
  if (chip.substr(0, 3) != "sm_")
    return MatrixInstruction::None;
  int number = 0;
  for (char c : chip.substr(3)) {
    if (c < '0' || c > '9')
      break;
    number = number * 10 + (c - '0');
  }
  return number >= 80 ? MatrixInstruction::MmaSync : MatrixInstruction::None;
}

int warpLanes(MatrixInstruction instruction) {
  return instruction == MatrixInstruction::Mfma ? 64 : 32;
}

TileSizes gpuTile(std::string_view chip, bool sixteenBit) {
  // Tensor cores (mma.sync m16n8k16): four warps of 32 x 32 each, K in
  // steps of 32 staged in workgroup memory; each thread's share of the
  // epilogue is 4 x 8. Not yet timed on a GPU.
  MatrixInstruction instruction = matrixInstruction(chip);
  if (sixteenBit && instruction == MatrixInstruction::MmaSync) {
    TileSizes tile{64, 64, 32, 4, 8};
    tile.warpM = 32;
    tile.warpN = 32;
    return tile;
  }
  // MFMA 16x16x16: four waves of 64 lanes, 32 x 32 each (2 x 2 MFMA
  // pieces); each lane's share of the epilogue is 4 x 4. Not yet timed.
  if (sixteenBit && instruction == MatrixInstruction::Mfma) {
    TileSizes tile{64, 64, 32, 4, 4};
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
