//===- GroupedGemmToGpu.cpp - moe.grouped_gemm as a tiled GPU kernel ------===//
//
// The grid is ceil(M/BM) + E row-tiles x ceil(width/BN) column-tiles
// (DESIGN.md §5): no row-tile spans two experts, so an expert with n rows
// needs ceil(n/BM) tiles and all of them together at most ceil(M/BM) + E.
// Each block walks the segments to find its (expert, first row) at run time
// and idles past the end, so one kernel serves every token count.
//
// Two kernels compute the products (GroupedGemmGpu.h): with warp pieces in
// the tile, the tensor-core one (GroupedGemmMma.cpp); else the SIMT one here.
// It stages BM x BK of x and BK x BN of the expert's weight (both halves
// of a gated weight) in workgroup memory, widened to f32, between two
// barriers; each thread keeps TM x TN f32 accumulators in registers and adds
// the products in ascending In order, the reference's order. The epilogue
// adds the bias, applies the activation and the gate, and rounds into y.
// Segments are clamped exactly as the loop lowering clamps them, so no input
// makes a thread read or write out of bounds.
//
//===----------------------------------------------------------------------===//
#include "GroupedGemmGpu.h"
#include "moe/MoeActivation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

Value cmp(OpBuilder &b, Location loc, arith::CmpIPredicate predicate, Value lhs,
          Value rhs) {
  return arith::CmpIOp::create(b, loc, predicate, lhs, rhs);
}

Value select(OpBuilder &b, Location loc, Value condition, Value lhs, Value rhs) {
  return arith::SelectOp::create(b, loc, condition, lhs, rhs);
}

} // namespace

TileRows mlir::moe::locateTile(LoopEmitter &em, const GemmKernelInputs &in,
                               Value tile, int64_t bm) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  GroupedGemmOp op = in.op;
  Value segments = in.g.segments, numExperts = in.g.numExperts,
        numRows = in.g.numRows;
  bool offsets = op.getSegmentKind() == SegmentKind::Offsets;
  Value capacity =
      offsets ? Value() : arith::DivUIOp::create(b, loc, numRows, numExperts);
  Value none = em.index(-1);
  SmallVector<Value> result = em.forLoop(
      em.index(0), numExperts,
      {/*tilesBefore=*/em.index(0), /*previousEnd=*/em.index(0), none,
       em.index(0), em.index(0)},
      [&](Value e, ValueRange carried) -> SmallVector<Value> {
        Value begin, end;
        if (offsets) {
          Value next = arith::AddIOp::create(b, loc, e, em.index(1));
          begin = em.clamp(em.toIndex(em.load(segments, {e})), carried[1],
                           numRows);
          end = em.clamp(em.toIndex(em.load(segments, {next})), begin,
                         numRows);
        } else {
          begin = arith::MulIOp::create(b, loc, e, capacity);
          Value count = em.clamp(em.toIndex(em.load(segments, {e})),
                                 em.index(0), capacity);
          end = arith::AddIOp::create(b, loc, begin, count);
        }
        Value rows = arith::SubIOp::create(b, loc, end, begin);
        Value tiles = arith::CeilDivUIOp::create(b, loc, rows, em.index(bm));
        Value tilesAfter = arith::AddIOp::create(b, loc, carried[0], tiles);
        Value mine = arith::AndIOp::create(
            b, loc, cmp(b, loc, arith::CmpIPredicate::ule, carried[0], tile),
            cmp(b, loc, arith::CmpIPredicate::ult, tile, tilesAfter));
        Value firstRow = arith::AddIOp::create(
            b, loc, begin,
            arith::MulIOp::create(
                b, loc, arith::SubIOp::create(b, loc, tile, carried[0]),
                em.index(bm)));
        return {tilesAfter, end, select(b, loc, mine, e, carried[2]),
                select(b, loc, mine, firstRow, carried[3]),
                select(b, loc, mine, end, carried[4])};
      });
  Value found = cmp(b, loc, arith::CmpIPredicate::ne, result[2], none);
  return {found, result[2], result[3], result[4]};
}

Value mlir::moe::loadOrZero(LoopEmitter &em, Type type, Value valid,
                           function_ref<Value()> load) {
  return em.ifThenElse(type, valid, load, [&]() -> Value {
    return arith::ConstantOp::create(em.b, em.loc, type,
                                     em.b.getZeroAttr(type));
  });
}

