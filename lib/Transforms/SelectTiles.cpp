//===- SelectTiles.cpp - moe-select-tiles ---------------------------------===//
//
// The one place that decides a grouped GEMM's tile (DESIGN.md §5): from the
// module's #moe.target, every moe.grouped_gemm without a #moe.tile gets one;
// a tile already in the IR wins. Later passes only read the attribute.
//
// CPU tiles are register tiles first: MR rows x NR columns of f32
// accumulators must fit the vector register file with room for the weight
// vectors and the broadcast x value (AVX2: 16 registers of 8 lanes -> 6 x 16;
// AVX-512: 32 of 16 -> 8 x 32). The k-block Kc keeps a Kc x NR weight panel
// within 16 KiB of L1; a column tile BN (at most 1024 columns, dividing the
// width) bounds the weight slice a row tile streams, and a row tile is
// 8 register tiles of rows. Row tiles of at most 2 MR rows (decode) use a
// small tile that streams whole weight rows instead (#moe.tile small_tile).
//
//===----------------------------------------------------------------------===//
#include "moe/MoeShapes.h"
#include "moe/Transforms/Passes.h"
#include "moe/MoeOps.h"
#include "moe/Transforms/TileGroupedGemm.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/TargetParser/Host.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOESELECTTILES
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The f32 lanes of a vector register and the number of registers.
struct VectorUnit {
  int64_t lanes;
  int64_t registers;
};

VectorUnit vectorUnitOf(TargetAttr target) {
  if (target.hasFeature("avx512f"))
    return {16, 32};
  if (target.hasFeature("avx2") || target.hasFeature("avx"))
    return {8, 16};
  return {4, 16};
}

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

/// A grouped GEMM's CPU tiles: the register-blocked tile, and the small
/// tile for row tiles of few rows (decode), which streams the weights.
std::pair<TileAttr, TileAttr> cpuTiles(GroupedGemmOp op, TargetAttr target) {
  VectorUnit unit = vectorUnitOf(target);
  int64_t out = op.getGemmOut();
  int64_t width = op.getGated() ? out / 2 : out;
  auto [rows, columns, depth] = registerTile(width, unit);
  int64_t blockN = largestDividingMultiple(width, columns, 256);
  MLIRContext *ctx = op.getContext();
  auto large =
      TileAttr::get(ctx, /*blockM=*/8 * rows, blockN, depth, rows, columns);
  // A row tile of few rows: one row at a time against whole weight rows
  // (column tiles up to 2048), k in blocks of 8 with the 1 x 4NR accumulator
  // in registers, so the weights are read front to back, 8 rows at a time,
  // at memory bandwidth. Measured on Qwen3-30B-A3B's gate/up (AVX-512, 2
  // cores, ms at 4 / 8 / 16 rows an expert): k-block 8 67 / 99 / 154,
  // the same with k-block 1 139 / 139 / 166; the register tiles are slower
  // there and as fast at 32 rows.
  int64_t streamBlockN = largestDividingMultiple(width, columns, 2048);
  int64_t streamColumns = columns;
  for (int64_t factor : {4, 2})
    if (streamBlockN % (columns * factor) == 0) {
      streamColumns = columns * factor;
      break;
    }
  // With 16-bit weights, k-block 1 measured faster at 1 and 2 rows an
  // expert (bf16, T = 32: 57 ms against 88 ms) and slower at 8: those keep
  // k-block 1 up to MR / 2 rows.
  Type element = cast<ShapedType>(op.getW().getType()).getElementType();
  bool wide = element.isF32();
  auto small = TileAttr::get(
      ctx, /*blockM=*/wide ? 2 * rows : std::max<int64_t>(1, rows / 2),
      streamBlockN, /*blockK=*/wide ? 8 : 1, /*threadM=*/1, streamColumns);
  return {large, small};
}

/// A dense matmul's CPU tile: the grouped GEMM's register tile over
/// row tiles of four register tiles (T may be 1) and its column tile.
TileAttr cpuDenseTile(linalg::MatmulOp op, TargetAttr target) {
  VectorUnit unit = vectorUnitOf(target);
  auto b = cast<ShapedType>(op.getDpsInputOperand(1)->get().getType());
  int64_t width = b.getDimSize(1);
  auto [rows, columns, depth] = registerTile(width, unit);
  int64_t blockN = largestDividingMultiple(width, columns, 256);
  return TileAttr::get(op.getContext(), 4 * rows, blockN, depth, rows,
                       columns);
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
        if (on)
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

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<TargetAttr> target = moduleTarget(module);
    if (failed(target))
      return signalPassFailure();
    if (target->getKind() != "cpu")
      return; // GPU tiles: still the GPU lowering's chip defaults.
    WalkResult walk = module.walk([&](GroupedGemmOp op) {
      if (op.getTileAttr())
        return WalkResult::advance();
      // Dynamic E, In or Out: no tile, the loop kernel serves the op.
      if (!hasStaticWeightShape(op.getW().getType()))
        return WalkResult::advance();
      auto [large, small] = cpuTiles(op, *target);
      op.setTileAttr(large);
      op.setSmallTileAttr(small);
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
