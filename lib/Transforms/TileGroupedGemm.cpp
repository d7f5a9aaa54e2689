//===- TileGroupedGemm.cpp - moe-tile -------------------------------------===//
//
// moe.grouped_gemm on tensors, in destination-passing style, becomes an
// scf.forall over (row tile, column tile) whose body is linalg on slices:
//
//   y = fill(0)                                  rows owned by no expert stay 0
//   scf.forall (t, c) in (row tiles, W / BN) shared_outs(y) {
//     e, r0, n = segment walk(t)                 expert and rows of row tile t
//     a  = gather x rows r0 .. r0+n  -> [n rounded up to MR, In] f32
//     g  = linalg.matmul(a, W_e[:, c*BN : +BN])   f32, {moe.micro_tile}
//     u  = linalg.matmul(a, W_e[:, I + c*BN : +BN])            (gated)
//     y[r0 : r0+n, c*BN : +BN] = epilogue(g, u, bias)  act, gate, rounding
//   }
//
// The row tiles are counted at run time from the segments (an expert with n
// rows has ceil(n / BM) of them), so the forall has exactly as many row tiles
// as hold rows and one compiled kernel serves every T. Segments are clamped
// the way the loop lowering clamps them (offsets into [0, M] and
// non-decreasing, counts into [0, C]), so no input reads out of bounds.
//
// The matmul rows are the tile's rows rounded up to the register tile MR (the
// extra rows repeat the last one and are never stored), so the inner tiling
// of moe-vectorize-tiles sees only whole MR x NR register tiles. Every output
// element is computed by one forall iteration in a fixed order: the result
// bits do not depend on the thread count.
//
// With a `small_tile`, the row tiles of at most its block_m rows (an
// expert's last tile) get a forall of their own with the small tile's
// register tile and column tile, and so do those of at most a
// `medium_tile`'s block_m rows; when that column tile is the whole width,
// gate and up are one matmul over whole weight rows. A width BN does not
// divide gets one more forall for the narrower last column tile. The dense
// linalg.matmul ops tagged `moe.tile` are tiled too (TileDenseMatmul.cpp).
//
//===----------------------------------------------------------------------===//
#include "moe/Transforms/Passes.h"
#include "moe/Transforms/TileGroupedGemm.h"
#include "moe/MoeActivation.h"
#include "moe/MoeOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOETILE
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Scalar index arithmetic at one location.
struct IndexMath {
  OpBuilder &b;
  Location loc;

  Value c(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value max(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value ceilDiv(Value x, Value y) {
    return arith::CeilDivSIOp::create(b, loc, x, y);
  }
  Value clamp(Value x, Value lo, Value hi) { return min(max(x, lo), hi); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value toIndex(Value i32) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32);
  }
  /// Element `i` of a 1-D i32 tensor, as an index.
  Value extract(Value tensor, Value i) {
    return toIndex(tensor::ExtractOp::create(b, loc, tensor, ValueRange{i}));
  }
};

/// A slice of `source` of `type` (rank-reduced where `type` is), unit strides.
Value slice(OpBuilder &b, Location loc, RankedTensorType type, Value source,
            ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, type, source, offsets, sizes,
                                        strides);
}

/// A register tile MR x NR and its k-block Kc (moe.micro_tile).
struct MicroTile {
  int64_t rows = 0, columns = 0, depth = 0;

  static MicroTile of(TileAttr tile) {
    return {tile.getThreadM(), tile.getThreadN(), tile.getBlockK()};
  }
  /// The same tile for a column tile of `width` columns: NR the largest
  /// divisor of the width that is at most NR.
  MicroTile narrowedTo(int64_t width) const {
    MicroTile narrow = *this;
    narrow.columns = std::min(columns, width);
    while (width % narrow.columns)
      --narrow.columns;
    return narrow;
  }
};

/// Which row tiles a forall runs: all (no small or medium tile); an
/// expert's last tile when it has at most small_tile.block_m rows (Small),
/// or more but at most medium_tile.block_m (Medium); or the others.
enum class RowTiles { All, Small, Medium, Large };

/// What the tiled form of one grouped GEMM is built from.
class GroupedGemmTiler {
public:
  GroupedGemmTiler(GroupedGemmOp op, TileAttr tile, OpBuilder &b)
      : op(op), tile(tile), b(b), loc(op.getLoc()), m{b, loc} {}

