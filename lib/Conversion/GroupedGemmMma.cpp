//===- GroupedGemmMma.cpp - the grouped GEMM on the tensor cores ----------===//
//
// The tensor-core kernel of a grouped GEMM whose #moe.tile has warp pieces
// (warp_m x warp_n): the same grid and segment walk as the SIMT kernel
// (GroupedGemmToGpu.cpp). A block stages BM x BK of x and the expert's BK x BN
// weight tile(s) in workgroup memory as f16, in the weight's own layout (K x
// N for eio, N x K for eoi); each warp then contracts its 16 x 16 pieces of x
// with its N x 16 pieces of the weight into 16 x N f32 accumulators kept
// across the K loop: N = 8 for mma.sync m16n8k16 (32-lane warps), 16 for
// MFMA 16x16x16 (64-lane AMD waves). The products are `vector.contract` ops:
// the kernel stage turns them into ldmatrix + mma.sync
// (moe-vector-to-mma-sync) or amdgpu.mfma (moe-vector-to-mfma), which the
// NVVM / ROCDL targets compile and the emulator runs as warp collectives.
// bf16 data
// is staged and contracted as its 16-bit patterns in f16 vectors, each
// contraction carrying `moe.mma_element = bf16` so that the mma.sync or MFMA
// it becomes multiplies bf16 (MLIR 22's conversion has f16 fragments only). The
// accumulators go through a workgroup f32 tile to the SIMT epilogue, so bias,
// activation, gate and rounding are the SIMT kernel's.
//
//===----------------------------------------------------------------------===//
#include "GroupedGemmGpu.h"
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// A step's rows and depth: 16 x 16 for both instructions.
constexpr int64_t kMmaM = 16, kMmaK = 16;

class MmaKernel {
public:
  MmaKernel(LoopEmitter &k, const GemmKernelInputs &in, const GemmTile &tile)
      : k(k), b(k.b), loc(k.loc), in(in), tile(tile),
        f16(b.getF16Type()), f32(b.getF32Type()),
        stepN(tile.mfma ? 16 : 8), lanes(tile.mfma ? 64 : 32) {}

  /// The block's body, inside the launch.
  void emit(gpu::LaunchOp launch) {
    ValueRange shared = launch.getWorkgroupAttributions();
    tileX = shared[0];
    tileW = shared[1];
    tileUp = in.gated ? Value(shared[2]) : Value();
    tileAcc = shared[in.gated ? 3 : 2];
    tileAccUp = in.gated ? Value(shared[4]) : Value();
    thread = launch.getThreadIds().x;
    Value warp = arith::DivUIOp::create(b, loc, thread, k.index(lanes));
    int64_t warpsN = tile.bn / tile.wn;
    warpRow = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, warp, k.index(warpsN)),
        k.index(tile.wm));
    warpColumn = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, warp, k.index(warpsN)),
        k.index(tile.wn));
    firstColumn =
        arith::MulIOp::create(b, loc, launch.getBlockIds().y, k.index(tile.bn));
    rows = locateTile(k, in, launch.getBlockIds().x, tile.bm);
    // Block-uniform: every thread of an idle block skips the barriers.
    k.ifThen(rows.found, [&] {
      SmallVector<Value> acc = accumulate();
      storeAccumulators(acc);
      gpu::BarrierOp::create(b, loc);
      epilogue();
    });
  }