Value mlir::moe::loadXOrZero(LoopEmitter &k, const GemmKernelInputs &in,
                             const TileRows &rows, Value row, Value column,
                             bool widen) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  Type type = widen ? Type(b.getF32Type()) : in.g.element;
  auto read = [&](Value xRow) -> Value {
    return widen ? k.loadF32(in.g.x, {xRow, column})
                 : k.load(in.g.x, {xRow, column});
  };
  Value valid = arith::AndIOp::create(
      b, loc, cmp(b, loc, arith::CmpIPredicate::ult, row, rows.end),
      cmp(b, loc, arith::CmpIPredicate::ult, column, in.g.in));
  return loadOrZero(k, type, valid, [&]() -> Value {
    if (!in.g.gatherRows)
      return read(row);
    // Row r reads token rows[r] / K; an empty row is 0.
    Value pair = k.load(in.g.gatherRows, {row});
    Value pairs =
        arith::IndexCastOp::create(b, loc, b.getI32Type(), in.gatherPairs);
    return loadOrZero(k, type, k.inRange(pair, k.i32(0), pairs),
                      [&]() -> Value {
                        Value token = arith::DivUIOp::create(
                            b, loc, k.toIndex(pair), in.gatherK);
                        return read(token);
                      });
  });
}

WeightTileElement mlir::moe::loadWeightTileElement(
    LoopEmitter &k, const GemmKernelInputs &in, const TileRows &rows, Value idx,
    Value k0, Value firstColumn, int64_t bk, int64_t bn, bool widen) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  WeightTileElement element;
  if (in.eio) {
    element.kk = arith::DivUIOp::create(b, loc, idx, k.index(bn));
    element.c = arith::RemUIOp::create(b, loc, idx, k.index(bn));
  } else {
    element.c = arith::DivUIOp::create(b, loc, idx, k.index(bk));
    element.kk = arith::RemUIOp::create(b, loc, idx, k.index(bk));
  }
  Value reduction = arith::AddIOp::create(b, loc, k0, element.kk);
  Value column = arith::AddIOp::create(b, loc, firstColumn, element.c);
  Value valid = arith::AndIOp::create(
      b, loc, cmp(b, loc, arith::CmpIPredicate::ult, column, in.g.width),
      cmp(b, loc, arith::CmpIPredicate::ult, reduction, in.g.in));
  Type type = widen ? Type(b.getF32Type()) : in.g.element;
  auto weightAt = [&](Value o) -> Value {
    SmallVector<Value> at = in.eio
                                ? SmallVector<Value>{rows.expert, reduction, o}
                                : SmallVector<Value>{rows.expert, o, reduction};
    return loadOrZero(k, type, valid, [&]() -> Value {
      return widen ? k.loadF32(in.g.w, at) : k.load(in.g.w, at);
    });
  };
  element.value = weightAt(column);
  if (in.gated)
    element.up = weightAt(arith::AddIOp::create(b, loc, column, in.g.width));
  return element;
}

void mlir::moe::storeEpilogue(LoopEmitter &k, const GemmKernelInputs &in,
                              const TileRows &rows, Value row, Value column,
                              Value acc, Value accUp) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  Value bias = in.g.bias;
  Value inside = arith::AndIOp::create(
      b, loc, cmp(b, loc, arith::CmpIPredicate::ult, row, rows.end),
      cmp(b, loc, arith::CmpIPredicate::ult, column, in.g.width));
  k.ifThen(inside, [&] {
    Value value = acc;
    if (bias)
      value = arith::AddFOp::create(b, loc, value,
                                    k.loadF32(bias, {rows.expert, column}));
    value = buildActivation(b, loc, value, in.op.getActivation());
    if (in.gated) {
      Value upValue = accUp;
      if (bias)
        upValue = arith::AddFOp::create(
            b, loc, upValue,
            k.loadF32(bias, {rows.expert, arith::AddIOp::create(
                                              b, loc, column, in.g.width)}));
      value = arith::MulFOp::create(b, loc, value, upValue);
    }
    k.storeRounded(value, in.y, {row, column});
  });
}