  Value build();

private:
  /// The rows [begin, end) of expert `e`, clamped after `previousEnd`.
  std::pair<Value, Value> segment(Value e, Value previousEnd);
  /// Expert `e`'s rows from `begin` on and its row tiles of `kind`: the
  /// number of them, and for tile `t` (counted over all experts, `base`
  /// being the count before e) whether it is e's, its first row and rows.
  struct ExpertTiles {
    Value end, count, inside, firstRow, rows;
  };
  ExpertTiles expertTiles(Value e, Value previousEnd, RowTiles kind, Value t,
                          Value base);
  /// The number of row tiles of `kind` over all experts.
  Value countRowTiles(RowTiles kind);
  /// The expert, first row and row count of row tile `t` of `kind`.
  std::tuple<Value, Value, Value> walk(Value t, RowTiles kind);
  /// The tile's rows of x (gathered) in a [BM, In] tile, written up to
  /// `paddedRows` (whole MR register tiles).
  Value gatherRows(Value firstRow, Value count, Value paddedRows);
  /// x-tile · W_e[:, column : +columns] in f32.
  Value matmul(Value a, Value e, Value column, int64_t columns);
  /// The gate (and up) products of the tile's rows with register tile
  /// `micro`, in [BM, BN] f32 accumulators.
  std::pair<Value, Value> products(Value e, Value firstRow, Value count,
                                   Value column);
  /// A [BN] slice of the bias row of expert `e`.
  Value biasSlice(Value e, Value column);

  GroupedGemmOp op;
  TileAttr tile;
  OpBuilder &b;
  Location loc;
  IndexMath m;

  /// The forall over the column tiles of one width.
  Value buildColumnTiles(Value y, RowTiles kind, Value rowTiles,
                         int64_t firstColumn, int64_t numColumnTiles);
  /// The foralls of the row tiles of `kind` (register tile `micro`, column
  /// tile `columns`): whole column tiles, then a narrower last one.
  Value buildRowTiles(Value y, RowTiles kind, MicroTile micro,
                      int64_t columns);

  bool eio = true, gated = false;
  int64_t numExperts = 0, in = 0, width = 0;
  Value rowsSource, numRows;
  /// The tile being built: at most BM rows, BN columns, register tile.
  int64_t blockM = 0, blockN = 0;
  MicroTile micro;
  bool amx = false;
};

std::pair<Value, Value> GroupedGemmTiler::segment(Value e, Value previousEnd) {
  Value segments = op.getSegments();
  if (op.getSegmentKind() == SegmentKind::Offsets) {
    Value begin = m.clamp(m.extract(segments, e), previousEnd, numRows);
    Value end =
        m.clamp(m.extract(segments, m.add(e, m.c(1))), begin, numRows);
    return {begin, end};
  }
  Value capacity = arith::DivUIOp::create(b, loc, numRows, m.c(numExperts));
  Value begin = m.mul(e, capacity);
  Value count = m.clamp(m.extract(segments, e), m.c(0), capacity);
  return {begin, m.add(begin, count)};
}

GroupedGemmTiler::ExpertTiles
GroupedGemmTiler::expertTiles(Value e, Value previousEnd, RowTiles kind,
                              Value t, Value base) {
  Value tileRows = m.c(tile.getBlockM());
  auto [begin, end] = segment(e, previousEnd);
  Value rows = m.sub(end, begin);
  Value tiles = m.ceilDiv(rows, tileRows);
  Value count = tiles;
  // The last tile's rows decide its class: small up to small.block_m rows,
  // medium up to medium.block_m, else large.
  Value lastFirst = m.mul(m.max(m.sub(tiles, m.c(1)), m.c(0)), tileRows);
  Value lastRows = m.sub(rows, lastFirst);
  bool lastOnly = kind == RowTiles::Small || kind == RowTiles::Medium;
  if (kind != RowTiles::All) {
    auto both = [&](Value lhs, Value rhs) {
      return arith::AndIOp::create(b, loc, lhs, rhs).getResult();
    };
    auto atMost = [&](TileAttr rowTile) {
      return m.cmp(arith::CmpIPredicate::sle, lastRows,
                   m.c(rowTile.getBlockM()));
    };
    TileAttr small = op.getSmallTileAttr(), medium = op.getMediumTileAttr();
    Value last = m.cmp(arith::CmpIPredicate::sgt, tiles, m.c(0));
    if (kind == RowTiles::Small)
      last = both(last, atMost(small));
    else if (kind == RowTiles::Medium)
      last = both(last, small ? both(atMost(medium),
                                     m.cmp(arith::CmpIPredicate::sgt, lastRows,
                                           m.c(small.getBlockM())))
                              : atMost(medium));
    else
      last = both(last, atMost(medium ? medium : small));
    Value lastCount = m.select(last, m.c(1), m.c(0));
    count = lastOnly ? lastCount : m.sub(tiles, lastCount);
  }
  Value next = m.add(base, count);
  Value inside = arith::AndIOp::create(
      b, loc, m.cmp(arith::CmpIPredicate::sge, t, base),
      m.cmp(arith::CmpIPredicate::slt, t, next));
  if (lastOnly)
    return {end, count, inside, m.add(begin, lastFirst), lastRows};
  Value skipped = m.mul(m.select(inside, m.sub(t, base), m.c(0)), tileRows);
  return {end, count, inside, m.add(begin, skipped),
          m.min(tileRows, m.sub(rows, skipped))};
}

