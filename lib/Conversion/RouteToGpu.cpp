//===- RouteToGpu.cpp - moe.route and moe.balance_loss as GPU kernels -----===//
//
// Routing with a static E runs a block per token row: the experts' scores
// are computed in parallel in workgroup memory, each top-k slot is a block
// argmax (larger score, then lower index: the reference's order whatever
// the reduction order), and the order-dependent steps (the softmax sum, the
// group choice, the renormalizing sum) run in one thread in the reference's
// order, so GPU and CPU pick the same experts and weights bit for bit. With
// a dynamic E, one thread per row runs the row code the loop lowering runs
// (emitRouteRow, RouteMath.h) in its own row of [T, E] global work buffers.
// The balance loss reduces over tokens per expert and then over experts in
// one thread, in the reference's order, so it is deterministic.
//
//===----------------------------------------------------------------------===//
#include "GpuKernels.h"
#include "RouteMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

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

namespace {

Value cmpf(OpBuilder &b, Location loc, arith::CmpFPredicate predicate,
           Value lhs, Value rhs) {
  return arith::CmpFOp::create(b, loc, predicate, lhs, rhs);
}

Value cmpi(OpBuilder &b, Location loc, arith::CmpIPredicate predicate,
           Value lhs, Value rhs) {
  return arith::CmpIOp::create(b, loc, predicate, lhs, rhs);
}

/// Threads of the block-per-row route kernel: a power of two (for the tree
/// reductions) near E, at least a warp.
int64_t routeBlockThreads(int64_t numExperts) {
  int64_t threads = 32;
  while (threads < numExperts && threads < 256)
    threads *= 2;
  return threads;
}

/// Reduces (value, index) pairs in `values`/`indices` [B] to slot 0: the
/// larger value wins, the lower index on ties, index -1 (nothing) loses.
void blockArgmax(LoopEmitter &k, Value lane, int64_t threads, Value values,
                 Value indices) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  for (int64_t stride = threads / 2; stride >= 1; stride /= 2) {
    Value active =
        cmpi(b, loc, arith::CmpIPredicate::ult, lane, k.index(stride));
    k.ifThen(active, [&] {
      Value other = arith::AddIOp::create(b, loc, lane, k.index(stride));
      Value myValue = k.load(values, {lane}), myIndex = k.load(indices, {lane});
      Value value = k.load(values, {other}), index = k.load(indices, {other});
      Value otherSome =
          cmpi(b, loc, arith::CmpIPredicate::sge, index, k.i32(0));
      Value mineNone =
          cmpi(b, loc, arith::CmpIPredicate::slt, myIndex, k.i32(0));
      Value greater = cmpf(b, loc, arith::CmpFPredicate::OGT, value, myValue);
      Value tie = arith::AndIOp::create(
          b, loc, cmpf(b, loc, arith::CmpFPredicate::OEQ, value, myValue),
          cmpi(b, loc, arith::CmpIPredicate::slt, index, myIndex));
      Value better = arith::OrIOp::create(
          b, loc, mineNone, arith::OrIOp::create(b, loc, greater, tie));
      Value take = arith::AndIOp::create(b, loc, otherSome, better);
      k.ifThen(take, [&] {
        k.store(value, values, {lane});
        k.store(index, indices, {lane});
      });
    });
    gpu::BarrierOp::create(b, loc);
  }
}

/// Calls `body(e)` for the experts lane, lane + B, ... below E, ascending.
void forMyExperts(LoopEmitter &k, Value lane, int64_t threads,
                  int64_t numExperts, function_ref<void(Value)> body);

/// Folds `body(e, inside, carried)` over the experts lane, lane + B, ...;
/// past E, `inside` is false and `e` is 0 (in bounds, to be ignored).
SmallVector<Value>
foldMyExperts(LoopEmitter &k, Value lane, int64_t threads, int64_t numExperts,
              ValueRange init,
              function_ref<SmallVector<Value>(Value, Value, ValueRange)> body) {
  OpBuilder &b = k.b;
  Location loc = k.loc;
  int64_t rounds = (numExperts + threads - 1) / threads;
  return k.forLoop(
      k.index(0), k.index(rounds), init,
      [&](Value round, ValueRange carried) -> SmallVector<Value> {
        Value e = arith::AddIOp::create(
            b, loc, lane, arith::MulIOp::create(b, loc, round, k.index(threads)));
        Value inside =
            cmpi(b, loc, arith::CmpIPredicate::ult, e, k.index(numExperts));
        Value safe = arith::SelectOp::create(b, loc, inside, e, k.index(0));
        return body(safe, inside, carried);
      });
}

void forMyExperts(LoopEmitter &k, Value lane, int64_t threads,
                  int64_t numExperts, function_ref<void(Value)> body) {
  foldMyExperts(k, lane, threads, numExperts, {},
                [&](Value e, Value inside, ValueRange) -> SmallVector<Value> {
                  k.ifThen(inside, [&] { body(e); });
                  return {};
                });
}

