//===- RouteMath.cpp - moe.route's per-row math, shared -------------------===//
//
// Follows the scalar reference (lib/Reference) operation by operation, so
// f32 results agree to rounding of exp: the same max, the same summation
// order, the same strict comparisons (lower index wins ties).
//
//===----------------------------------------------------------------------===//
#include "RouteMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;

static Value cmpf(LoopEmitter &em, arith::CmpFPredicate predicate, Value lhs,
                  Value rhs) {
  return arith::CmpFOp::create(em.b, em.loc, predicate, lhs, rhs);
}

static Value cmpi(LoopEmitter &em, arith::CmpIPredicate predicate, Value lhs,
                  Value rhs) {
  return arith::CmpIOp::create(em.b, em.loc, predicate, lhs, rhs);
}

static Value select(LoopEmitter &em, Value condition, Value a, Value b) {
  return arith::SelectOp::create(em.b, em.loc, condition, a, b);
}

void mlir::moe::emitSoftmaxRow(LoopEmitter &em, Value logits, Value t,
                               Value numExperts, Value out) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value first = em.loadF32(logits, {t, em.index(0)});
  Value maximum =
      em.forLoop(em.index(1), numExperts, {first},
                 [&](Value e, ValueRange carried) -> SmallVector<Value> {
                   Value l = em.loadF32(logits, {t, e});
                   // std::max(m, l): l only when m < l.
                   Value less = cmpf(em, arith::CmpFPredicate::OLT, carried[0], l);
                   return {select(em, less, l, carried[0])};
                 })[0];
  Value sum =
      em.forLoop(em.index(0), numExperts, {em.f32(0.0)},
                 [&](Value e, ValueRange carried) -> SmallVector<Value> {
                   Value l = em.loadF32(logits, {t, e});
                   Value shifted = arith::SubFOp::create(b, loc, l, maximum);
                   Value exp = math::ExpOp::create(b, loc, shifted);
                   em.store(exp, out, {e});
                   return {arith::AddFOp::create(b, loc, carried[0], exp)};
                 })[0];
  em.forLoop(em.index(0), numExperts, [&](Value e) {
    Value exp = em.load(out, {e});
    em.store(arith::DivFOp::create(b, loc, exp, sum), out, {e});
  });
}

/// The index of the largest `values[i]` with `excluded[i] == 0` among
/// [begin, end), lower index on ties, and that value; `begin` when all are
/// excluded (keeps every index in range).
std::pair<Value, Value> mlir::moe::emitArgmax(LoopEmitter &em, Value values,
                                              Value excluded, Value begin,
                                              Value end) {
  Value none = em.index(-1);
  SmallVector<Value> best = em.forLoop(
      begin, end, {none, em.f32(0.0)},
      [&](Value i, ValueRange carried) -> SmallVector<Value> {
        Value skip = cmpi(em, arith::CmpIPredicate::ne,
                          em.load(excluded, {i}),
                          arith::ConstantIntOp::create(em.b, em.loc,
                                                       em.b.getI8Type(), 0));
        Value v = em.load(values, {i});
        Value noBest = cmpi(em, arith::CmpIPredicate::slt, carried[0],
                            em.index(0));
        Value greater = cmpf(em, arith::CmpFPredicate::OGT, v, carried[1]);
        Value better = arith::OrIOp::create(em.b, em.loc, noBest, greater);
        Value take =
            arith::AndIOp::create(em.b, em.loc, em.negate(skip), better);
        return {select(em, take, i, carried[0]),
                select(em, take, v, carried[1])};
      });
  Value found = cmpi(em, arith::CmpIPredicate::sge, best[0], em.index(0));
  return {select(em, found, best[0], begin), best[1]};
}

void mlir::moe::emitGroupExclusion(RouteOp op, LoopEmitter &em,
                                   Value selection, Value excluded,
                                   Value groupScores, Value groupTaken,
                                   Value numExperts, bool hasBias) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t groups = op.getGroups();
  int64_t groupTopk = op.getGroupTopk();
  Type i8 = b.getI8Type();
  Value zero8 = arith::ConstantIntOp::create(b, loc, i8, 0);
  Value one8 = arith::ConstantIntOp::create(b, loc, i8, 1);
  Value groupSize =
      arith::DivUIOp::create(b, loc, numExperts, em.index(groups));
  em.forLoop(em.index(0), em.index(groups), [&](Value g) {
    Value begin = arith::MulIOp::create(b, loc, g, groupSize);
    Value end = arith::AddIOp::create(b, loc, begin, groupSize);
    auto [firstIndex, firstValue] =
        emitArgmax(em, selection, excluded, begin, end);
    Value score = firstValue;
    if (hasBias) {
      // The two largest; a group of one expert scores with that one.
      em.store(one8, excluded, {firstIndex});
      Value secondValue =
          emitArgmax(em, selection, excluded, begin, end).second;
      em.store(zero8, excluded, {firstIndex});
      Value single =
          cmpi(em, arith::CmpIPredicate::eq, groupSize, em.index(1));
      score = select(em, single, firstValue,
                     arith::AddFOp::create(b, loc, firstValue, secondValue));
    }
    em.store(score, groupScores, {g});
    em.store(zero8, groupTaken, {g});
  });
  em.forLoop(em.index(0), em.index(groupTopk), [&](Value) {
    Value best = emitArgmax(em, groupScores, groupTaken, em.index(0),
                            em.index(groups))
                     .first;
    em.store(one8, groupTaken, {best});
  });
  em.forLoop(em.index(0), numExperts, [&](Value e) {
    Value g = arith::DivUIOp::create(b, loc, e, groupSize);
    Value taken = em.load(groupTaken, {g});
    em.store(arith::XOrIOp::create(b, loc, taken, one8), excluded, {e});
  });
}