Value GroupedGemmTiler::countRowTiles(RowTiles kind) {
  Value zero = m.c(0);
  auto loop = scf::ForOp::create(
      b, loc, zero, m.c(numExperts), m.c(1), ValueRange{zero, zero},
      [&](OpBuilder &nested, Location, Value e, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(nested.getInsertionBlock());
        ExpertTiles tiles = expertTiles(e, carried[0], kind, zero, zero);
        scf::YieldOp::create(
            b, loc, ValueRange{tiles.end, m.add(carried[1], tiles.count)});
      });
  return loop.getResult(1);
}

std::tuple<Value, Value, Value> GroupedGemmTiler::walk(Value t,
                                                       RowTiles kind) {
  Value zero = m.c(0);
  auto loop = scf::ForOp::create(
      b, loc, zero, m.c(numExperts), m.c(1),
      ValueRange{zero, zero, zero, zero, zero},
      [&](OpBuilder &nested, Location, Value e, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(nested.getInsertionBlock());
        ExpertTiles tiles = expertTiles(e, carried[0], kind, t, carried[1]);
        Value inside = tiles.inside;
        scf::YieldOp::create(
            b, loc,
            ValueRange{tiles.end, m.add(carried[1], tiles.count),
                       m.select(inside, e, carried[2]),
                       m.select(inside, tiles.firstRow, carried[3]),
                       m.select(inside, tiles.rows, carried[4])});
      });
  return {loop.getResult(2), loop.getResult(3), loop.getResult(4)};
}