private:
  int64_t piecesM() const { return tile.wm / kMmaM; }
  int64_t piecesN() const { return tile.wn / stepN; }
  int64_t pieces() const { return piecesM() * piecesN() * (in.gated ? 2 : 1); }
  int64_t threads() const {
    return (tile.bm / tile.wm) * (tile.bn / tile.wn) * lanes;
  }

  /// The K loop: stage, then contract; the accumulators are loop-carried
  /// 16 x N vectors (piece (i, j) at i * piecesN + j, the up half after).
  SmallVector<Value> accumulate() {
    auto accType = VectorType::get({kMmaM, stepN}, f32);
    Value zero =
        arith::ConstantOp::create(b, loc, accType, b.getZeroAttr(accType));
    SmallVector<Value> init(pieces(), zero);
    Value kTiles =
        arith::CeilDivUIOp::create(b, loc, in.g.in, k.index(tile.bk));
    return k.forLoop(
        k.index(0), kTiles, init,
        [&](Value kt, ValueRange carried) -> SmallVector<Value> {
          Value k0 = arith::MulIOp::create(b, loc, kt, k.index(tile.bk));
          stage(k0);
          gpu::BarrierOp::create(b, loc);
          SmallVector<Value> acc(carried.begin(), carried.end());
          for (int64_t step = 0; step < tile.bk; step += kMmaK)
            for (int64_t i = 0; i < piecesM(); ++i) {
              Value a = readX(i, step);
              for (int64_t j = 0; j < piecesN(); ++j) {
                int64_t slot = i * piecesN() + j;
                acc[slot] = contract(a, readW(tileW, j, step), acc[slot]);
                if (in.gated) {
                  int64_t up = piecesM() * piecesN() + slot;
                  acc[up] = contract(a, readW(tileUp, j, step), acc[up]);
                }
              }
            }
          // The next K tile overwrites workgroup memory.
          gpu::BarrierOp::create(b, loc);
          return acc;
        });
  }

  /// x[rows, k0 .. k0 + BK) and the weight tile(s) into workgroup memory,
  /// zero outside the tile's rows, In and the width. Consecutive threads
  /// take consecutive elements of x's rows and of the weight's contiguous
  /// dim (Out for eio, In for eoi).
  void stage(Value k0) {
    const int64_t bm = tile.bm, bn = tile.bn, bk = tile.bk, n = threads();
    for (int64_t s = 0; s < bm * bk / n; ++s) {
      Value idx = arith::AddIOp::create(b, loc, thread, k.index(s * n));
      Value r = arith::DivUIOp::create(b, loc, idx, k.index(bk));
      Value kk = arith::RemUIOp::create(b, loc, idx, k.index(bk));
      Value row = arith::AddIOp::create(b, loc, rows.begin, r);
      Value column = arith::AddIOp::create(b, loc, k0, kk);
      k.store(toCarrier(loadXOrZero(k, in, rows, row, column, /*widen=*/false)),
              tileX, {r, kk});
    }
    for (int64_t s = 0; s < bk * bn / n; ++s) {
      Value idx = arith::AddIOp::create(b, loc, thread, k.index(s * n));
      WeightTileElement e = loadWeightTileElement(
          k, in, rows, idx, k0, firstColumn, bk, bn, /*widen=*/false);
      SmallVector<Value> at = in.eio ? SmallVector<Value>{e.kk, e.c}
                                     : SmallVector<Value>{e.c, e.kk};
      k.store(toCarrier(e.value), tileW, at);
      if (in.gated)
        k.store(toCarrier(e.up), tileUp, at);
    }
  }

  /// A 16-bit value as the f16 workgroup tiles hold it (its bits).
  Value toCarrier(Value value) {
    if (value.getType() == f16)
      return value;
    return arith::BitcastOp::create(b, loc, f16, value);
  }

  /// The warp's x piece i at K step `step`: 16 rows x 16 of K.
  Value readX(int64_t i, int64_t step) {
    Value row =
        arith::AddIOp::create(b, loc, warpRow, k.index(i * kMmaM));
    Value pad = arith::ConstantOp::create(b, loc, f16, b.getZeroAttr(f16));
    return vector::TransferReadOp::create(
        b, loc, VectorType::get({kMmaM, kMmaK}, f16), tileX,
        ValueRange{row, k.index(step)}, pad, ArrayRef<bool>{true, true});
  }

  /// The warp's weight piece j at K step `step` as N columns x 16 of K: a
  /// transposed read of the K x N tile (eio), a plain one of N x K (eoi).
  Value readW(Value tileWeight, int64_t j, int64_t step) {
    Value column =
        arith::AddIOp::create(b, loc, warpColumn, k.index(j * stepN));
    Value pad = arith::ConstantOp::create(b, loc, f16, b.getZeroAttr(f16));
    auto type = VectorType::get({stepN, kMmaK}, f16);
    if (!in.eio)
      return vector::TransferReadOp::create(
          b, loc, type, tileWeight, ValueRange{column, k.index(step)}, pad,
          ArrayRef<bool>{true, true});
    AffineMap transpose = AffineMap::getPermutationMap(
        ArrayRef<unsigned>{1, 0}, b.getContext());
    return vector::TransferReadOp::create(
        b, loc, type, tileWeight, ValueRange{k.index(step), column}, pad,
        transpose, ArrayRef<bool>{true, true});
  }

  /// acc + a · wᵀ: (m, k) x (n, k) -> (m, n), with 16-bit products widened
  /// into the f32 accumulator.
  Value contract(Value a, Value w, Value acc) {
    MLIRContext *ctx = b.getContext();
    AffineExpr m, n, kk;
    bindDims(ctx, m, n, kk);
    auto contraction = vector::ContractionOp::create(
        b, loc, a, w, acc,
        ArrayRef<ArrayRef<AffineExpr>>{{m, kk}, {n, kk}, {m, n}},
        ArrayRef<vector::IteratorType>{vector::IteratorType::parallel,
                                       vector::IteratorType::parallel,
                                       vector::IteratorType::reduction});
    if (!in.g.element.isF16())
      contraction->setAttr(kMmaElementAttrName, TypeAttr::get(in.g.element));
    return contraction;
  }

  void storeAccumulators(ArrayRef<Value> acc) {
    for (int64_t i = 0; i < piecesM(); ++i)
      for (int64_t j = 0; j < piecesN(); ++j) {
        Value row =
            arith::AddIOp::create(b, loc, warpRow, k.index(i * kMmaM));
        Value column =
            arith::AddIOp::create(b, loc, warpColumn, k.index(j * stepN));
        int64_t slot = i * piecesN() + j;
        vector::TransferWriteOp::create(b, loc, acc[slot], tileAcc,
                                        ValueRange{row, column},
                                        ArrayRef<bool>{true, true});
        if (in.gated)
          vector::TransferWriteOp::create(
              b, loc, acc[piecesM() * piecesN() + slot], tileAccUp,
              ValueRange{row, column}, ArrayRef<bool>{true, true});
      }
  }

  /// Each thread's thread_m x thread_n share of the block's results.
  void epilogue() {
    int64_t threadsN = tile.bn / tile.tn;
    Value ty = arith::DivUIOp::create(b, loc, thread, k.index(threadsN));
    Value tx = arith::RemUIOp::create(b, loc, thread, k.index(threadsN));
    for (int64_t i = 0; i < tile.tm; ++i)
      for (int64_t j = 0; j < tile.tn; ++j) {
        Value r = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, ty, k.index(tile.tm)),
            k.index(i));
        Value c = arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, tx, k.index(tile.tn)),
            k.index(j));
        Value row = arith::AddIOp::create(b, loc, rows.begin, r);
        Value column = arith::AddIOp::create(b, loc, firstColumn, c);
        Value acc = k.load(tileAcc, {r, c});
        Value up = in.gated ? k.load(tileAccUp, {r, c}) : Value();
        storeEpilogue(k, in, rows, row, column, acc, up);
      }
  }

  LoopEmitter &k;
  OpBuilder &b;
  Location loc;
  const GemmKernelInputs &in;
  const GemmTile &tile;
  Type f16, f32;
  int64_t stepN, lanes;
  Value tileX, tileW, tileUp, tileAcc, tileAccUp;
  Value thread, warpRow, warpColumn, firstColumn;
  TileRows rows;
};

} // namespace

