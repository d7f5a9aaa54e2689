//===- TokenOrderToLoops.cpp - permute, dispatch, unpermute to loops ------===//
//
// Deterministic by construction: a counting sort in pair order (permute), a
// first-come capacity fill in pair order (dispatch) and a combine that sums
// each token's K slots in k order (unpermute). No atomics, no data-dependent
// order.
//
//===----------------------------------------------------------------------===//
#include "DispatchCapacity.h"
#include "LowerOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

/// Copies row `from` of `source` [*, H] into row `to` of `target` [*, H].
static void copyRow(LoopEmitter &em, Value source, Value from, Value target,
                    Value to) {
  Value hidden = em.dim(source, 1);
  em.forLoop(em.index(0), hidden, [&](Value h) {
    em.store(em.load(source, {from, h}), target, {to, h});
  });
}

/// Calls `body(t, slot, p, id)` for every pair p = t·K + slot in pair order.
static void forEachPair(LoopEmitter &em, Value ids,
                        function_ref<void(Value, Value, Value, Value)> body) {
  Value tokens = em.dim(ids, 0), k = em.dim(ids, 1);
  em.forLoop(em.index(0), tokens, [&](Value t) {
    em.forLoop(em.index(0), k, [&](Value slot) {
      Value base = arith::MulIOp::create(em.b, em.loc, t, k);
      Value pair = arith::AddIOp::create(em.b, em.loc, base, slot);
      body(t, slot, pair, em.load(ids, {t, slot}));
    });
  });
}

SmallVector<Value> mlir::moe::lowerPermute(PermuteOp op, LoopEmitter &em,
                                           ContractRecorder &checks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t numExperts = op.getNumExperts();
  Value x = em.toBuffer(op.getX());
  Value ids = em.toBuffer(op.getIds());
  Value pairs = arith::MulIOp::create(b, loc, em.dim(ids, 0), em.dim(ids, 1));
  Type i32 = b.getI32Type();
  auto xType = cast<MemRefType>(x.getType());
  // After moe-fuse the grouped GEMM gathers the token rows itself and the
  // permuted copy is not made (xp is then empty).
  bool materialize = !op.getXp().use_empty();
  SmallVector<Value> xpSizes{materialize ? pairs : em.index(0)};
  if (xType.isDynamicDim(1))
    xpSizes.push_back(em.dim(x, 1));
  Value xp = em.alloc({ShapedType::kDynamic, xType.getDimSize(1)},
                      xType.getElementType(), xpSizes);
  Value offsets = em.alloc({numExperts + 1}, i32, {});
  Value rows = em.alloc({ShapedType::kDynamic}, i32, {pairs});
  Value cursor = em.alloc({numExperts}, i32, {});
  em.fill(cursor, em.i32(0));

  emitIdsCheck(em, checks, "moe.permute", ids, numExperts);
  Value experts = em.i32(numExperts);
  forEachPair(em, ids, [&](Value, Value, Value, Value id) {
    em.ifThen(em.inRange(id, em.i32(0), experts), [&] {
      Value e = em.toIndex(id);
      Value count = em.load(cursor, {e});
      em.store(arith::AddIOp::create(b, loc, count, em.i32(1)), cursor, {e});
    });
  });
  // Exclusive scan: offsets[e] = pairs routed below e; the cursors restart there.
  em.store(em.i32(0), offsets, {em.index(0)});
  em.forLoop(em.index(0), em.index(numExperts), [&](Value e) {
    Value start = em.load(offsets, {e});
    Value next = arith::AddIOp::create(b, loc, start, em.load(cursor, {e}));
    em.store(next, offsets, {arith::AddIOp::create(b, loc, e, em.index(1))});
    em.store(start, cursor, {e});
  });
  forEachPair(em, ids, [&](Value t, Value, Value pair, Value id) {
    em.ifThen(em.inRange(id, em.i32(0), experts), [&] {
      Value e = em.toIndex(id);
      Value row = em.load(cursor, {e});
      em.store(arith::AddIOp::create(b, loc, row, em.i32(1)), cursor, {e});
      Value r = em.toIndex(row);
      em.store(arith::IndexCastOp::create(b, loc, i32, pair), rows, {r});
      if (materialize)
        copyRow(em, x, t, xp, r);
    });
  });
  // Pairs with an invalid id (a reported violation) leave rows at the end.
  Value routed = em.toIndex(em.load(offsets, {em.index(numExperts)}));
  Value zero = arith::ConstantOp::create(
      b, loc, xType.getElementType(),
      b.getFloatAttr(xType.getElementType(), 0.0));
  em.forLoop(routed, pairs, [&](Value r) {
    em.store(em.i32(-1), rows, {r});
    if (materialize)
      em.forLoop(em.index(0), em.dim(x, 1),
                 [&](Value h) { em.store(zero, xp, {r, h}); });
  });
  return {em.toTensor(xp), em.toTensor(offsets), em.toTensor(rows)};
}