Value GroupedGemmTiler::gatherRows(Value firstRow, Value count,
                                   Value paddedRows) {
  Value x = op.getX();
  Type xElement = cast<RankedTensorType>(x.getType()).getElementType();
  // A [BM, In] tile of which the first `paddedRows` rows are written: the
  // register tiling computes only those (see moe-vectorize-tiles). It holds
  // f32 whatever x's type: 16-bit x is widened once here, not once per
  // register tile and k step, so the micro-kernel's x operand is a plain
  // broadcast load. AMX tiles multiply bf16 x as it is.
  Type element = amx ? xElement : b.getF32Type();
  auto tileType = RankedTensorType::get({blockM, in}, element);
  auto type = RankedTensorType::get({ShapedType::kDynamic, in}, element);
  Value full = tensor::EmptyOp::create(b, loc, tileType.getShape(), element);
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {paddedRows, b.getIndexAttr(in)};
  Value init = slice(b, loc, type, full, offsets, sizes);
  Value lastRow = m.sub(count, m.c(1));
  Value gather = op.getGatherRows();
  std::optional<int64_t> gatherK = op.getGatherK();
  Value tokens;
  if (gather)
    tokens = tensor::DimOp::create(b, loc, x, 0);
  MLIRContext *ctx = b.getContext();
  auto xRowType = RankedTensorType::get({in}, xElement);
  auto rowType = RankedTensorType::get({in}, element);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
  // A row at a time: its source row once, then In elements copied (and
  // widened) by one elementwise op that moe-vectorize-tiles vectorizes.
  auto rows = scf::ForOp::create(
      b, loc, m.c(0), paddedRows, m.c(1), ValueRange{init},
      [&](OpBuilder &nested, Location nestedLoc, Value r, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(nested.getInsertionBlock());
        IndexMath im{b, nestedLoc};
        // Rows past the tile's end repeat its last row: finite values whose
        // results are never stored.
        Value row = im.add(firstRow, im.min(r, lastRow));
        Value token = row, valid;
        if (gather) {
          // Gather form: row r reads x[rows[r] / K]; a pair outside
          // [0, T·K) (-1: an empty padded row) reads zeros, as the loop
          // lowering does.
          Value pair = im.extract(gather, row);
          Value pairs = im.mul(tokens, im.c(*gatherK));
          valid = arith::AndIOp::create(
              b, nestedLoc, im.cmp(arith::CmpIPredicate::sge, pair, im.c(0)),
              im.cmp(arith::CmpIPredicate::slt, pair, pairs));
          token = arith::DivUIOp::create(
              b, nestedLoc, im.select(valid, pair, im.c(0)), im.c(*gatherK));
        }
        SmallVector<OpFoldResult> rowSize = {b.getIndexAttr(1),
                                             b.getIndexAttr(in)};
        Value source = slice(b, nestedLoc, xRowType, x,
                             {token, b.getIndexAttr(0)}, rowSize);
        Value dest = slice(b, nestedLoc, rowType, carried[0],
                           {r, b.getIndexAttr(0)}, rowSize);
        auto copy = linalg::GenericOp::create(
            b, nestedLoc, TypeRange{rowType}, ValueRange{source},
            ValueRange{dest}, ArrayRef{identity, identity},
            ArrayRef{utils::IteratorType::parallel},
            [&](OpBuilder &body, Location bodyLoc, ValueRange args) {
              Value v = args[0];
              if (xElement != element)
                v = arith::ExtFOp::create(body, bodyLoc, element, v);
              if (valid) {
                Value zero = arith::ConstantOp::create(
                    body, bodyLoc, element, body.getFloatAttr(element, 0.0));
                v = arith::SelectOp::create(body, bodyLoc, valid, v, zero);
              }
              linalg::YieldOp::create(body, bodyLoc, v);
            });
        copy->setAttr(kGatherRowAttrName, b.getUnitAttr());
        SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
        Value written = tensor::InsertSliceOp::create(
            b, nestedLoc, copy.getResult(0), carried[0],
            ArrayRef<OpFoldResult>{r, b.getIndexAttr(0)}, rowSize, strides);
        scf::YieldOp::create(b, nestedLoc, written);
      });
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::InsertSliceOp::create(b, loc, rows.getResult(0), full,
                                       offsets, sizes, strides);
}

Value GroupedGemmTiler::matmul(Value a, Value e, Value column,
                               int64_t columns) {
  Value w = op.getW();
  auto wType = cast<RankedTensorType>(w.getType());
  Type element = wType.getElementType();
  Value weights;
  if (eio) {
    // [In, BN] of W_e: rows of the weight are contiguous along Out.
    auto sliceType = RankedTensorType::get({in, columns}, element);
    weights = slice(b, loc, sliceType, w, {e, b.getIndexAttr(0), column},
                    {b.getIndexAttr(1), b.getIndexAttr(in),
                     b.getIndexAttr(columns)});
  } else {
    // eoi: W_e is [Out, In]; the [BN, In] slice is packed to [In, BN] once
    // per tile so the register tiles load contiguous weight rows.
    auto sliceType = RankedTensorType::get({columns, in}, element);
    Value rows = slice(b, loc, sliceType, w, {e, column, b.getIndexAttr(0)},
                       {b.getIndexAttr(1), b.getIndexAttr(columns),
                        b.getIndexAttr(in)});
    Value packed = tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{in, columns},
                                           element);
    weights = linalg::TransposeOp::create(b, loc, rows, packed,
                                          ArrayRef<int64_t>{1, 0})
                  .getResult()[0];
  }
  Type f32 = b.getF32Type();
  auto accType = RankedTensorType::get({blockM, columns}, f32);
  // Accumulator rows one cache line longer than the tile: with weight rows
  // and accumulator rows both a multiple of 2 KiB apart, loads of one and
  // stores to the other would alias in the low address bits and stall.
  Value padded = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{blockM, columns + 16}, f32);
  Value init = slice(b, loc, accType, padded,
                     {b.getIndexAttr(0), b.getIndexAttr(0)},
                     {b.getIndexAttr(blockM), b.getIndexAttr(columns)});
  Value zero = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0.0));
  Value acc =
      linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{init})
          .getResult(0);
  auto product = linalg::MatmulOp::create(b, loc, TypeRange{accType},
                                          ValueRange{a, weights},
                                          ValueRange{acc});
  product->setAttr(kMicroTileAttrName,
                   b.getDenseI64ArrayAttr(
                       {micro.rows, micro.columns, micro.depth}));
  if (amx)
    product->setAttr(kAmxAttrName, b.getUnitAttr());
  return product.getResult(0);
}

