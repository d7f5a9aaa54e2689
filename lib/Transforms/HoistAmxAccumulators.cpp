//===- HoistAmxAccumulators.cpp - moe-hoist-amx-accumulators --------------===//
//
// An AMX k loop after convert-vector-to-amx loads and stores its
// accumulator tile around every k step:
//
//   scf.for %k = 0 to 4 {
//     %a = amx.tile_load %x[..%k..]      %b = amx.tile_load %w[..%k..]
//     %c = amx.tile_load %acc[%i, %j]     (loop-invariant place)
//     %d = amx.tile_mulf %a, %b, %c
//     amx.tile_store %acc[%i, %j], %d
//   }
//
// The loop (a constant, short trip count: the k steps of one k-block) is
// unrolled and each store is forwarded to the next load of the same place,
// so the accumulator stays in a tile register:
//
//   %c = amx.tile_load %acc[%i, %j]
//   %d0 = amx.tile_mulf %a0, %b0, %c   ...   %d3 = amx.tile_mulf %a3, %b3, %d2
//   amx.tile_store %acc[%i, %j], %d3
//
// (Carrying the tile through the loop instead would give block arguments of
// tile type, which the LLVM lowerings of cf and OpenMP do not convert.) A
// store is forwarded only when nothing between it and the load may touch
// the accumulator's buffer: other tile loads from views of other buffers
// and operations without memory effects.
//
//===----------------------------------------------------------------------===//
#include "moe/Transforms/Passes.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEHOISTAMXACCUMULATORS
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {

/// The most k steps of one loop that are unrolled (a 512-deep k-block).
constexpr int64_t kMaxUnrolledSteps = 16;

/// The buffer a memref views (through subviews, reshapes and casts).
Value viewedBuffer(Value memref) {
  while (auto view = memref.getDefiningOp<ViewLikeOpInterface>())
    memref = view.getViewSource();
  return memref;
}

/// Whether `a` and `b` are the same memref: one value, or two views made
/// alike from the same operands (convert-vector-to-amx makes a subview per
/// transfer).
bool sameMemRef(Value a, Value b) {
  if (a == b)
    return true;
  Operation *defA = a.getDefiningOp(), *defB = b.getDefiningOp();
  return defA && defB && isMemoryEffectFree(defA) &&
         OperationEquivalence::isEquivalentTo(
             defA, defB, OperationEquivalence::IgnoreLocations);
}

/// Whether a load or store of `tile` at `base[indices]` is at the place
/// `store` wrote.
bool samePlace(amx::TileStoreOp store, Value base, ValueRange indices,
               Value stride, Type tile) {
  return !stride && !store.getStride() && sameMemRef(store.getBase(), base) &&
         llvm::equal(store.getIndices(), indices) &&
         store.getVal().getType() == tile;
}

/// Forwards, in `block`, each accumulator store to the next load of the same
/// place and drops the stores a later store to that place overwrites.
void forwardStores(RewriterBase &rewriter, Block &block) {
  amx::TileStoreOp pending;
  SmallVector<Operation *> dead;
  for (Operation &op : block) {
    if (!pending) {
      if (auto store = dyn_cast<amx::TileStoreOp>(&op))
        pending = store;
      continue;
    }
    Value buffer = viewedBuffer(pending.getBase());
    if (auto load = dyn_cast<amx::TileLoadOp>(&op)) {
      if (samePlace(pending, load.getBase(), load.getIndices(),
                    load.getStride(), load.getType())) {
        rewriter.replaceAllUsesWith(load.getResult(), pending.getVal());
        dead.push_back(load);
        continue;
      }
      if (viewedBuffer(load.getBase()) == buffer)
        pending = {};
      continue;
    }
    if (auto store = dyn_cast<amx::TileStoreOp>(&op)) {
      // The pending store is overwritten unless it was read (then it would
      // no longer be pending).
      if (samePlace(pending, store.getBase(), store.getIndices(),
                    store.getStride(), store.getVal().getType()))
        dead.push_back(pending);
      pending = store;
      continue;
    }
    if (op.getNumRegions() != 0 ||
        !(isMemoryEffectFree(&op) || isa<amx::TileMulFOp, amx::TileMulIOp>(op)))
      pending = {};
  }
  for (Operation *op : dead)
    rewriter.eraseOp(op);
}

struct MoeHoistAmxAccumulatorsPass
    : public mlir::moe::impl::MoeHoistAmxAccumulatorsBase<
          MoeHoistAmxAccumulatorsPass> {
  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](amx::TileStoreOp store) {
      if (auto loop = dyn_cast<scf::ForOp>(store->getParentOp()))
        if (loops.empty() || loops.back() != loop)
          loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ForOp loop : loops) {
      std::optional<int64_t> steps = loop.getStaticTripCount()
                                         ? std::optional<int64_t>(
                                               loop.getStaticTripCount()
                                                   ->getSExtValue())
                                         : std::nullopt;
      if (!steps || *steps > kMaxUnrolledSteps)
        continue;
      Block *parent = loop->getBlock();
      if (failed(loopUnrollFull(loop)))
        continue;
      forwardStores(rewriter, *parent);
    }
  }
};

} // namespace
