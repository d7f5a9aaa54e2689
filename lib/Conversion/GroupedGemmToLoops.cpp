//===- GroupedGemmToLoops.cpp - moe.grouped_gemm to loops -----------------===//
//
// A grouped GEMM carrying a #moe.tile only gets its contract checks here and
// stays for moe-tile (the structured path, lib/Transforms). Without a tile,
// one row at a time: the row's f32 accumulator [Out] is built in the order of
// the reference (sum over In ascending), then the epilogue adds the bias,
// applies the activation (and gating) and rounds into y. The eio loop walks
// the weight row by row so its innermost loop is contiguous; both layouts sum
// every output in the same order.
//
//===----------------------------------------------------------------------===//
#include "GroupedGemmBuffers.h"
#include "LowerOps.h"
#include "moe/MoeShapes.h"
#include "moe/MoeActivation.h"
#include "moe/Transforms/TileGroupedGemm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Checks the CSR offsets in the reference's order (start, then each step,
/// then the end) so the first recorded violation is the reference's.
void checkOffsets(LoopEmitter &em, ContractRecorder &checks, Value offsets,
                  Value numExperts, Value numRows) {
  if (!checks.enabled())
    return;
  OpBuilder &b = em.b;
  Location loc = em.loc;
  const char *op = "moe.grouped_gemm";
  Value first = em.load(offsets, {em.index(0)});
  Value nonzero =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, first, em.i32(0));
  checks.check(em, nonzero, {op, "offsets_start", "offsets", 1}, em.index(0),
               Value(), first, Value());
  Value last = numExperts;
  em.forLoop(em.index(1), arith::AddIOp::create(b, loc, last, em.index(1)),
             [&](Value i) {
               Value previous = em.load(
                   offsets, {arith::SubIOp::create(b, loc, i, em.index(1))});
               Value current = em.load(offsets, {i});
               Value decreases = arith::CmpIOp::create(
                   b, loc, arith::CmpIPredicate::slt, current, previous);
               checks.check(em, decreases,
                            {op, "offsets_monotone", "offsets", 1}, i, Value(),
                            current, previous);
             });
  Value end = em.load(offsets, {last});
  Value pastEnd = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                        em.toI64(end), em.toI64(numRows));
  checks.check(em, pastEnd, {op, "offsets_end", "offsets", 1}, last, Value(),
               end, numRows);
}

} // namespace