void mlir::moe::emitWeightScaling(RouteOp op, LoopEmitter &em, Value weights,
                                  Value t, Value sum) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t k = op.getK();
  float scaling = op.getScaling().convertToFloat();
  bool renormalize = op.getRenormalize();
  if (renormalize || scaling != 1.0f) {
    Value zeroSum = cmpf(em, arith::CmpFPredicate::OEQ, sum, em.f32(0.0));
    em.forLoop(em.index(0), em.index(k), [&](Value slot) {
      Value weight = em.load(weights, {t, slot});
      if (renormalize)
        weight = select(em, zeroSum, em.f32(1.0 / double(k)),
                        arith::DivFOp::create(b, loc, weight, sum));
      if (scaling != 1.0f)
        weight = arith::MulFOp::create(b, loc, weight, em.f32(scaling));
      em.store(weight, weights, {t, slot});
    });
  }
}

void mlir::moe::emitRouteRow(RouteOp op, LoopEmitter &em,
                             ContractRecorder &checks, Value logits, Value bias,
                             Value t, const RouteScratch &scratch, Value ids,
                             Value weights) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t k = op.getK();
  int64_t groups = op.getGroups();
  Value numExperts = em.dim(logits, 1);
  Type i8 = b.getI8Type();
  Value scores = scratch.scores, selection = scratch.selection;
  Value excluded = scratch.excluded;
  Value zero8 = arith::ConstantIntOp::create(b, loc, i8, 0);
  Value one8 = arith::ConstantIntOp::create(b, loc, i8, 1);

  if (checks.enabled()) {
    em.forLoop(em.index(0), numExperts, [&](Value e) {
      Value l = em.loadF32(logits, {t, e});
      Value magnitude = math::AbsFOp::create(b, loc, l);
      // Unordered or >= inf: NaN or infinite.
      Value notFinite = cmpf(em, arith::CmpFPredicate::UGE, magnitude,
                             em.f32(std::numeric_limits<float>::infinity()));
      checks.check(em, notFinite, {"moe.route", "finite", "logits", 2}, t, e,
                   l, Value());
    });
  }
  if (op.getScoring() == Scoring::Softmax) {
    emitSoftmaxRow(em, logits, t, numExperts, scores);
  } else {
    em.forLoop(em.index(0), numExperts, [&](Value e) {
      Value l = em.loadF32(logits, {t, e});
      Value exp = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, l));
      Value denominator = arith::AddFOp::create(b, loc, em.f32(1.0), exp);
      em.store(arith::DivFOp::create(b, loc, em.f32(1.0), denominator), scores,
               {e});
    });
  }
  em.forLoop(em.index(0), numExperts, [&](Value e) {
    Value s = em.load(scores, {e});
    if (bias)
      s = arith::AddFOp::create(b, loc, s, em.load(bias, {e}));
    em.store(s, selection, {e});
    em.store(zero8, excluded, {e});
  });

  if (groups > 1)
    emitGroupExclusion(op, em, selection, excluded, scratch.groupScores,
                       scratch.groupTaken, numExperts, bool(bias));

  Value sum =
      em.forLoop(em.index(0), em.index(k), {em.f32(0.0)},
                 [&](Value slot, ValueRange carried) -> SmallVector<Value> {
                   Value chosen = emitArgmax(em, selection, excluded,
                                             em.index(0), numExperts)
                                      .first;
                   em.store(one8, excluded, {chosen});
                   Value id = arith::IndexCastOp::create(b, loc, b.getI32Type(),
                                                         chosen);
                   em.store(id, ids, {t, slot});
                   Value weight = em.load(scores, {chosen});
                   em.store(weight, weights, {t, slot});
                   return {arith::AddFOp::create(b, loc, carried[0], weight)};
                 })[0];

  emitWeightScaling(op, em, weights, t, sum);
}