Value GroupedGemmTiler::biasSlice(Value e, Value column) {
  Value bias = op.getBias();
  auto type = cast<RankedTensorType>(bias.getType());
  auto sliceType =
      RankedTensorType::get({blockN}, type.getElementType());
  return slice(b, loc, sliceType, bias, {e, column},
               {b.getIndexAttr(1), b.getIndexAttr(blockN)});
}

Value GroupedGemmTiler::build() {
  eio = op.getWeightLayout() == WeightLayout::ExpertInOut;
  gated = op.getGated();
  auto wType = cast<RankedTensorType>(op.getW().getType());
  numExperts = wType.getDimSize(0);
  in = wType.getDimSize(eio ? 1 : 2);
  int64_t out = wType.getDimSize(eio ? 2 : 1);
  width = gated ? out / 2 : out;
  rowsSource = op.getGatherRows() ? op.getGatherRows() : op.getX();
  numRows = tensor::DimOp::create(b, loc, rowsSource, 0);

  auto yType = cast<RankedTensorType>(op.getY().getType());
  Type element = yType.getElementType();
  SmallVector<Value> dynamicSizes;
  if (yType.isDynamicDim(0))
    dynamicSizes.push_back(numRows);
  Value empty = tensor::EmptyOp::create(b, loc, yType, dynamicSizes);
  Value zero =
      arith::ConstantOp::create(b, loc, element, b.getFloatAttr(element, 0.0));
  Value y = linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
                .getResult(0);

  // Large row tiles, then medium and small ones (when the op has those
  // tiles); for each, whole column tiles, then (when BN does not divide the
  // width) one forall for the last, narrower tile: every forall's tiles are
  // static.
  TileAttr small = op.getSmallTileAttr(), medium = op.getMediumTileAttr();
  if (!small && !medium)
    return buildRowTiles(y, RowTiles::All, MicroTile::of(tile),
                         tile.getBlockN());
  y = buildRowTiles(y, RowTiles::Large, MicroTile::of(tile), tile.getBlockN());
  if (medium)
    y = buildRowTiles(y, RowTiles::Medium, MicroTile::of(medium),
                      medium.getBlockN());
  if (small)
    y = buildRowTiles(y, RowTiles::Small, MicroTile::of(small),
                      small.getBlockN());
  return y;
}

Value GroupedGemmTiler::buildRowTiles(Value y, RowTiles kind,
                                      MicroTile registerTile,
                                      int64_t columns) {
  blockM = kind == RowTiles::Small    ? op.getSmallTileAttr().getBlockM()
           : kind == RowTiles::Medium ? op.getMediumTileAttr().getBlockM()
                                      : tile.getBlockM();
  blockN = columns;
  micro = registerTile;
  amx = (kind == RowTiles::All || kind == RowTiles::Large) &&
        usesAmxTiles(op, tile);
  Value rowTiles = countRowTiles(kind);
  int64_t wholeTiles = width / columns;
  if (wholeTiles > 0)
    y = buildColumnTiles(y, kind, rowTiles, 0, wholeTiles);
  if (int64_t tail = width % columns) {
    blockN = tail;
    micro = registerTile.narrowedTo(tail);
    y = buildColumnTiles(y, kind, rowTiles, wholeTiles * columns, 1);
  }
  return y;
}

