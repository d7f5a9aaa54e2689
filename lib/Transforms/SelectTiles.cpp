//===- SelectTiles.cpp - moe-select-tiles ---------------------------------===//
//
// The one place that decides a grouped GEMM's tile (DESIGN.md §5): from the
// module's #moe.target, every moe.grouped_gemm without a #moe.tile gets one;
// a tile already in the IR wins. Later passes only read the attribute.
//
// GPU tiles are the chip's (lib/Tiles/GpuTiles.cpp). CPU tiles come from
// the tuning table (tuning/cpu-tiles.json, measured by moe-tune;
// TileTable.h) when it names the GEMM, else from the heuristic of
// lib/Tiles/CpuTiles.cpp, which says how register, k-block, column and row
// tiles are sized.
//
//===----------------------------------------------------------------------===//
#include "moe/MoeShapes.h"
#include "moe/Transforms/Passes.h"
#include "moe/MoeOps.h"
#include "moe/Transforms/TileGroupedGemm.h"
#include "moe/Transforms/TileTable.h"
#include "moe/Tiles/GpuTiles.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Error.h"
#include "llvm/TargetParser/Host.h"
#include "moe/Support/HostAmx.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOESELECTTILES
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;
namespace tiles = ::moe::tiles;

namespace {

tiles::VectorUnit vectorUnitOf(TargetAttr target) {
  return tiles::vectorUnit(target.hasFeature("avx512f"),
                           target.hasFeature("avx2") ||
                               target.hasFeature("avx"));
}

/// AMX bf16 tiles: bf16 x and bf16 weights on a target with AMX's tile
/// registers and bf16 dot products.
bool usesAmx(GroupedGemmOp op, TargetAttr target) {
  return target.hasFeature("amx-tile") && target.hasFeature("amx-bf16") &&
         getElementTypeOrSelf(op.getX().getType()).isBF16() &&
         getElementTypeOrSelf(op.getW().getType()).isBF16();
}

StringRef elementName(Type type) {
  return type.isF32() ? "f32" : type.isBF16() ? "bf16" : type.isF16() ? "f16"
                                                                     : "";
}

/// The table key of a grouped GEMM with static weights on a CPU target.
TileTableKey tableKey(GroupedGemmOp op, TargetAttr target) {
  auto wType = cast<ShapedType>(op.getW().getType());
  bool eio = op.getWeightLayout() == WeightLayout::ExpertInOut;
  TileTableKey key;
  key.target = target.getKind().str();
  key.isa = usesAmx(op, target) ? "amx" : tiles::isaName(vectorUnitOf(target));
  key.weights = elementName(wType.getElementType()).str();
  key.layout = eio ? "eio" : "eoi";
  key.in = wType.getDimSize(eio ? 1 : 2);
  key.out = op.getGemmOut();
  key.gated = op.getGated();
  return key;
}

TileAttr toAttr(MLIRContext *ctx, const TileSizes &tile) {
  return TileAttr::get(ctx, tile.blockM, tile.blockN, tile.blockK,
                       tile.threadM, tile.threadN, tile.warpM, tile.warpN);
}

/// A grouped GEMM's CPU tiles (tile, small_tile, medium_tile; a null one is
/// absent): the table's when it names the GEMM, else the heuristic's
/// (lib/Tiles/CpuTiles.cpp).
struct GemmTiles {
  TileAttr tile, small, medium;
};

TileAttr toAttr(MLIRContext *ctx, const std::optional<TileSizes> &tile) {
  return tile ? toAttr(ctx, *tile) : TileAttr();
}

GemmTiles cpuTiles(GroupedGemmOp op, TargetAttr target,
                   const std::vector<TileTableEntry> &table) {
  MLIRContext *ctx = op.getContext();
  if (const TileTableEntry *entry = lookupTile(table, tableKey(op, target)))
    return {toAttr(ctx, entry->tile), toAttr(ctx, entry->smallTile),
            toAttr(ctx, entry->mediumTile)};
  int64_t out = op.getGemmOut();
  int64_t width = op.getGated() ? out / 2 : out;
  Type element = cast<ShapedType>(op.getW().getType()).getElementType();
  tiles::CpuTiles chosen =
      tiles::cpuTiles(width, element.isF32(), vectorUnitOf(target));
  // Row tiles past the small tile's rows go to AMX where the GEMM fits it.
  auto wType = cast<ShapedType>(op.getW().getType());
  int64_t in = wType.getDimSize(
      op.getWeightLayout() == WeightLayout::ExpertInOut ? 1 : 2);
  if (usesAmx(op, target) &&
      op.getWeightLayout() == WeightLayout::ExpertInOut)
    tiles::amxTiles(width, in, chosen);
  return {toAttr(ctx, chosen.large), toAttr(ctx, chosen.small),
          toAttr(ctx, chosen.medium)};
}

TileAttr cpuDenseTile(linalg::MatmulOp op, TargetAttr target) {
  auto b = cast<ShapedType>(op.getDpsInputOperand(1)->get().getType());
  return toAttr(op.getContext(),
                tiles::cpuDenseTile(b.getDimSize(1), vectorUnitOf(target)));
}

/// A plain row-major matmul with static K and N: the ones the layer's dense
/// parts make.
bool isTileableDense(linalg::MatmulOp op) {
  if (op->getParentOfType<scf::ForallOp>() || !op.hasPureTensorSemantics())
    return false;
  if (op.getIndexingMapsArray() != op.getDefaultIndexingMaps(op.getContext()))
    return false;
  auto b = dyn_cast<ShapedType>(op.getDpsInputOperand(1)->get().getType());
  return b && b.hasStaticShape();
}

struct MoeSelectTilesPass
    : public mlir::moe::impl::MoeSelectTilesBase<MoeSelectTilesPass> {
  using MoeSelectTilesBase::MoeSelectTilesBase;

  /// The module's target, else the one of the pass options (then recorded
  /// on the module); a CPU target without a chip is the host.
  FailureOr<TargetAttr> moduleTarget(ModuleOp module) {
    if (Attribute attr = module->getAttr(TargetAttr::getModuleAttrName())) {
      if (auto target = dyn_cast<TargetAttr>(attr))
        return target;
      return module.emitError("'")
             << TargetAttr::getModuleAttrName()
             << "' must be a #moe.target, got " << attr;
    }
    if (targetKind.empty())
      return module.emitError("no target: the module has no '")
             << TargetAttr::getModuleAttrName()
             << "' and moe-select-tiles no target= option";
    std::string chipName = chip, featureList = features;
    if (targetKind == "cpu" && chipName.empty()) {
      chipName = llvm::sys::getHostCPUName().str();
      SmallVector<std::string> enabled;
      for (const auto &[feature, on] : llvm::sys::getHostCPUFeatures())
        if (on && (!feature.starts_with("amx") || ::moe::requestAmxTiles()))
          enabled.push_back("+" + feature.str());
      llvm::sort(enabled);
      featureList = llvm::join(enabled, ",");
    }
    auto emitError = [&] { return module.emitError(); };
    if (failed(TargetAttr::verify(emitError, targetKind, chipName,
                                  featureList)))
      return failure();
    auto target = TargetAttr::get(module.getContext(), targetKind, chipName,
                                  featureList);
    module->setAttr(TargetAttr::getModuleAttrName(), target);
    return target;
  }

  /// The tuning table: the `table` option's file, else the built-in one.
  FailureOr<std::vector<TileTableEntry>> loadTable(ModuleOp module) {
    auto table = tileTable.empty()
                     ? parseTileTable(builtinTileTable(), "(built in)")
                     : readTileTable(tileTable);
    if (!table)
      return module.emitError(llvm::toString(table.takeError()));
    return std::move(*table);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<TargetAttr> target = moduleTarget(module);
    if (failed(target))
      return signalPassFailure();
    if (target->getKind() != "cpu") {
      // GPU targets: the chip's tile on every grouped GEMM (the kernels take
      // any weight shape); a tensor-core one where x and the weights are
      // f16 or bf16 and the chip has mma.sync.
      module.walk([&](GroupedGemmOp op) {
        if (op.getTileAttr())
          return;
        Type x = getElementTypeOrSelf(op.getX().getType());
        bool sixteenBit = (x.isF16() || x.isBF16()) &&
                          getElementTypeOrSelf(op.getW().getType()) == x;
        op.setTileAttr(toAttr(&getContext(),
                              tiles::gpuTile(target->getChip().str(),
                                             sixteenBit)));
      });
      return;
    }
    FailureOr<std::vector<TileTableEntry>> table = loadTable(module);
    if (failed(table))
      return signalPassFailure();
    WalkResult walk = module.walk([&](GroupedGemmOp op) {
      if (op.getTileAttr())
        return WalkResult::advance();
      // Dynamic E, In or Out: no tile, the loop kernel serves the op.
      if (!hasStaticWeightShape(op.getW().getType()))
        return WalkResult::advance();
      GemmTiles tiles = cpuTiles(op, *target, *table);
      op.setTileAttr(tiles.tile);
      if (tiles.small)
        op.setSmallTileAttr(tiles.small);
      if (tiles.medium)
        op.setMediumTileAttr(tiles.medium);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    module.walk([&](linalg::MatmulOp op) {
      if (!op->hasAttr(kDenseTileAttrName) && isTileableDense(op))
        op->setAttr(kDenseTileAttrName, cpuDenseTile(op, *target));
    });
  }
};

} // namespace
