//===- RouteToGpu.cpp - moe.route and moe.balance_loss as GPU kernels -----===//
//
// Routing runs one thread per token row with the scalar row code of the loop
// lowering (emitRouteRow), so GPU and CPU pick the same experts bit for bit;
// each thread works in its own row of [T, E] global work buffers. The
// balance loss reduces over tokens per expert and then over experts in one
// thread, in the reference's order, so it is deterministic.
//
//===----------------------------------------------------------------------===//
#include "GpuKernels.h"
#include "LowerOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// A [T, cols] work buffer with T = `tokens`.
Value tokenRows(LoopEmitter &em, Value tokens, int64_t cols, Value dynamicCols,
                Type element) {
  SmallVector<Value> sizes{tokens};
  if (ShapedType::isDynamic(cols))
    sizes.push_back(dynamicCols);
  return em.alloc({ShapedType::kDynamic, cols}, element, sizes);
}

} // namespace

FailureOr<SmallVector<Value>> mlir::moe::lowerRouteToGpu(RouteOp op,
                                                         LoopEmitter &em) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value logits = em.toBuffer(op.getLogits());
  Value bias = op.getBias() ? em.toBuffer(op.getBias()) : Value();
  int64_t k = op.getK();
  int64_t groups = op.getGroups();
  Value tokens = em.dim(logits, 0);
  Value numExperts = em.dim(logits, 1);
  int64_t staticExperts = cast<MemRefType>(logits.getType()).getDimSize(1);
  Type f32 = b.getF32Type(), i8 = b.getI8Type();

  Value scores = tokenRows(em, tokens, staticExperts, numExperts, f32);
  Value selection = tokenRows(em, tokens, staticExperts, numExperts, f32);
  Value excluded = tokenRows(em, tokens, staticExperts, numExperts, i8);
  Value groupScores = tokenRows(em, tokens, groups, Value(), f32);
  Value groupTaken = tokenRows(em, tokens, groups, Value(), i8);
  Value ids = em.alloc({ShapedType::kDynamic, k}, b.getI32Type(), {tokens});
  Value weights = em.alloc({ShapedType::kDynamic, k}, f32, {tokens});

  SmallVector<ContractSite> noSites;
  ContractRecorder noChecks(Value(), noSites);
  launchFlat(em, "route", tokens, [&](LoopEmitter &kernel, Value t) {
    RouteScratch scratch{rowView(kernel, scores, t),
                         rowView(kernel, selection, t),
                         rowView(kernel, excluded, t),
                         rowView(kernel, groupScores, t),
                         rowView(kernel, groupTaken, t)};
    auto route = [&] {
      emitRouteRow(op, kernel, noChecks, logits, bias, t, scratch, ids,
                   weights);
    };
    if (!ShapedType::isDynamic(staticExperts))
      return route();
    // A dynamic E of 0 passed no verifier: zeros, not reads out of bounds.
    Value empty = arith::CmpIOp::create(kernel.b, loc, arith::CmpIPredicate::eq,
                                        numExperts, kernel.index(0));
    kernel.ifThen(kernel.negate(empty), route);
    kernel.ifThen(empty, [&] {
      kernel.forLoop(kernel.index(0), kernel.index(k), [&](Value slot) {
        kernel.store(kernel.i32(0), ids, {t, slot});
        kernel.store(kernel.f32(0.0), weights, {t, slot});
      });
    });
  });
  return SmallVector<Value>{em.toTensor(ids), em.toTensor(weights)};
}

FailureOr<SmallVector<Value>>
mlir::moe::lowerBalanceLossToGpu(BalanceLossOp op, LoopEmitter &em) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Value logits = em.toBuffer(op.getLogits());
  Value ids = em.toBuffer(op.getIds());
  Value tokens = em.dim(logits, 0);
  Value numExperts = em.dim(logits, 1);
  Value k = em.dim(ids, 1);
  int64_t staticExperts = cast<MemRefType>(logits.getType()).getDimSize(1);
  Type f32 = b.getF32Type(), i32 = b.getI32Type();
  SmallVector<Value> expertSizes;
  if (ShapedType::isDynamic(staticExperts))
    expertSizes.push_back(numExperts);

  // probabilities[t] = softmax(logits[t]), one thread per token.
  Value probabilities = tokenRows(em, tokens, staticExperts, numExperts, f32);
  launchFlat(em, "balance_loss_softmax", tokens,
             [&](LoopEmitter &kernel, Value t) {
    emitSoftmaxRow(kernel, logits, t, numExperts,
                   rowView(kernel, probabilities, t));
  });

  // terms[e] = f_e · P_e, one thread per expert summing over tokens in order.
  Value pairs = arith::MulIOp::create(b, loc, tokens, k);
  Value terms = em.alloc({staticExperts}, f32, expertSizes);
  launchFlat(em, "balance_loss_experts", numExperts,
             [&](LoopEmitter &kernel, Value e) {
    OpBuilder &kb = kernel.b;
    Value expert = arith::IndexCastOp::create(kb, loc, i32, e);
    SmallVector<Value> sums = kernel.forLoop(
        kernel.index(0), tokens, {kernel.i64(0), kernel.f32(0.0)},
        [&](Value t, ValueRange carried) -> SmallVector<Value> {
          Value routed = kernel.forLoop(
              kernel.index(0), k, {carried[0]},
              [&](Value slot, ValueRange count) -> SmallVector<Value> {
                Value mine = arith::CmpIOp::create(
                    kb, loc, arith::CmpIPredicate::eq,
                    kernel.load(ids, {t, slot}), expert);
                Value one = arith::ExtUIOp::create(kb, loc, kb.getI64Type(),
                                                   mine);
                return {arith::AddIOp::create(kb, loc, count[0], one)};
              })[0];
          Value probability = arith::AddFOp::create(
              kb, loc, carried[1], kernel.load(probabilities, {t, e}));
          return {routed, probability};
        });
    Value fraction = arith::DivFOp::create(kb, loc, kernel.toF32(sums[0]),
                                           kernel.toF32(pairs));
    Value mean =
        arith::DivFOp::create(kb, loc, sums[1], kernel.toF32(tokens));
    kernel.store(arith::MulFOp::create(kb, loc, fraction, mean), terms, {e});
  });

  Value result = em.alloc({}, f32, {});
  launchSingle(em, "balance_loss_sum", [&](LoopEmitter &kernel) {
    OpBuilder &kb = kernel.b;
    Value sum = kernel.forLoop(
        kernel.index(0), numExperts, {kernel.f32(0.0)},
        [&](Value e, ValueRange carried) -> SmallVector<Value> {
          return {arith::AddFOp::create(kb, loc, carried[0],
                                        kernel.load(terms, {e}))};
        })[0];
    Value loss =
        arith::MulFOp::create(kb, loc, kernel.toF32(numExperts), sum);
    Value empty = arith::CmpIOp::create(kb, loc, arith::CmpIPredicate::eq,
                                        pairs, kernel.index(0));
    kernel.store(arith::SelectOp::create(kb, loc, empty, kernel.f32(0.0), loss),
                 result, {});
  });
  return SmallVector<Value>{em.toTensor(result)};
}
