//===- TileTable.h - measured grouped GEMM tiles ----------------*- C++ -*-===//
//
// The tuning table that moe-tune writes and moe-select-tiles reads: for a
// grouped GEMM of one shape on one kind of machine, the tiles measured
// fastest. A GEMM the table does not name gets the heuristic's tiles. The
// table is JSON (tuning/cpu-tiles.json in the repository, built into the
// compiler; a file given at compile time replaces it), so an entry can be
// read, reviewed and diffed like code.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TRANSFORMS_TILETABLE_H
#define MOE_TRANSFORMS_TILETABLE_H

#include "moe/Tiles/CpuTiles.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir::moe {

using ::moe::tiles::TileSizes;

/// What a table entry applies to: the machine's vector ISA class and the
/// grouped GEMM's weights. `isa` is "avx512", "avx2" or "sse" (the CPU
/// vector unit moe-select-tiles sizes register tiles for).
struct TileTableKey {
  std::string target = "cpu";
  std::string isa;
  std::string weights; // f32, bf16, f16
  std::string layout = "eio";
  int64_t in = 0, out = 0; // Out before gating
  bool gated = false;
  bool operator==(const TileTableKey &other) const {
    return target == other.target && isa == other.isa &&
           weights == other.weights && layout == other.layout &&
           in == other.in && out == other.out && gated == other.gated;
  }
};

struct TileTableEntry {
  TileTableKey key;
  TileSizes tile;
  std::optional<TileSizes> smallTile;
  /// Optional in the JSON (tables written before it exist).
  std::optional<TileSizes> mediumTile;
};

/// The table format version this build reads and writes.
inline constexpr int64_t kTileTableFormat = 1;

/// Parses a table; `source` names it in errors ("tuning/cpu-tiles.json:
/// entries[2].tile.block_m: expected integer").
llvm::Expected<std::vector<TileTableEntry>>
parseTileTable(llvm::StringRef json, llvm::StringRef source);

/// Reads and parses the table at `path`.
llvm::Expected<std::vector<TileTableEntry>> readTileTable(llvm::StringRef path);

/// The table built into the compiler (tuning/cpu-tiles.json at build time).
llvm::StringRef builtinTileTable();

/// The entry for `key`, if any (the last one when several match, so a
/// table can be extended by appending).
const TileTableEntry *lookupTile(const std::vector<TileTableEntry> &table,
                                 const TileTableKey &key);

} // namespace mlir::moe

#endif // MOE_TRANSFORMS_TILETABLE_H