std::pair<Value, Value> GroupedGemmTiler::products(Value e, Value firstRow,
                                                   Value count, Value column) {
  Value registerRows = m.c(micro.rows);
  Value paddedRows = m.mul(m.ceilDiv(count, registerRows), registerRows);
  Value a = gatherRows(firstRow, count, paddedRows);
  if (gated && blockN == width) {
    // One column tile holds the whole width: gate and up columns together
    // are whole weight rows, multiplied in one pass over them.
    Value both = matmul(a, e, column, 2 * width);
    auto half = RankedTensorType::get({blockM, width}, b.getF32Type());
    auto halfAt = [&](int64_t first) {
      return slice(b, loc, half, both, {b.getIndexAttr(0), b.getIndexAttr(first)},
                   {b.getIndexAttr(blockM), b.getIndexAttr(width)});
    };
    return {halfAt(0), halfAt(width)};
  }
  Value gate = matmul(a, e, column, blockN);
  Value up = gated ? matmul(a, e, m.add(column, m.c(width)), blockN) : Value();
  return {gate, up};
}

Value GroupedGemmTiler::buildColumnTiles(Value y, RowTiles kind,
                                         Value rowTiles, int64_t firstColumn,
                                         int64_t numColumnTiles) {
  Type element = cast<RankedTensorType>(y.getType()).getElementType();
  SmallVector<OpFoldResult> upperBounds = {rowTiles,
                                           b.getIndexAttr(numColumnTiles)};
  auto forall = scf::ForallOp::create(
      b, loc, upperBounds, ValueRange{y}, /*mapping=*/std::nullopt);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(forall.getTerminator());
  Value t = forall.getInductionVar(0);
  Value column = m.add(m.c(firstColumn),
                       m.mul(forall.getInductionVar(1), m.c(blockN)));
  auto [e, firstRow, count] = walk(t, kind);
  auto [gate, up] = products(e, firstRow, count, column);

  // Epilogue on the tile's real rows, written in place into y's slice.
  Type f32 = b.getF32Type();
  auto rowsSlice = [&](Value product) {
    auto type = RankedTensorType::get({ShapedType::kDynamic, blockN}, f32);
    return slice(b, loc, type, product, {b.getIndexAttr(0), b.getIndexAttr(0)},
                 {count, b.getIndexAttr(blockN)});
  };
  Value shared = forall.getRegionIterArgs()[0];
  auto outType = RankedTensorType::get({ShapedType::kDynamic, blockN}, element);
  SmallVector<OpFoldResult> tileOffsets = {firstRow, column};
  SmallVector<OpFoldResult> tileSizes = {count, b.getIndexAttr(blockN)};
  Value outSlice = slice(b, loc, outType, shared, tileOffsets, tileSizes);

  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  AffineMap columnOnly =
      AffineMap::get(2, 0, getAffineDimExpr(1, ctx), ctx);
  SmallVector<Value> inputs = {rowsSlice(gate)};
  SmallVector<AffineMap> maps = {identity};
  if (gated) {
    inputs.push_back(rowsSlice(up));
    maps.push_back(identity);
  }
  bool hasBias = static_cast<bool>(op.getBias());
  if (hasBias) {
    inputs.push_back(biasSlice(e, column));
    maps.push_back(columnOnly);
    if (gated) {
      inputs.push_back(biasSlice(e, m.add(column, m.c(width))));
      maps.push_back(columnOnly);
    }
  }
  maps.push_back(identity);
  Activation activation = op.getActivation();
  auto epilogue = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, inputs, ValueRange{outSlice}, maps,
      ArrayRef{utils::IteratorType::parallel, utils::IteratorType::parallel},
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToStart(nested.getInsertionBlock());
        auto widen = [&](Value v) -> Value {
          if (v.getType() == f32)
            return v;
          return arith::ExtFOp::create(b, nestedLoc, f32, v);
        };
        Value g = args[0];
        Value u = gated ? args[1] : Value();
        if (hasBias) {
          unsigned biasIndex = gated ? 2 : 1;
          g = arith::AddFOp::create(b, nestedLoc, g, widen(args[biasIndex]));
          if (gated)
            u = arith::AddFOp::create(b, nestedLoc, u,
                                      widen(args[biasIndex + 1]));
        }
        Value v = buildActivation(b, nestedLoc, g, activation);
        if (gated)
          v = arith::MulFOp::create(b, nestedLoc, v, u);
        if (element != f32)
          v = arith::TruncFOp::create(b, nestedLoc, element, v);
        linalg::YieldOp::create(b, nestedLoc, v);
      });

  b.setInsertionPointToStart(forall.getTerminator().getBody());
  SmallVector<OpFoldResult> unitStrides(2, b.getIndexAttr(1));
  tensor::ParallelInsertSliceOp::create(b, loc, epilogue.getResult(0), shared,
                                        tileOffsets, tileSizes, unitStrides);
  return forall.getResult(0);
}

} // namespace