SmallVector<Value> mlir::moe::lowerGroupedGemm(GroupedGemmOp op,
                                               LoopEmitter &em,
                                               ContractRecorder &checks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  const char *opName = "moe.grouped_gemm";
  bool eio = op.getWeightLayout() == WeightLayout::ExpertInOut;
  bool gated = op.getGated();
  Activation activation = op.getActivation();
  Type i32 = b.getI32Type(), f32 = b.getF32Type();

  GroupedGemmBuffers g = GroupedGemmBuffers::create(op, em);
  Value x = g.x, w = g.w, segments = g.segments, bias = g.bias,
        gatherRows = g.gatherRows;
  Value numExperts = g.numExperts, in = g.in, out = g.out, width = g.width,
        numRows = g.numRows;
  int64_t staticOut = g.staticOut;
  // The tiled kernel needs static weight dims; a tile on others is ignored.
  bool tiled = op.getTileAttr() && hasStaticWeightShape(op.getW().getType());

  // The pairs a gathered row may name: [0, T·K); -1 is an empty padded row.
  Value gatherPairs, gatherK;
  if (gatherRows) {
    gatherK = em.index(*op.getGatherK());
    gatherPairs = arith::MulIOp::create(b, loc, em.dim(x, 0), gatherK);
    if (checks.enabled()) {
      Value pairsI32 = arith::IndexCastOp::create(b, loc, i32, gatherPairs);
      em.forLoop(em.index(0), numRows, [&](Value r) {
        Value pair = em.load(gatherRows, {r});
        Value violated = em.outOfRange(pair, em.i32(-1), pairsI32);
        checks.check(em, violated, {opName, "rows_range", "gather rows", 1}, r,
                     Value(), pair, gatherPairs);
      });
    }
  }

  bool offsets = op.getSegmentKind() == SegmentKind::Offsets;
  Value capacity;
  if (offsets) {
    checkOffsets(em, checks, segments, numExperts, numRows);
  } else {
    capacity = arith::DivUIOp::create(b, loc, numRows, numExperts);
    Value capacityI32 = arith::IndexCastOp::create(b, loc, i32, capacity);
    em.forLoop(em.index(0), numExperts, [&](Value e) {
      Value count = em.load(segments, {e});
      Value violated = em.outOfRange(
          count, em.i32(0),
          arith::AddIOp::create(b, loc, capacityI32, em.i32(1)));
      checks.check(em, violated, {opName, "counts_range", "counts", 1}, e,
                   Value(), count, capacity);
    });
  }

  // A grouped GEMM with a #moe.tile is tiled by moe-tile (structured code
  // generation): it stays, checked, for that pass; in the combine form the
  // combine is done here on its result.
  if (tiled) {
    if (!op.getCombineRows())
      return {op.getY()};
    Value combineRows = em.toBuffer(op.getCombineRows());
    Value combineWeights = em.toBuffer(op.getCombineWeights());
    Value y = em.toBuffer(cloneWithoutCombine(b, op).getY());
    return {em.toTensor(emitCombine(em, checks, opName, "combine rows", y,
                                    combineRows, combineWeights,
                                    g.element))};
  }

  Value y = g.allocResult(em);
  em.fill(y, arith::ConstantOp::create(
                 b, loc, g.element,
                 b.getFloatAttr(g.element, 0.0)));
  SmallVector<Value> outSizes;
  if (ShapedType::isDynamic(staticOut))
    outSizes.push_back(out);
  Value acc = em.alloc({staticOut}, f32, outSizes);

  /// acc = x[source] · W_e (f32, In ascending), or 0 when the row is empty.
  auto accumulate = [&](Value e, Value source, Value valid) {
    em.fill(acc, em.f32(0.0));
    em.ifThen(valid, [&] {
      if (eio) {
        em.forLoop(em.index(0), in, [&](Value i) {
          Value xv = em.loadF32(x, {source, i});
          em.forLoop(em.index(0), out, [&](Value o) {
            Value term =
                arith::MulFOp::create(b, loc, xv, em.loadF32(w, {e, i, o}));
            em.store(arith::AddFOp::create(b, loc, em.load(acc, {o}), term),
                     acc, {o});
          });
        });
        return;
      }
      em.forLoop(em.index(0), out, [&](Value o) {
        Value sum = em.forLoop(
            em.index(0), in, {em.f32(0.0)},
            [&](Value i, ValueRange carried) -> SmallVector<Value> {
              Value term = arith::MulFOp::create(
                  b, loc, em.loadF32(x, {source, i}), em.loadF32(w, {e, o, i}));
              return {arith::AddFOp::create(b, loc, carried[0], term)};
            })[0];
        em.store(sum, acc, {o});
      });
    });
  };

  auto epilogue = [&](Value e, Value r) {
    if (bias)
      em.forLoop(em.index(0), out, [&](Value o) {
        Value sum = arith::AddFOp::create(b, loc, em.load(acc, {o}),
                                          em.loadF32(bias, {e, o}));
        em.store(sum, acc, {o});
      });
    em.forLoop(em.index(0), width, [&](Value o) {
      Value value = buildActivation(b, loc, em.load(acc, {o}), activation);
      if (gated) {
        Value up = em.load(acc, {arith::AddIOp::create(b, loc, o, width)});
        value = arith::MulFOp::create(b, loc, value, up);
      }
      em.storeRounded(value, y, {r, o});
    });
  };

  auto processRow = [&](Value e, Value r) {
    Value source = r;
    Value valid = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
    if (gatherRows) {
      Value pair = em.load(gatherRows, {r});
      Value pairs = arith::IndexCastOp::create(b, loc, i32, gatherPairs);
      valid = em.inRange(pair, em.i32(0), pairs);
      Value safePair = arith::SelectOp::create(b, loc, valid, pair, em.i32(0));
      source = arith::DivUIOp::create(b, loc, em.toIndex(safePair), gatherK);
    }
    accumulate(e, source, valid);
    epilogue(e, r);
  };

  if (offsets) {
    em.forLoop(em.index(0), numExperts, {em.index(0)},
               [&](Value e, ValueRange carried) -> SmallVector<Value> {
                 Value next = arith::AddIOp::create(b, loc, e, em.index(1));
                 Value begin = em.clamp(em.toIndex(em.load(segments, {e})),
                                        carried[0], numRows);
                 Value end = em.clamp(em.toIndex(em.load(segments, {next})),
                                      begin, numRows);
                 em.forLoop(begin, end, [&](Value r) { processRow(e, r); });
                 return {end};
               });
  } else {
    em.forLoop(em.index(0), numExperts, [&](Value e) {
      Value count =
          em.clamp(em.toIndex(em.load(segments, {e})), em.index(0), capacity);
      Value begin = arith::MulIOp::create(b, loc, e, capacity);
      Value end = arith::AddIOp::create(b, loc, begin, count);
      em.forLoop(begin, end, [&](Value r) { processRow(e, r); });
    });
  }

  if (!op.getCombineRows())
    return {em.toTensor(y)};
  Value combineRows = em.toBuffer(op.getCombineRows());
  Value combineWeights = em.toBuffer(op.getCombineWeights());
  return {em.toTensor(emitCombine(em, checks, opName, "combine rows", y,
                                  combineRows, combineWeights,
                                  g.element))};
}