namespace {

/// The SIMT kernel: each thread keeps TM x TN f32 accumulators (per gated
/// half) and adds the products in ascending In order.
void emitSimtGemmKernel(LoopEmitter &em, const GemmKernelInputs &in,
                        const GemmTile &tile, Value rowTiles,
                        Value columnTiles) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  const bool gated = in.gated;
  Type f32 = b.getF32Type();
  Value inDim = in.g.in;
  const int64_t bm = tile.bm, bn = tile.bn, bk = tile.bk, tm = tile.tm,
                tn = tile.tn, threads = tile.threads();
  const int64_t accumulators = tm * tn * (gated ? 2 : 1);
  SmallVector<MemRefType> shared{workgroupMemRef({bm, bk}, f32),
                                 workgroupMemRef({bk, bn}, f32)};
  if (gated)
    shared.push_back(workgroupMemRef({bk, bn}, f32));
  launchKernel(
      em, "grouped_gemm", rowTiles, columnTiles, tile.threadsX(),
      tile.threadsY(), shared, [&](gpu::LaunchOp launch) {
        LoopEmitter k(b, loc);
        Value tileA = launch.getWorkgroupAttributions()[0];
        Value tileB = launch.getWorkgroupAttributions()[1];
        Value tileUp =
            gated ? Value(launch.getWorkgroupAttributions()[2]) : Value();
        Value tx = launch.getThreadIds().x, ty = launch.getThreadIds().y;
        Value thread = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, ty, k.index(tile.threadsX())),
            tx);
        Value firstColumn =
            arith::MulIOp::create(b, loc, launch.getBlockIds().y, k.index(bn));
        TileRows rows = locateTile(k, in, launch.getBlockIds().x, bm);
        // Block-uniform: every thread of an idle block skips the barriers.
        k.ifThen(rows.found, [&] {
          Value kTiles = arith::CeilDivUIOp::create(b, loc, inDim, k.index(bk));
          SmallVector<Value> init(accumulators, k.f32(0.0));
          SmallVector<Value> acc = k.forLoop(
              k.index(0), kTiles, init,
              [&](Value kt, ValueRange carried) -> SmallVector<Value> {
                Value k0 = arith::MulIOp::create(b, loc, kt, k.index(bk));
                // x tile: consecutive threads read consecutive In.
                for (int64_t s = 0; s < bm * bk / threads; ++s) {
                  Value idx = arith::AddIOp::create(b, loc, thread,
                                                    k.index(s * threads));
                  Value r = arith::DivUIOp::create(b, loc, idx, k.index(bk));
                  Value kk = arith::RemUIOp::create(b, loc, idx, k.index(bk));
                  Value row = arith::AddIOp::create(b, loc, rows.begin, r);
                  Value column = arith::AddIOp::create(b, loc, k0, kk);
                  k.store(loadXOrZero(k, in, rows, row, column, /*widen=*/true),
                          tileA, {r, kk});
                }
                // Weight tile(s).
                for (int64_t s = 0; s < bk * bn / threads; ++s) {
                  Value idx = arith::AddIOp::create(b, loc, thread,
                                                    k.index(s * threads));
                  WeightTileElement e = loadWeightTileElement(
                      k, in, rows, idx, k0, firstColumn, bk, bn,
                      /*widen=*/true);
                  k.store(e.value, tileB, {e.kk, e.c});
                  if (gated)
                    k.store(e.up, tileUp, {e.kk, e.c});
                }
                gpu::BarrierOp::create(b, loc);
                // Threads whose rows are all past the tile's end (an
                // expert with few rows: decode) skip the arithmetic; no
                // barrier inside, so the divergence is safe.
                Value busy = cmp(
                    b, loc, arith::CmpIPredicate::ult,
                    arith::MulIOp::create(b, loc, ty, k.index(tm)),
                    arith::SubIOp::create(b, loc, rows.end, rows.begin));
                auto compute = [&]() -> SmallVector<Value> {
                  return k.forLoop(
                      k.index(0), k.index(bk), carried,
                      [&](Value kk, ValueRange acc) -> SmallVector<Value> {
                        SmallVector<Value> a, wv, up;
                        for (int64_t i = 0; i < tm; ++i) {
                          Value r = arith::AddIOp::create(
                              b, loc,
                              arith::MulIOp::create(b, loc, ty, k.index(tm)),
                              k.index(i));
                          a.push_back(k.load(tileA, {r, kk}));
                        }
                        for (int64_t j = 0; j < tn; ++j) {
                          Value c = arith::AddIOp::create(
                              b, loc,
                              arith::MulIOp::create(b, loc, tx, k.index(tn)),
                              k.index(j));
                          wv.push_back(k.load(tileB, {kk, c}));
                          if (gated)
                            up.push_back(k.load(tileUp, {kk, c}));
                        }
                        SmallVector<Value> sums(acc.begin(), acc.end());
                        for (int64_t i = 0; i < tm; ++i)
                          for (int64_t j = 0; j < tn; ++j) {
                            int64_t slot = i * tn + j;
                            sums[slot] = arith::AddFOp::create(
                                b, loc, sums[slot],
                                arith::MulFOp::create(b, loc, a[i], wv[j]));
                            if (gated)
                              sums[tm * tn + slot] = arith::AddFOp::create(
                                  b, loc, sums[tm * tn + slot],
                                  arith::MulFOp::create(b, loc, a[i], up[j]));
                          }
                        return sums;
                      });
                };
                SmallVector<Value> next = k.ifThenElse(
                    TypeRange(ValueRange(carried)), busy, compute,
                    [&] { return SmallVector<Value>(carried); });
                // The next tile overwrites workgroup memory.
                gpu::BarrierOp::create(b, loc);
                return next;
              });

          for (int64_t i = 0; i < tm; ++i)
            for (int64_t j = 0; j < tn; ++j) {
              Value row = arith::AddIOp::create(
                  b, loc, rows.begin,
                  arith::AddIOp::create(
                      b, loc, arith::MulIOp::create(b, loc, ty, k.index(tm)),
                      k.index(i)));
              Value column = arith::AddIOp::create(
                  b, loc, firstColumn,
                  arith::AddIOp::create(
                      b, loc, arith::MulIOp::create(b, loc, tx, k.index(tn)),
                      k.index(j)));
              storeEpilogue(k, in, rows, row, column, acc[i * tn + j],
                            gated ? acc[tm * tn + i * tn + j] : Value());
            }
        });
      });
}

} // namespace