LogicalResult mlir::moe::checkTileable(GroupedGemmOp op) {
  TileAttr tile = op.getTileAttr();
  if (!tile)
    return op.emitOpError("has no #moe.tile (run moe-select-tiles)");
  auto wType = cast<RankedTensorType>(op.getW().getType());
  if (!wType.hasStaticShape())
    return op.emitOpError("operand 'w' must have a static shape to be tiled, "
                          "got ")
           << wType;
  if (op.getCombineRows())
    return op.emitOpError(
        "combine form: tile the grouped GEMM and combine with moe.unpermute "
        "(moe-tile does this)");
  return success();
}

GroupedGemmOp mlir::moe::cloneWithoutCombine(OpBuilder &builder,
                                             GroupedGemmOp op) {
  auto plain = cast<GroupedGemmOp>(builder.clone(*op));
  plain.getCombineRowsMutable().clear();
  plain.getCombineWeightsMutable().clear();
  auto yType = cast<RankedTensorType>(op.getY().getType());
  auto rowsType = cast<RankedTensorType>(
      (op.getGatherRows() ? op.getGatherRows() : op.getX()).getType());
  plain.getY().setType(RankedTensorType::get(
      {rowsType.getDimSize(0), yType.getDimSize(1)}, yType.getElementType()));
  return plain;
}

bool mlir::moe::usesAmxTiles(GroupedGemmOp op, TileAttr tile) {
  auto module = op->getParentOfType<ModuleOp>();
  auto target = module ? module->getAttrOfType<TargetAttr>(
                             TargetAttr::getModuleAttrName())
                       : TargetAttr();
  return target && target.getKind() == "cpu" &&
         target.hasFeature("amx-tile") && target.hasFeature("amx-bf16") &&
         op.getWeightLayout() == WeightLayout::ExpertInOut &&
         getElementTypeOrSelf(op.getX().getType()).isBF16() &&
         getElementTypeOrSelf(op.getW().getType()).isBF16() &&
         tile.getThreadM() == 16 && tile.getThreadN() == 16 &&
         tile.getBlockK() % 32 == 0;
}

FailureOr<Value> mlir::moe::tileGroupedGemm(OpBuilder &builder,
                                           GroupedGemmOp op) {
  if (failed(checkTileable(op)))
    return failure();
  GroupedGemmTiler tiler(op, op.getTileAttr(), builder);
  return tiler.build();
}

namespace {

struct MoeTilePass : public mlir::moe::impl::MoeTileBase<MoeTilePass> {
  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> dense;
    getOperation()->walk([&](linalg::MatmulOp op) {
      if (op->hasAttr(kDenseTileAttrName))
        dense.push_back(op);
    });
    IRRewriter denseRewriter(&getContext());
    for (linalg::MatmulOp op : dense) {
      auto tile = op->getAttrOfType<TileAttr>(kDenseTileAttrName);
      if (!tile) {
        op.emitOpError("'") << kDenseTileAttrName << "' must be a #moe.tile";
        return signalPassFailure();
      }
      if (failed(tileDenseMatmul(denseRewriter, op, tile)))
        return signalPassFailure();
    }

    SmallVector<GroupedGemmOp> gemms;
    getOperation()->walk([&](GroupedGemmOp op) { gemms.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (GroupedGemmOp op : gemms) {
      rewriter.setInsertionPoint(op);
      if (!op.getCombineRows()) {
        FailureOr<Value> tiled = tileGroupedGemm(rewriter, op);
        if (failed(tiled))
          return signalPassFailure();
        rewriter.replaceOp(op, *tiled);
        continue;
      }
      // The combine form: the tiled GEMM, then the combine as moe.unpermute
      // (the same sum, in k order).
      GroupedGemmOp plain = cloneWithoutCombine(rewriter, op);
      rewriter.setInsertionPoint(plain);
      FailureOr<Value> tiled = tileGroupedGemm(rewriter, plain);
      if (failed(tiled))
        return signalPassFailure();
      rewriter.eraseOp(plain);
      Value combined = UnpermuteOp::create(rewriter, op.getLoc(),
                                           op.getY().getType(),
                                           *tiled, op.getCombineRows(),
                                           op.getCombineWeights());
      rewriter.replaceOp(op, combined);
    }
  }
};

} // namespace