void mlir::moe::emitMmaGemmKernel(LoopEmitter &em, const GemmKernelInputs &in,
                                  const GemmTile &tile, Value rowTiles,
                                  Value columnTiles) {
  OpBuilder &b = em.b;
  Type f16 = b.getF16Type(), f32 = b.getF32Type();
  SmallVector<int64_t> weightShape =
      in.eio ? SmallVector<int64_t>{tile.bk, tile.bn}
             : SmallVector<int64_t>{tile.bn, tile.bk};
  SmallVector<MemRefType> shared{workgroupMemRef({tile.bm, tile.bk}, f16),
                                 workgroupMemRef(weightShape, f16)};
  if (in.gated)
    shared.push_back(workgroupMemRef(weightShape, f16));
  shared.push_back(workgroupMemRef({tile.bm, tile.bn}, f32));
  if (in.gated)
    shared.push_back(workgroupMemRef({tile.bm, tile.bn}, f32));
  int64_t threads =
      (tile.bm / tile.wm) * (tile.bn / tile.wn) * (tile.mfma ? 64 : 32);
  launchKernel(em, "grouped_gemm", rowTiles, columnTiles, threads, 1, shared,
               [&](gpu::LaunchOp launch) {
                 LoopEmitter k(b, em.loc);
                 MmaKernel(k, in, tile).emit(launch);
               });
}
