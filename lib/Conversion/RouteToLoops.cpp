//===- RouteToLoops.cpp - moe.route and moe.balance_loss to loops ---------===//
//
// Both follow the scalar reference (lib/Reference) operation by operation, so
// f32 results agree to rounding of exp: the same max, the same summation
// order, the same strict comparisons (lower index wins ties).
//
//===----------------------------------------------------------------------===//
#include "LowerOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

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

void mlir::moe::emitIdsCheck(LoopEmitter &em, ContractRecorder &checks,
                             StringRef opName, Value ids,
                             int64_t numExperts) {
  if (!checks.enabled())
    return;
  Value tokens = em.dim(ids, 0), k = em.dim(ids, 1);
  em.forLoop(em.index(0), tokens, [&](Value t) {
    em.forLoop(em.index(0), k, [&](Value slot) {
      Value id = em.load(ids, {t, slot});
      Value violated = em.outOfRange(id, em.i32(0), em.i32(numExperts));
      checks.check(em, violated, {opName.str(), "ids_range", "ids", 2}, t,
                   slot, id, em.i64(numExperts));
    });
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

SmallVector<Value> mlir::moe::lowerRoute(RouteOp op, LoopEmitter &em,
                                         ContractRecorder &checks) {
  OpBuilder &b = em.b;
  Value logits = em.toBuffer(op.getLogits());
  Value bias = op.getBias() ? em.toBuffer(op.getBias()) : Value();
  int64_t k = op.getK();
  int64_t groups = op.getGroups();
  Value tokens = em.dim(logits, 0);
  Value numExperts = em.dim(logits, 1);
  Type f32 = b.getF32Type(), i8 = b.getI8Type();

  int64_t staticExperts = cast<MemRefType>(logits.getType()).getDimSize(1);
  SmallVector<Value> expertSizes;
  if (ShapedType::isDynamic(staticExperts))
    expertSizes.push_back(numExperts);
  RouteScratch scratch;
  scratch.scores = em.alloc({staticExperts}, f32, expertSizes);
  scratch.selection = em.alloc({staticExperts}, f32, expertSizes);
  scratch.excluded = em.alloc({staticExperts}, i8, expertSizes);
  scratch.groupScores = em.alloc({groups}, f32, {});
  scratch.groupTaken = em.alloc({groups}, i8, {});
  Value ids = em.alloc({ShapedType::kDynamic, k}, b.getI32Type(), {tokens});
  Value weights = em.alloc({ShapedType::kDynamic, k}, f32, {tokens});

  // With a dynamic E the verifier could not check 1 <= k <= E: an empty
  // expert dimension leaves zeros instead of reading out of bounds.
  Value rowsToRoute = tokens;
  if (ShapedType::isDynamic(staticExperts)) {
    em.fill(ids, em.i32(0));
    em.fill(weights, em.f32(0.0));
    Value empty = cmpi(em, arith::CmpIPredicate::eq, numExperts, em.index(0));
    rowsToRoute = select(em, empty, em.index(0), tokens);
  }
  em.forLoop(em.index(0), rowsToRoute, [&](Value t) {
    emitRouteRow(op, em, checks, logits, bias, t, scratch, ids, weights);
  });
  return {em.toTensor(ids), em.toTensor(weights)};
}

SmallVector<Value> mlir::moe::lowerBalanceLoss(BalanceLossOp op,
                                               LoopEmitter &em,
                                               ContractRecorder &checks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value logits = em.toBuffer(op.getLogits());
  Value ids = em.toBuffer(op.getIds());
  Value tokens = em.dim(logits, 0);
  Value numExperts = em.dim(logits, 1);
  Value k = em.dim(ids, 1);
  int64_t staticExperts = cast<MemRefType>(logits.getType()).getDimSize(1);
  SmallVector<Value> expertSizes;
  if (ShapedType::isDynamic(staticExperts))
    expertSizes.push_back(numExperts);
  Type f32 = b.getF32Type();
  Value routed = em.alloc({staticExperts}, b.getI64Type(), expertSizes);
  Value probabilitySum = em.alloc({staticExperts}, f32, expertSizes);
  Value probabilities = em.alloc({staticExperts}, f32, expertSizes);
  em.fill(routed, em.i64(0));
  em.fill(probabilitySum, em.f32(0.0));

  // Out-of-range ids count for no expert; with static E they are reported.
  if (!ShapedType::isDynamic(staticExperts))
    emitIdsCheck(em, checks, "moe.balance_loss", ids, staticExperts);
  Value numExpertsI32 =
      arith::IndexCastOp::create(b, loc, b.getI32Type(), numExperts);
  em.forLoop(em.index(0), tokens, [&](Value t) {
    em.forLoop(em.index(0), k, [&](Value slot) {
      Value id = em.load(ids, {t, slot});
      em.ifThen(em.inRange(id, em.i32(0), numExpertsI32), [&] {
        Value e = em.toIndex(id);
        Value count = em.load(routed, {e});
        em.store(arith::AddIOp::create(b, loc, count, em.i64(1)), routed, {e});
      });
    });
    emitSoftmaxRow(em, logits, t, numExperts, probabilities);
    em.forLoop(em.index(0), numExperts, [&](Value e) {
      Value sum = arith::AddFOp::create(b, loc, em.load(probabilitySum, {e}),
                                        em.load(probabilities, {e}));
      em.store(sum, probabilitySum, {e});
    });
  });

  Value pairs = arith::MulIOp::create(b, loc, tokens, k);
  Value pairsF = em.toF32(pairs), tokensF = em.toF32(tokens);
  Value sum = em.forLoop(
      em.index(0), numExperts, {em.f32(0.0)},
      [&](Value e, ValueRange carried) -> SmallVector<Value> {
        Value fraction = arith::DivFOp::create(
            b, loc, em.toF32(em.load(routed, {e})), pairsF);
        Value mean = arith::DivFOp::create(
            b, loc, em.load(probabilitySum, {e}), tokensF);
        Value product = arith::MulFOp::create(b, loc, fraction, mean);
        return {arith::AddFOp::create(b, loc, carried[0], product)};
      })[0];
  Value loss = arith::MulFOp::create(b, loc, em.toF32(numExperts), sum);
  Value empty = arith::OrIOp::create(
      b, loc,
      cmpi(em, arith::CmpIPredicate::eq, tokens, em.index(0)),
      cmpi(em, arith::CmpIPredicate::eq, pairs, em.index(0)));
  loss = select(em, empty, em.f32(0.0), loss);
  Value result = em.alloc({}, f32, {});
  em.store(loss, result, {});
  return {em.toTensor(result)};
}
