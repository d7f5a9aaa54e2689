//===- GroupedGemmMma.cpp - the grouped GEMM on the tensor cores ----------===//
//
// The tensor-core kernel of a grouped GEMM whose #moe.tile has warp pieces
// (warp_m x warp_n): the same grid and segment walk as the SIMT kernel
// (GroupedGemmToGpu.cpp). A block stages BM x BK of x and the expert's BK x BN
// weight tile(s) in workgroup memory, in the weight's own layout (K x N for
// eio, N x K for eoi); each warp then contracts its 16 x 16 pieces of x with
// its N x 16 pieces of the weight into 16 x N f32 accumulators kept across
// the K loop: N = 8 for mma.sync m16n8k16 (32-lane warps), 16 for MFMA
// 16x16x16 (64-lane AMD waves). The products are `vector.contract` ops: the
// kernel stage turns them into ldmatrix + mma.sync (moe-vector-to-mma-sync)
// or amdgpu.mfma (moe-vector-to-mfma), which the NVVM / ROCDL targets compile
// and the emulator runs as warp collectives.
//
// Staging: on mma.sync chips, rows that are whole 16-byte pieces are double
// buffered by cp.async into one workgroup byte buffer seen through views
// (the data's type for the copies, f16 for ldmatrix, f32 for the accumulator
// tiles that reuse it after the K loop); otherwise each thread loads
// elements and stores them to f16 tiles. bf16 data is contracted as its
// 16-bit patterns in f16 vectors, each contraction carrying
// `moe.mma_element = bf16` so that the mma.sync or MFMA it becomes
// multiplies bf16 (MLIR 22's conversion has f16 fragments only). The
// accumulators go through a workgroup f32 tile to the SIMT epilogue, so
// bias, activation, gate and rounding are the SIMT kernel's.
//
//===----------------------------------------------------------------------===//
#include "GroupedGemmGpu.h"
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// A step's rows and depth: 16 x 16 for both instructions.
constexpr int64_t kMmaM = 16, kMmaK = 16;

/// cp.async staging: 16-byte copies of 8 16-bit elements, double-buffered.
constexpr int64_t kCopyElements = 8, kStages = 2;

/// The layout of the cp.async kernel's one workgroup byte buffer: kStages
/// stages of x and the weight tile(s), and after the K loop (aliasing them)
/// the f32 accumulator tile(s).
struct AsyncLayout {
  int64_t xBytes, wBytes, stageBytes, accBytes, totalBytes;
  AsyncLayout(const GemmTile &tile, bool gated) {
    xBytes = tile.bm * tile.bk * 2;
    wBytes = tile.bk * tile.bn * 2;
    stageBytes = xBytes + wBytes * (gated ? 2 : 1);
    accBytes = tile.bm * tile.bn * 4 * (gated ? 2 : 1);
    totalBytes = std::max(kStages * stageBytes, accBytes);
  }
};

/// Whether the weight tile is staged N x K (each column's K elements
/// contiguous): the eoi layout's own, and for MFMA also eio's, whose
/// elements the register staging writes one by one anyway, so that each
/// lane reads its 4 K elements as one vector (K x N would take 4 loads).
/// mma.sync keeps eio's K x N and reads it with ldmatrix .trans.
bool weightStagedNByK(const GemmKernelInputs &in, const GemmTile &tile) {
  return !in.eio || tile.mfma;
}

/// Whether the kernel stages through cp.async: mma.sync chips (MFMA's keep
/// the synchronous staging), 16-byte-aligned rows of x and the weight (In,
/// and the width for eio, multiples of 8) and whole copies per thread.
bool usesAsyncCopies(const GemmKernelInputs &in, const GemmTile &tile) {
  if (tile.mfma)
    return false;
  auto w = cast<MemRefType>(in.g.w.getType());
  int64_t inDim = in.eio ? w.getDimSize(1) : w.getDimSize(2);
  int64_t outDim = in.eio ? w.getDimSize(2) : w.getDimSize(1);
  int64_t width = in.gated ? outDim / 2 : outDim;
  int64_t threads = (tile.bm / tile.wm) * (tile.bn / tile.wn) * 32;
  int64_t chunks = tile.bk * tile.bn / kCopyElements;
  return !ShapedType::isDynamic(inDim) && !ShapedType::isDynamic(outDim) &&
         inDim % kCopyElements == 0 && width % kCopyElements == 0 &&
         tile.bk % kCopyElements == 0 && tile.bn % kCopyElements == 0 &&
         (tile.bm * tile.bk / kCopyElements) % threads == 0 &&
         chunks % threads == 0;
}

