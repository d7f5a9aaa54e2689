//===- RouteToLoops.cpp - moe.route and moe.balance_loss to loops ---------===//
//
// Both follow the scalar reference (lib/Reference) operation by operation
// through the shared routing math (RouteMath.h), so f32 results agree to
// rounding of exp: the same max, the same summation order, the same strict
// comparisons (lower index wins ties).
//
//===----------------------------------------------------------------------===//
#include "LowerOps.h"
#include "RouteMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

static Value cmpi(LoopEmitter &em, arith::CmpIPredicate predicate, Value lhs,
                  Value rhs) {
  return arith::CmpIOp::create(em.b, em.loc, predicate, lhs, rhs);
}

static Value select(LoopEmitter &em, Value condition, Value a, Value b) {
  return arith::SelectOp::create(em.b, em.loc, condition, a, b);
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
