//===- CpuTiles.cpp - the CPU grouped GEMM tile heuristic -----------------===//
//
// Register tiles first: MR rows x NR columns of f32 accumulators must fit
// the vector register file with room for the weight vectors and the
// broadcast x value (AVX2: 16 registers of 8 lanes -> 6 x 16; AVX-512: 32
// of 16 -> 8 x 32). The k-block Kc keeps a Kc x NR weight panel within
// 16 KiB of L1; a column tile BN (at most 256 columns, dividing the width)
// bounds the weight slice a row tile streams, and a row tile is 16 register
// tiles of rows. Row tiles of few rows (decode) use a small tile that
// streams whole weight rows instead.
//
//===----------------------------------------------------------------------===//
#include "moe/Tiles/CpuTiles.h"

#include <algorithm>

namespace moe::tiles {

namespace {

/// The largest multiple of `step` that divides `n` and is at most `limit`
/// (at least `step`, which divides n).
int64_t largestDividingMultiple(int64_t n, int64_t step, int64_t limit) {
  int64_t best = step;
  for (int64_t size = step; size <= std::min(n, limit); size += step)
    if (n % size == 0)
      best = size;
  return best;
}

/// The register tile columns for `width`: two vectors when the width
/// allows, else one, else the largest divisor of the width below a vector.
int64_t registerColumns(int64_t width, const VectorUnit &unit) {
  for (int64_t candidate : {2 * unit.lanes, unit.lanes})
    if (width % candidate == 0)
      return candidate;
  for (int64_t candidate = unit.lanes - 1; candidate > 1; --candidate)
    if (width % candidate == 0)
      return candidate;
  return 1;
}

/// The register tile for a result `width`: NR columns, MR rows (as many as
/// the accumulators, weight vectors and one broadcast value leave room for,
/// at most 8) and the k-block Kc of a 16 KiB Kc x NR weight panel.
struct RegisterTile {
  int64_t rows, columns, depth;
};

RegisterTile registerTile(int64_t width, const VectorUnit &unit) {
  int64_t columns = registerColumns(width, unit);
  int64_t vectorsPerRow = (columns + unit.lanes - 1) / unit.lanes;
  int64_t rows = std::min<int64_t>(
      8, (unit.registers - vectorsPerRow - 2) / vectorsPerRow);
  return {rows, columns, std::max<int64_t>(16, 16384 / (columns * 4))};
}

} // namespace

VectorUnit vectorUnit(bool avx512f, bool avx) {
  if (avx512f)
    return {16, 32};
  if (avx)
    return {8, 16};
  return {4, 16};
}

std::string isaName(const VectorUnit &unit) {
  return unit.lanes == 16 ? "avx512" : unit.lanes == 8 ? "avx2" : "sse";
}

CpuTiles cpuTiles(int64_t width, bool wideWeights, const VectorUnit &unit) {
  auto [rows, columns, depth] = registerTile(width, unit);
  int64_t blockN = largestDividingMultiple(width, columns, 256);
  // A row tile is 16 register tiles of rows: each k-block's weights are
  // packed once per row tile, so the rows of an expert share one pack up to
  // that count. Qwen3-30B-A3B (AVX-512, 2 cores, ms at 2048 tokens, about
  // 128 rows an expert): 8 register tiles f32 800 / 830, bf16 753 / 757;
  // 16: f32 707 / 781, bf16 652; 32: f32 712 / 717, bf16 635 / 631. The
  // x tile a row tile gathers ([BM, In] f32) stays within L2 at 16. f32
  // weights on AVX-512 (2 MiB of L2 a core where measured) take 32: T =
  // 2048 754 / 738 against 770 / 784 ms in alternation, T = 512 the same
  // (its row tiles are small ones).
  int64_t rowBlocks = wideWeights && unit.lanes == 16 ? 32 : 16;
  TileSizes large{/*blockM=*/rowBlocks * rows, blockN, depth, rows, columns};
  // A row tile of few rows: whole weight rows (column tiles up to 2048), k
  // in blocks of 8 with the accumulators in registers, so the weights are
  // read front to back, 8 rows at a time, at memory bandwidth. Measured on
  // Qwen3-30B-A3B's gate/up (AVX-512, 2 cores, ms at 4 / 8 / 16 rows an
  // expert): k-block 8 67 / 99 / 154, the same with k-block 1 139 / 139 /
  // 166; the register tiles are slower there and as fast at 32 rows.
  int64_t streamBlockN = largestDividingMultiple(width, columns, 2048);
  int64_t streamColumns = columns;
  for (int64_t factor : {4, 2})
    if (streamBlockN % (columns * factor) == 0) {
      streamColumns = columns * factor;
      break;
    }
  // Two rows a register tile share each weight vector where the
  // accumulators (2 x 4NR / lanes) leave half the registers free. 16-bit
  // weights are widened in registers at every use, so up to 16 rows two
  // rows a tile; past that, the packed register tiles (widened once) win.
  // Qwen3-30B-A3B bf16 (AVX-512, 2 cores, ms at T = 1 / 32 / 128 / 512):
  // two rows up to 16 rows 2.8 / 60 / 98 / 231, up to 32 rows 4.3 / 62 /
  // 104 / 263; one row at a time with k-block 1 up to 4 rows 3.1 / 65 /
  // 129 / 228. f32 weights need no widening and stream up to 64 rows:
  // 5.2 / 89 / 127 / 248 against one row up to 16 rows 3.4 / 80 / 133 /
  // 289 (the duplicated row of a one-row tile costs at T = 1 and 32, all
  // within the roofline targets there; T = 512 is far from them).
  // Where the registers allow one row only (AVX2), 16-bit weights keep
  // k-block 1 up to MR / 2 rows: it measured faster at 1 and 2 rows an
  // expert (bf16, T = 32: 57 ms against 88 ms) and slower at 8.
  int64_t vectorsPerRow = (streamColumns + unit.lanes - 1) / unit.lanes;
  bool twoRows = 2 * 2 * vectorsPerRow <= unit.registers;
  TileSizes small{/*blockM=*/2 * rows, streamBlockN, /*blockK=*/8,
                  /*threadM=*/1, streamColumns};
  std::optional<TileSizes> medium;
  if (twoRows) {
    small.threadM = 2;
    small.blockM = wideWeights ? 8 * rows : 2 * rows;
  } else if (!wideWeights) {
    small.blockM = std::max<int64_t>(1, rows / 2);
    small.blockK = 1;
  }
  // f32 weights on AVX-512: row tiles of 3 to 64 rows take a medium tile,
  // the large tile's 8 x 32 register tiles and column tiles on weights read
  // in place (k-block 16, below the packed depth): packing costs a copy that
  // few rows do not repay, and two-row tiles recompute each weight's loads
  // for every row pair. Qwen3-30B-A3B f32 (2 cores, caches emptied, ms at T
  // = 1 / 32 / 128 / 512 / 2048): small tile up to 64 rows and packed large
  // tiles 5.9 / 95 / 130 / 270 / 748; small tile up to 2 rows and the medium
  // tile for every other row tile 5.9 / 87 / 120 / 229 / 833 (the medium
  // tile loses to packed panels at about 128 rows an expert, which the
  // large tiles keep). On AVX2 (6 x 16 register tiles, AMD EPYC) the same
  // split lost: T = 128 / 512 145 / 322-334 ms without a medium tile, 160 /
  // 419 with one (whole rows; 256-column tiles 180 / 403).
  // The medium tile's column tiles are whole weight rows, as the small
  // tile's: a k-block then reads 16 weight rows front to back, 16 streams
  // the prefetchers follow, where 256-column tiles read 1 KiB pieces of rows
  // 6-8 KiB apart. Same shape on a 2-core AVX-512 Xeon without AMX, in
  // alternation, ms at T = 32 / 128 / 512 / 2048: 256 columns 105-108 /
  // 190-194 / 292-296 / 750-773, whole rows 90-98 / 127-130 / 228-231 /
  // 746-750.
  if (twoRows && wideWeights && unit.lanes == 16) {
    small.blockM = 2;
    medium = TileSizes{8 * rows, streamBlockN, /*blockK=*/16, rows, columns};
  }
  return {large, small, medium};
}

bool amxTiles(int64_t width, int64_t in, CpuTiles &tiles) {
  constexpr int64_t rows = 16, columns = 16, step = 32;
  if (width % columns || in % step)
    return false;
  // One tdpbf16ps is 16 x 16 x 32; a k-block packs Kc weight rows into the
  // pairs layout (VNNI) once for the row tile's 8 AMX row tiles. The pack
  // reads whole weight rows (column tiles up to 2048: a 512 KiB pack and a
  // 1 MiB accumulator tile within L2), so the weights stream front to back:
  // 256-column tiles read 512-byte pieces of rows kilobytes apart, which the
  // prefetchers do not follow. Qwen3-30B-A3B bf16 (2 cores, ms at T = 32 /
  // 128 / 512 / 2048): 256 columns 62 / 114 / 128 / 270, whole rows 62 /
  // 114 / 93 / 246.
  tiles.large = {/*blockM=*/8 * rows,
                 largestDividingMultiple(width, columns, 2048),
                 /*blockK=*/largestDividingMultiple(in, step, 128), rows,
                 columns};
  // Past one row an expert, the AMX tile wins over the FMA small tile (it
  // widens nothing and packs each k-block once): the same, small tile up to
  // 16 rows as without AMX 62 / 114 / 93 / 246, up to 4 rows 61 / 65 / 91 /
  // 222, up to 2 rows 56 / 67 / 92 / 223. A lone row streams its expert's
  // weights a whole row at a time (k-block 1, 64 columns a register tile):
  // measured with the caches emptied before each run (moe-bench --cold),
  // T = 1 / 32 3.4-3.6 / 52-53 ms against 3.8-4.3 / 57-59 for two rows with
  // k-block 8.
  tiles.small.blockM = 1;
  tiles.small.threadM = 1;
  tiles.small.blockK = 1;
  if (tiles.small.blockN % 64 == 0)
    tiles.small.threadN = 64;
  return true;
}

TileSizes cpuDenseTile(int64_t width, const VectorUnit &unit) {
  auto [rows, columns, depth] = registerTile(width, unit);
  int64_t blockN = largestDividingMultiple(width, columns, 256);
  return {4 * rows, blockN, depth, rows, columns};
}

} // namespace moe::tiles