/// One block per token row (static E).
void emitRouteBlocks(RouteOp op, LoopEmitter &em, Value logits, Value bias,
                     Value tokens, int64_t numExperts, Value ids,
                     Value weights) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t k = op.getK();
  int64_t groups = op.getGroups();
  int64_t threads = routeBlockThreads(numExperts);
  Type f32 = b.getF32Type(), i8 = b.getI8Type(), i32 = b.getI32Type();
  SmallVector<MemRefType> shared{
      workgroupMemRef({numExperts}, f32), // scores
      workgroupMemRef({numExperts}, f32), // selection scores
      workgroupMemRef({numExperts}, i8),  // excluded
      workgroupMemRef({threads}, f32),    // reduction values
      workgroupMemRef({threads}, i32),    // reduction indices
      workgroupMemRef({groups}, f32),     // group scores
      workgroupMemRef({groups}, i8),      // groups taken
  };
  Value any = cmpi(b, loc, arith::CmpIPredicate::sgt, tokens, em.index(0));
  em.ifThen(any, [&] {
    launchKernel(em, "route", tokens, em.index(1), threads, 1, shared,
                 [&](gpu::LaunchOp launch) {
      LoopEmitter kl(b, loc);
      ValueRange buffers = launch.getWorkgroupAttributions();
      Value scores = buffers[0], selection = buffers[1],
            excluded = buffers[2], redValues = buffers[3],
            redIndices = buffers[4], groupScores = buffers[5],
            groupTaken = buffers[6];
      Value t = launch.getBlockIds().x, lane = launch.getThreadIds().x;
      Value first = cmpi(b, loc, arith::CmpIPredicate::eq, lane, kl.index(0));
      auto barrier = [&] { gpu::BarrierOp::create(b, loc); };

      if (op.getScoring() == Scoring::Softmax) {
        // The row maximum (exact in any order), then exp(l - max).
        Value localMax = foldMyExperts(
            kl, lane, threads, numExperts,
            {kl.f32(-std::numeric_limits<float>::infinity())},
            [&](Value e, Value inside,
                ValueRange carried) -> SmallVector<Value> {
              Value l = kl.loadF32(logits, {t, e});
              Value less =
                  cmpf(b, loc, arith::CmpFPredicate::OLT, carried[0], l);
              Value take = arith::AndIOp::create(b, loc, inside, less);
              return {arith::SelectOp::create(b, loc, take, l, carried[0])};
            })[0];
        kl.store(localMax, redValues, {lane});
        barrier();
        for (int64_t stride = threads / 2; stride >= 1; stride /= 2) {
          Value active =
              cmpi(b, loc, arith::CmpIPredicate::ult, lane, kl.index(stride));
          kl.ifThen(active, [&] {
            Value other = kl.load(
                redValues,
                {arith::AddIOp::create(b, loc, lane, kl.index(stride))});
            Value mine = kl.load(redValues, {lane});
            Value less = cmpf(b, loc, arith::CmpFPredicate::OLT, mine, other);
            kl.store(arith::SelectOp::create(b, loc, less, other, mine),
                     redValues, {lane});
          });
          barrier();
        }
        Value maximum = kl.load(redValues, {kl.index(0)});
        forMyExperts(kl, lane, threads, numExperts, [&](Value e) {
          Value shifted = arith::SubFOp::create(
              b, loc, kl.loadF32(logits, {t, e}), maximum);
          kl.store(math::ExpOp::create(b, loc, shifted), scores, {e});
        });
        barrier();
        // The sum in expert order, as the reference adds it.
        kl.ifThen(first, [&] {
          Value sum = kl.forLoop(
              kl.index(0), kl.index(numExperts), {kl.f32(0.0)},
              [&](Value e, ValueRange carried) -> SmallVector<Value> {
                return {arith::AddFOp::create(b, loc, carried[0],
                                              kl.load(scores, {e}))};
              })[0];
          kl.store(sum, redValues, {kl.index(0)});
        });
        barrier();
        Value sum = kl.load(redValues, {kl.index(0)});
        forMyExperts(kl, lane, threads, numExperts, [&](Value e) {
          kl.store(arith::DivFOp::create(b, loc, kl.load(scores, {e}), sum),
                   scores, {e});
        });
      } else {
        forMyExperts(kl, lane, threads, numExperts, [&](Value e) {
          Value l = kl.loadF32(logits, {t, e});
          Value exp =
              math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, l));
          Value denominator = arith::AddFOp::create(b, loc, kl.f32(1.0), exp);
          kl.store(arith::DivFOp::create(b, loc, kl.f32(1.0), denominator),
                   scores, {e});
        });
      }
      forMyExperts(kl, lane, threads, numExperts, [&](Value e) {
        Value s = kl.load(scores, {e});
        if (bias)
          s = arith::AddFOp::create(b, loc, s, kl.load(bias, {e}));
        kl.store(s, selection, {e});
        kl.store(arith::ConstantIntOp::create(b, loc, i8, 0), excluded, {e});
      });
      barrier();
      if (groups > 1) {
        kl.ifThen(first, [&] {
          emitGroupExclusion(op, kl, selection, excluded, groupScores,
                             groupTaken, kl.index(numExperts), bool(bias));
        });
        barrier();
      }

      kl.forLoop(kl.index(0), kl.index(k), [&](Value slot) {
        SmallVector<Value> best = foldMyExperts(
            kl, lane, threads, numExperts, {kl.f32(0.0), kl.i32(-1)},
            [&](Value e, Value inside,
                ValueRange carried) -> SmallVector<Value> {
              Value free = cmpi(b, loc, arith::CmpIPredicate::eq,
                                kl.load(excluded, {e}),
                                arith::ConstantIntOp::create(b, loc, i8, 0));
              Value v = kl.load(selection, {e});
              Value none = cmpi(b, loc, arith::CmpIPredicate::slt, carried[1],
                                kl.i32(0));
              Value greater =
                  cmpf(b, loc, arith::CmpFPredicate::OGT, v, carried[0]);
              Value take = arith::AndIOp::create(
                  b, loc, arith::AndIOp::create(b, loc, inside, free),
                  arith::OrIOp::create(b, loc, none, greater));
              Value index = arith::IndexCastOp::create(b, loc, i32, e);
              return {arith::SelectOp::create(b, loc, take, v, carried[0]),
                      arith::SelectOp::create(b, loc, take, index,
                                              carried[1])};
            });
        kl.store(best[0], redValues, {lane});
        kl.store(best[1], redIndices, {lane});
        barrier();
        blockArgmax(kl, lane, threads, redValues, redIndices);
        kl.ifThen(first, [&] {
          Value chosen = kl.load(redIndices, {kl.index(0)});
          // Every expert excluded (K > the experts left) cannot pass the
          // verifier; 0 keeps the index in range regardless.
          Value safe = arith::MaxSIOp::create(b, loc, chosen, kl.i32(0));
          Value e = kl.toIndex(safe);
          kl.store(arith::ConstantIntOp::create(b, loc, i8, 1), excluded, {e});
          kl.store(safe, ids, {t, slot});
          kl.store(kl.load(scores, {e}), weights, {t, slot});
        });
        barrier();
      });
      kl.ifThen(first, [&] {
        Value sum = kl.forLoop(
            kl.index(0), kl.index(k), {kl.f32(0.0)},
            [&](Value slot, ValueRange carried) -> SmallVector<Value> {
              return {arith::AddFOp::create(b, loc, carried[0],
                                            kl.load(weights, {t, slot}))};
            })[0];
        emitWeightScaling(op, kl, weights, t, sum);
      });
    });
  });
}

} // namespace