FailureOr<SmallVector<Value>>
mlir::moe::lowerGroupedGemmToGpu(GroupedGemmOp op, LoopEmitter &em,
                                 const GemmTile &tile,
                                 GpuContractChecks &checks,
                                 bool everyRowOwned) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  const bool mma = tile.wm > 0;
  // Every thread stages the same number of x and weight elements.
  if (tile.bm % tile.tm || tile.bn % tile.tn ||
      (tile.bm * tile.bk) % tile.threads() ||
      (tile.bk * tile.bn) % tile.threads())
    return op.emitOpError("has a GPU tile whose parts do not divide evenly: ")
           << "block " << tile.bm << "x" << tile.bn << "x" << tile.bk
           << ", thread " << tile.tm << "x" << tile.tn
           << " (block_m and block_n must be multiples of thread_m and "
              "thread_n, and block_m * block_k and block_k * block_n "
              "multiples of the thread count)";
  GemmKernelInputs in;
  in.op = op;
  in.eio = op.getWeightLayout() == WeightLayout::ExpertInOut;
  in.gated = op.getGated();
  in.g = GroupedGemmBuffers::create(op, em);
  Type weightElement = getElementTypeOrSelf(in.g.w.getType());
  if (mma && !((in.g.element.isF16() || in.g.element.isBF16()) &&
               weightElement == in.g.element))
    return op.emitOpError("has a tensor-core tile (warp_m, warp_n) but the "
                          "tensor-core kernel takes f16 or bf16 x and "
                          "weights of the same type only");
  Value x = in.g.x, segments = in.g.segments, gatherRows = in.g.gatherRows;
  Value numExperts = in.g.numExperts, width = in.g.width,
        numRows = in.g.numRows;
  // The contracts, in the CPU lowering's order: gather rows, then segments.
  if (gatherRows)
    checkRowsOnGpu(em, checks, "moe.grouped_gemm", "gather rows",
                   "grouped_gemm_gather", gatherRows,
                   arith::MulIOp::create(b, loc, em.dim(x, 0),
                                         em.index(*op.getGatherK())));
  checkSegmentsOnGpu(em, checks,
                     op.getSegmentKind() == SegmentKind::Offsets, segments,
                     numExperts, numRows);
  Value y = in.g.allocResult(em);
  in.y = y;
  // Rows owned by no expert are zero.
  Type element = in.g.element;
  if (!everyRowOwned) {
    Value zero = arith::ConstantOp::create(b, loc, element,
                                           b.getFloatAttr(element, 0.0));
    launchFlat(em, "grouped_gemm_zero",
               arith::MulIOp::create(b, loc, numRows, width),
               [&](LoopEmitter &kernel, Value i) {
                 Value r = arith::DivUIOp::create(kernel.b, loc, i, width);
                 Value c = arith::RemUIOp::create(kernel.b, loc, i, width);
                 kernel.store(zero, y, {r, c});
               });
  }
  if (gatherRows) {
    in.gatherK = em.index(*op.getGatherK());
    in.gatherPairs = arith::MulIOp::create(b, loc, em.dim(x, 0), in.gatherK);
  }

  Value rowTiles = arith::AddIOp::create(
      b, loc, arith::CeilDivUIOp::create(b, loc, numRows, em.index(tile.bm)),
      numExperts);
  Value columnTiles =
      arith::CeilDivUIOp::create(b, loc, width, em.index(tile.bn));
  // A width of 0 leaves nothing to compute (and an empty grid is an error).
  Value anyColumns = cmp(b, loc, arith::CmpIPredicate::ugt, width, em.index(0));
  em.ifThen(anyColumns, [&] {
    if (mma)
      emitMmaGemmKernel(em, in, tile, rowTiles, columnTiles);
    else
      emitSimtGemmKernel(em, in, tile, rowTiles, columnTiles);
  });

  if (!op.getCombineRows())
    return SmallVector<Value>{em.toTensor(y)};
  Value combineRows = em.toBuffer(op.getCombineRows());
  Value combineWeights = em.toBuffer(op.getCombineWeights());
  return SmallVector<Value>{em.toTensor(
      emitCombineKernels(em, "grouped_gemm_combine", checks,
                         "moe.grouped_gemm", "combine rows", y, combineRows,
                         combineWeights, element))};
}