SmallVector<Value> mlir::moe::lowerDispatch(DispatchOp op, LoopEmitter &em,
                                            ContractRecorder &checks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t numExperts = op.getNumExperts();
  Value x = em.toBuffer(op.getX());
  Value ids = em.toBuffer(op.getIds());
  Type i32 = b.getI32Type();
  auto xType = cast<MemRefType>(x.getType());

  DispatchCapacity rowsOf = DispatchCapacity::create(op, em, checks);
  Value capacity = rowsOf.capacity;
  int64_t staticRows = rowsOf.staticRows;
  ArrayRef<Value> rowSizes = rowsOf.rowSizes;
  SmallVector<Value> xpSizes(rowSizes);
  if (xType.isDynamicDim(1))
    xpSizes.push_back(em.dim(x, 1));
  Value xp = em.alloc({staticRows, xType.getDimSize(1)},
                      xType.getElementType(), xpSizes);
  Value counts = em.alloc({numExperts}, i32, {});
  Value rows = em.alloc({staticRows}, i32, rowSizes);
  em.fill(counts, em.i32(0));
  em.fill(rows, em.i32(-1));
  // Unused after moe-fuse (the GEMM gathers): left unwritten.
  bool materialize = !op.getXp().use_empty();
  if (materialize)
    em.fill(xp, arith::ConstantOp::create(
                    b, loc, xType.getElementType(),
                    b.getFloatAttr(xType.getElementType(), 0.0)));

  emitIdsCheck(em, checks, "moe.dispatch", ids, numExperts);
  Value experts = em.i32(numExperts);
  Value capacityI32 = arith::IndexCastOp::create(b, loc, i32, capacity);
  forEachPair(em, ids, [&](Value t, Value, Value pair, Value id) {
    em.ifThen(em.inRange(id, em.i32(0), experts), [&] {
      Value e = em.toIndex(id);
      Value count = em.load(counts, {e});
      Value room = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                         count, capacityI32);
      em.ifThen(room, [&] {
        Value base = arith::MulIOp::create(b, loc, e, capacity);
        Value r = arith::AddIOp::create(b, loc, base, em.toIndex(count));
        em.store(arith::IndexCastOp::create(b, loc, i32, pair), rows, {r});
        if (materialize)
          copyRow(em, x, t, xp, r);
        em.store(arith::AddIOp::create(b, loc, count, em.i32(1)), counts, {e});
      });
    });
  });
  return {em.toTensor(xp), em.toTensor(counts), em.toTensor(rows)};
}

Value mlir::moe::emitCombine(LoopEmitter &em, ContractRecorder &checks,
                             StringRef opName, StringRef rowsName, Value y,
                             Value rows, Value weights, Type outElement) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Type i32 = b.getI32Type();
  Value tokens = em.dim(weights, 0), k = em.dim(weights, 1);
  Value pairs = arith::MulIOp::create(b, loc, tokens, k);
  Value numRows = em.dim(rows, 0);
  Value hidden = em.dim(y, 1);
  int64_t staticHidden = cast<MemRefType>(y.getType()).getDimSize(1);
  SmallVector<Value> hiddenSizes;
  if (ShapedType::isDynamic(staticHidden))
    hiddenSizes.push_back(hidden);

  // holder[p] = the first row holding pair p, -1 when none.
  Value holder = em.alloc({ShapedType::kDynamic}, i32, {pairs});
  em.fill(holder, em.i32(-1));
  Value pairsI32 = arith::IndexCastOp::create(b, loc, i32, pairs);
  em.forLoop(em.index(0), numRows, [&](Value r) {
    Value pair = em.load(rows, {r});
    Value violated = em.outOfRange(pair, em.i32(-1), pairsI32);
    checks.check(em, violated, {opName.str(), "rows_range", rowsName.str(), 1},
                 r, Value(), pair, pairs);
    em.ifThen(em.inRange(pair, em.i32(0), pairsI32), [&] {
      Value p = em.toIndex(pair);
      Value unclaimed = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::slt, em.load(holder, {p}), em.i32(0));
      em.ifThen(unclaimed, [&] {
        em.store(arith::IndexCastOp::create(b, loc, i32, r), holder, {p});
      });
    });
  });

  Value out = em.alloc({ShapedType::kDynamic, staticHidden}, outElement,
                       [&] {
                         SmallVector<Value> sizes{tokens};
                         sizes.append(hiddenSizes);
                         return sizes;
                       }());
  // Tokens are independent: each sums its own pairs in k order into its own
  // output row, so they run in parallel with the same bits.
  em.parallelLoop(em.index(0), tokens, [&](Value t) {
    Value acc = em.alloc({staticHidden}, b.getF32Type(), hiddenSizes);
    em.fill(acc, em.f32(0.0));
    em.forLoop(em.index(0), k, [&](Value slot) {
      Value base = arith::MulIOp::create(b, loc, t, k);
      Value pair = arith::AddIOp::create(b, loc, base, slot);
      Value row = em.load(holder, {pair});
      Value held = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge,
                                         row, em.i32(0));
      em.ifThen(held, [&] {
        Value r = em.toIndex(row);
        Value weight = em.load(weights, {t, slot});
        em.forLoop(em.index(0), hidden, [&](Value h) {
          Value term =
              arith::MulFOp::create(b, loc, weight, em.loadF32(y, {r, h}));
          em.store(arith::AddFOp::create(b, loc, em.load(acc, {h}), term), acc,
                   {h});
        });
      });
    });
    em.forLoop(em.index(0), hidden, [&](Value h) {
      em.storeRounded(em.load(acc, {h}), out, {t, h});
    });
  });
  return out;
}

SmallVector<Value> mlir::moe::lowerUnpermute(UnpermuteOp op, LoopEmitter &em,
                                             ContractRecorder &checks) {
  Value y = em.toBuffer(op.getY());
  Value rows = em.toBuffer(op.getRows());
  Value weights = em.toBuffer(op.getWeights());
  Type element = cast<MemRefType>(y.getType()).getElementType();
  return {em.toTensor(
      emitCombine(em, checks, "moe.unpermute", "rows", y, rows, weights,
                  element))};
}