FailureOr<SmallVector<Value>>
mlir::moe::lowerRouteToGpu(RouteOp op, LoopEmitter &em,
                           GpuContractChecks &checks) {
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

  if (checks.enabled()) {
    Value count = arith::MulIOp::create(b, loc, tokens, numExperts);
    checks.check(
        em, {"moe.route", "finite", "logits", 2}, "route_logits", count,
        [&](LoopEmitter &kl, Value p) {
          Value t = arith::DivUIOp::create(kl.b, loc, p, numExperts);
          Value e = arith::RemUIOp::create(kl.b, loc, p, numExperts);
          Value l = kl.loadF32(logits, {t, e});
          // Unordered or >= inf: NaN or infinite.
          Value notFinite =
              cmpf(kl.b, loc, arith::CmpFPredicate::UGE,
                   math::AbsFOp::create(kl.b, loc, l),
                   kl.f32(std::numeric_limits<float>::infinity()));
          return ContractProbe{notFinite, t, e, l, Value()};
        });
  }
  Value ids = em.alloc({ShapedType::kDynamic, k}, b.getI32Type(), {tokens});
  Value weights = em.alloc({ShapedType::kDynamic, k}, f32, {tokens});
  if (!ShapedType::isDynamic(staticExperts)) {
    emitRouteBlocks(op, em, logits, bias, tokens, staticExperts, ids, weights);
    return SmallVector<Value>{em.toTensor(ids), em.toTensor(weights)};
  }

  Value scores = tokenRows(em, tokens, staticExperts, numExperts, f32);
  Value selection = tokenRows(em, tokens, staticExperts, numExperts, f32);
  Value excluded = tokenRows(em, tokens, staticExperts, numExperts, i8);
  Value groupScores = tokenRows(em, tokens, groups, Value(), f32);
  Value groupTaken = tokenRows(em, tokens, groups, Value(), i8);

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
mlir::moe::lowerBalanceLossToGpu(BalanceLossOp op, LoopEmitter &em,
                                 GpuContractChecks &checks) {
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

  // Out-of-range ids count for no expert; with static E they are reported.
  if (!ShapedType::isDynamic(staticExperts))
    checkIdsOnGpu(em, checks, "moe.balance_loss", "balance_loss_ids", ids,
                  staticExperts);

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
