//===- TileTable.cpp - measured grouped GEMM tiles ------------------------===//

#include "moe/Transforms/TileTable.h"
#include "moe/TileLimits.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace mlir::moe;
namespace json = llvm::json;

// json::Path::report takes a string literal: the limits are spelled out.
static_assert(::moe::kMaxTileExtent == 65536 &&
                  ::moe::kMaxRegisterTile == 4096,
              "update the tile-limit messages below");

// In the types' namespaces, where json::ObjectMapper finds them.
namespace moe::tiles {

static bool fromJSON(const json::Value &value, TileSizes &tile,
                     json::Path path) {
  json::ObjectMapper object(value, path);
  if (!object || !object.map("block_m", tile.blockM) ||
      !object.map("block_n", tile.blockN) ||
      !object.map("block_k", tile.blockK) ||
      !object.map("thread_m", tile.threadM) ||
      !object.map("thread_n", tile.threadN))
    return false;
  for (int64_t size : {tile.blockM, tile.blockN, tile.blockK, tile.threadM,
                       tile.threadN})
    if (size <= 0) {
      path.report("tile sizes must be positive");
      return false;
    }
  for (int64_t size : {tile.blockM, tile.blockN, tile.blockK})
    if (size > ::moe::kMaxTileExtent) {
      path.report("block_m, block_n and block_k must be at most 65536");
      return false;
    }
  if (tile.threadM > ::moe::kMaxRegisterTile / tile.threadN) {
    path.report("thread_m x thread_n must be at most 4096");
    return false;
  }
  if (tile.blockM % tile.threadM || tile.blockN % tile.threadN) {
    path.report("block_m and block_n must be multiples of thread_m and "
                "thread_n");
    return false;
  }
  return true;
}

} // namespace moe::tiles

namespace mlir::moe {

static bool fromJSON(const json::Value &value, TileTableEntry &entry,
                     json::Path path) {
  json::ObjectMapper object(value, path);
  TileTableKey &key = entry.key;
  if (!object || !object.map("target", key.target) ||
      !object.map("isa", key.isa) || !object.map("weights", key.weights) ||
      !object.mapOptional("layout", key.layout) ||
      !object.map("in", key.in) || !object.map("out", key.out) ||
      !object.map("gated", key.gated) || !object.map("tile", entry.tile) ||
      !object.map("small_tile", entry.smallTile) ||
      !object.map("medium_tile", entry.mediumTile))
    return false;
  if (key.weights != "f32" && key.weights != "bf16" && key.weights != "f16") {
    path.field("weights").report("expected f32, bf16 or f16");
    return false;
  }
  if (key.layout != "eio" && key.layout != "eoi") {
    path.field("layout").report("expected eio or eoi");
    return false;
  }
  if (key.in <= 0 || key.out <= 0 || (key.gated && key.out % 2)) {
    path.report("in and out must be positive, out even when gated");
    return false;
  }
  return true;
}

} // namespace mlir::moe

llvm::Expected<std::vector<TileTableEntry>>
mlir::moe::parseTileTable(llvm::StringRef text, llvm::StringRef source) {
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError("tile table " + source + ": " + message);
  };
  llvm::Expected<json::Value> value = json::parse(text);
  if (!value)
    return fail(llvm::toString(value.takeError()));
  json::Path::Root root("table");
  json::ObjectMapper object(*value, root);
  int64_t format = 0;
  std::vector<TileTableEntry> entries;
  if (!object || !object.map("format", format))
    return fail(llvm::toString(root.getError()));
  if (format != kTileTableFormat)
    return fail("format " + llvm::Twine(format) + " is not the format " +
                llvm::Twine(kTileTableFormat) + " this build reads");
  if (!object.map("entries", entries))
    return fail(llvm::toString(root.getError()));
  return entries;
}

llvm::Expected<std::vector<TileTableEntry>>
mlir::moe::readTileTable(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer)
    return llvm::createStringError("cannot read tile table '" + path +
                                   "': " + buffer.getError().message());
  return parseTileTable((*buffer)->getBuffer(), path);
}

llvm::StringRef mlir::moe::builtinTileTable() {
  static const char text[] =
#include "moe/Transforms/BuiltinTileTable.inc"
      ;
  return text;
}

const TileTableEntry *
mlir::moe::lookupTile(const std::vector<TileTableEntry> &table,
                      const TileTableKey &key) {
  for (auto it = table.rbegin(); it != table.rend(); ++it)
    if (it->key == key)
      return &*it;
  return nullptr;
}