class MmaKernel {
public:
  MmaKernel(LoopEmitter &k, const GemmKernelInputs &in, const GemmTile &tile)
      : k(k), b(k.b), loc(k.loc), in(in), tile(tile),
        f16(b.getF16Type()), f32(b.getF32Type()),
        stepN(tile.mfma ? 16 : 8), lanes(tile.mfma ? 64 : 32),
        async(usesAsyncCopies(in, tile)), layout(tile, in.gated) {}

  /// The block's body, inside the launch.
  void emit(gpu::LaunchOp launch) {
    ValueRange shared = launch.getWorkgroupAttributions();
    if (async) {
      bytes = shared[0];
    } else {
      tileX = shared[0];
      tileW = shared[1];
      tileUp = in.gated ? Value(shared[2]) : Value();
      tileAcc = shared[in.gated ? 3 : 2];
      tileAccUp = in.gated ? Value(shared[4]) : Value();
    }
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
      SmallVector<Value> acc = async ? accumulatePipelined() : accumulate();
      if (async) {
        // The stages are free (the K loop ends at a barrier).
        tileAcc = view(k.index(0), {tile.bm, tile.bn}, f32);
        if (in.gated)
          tileAccUp = view(k.index(tile.bm * tile.bn * 4),
                           {tile.bm, tile.bn}, f32);
      }
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

  /// The warp's accumulators, zero: 16 x N vectors (piece (i, j) at
  /// i * piecesN + j, the up half after).
  SmallVector<Value> zeroAccumulators() {
    auto accType = VectorType::get({kMmaM, stepN}, f32);
    Value zero =
        arith::ConstantOp::create(b, loc, accType, b.getZeroAttr(accType));
    return SmallVector<Value>(pieces(), zero);
  }

  /// The K loop: stage, then contract; the accumulators are loop-carried.
  SmallVector<Value> accumulate() {
    SmallVector<Value> init = zeroAccumulators();
    Value kTiles =
        arith::CeilDivUIOp::create(b, loc, in.g.in, k.index(tile.bk));
    return k.forLoop(
        k.index(0), kTiles, init,
        [&](Value kt, ValueRange carried) -> SmallVector<Value> {
          Value k0 = arith::MulIOp::create(b, loc, kt, k.index(tile.bk));
          stage(k0);
          gpu::BarrierOp::create(b, loc);
          SmallVector<Value> acc = contractTile(carried);
          // The next K tile overwrites workgroup memory.
          gpu::BarrierOp::create(b, loc);
          return acc;
        });
  }

  /// The warp's products of the staged K tile (tileX, tileW, tileUp).
  SmallVector<Value> contractTile(ValueRange carried) {
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
    return acc;
  }

  /// The K loop with cp.async double buffering: K tile kt + 1 is copied into
  /// the other stage while the warps contract tile kt. Each iteration
  /// commits one group (past the last tile its copies read nothing and
  /// zero-fill a stage no one reads) and waits for all but it. After the
  /// loop every copy has landed before the accumulators reuse the bytes.
  SmallVector<Value> accumulatePipelined() {
    SmallVector<Value> init = zeroAccumulators();
    Value kTiles =
        arith::CeilDivUIOp::create(b, loc, in.g.in, k.index(tile.bk));
    nvgpu::DeviceAsyncCreateGroupOp::create(
        b, loc, tokenType(), issueStage(k.index(0), k.index(0), kTiles));
    SmallVector<Value> acc = k.forLoop(
        k.index(0), kTiles, init,
        [&](Value kt, ValueRange carried) -> SmallVector<Value> {
          Value next = arith::AddIOp::create(b, loc, kt, k.index(1));
          Value group = nvgpu::DeviceAsyncCreateGroupOp::create(
              b, loc, tokenType(),
              issueStage(next,
                         arith::RemUIOp::create(b, loc, next, k.index(kStages)),
                         kTiles));
          nvgpu::DeviceAsyncWaitOp::create(b, loc, group,
                                           b.getI32IntegerAttr(1));
          gpu::BarrierOp::create(b, loc);
          Value stage = arith::RemUIOp::create(b, loc, kt, k.index(kStages));
          Value base = stageBase(stage);
          tileX = view(base, {tile.bm, tile.bk}, f16);
          tileW = view(arith::AddIOp::create(b, loc, base,
                                             k.index(layout.xBytes)),
                       weightShape(), f16);
          if (in.gated)
            tileUp = view(arith::AddIOp::create(
                              b, loc, base,
                              k.index(layout.xBytes + layout.wBytes)),
                          weightShape(), f16);
          SmallVector<Value> acc = contractTile(carried);
          // The next iteration's copies overwrite this stage.
          gpu::BarrierOp::create(b, loc);
          return acc;
        });
    Value last = nvgpu::DeviceAsyncCreateGroupOp::create(b, loc, tokenType(),
                                                         ValueRange{});
    nvgpu::DeviceAsyncWaitOp::create(b, loc, last, b.getI32IntegerAttr(0));
    gpu::BarrierOp::create(b, loc);
    return acc;
  }

  Type tokenType() { return nvgpu::DeviceAsyncTokenType::get(b.getContext()); }

  SmallVector<int64_t> weightShape() const {
    return weightStagedNByK(in, tile) ? SmallVector<int64_t>{tile.bn, tile.bk}
                                      : SmallVector<int64_t>{tile.bk, tile.bn};
  }

  Value stageBase(Value stage) {
    return arith::MulIOp::create(b, loc, stage, k.index(layout.stageBytes));
  }

  /// A `shape` view of `element` of the workgroup bytes from `byteShift`.
  Value view(Value byteShift, ArrayRef<int64_t> shape, Type element) {
    auto type = MemRefType::get(
        shape, element, MemRefLayoutAttrInterface(),
        gpu::AddressSpaceAttr::get(b.getContext(),
                                   gpu::AddressSpace::Workgroup));
    return memref::ViewOp::create(b, loc, type, bytes, byteShift, ValueRange{});
  }

  /// min(max(limit - start, 0), 8): the elements of a copy that lie before
  /// `limit`.
  Value copyCount(Value start, Value limit) {
    Value left = arith::SubIOp::create(
        b, loc, arith::MaxUIOp::create(b, loc, limit, start), start);
    return arith::MinUIOp::create(b, loc, left, k.index(kCopyElements));
  }

  /// cp.async of K tile `kt` (nothing read when kt >= kTiles) into stage
  /// `stage`, in the element type of x and the weights: each thread copies
  /// 16-byte pieces of x's rows and of the weight's contiguous dim, the
  /// source cut at the tile's rows, In and the width (the rest zero); a
  /// piece that reads nothing reads from element 0.
  SmallVector<Value> issueStage(Value kt, Value stage, Value kTiles) {
    const int64_t bk = tile.bk, bn = tile.bn, n = threads();
    Type element = in.g.element;
    Value k0 = arith::MulIOp::create(b, loc, kt, k.index(bk));
    Value live = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, kt,
                                       kTiles);
    Value zero = k.index(0);
    auto gate = [&](Value count, Value extra) -> Value {
      Value ok = extra ? arith::AndIOp::create(b, loc, live, extra).getResult()
                       : live;
      return arith::SelectOp::create(b, loc, ok, count, zero);
    };
    auto orZero = [&](Value count, Value index) -> Value {
      Value reads = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                          count, zero);
      return arith::SelectOp::create(b, loc, reads, index, zero);
    };
    Value base = stageBase(stage);
    SmallVector<Value> tokens;
    auto copy = [&](Value dst, ValueRange dstAt, Value src,
                    ArrayRef<Value> srcAt, Value count) {
      SmallVector<Value> at;
      for (Value index : srcAt)
        at.push_back(orZero(count, index));
      tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
          b, loc, tokenType(), dst, dstAt, src, at,
          b.getIndexAttr(kCopyElements), count, b.getUnitAttr()));
    };
    // x: bm rows of bk / 8 pieces.
    Value xTile = view(base, {tile.bm, bk}, element);
    int64_t xPieces = bk / kCopyElements;
    for (int64_t s = 0; s < tile.bm * xPieces / n; ++s) {
      Value idx = arith::AddIOp::create(b, loc, thread, k.index(s * n));
      Value r = arith::DivUIOp::create(b, loc, idx, k.index(xPieces));
      Value kk = arith::MulIOp::create(
          b, loc, arith::RemUIOp::create(b, loc, idx, k.index(xPieces)),
          k.index(kCopyElements));
      Value row = arith::AddIOp::create(b, loc, rows.begin, r);
      Value column = arith::AddIOp::create(b, loc, k0, kk);
      Value inRows =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row,
                                rows.end);
      Value xRow = row;
      if (in.g.gatherRows) {
        // Row r reads token rows[r] / K; an empty row reads nothing.
        Value safeRow = arith::SelectOp::create(b, loc, inRows, row, zero);
        Value pair = k.load(in.g.gatherRows, {safeRow});
        Value pairs = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                                 in.gatherPairs);
        inRows = arith::AndIOp::create(b, loc, inRows,
                                       k.inRange(pair, k.i32(0), pairs));
        xRow = arith::DivUIOp::create(b, loc, k.toIndex(pair), in.gatherK);
      }
      Value count = gate(copyCount(column, in.g.in), inRows);
      copy(xTile, ValueRange{r, kk}, in.g.x, {xRow, column}, count);
    }
    // The weight tile(s): pieces along Out (eio) or In (eoi).
    Value wTile = view(arith::AddIOp::create(b, loc, base,
                                             k.index(layout.xBytes)),
                       weightShape(), element);
    Value upTile =
        in.gated ? view(arith::AddIOp::create(
                            b, loc, base,
                            k.index(layout.xBytes + layout.wBytes)),
                        weightShape(), element)
                 : Value();
    int64_t contiguous = in.eio ? bn : bk;
    int64_t wPieces = contiguous / kCopyElements;
    for (int64_t s = 0; s < bk * bn / kCopyElements / n; ++s) {
      Value idx = arith::AddIOp::create(b, loc, thread, k.index(s * n));
      Value outer = arith::DivUIOp::create(b, loc, idx, k.index(wPieces));
      Value inner = arith::MulIOp::create(
          b, loc, arith::RemUIOp::create(b, loc, idx, k.index(wPieces)),
          k.index(kCopyElements));
      // eio: outer along K, inner along the columns; eoi: the other way.
      Value kk = in.eio ? outer : inner, c = in.eio ? inner : outer;
      Value reduction = arith::AddIOp::create(b, loc, k0, kk);
      Value column = arith::AddIOp::create(b, loc, firstColumn, c);
      Value count, upCount;
      auto at = [&](Value o) -> SmallVector<Value> {
        return in.eio ? SmallVector<Value>{rows.expert, reduction, o}
                      : SmallVector<Value>{rows.expert, o, reduction};
      };
      if (in.eio) {
        Value inK = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                          reduction, in.g.in);
        count = gate(copyCount(column, in.g.width), inK);
      } else {
        Value inWidth = arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::ult, column, in.g.width);
        count = gate(copyCount(reduction, in.g.in), inWidth);
      }
      copy(wTile, ValueRange{outer, inner}, in.g.w, at(column), count);
      if (in.gated) {
        Value upColumn = arith::AddIOp::create(b, loc, column, in.g.width);
        copy(upTile, ValueRange{outer, inner}, in.g.w, at(upColumn), count);
      }
    }
    return tokens;
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
      SmallVector<Value> at = weightStagedNByK(in, tile)
                                  ? SmallVector<Value>{e.c, e.kk}
                                  : SmallVector<Value>{e.kk, e.c};
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
  /// plain read of an N x K tile, a transposed one of K x N.
  Value readW(Value tileWeight, int64_t j, int64_t step) {
    Value column =
        arith::AddIOp::create(b, loc, warpColumn, k.index(j * stepN));
    Value pad = arith::ConstantOp::create(b, loc, f16, b.getZeroAttr(f16));
    auto type = VectorType::get({stepN, kMmaK}, f16);
    if (weightStagedNByK(in, tile))
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
  bool async;
  AsyncLayout layout;
  Value bytes; // cp.async: the one workgroup byte buffer
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
      weightStagedNByK(in, tile) ? SmallVector<int64_t>{tile.bn, tile.bk}
                                 : SmallVector<int64_t>{tile.bk, tile.bn};
  SmallVector<MemRefType> shared;
  if (usesAsyncCopies(in, tile)) {
    shared.push_back(workgroupMemRef(
        {AsyncLayout(tile, in.gated).totalBytes}, b.getI8Type()));
  } else {
    shared = {workgroupMemRef({tile.bm, tile.bk}, f16),
              workgroupMemRef(weightShape, f16)};
    if (in.gated)
      shared.push_back(workgroupMemRef(weightShape, f16));
    shared.push_back(workgroupMemRef({tile.bm, tile.bn}, f32));
    if (in.gated)
      shared.push_back(workgroupMemRef({tile.bm, tile.bn}, f32));
  }
  int64_t threads =
      (tile.bm / tile.wm) * (tile.bn / tile.wn) * (tile.mfma ? 64 : 32);
  launchKernel(em, "grouped_gemm", rowTiles, columnTiles, threads, 1, shared,
               [&](gpu::LaunchOp launch) {
                 LoopEmitter k(b, em.loc);
                 MmaKernel(k, in, tile).emit(launch);
               });
}
