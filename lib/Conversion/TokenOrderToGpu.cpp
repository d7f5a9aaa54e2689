//===- TokenOrderToGpu.cpp - moe.permute and moe.dispatch as GPU kernels --===//
//
// A pair's place in its expert is its rank among the earlier pairs routed to
// that expert, so both ops are count -> exclusive scan -> scatter with no
// atomics and no order that depends on thread timing:
//   1. ranking: block c loads the ids of pairs [c·B, (c+1)·B) into workgroup
//      memory; each thread counts the earlier pairs of its chunk with its id
//      (its rank in the chunk) and the chunk's pairs per expert;
//   2. scan: one thread per expert turns the per-chunk counts into the number
//      of its pairs in earlier chunks, and their total;
//   3. scatter: a pair's rank in its expert is the two added.
// permute places the pair at offsets[e] + rank (a stable counting sort),
// dispatch at e·C + rank when rank < C (first come, first kept). The rows of
// x are then copied one thread per element. Invalid ids route nowhere.
//
//===----------------------------------------------------------------------===//
#include "DispatchCapacity.h"
#include "GpuKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Pairs ranked per block in step 1.
constexpr int64_t kChunk = kFlatBlock;

struct PairRanks {
  Value chunkRank; // [N] i32: rank among the earlier pairs of its chunk
  Value chunkBase; // [chunks, E] i32: pairs routed to e in earlier chunks
  Value totals;    // [E] i32: pairs routed to e
};

Value cmpi(OpBuilder &b, Location loc, arith::CmpIPredicate predicate,
           Value lhs, Value rhs) {
  return arith::CmpIOp::create(b, loc, predicate, lhs, rhs);
}

/// The id of pair p of `ids` [T, K], or -1 when it is not in [0, E).
Value pairExpert(LoopEmitter &em, Value ids, Value pair, int64_t numExperts) {
  Value k = em.dim(ids, 1);
  Value t = arith::DivUIOp::create(em.b, em.loc, pair, k);
  Value slot = arith::RemUIOp::create(em.b, em.loc, pair, k);
  Value id = em.load(ids, {t, slot});
  Value valid = em.inRange(id, em.i32(0), em.i32(numExperts));
  return arith::SelectOp::create(em.b, em.loc, valid, id, em.i32(-1));
}

/// Counts the entries of `chunk` [kChunk] in [0, end) equal to `id`.
Value countEqual(LoopEmitter &em, Value chunk, Value end, Value id) {
  return em.forLoop(em.index(0), end, {em.i32(0)},
                    [&](Value j, ValueRange carried) -> SmallVector<Value> {
                      Value same = cmpi(em.b, em.loc, arith::CmpIPredicate::eq,
                                        em.load(chunk, {j}), id);
                      Value one = arith::ExtUIOp::create(
                          em.b, em.loc, em.b.getI32Type(), same);
                      return {arith::AddIOp::create(em.b, em.loc, carried[0],
                                                    one)};
                    })[0];
}

PairRanks emitPairRanks(LoopEmitter &em, StringRef opName, Value ids,
                        Value pairs, int64_t numExperts) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  Type i32 = b.getI32Type();
  Value chunks = arith::CeilDivUIOp::create(b, loc, pairs, em.index(kChunk));
  PairRanks ranks;
  ranks.chunkRank = em.alloc({ShapedType::kDynamic}, i32, {pairs});
  ranks.chunkBase = em.alloc({ShapedType::kDynamic, numExperts}, i32, {chunks});
  ranks.totals = em.alloc({numExperts}, i32, {});

  Value any = cmpi(b, loc, arith::CmpIPredicate::sgt, pairs, em.index(0));
  em.ifThen(any, [&] {
    launchKernel(
        em, (opName + "_rank").str(), chunks, em.index(1), kChunk, 1,
        {workgroupMemRef({kChunk}, i32)},
        [&](gpu::LaunchOp launch) {
          LoopEmitter kernel(b, loc);
          Value chunk = launch.getWorkgroupAttributions()[0];
          Value lane = launch.getThreadIds().x;
          Value c = launch.getBlockIds().x;
          Value first = arith::MulIOp::create(b, loc, c, kernel.index(kChunk));
          Value pair = arith::AddIOp::create(b, loc, first, lane);
          Value inside = cmpi(b, loc, arith::CmpIPredicate::ult, pair, pairs);
          Value id = kernel.ifThenElse(
              i32, inside,
              [&] { return pairExpert(kernel, ids, pair, numExperts); },
              [&] { return kernel.i32(-1); });
          kernel.store(id, chunk, {lane});
          gpu::BarrierOp::create(b, loc);

          Value routed = cmpi(b, loc, arith::CmpIPredicate::sge, id,
                              kernel.i32(0));
          kernel.ifThen(routed, [&] {
            kernel.store(countEqual(kernel, chunk, lane, id), ranks.chunkRank,
                         {pair});
          });
          // Experts lane, lane + B, ...: this chunk's pairs of each.
          int64_t rounds = (numExperts + kChunk - 1) / kChunk;
          kernel.forLoop(kernel.index(0), kernel.index(rounds), [&](Value i) {
            Value e = arith::AddIOp::create(
                b, loc, lane,
                arith::MulIOp::create(b, loc, i, kernel.index(kChunk)));
            Value expert = cmpi(b, loc, arith::CmpIPredicate::ult, e,
                                kernel.index(numExperts));
            kernel.ifThen(expert, [&] {
              Value eI32 = arith::IndexCastOp::create(b, loc, i32, e);
              Value count =
                  countEqual(kernel, chunk, kernel.index(kChunk), eI32);
              kernel.store(count, ranks.chunkBase, {c, e});
            });
          });
        });
  });

  launchFlat(em, (opName + "_scan").str(), em.index(numExperts),
             [&](LoopEmitter &kernel, Value e) {
    Value total = kernel.forLoop(
        kernel.index(0), chunks, {kernel.i32(0)},
        [&](Value c, ValueRange carried) -> SmallVector<Value> {
          Value count = kernel.load(ranks.chunkBase, {c, e});
          kernel.store(carried[0], ranks.chunkBase, {c, e});
          return {arith::AddIOp::create(kernel.b, loc, carried[0], count)};
        })[0];
    kernel.store(total, ranks.totals, {e});
  });
  return ranks;
}

/// Calls `body(kernel, pair, expert, rank)` for every pair with a valid id,
/// one thread per pair; `rank` (i32) is its place among its expert's pairs.
/// `other(kernel, pair)` runs in every thread (null: nothing).
void scatterPairs(LoopEmitter &em, StringRef opName, Value ids, Value pairs, int64_t numExperts,
                  const PairRanks &ranks,
                  function_ref<void(LoopEmitter &, Value, Value, Value)> body,
                  function_ref<void(LoopEmitter &, Value)> other = nullptr) {
  launchFlat(em, (opName + "_scatter").str(), pairs,
             [&](LoopEmitter &kernel, Value pair) {
    OpBuilder &kb = kernel.b;
    Value id = pairExpert(kernel, ids, pair, numExperts);
    Value routed = cmpi(kb, kernel.loc, arith::CmpIPredicate::sge, id,
                        kernel.i32(0));
    kernel.ifThen(routed, [&] {
      Value e = kernel.toIndex(id);
      Value chunk =
          arith::DivUIOp::create(kb, kernel.loc, pair, kernel.index(kChunk));
      Value rank = arith::AddIOp::create(
          kb, kernel.loc, kernel.load(ranks.chunkBase, {chunk, e}),
          kernel.load(ranks.chunkRank, {pair}));
      body(kernel, pair, e, rank);
    });
    if (other)
      other(kernel, pair);
  });
}

/// xp[r] = x[rows[r] / K], zero where rows[r] < 0; one thread per element.
void gatherRows(LoopEmitter &em, StringRef opName, Value x, Value rows, Value k, Value xp) {
  Value numRows = em.dim(xp, 0), hidden = em.dim(xp, 1);
  Type element = cast<MemRefType>(xp.getType()).getElementType();
  Value elements = arith::MulIOp::create(em.b, em.loc, numRows, hidden);
  launchFlat(em, (opName + "_gather").str(), elements,
             [&](LoopEmitter &kernel, Value i) {
    OpBuilder &kb = kernel.b;
    Location loc = kernel.loc;
    Value r = arith::DivUIOp::create(kb, loc, i, hidden);
    Value h = arith::RemUIOp::create(kb, loc, i, hidden);
    Value pair = kernel.load(rows, {r});
    Value held = cmpi(kb, loc, arith::CmpIPredicate::sge, pair, kernel.i32(0));
    // Two stores rather than one of a merged value: a bf16 value merged
    // across blocks makes x86 code call __truncsfbf2 (emulator builds).
    kernel.ifThen(held, [&] {
      Value t = arith::DivUIOp::create(kb, loc, kernel.toIndex(pair), k);
      kernel.store(kernel.load(x, {t, h}), xp, {r, h});
    });
    kernel.ifThen(kernel.negate(held), [&] {
      Value zero = arith::ConstantOp::create(kb, loc, element,
                                             kb.getFloatAttr(element, 0.0));
      kernel.store(zero, xp, {r, h});
    });
  });
}

} // namespace

FailureOr<SmallVector<Value>>
mlir::moe::lowerPermuteToGpu(PermuteOp op, LoopEmitter &em,
                             GpuContractChecks &checks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t numExperts = op.getNumExperts();
  Value x = em.toBuffer(op.getX());
  Value ids = em.toBuffer(op.getIds());
  Value k = em.dim(ids, 1);
  Value pairs = arith::MulIOp::create(b, loc, em.dim(ids, 0), k);
  Type i32 = b.getI32Type();
  auto xType = cast<MemRefType>(x.getType());

  checkIdsOnGpu(em, checks, "moe.permute", "permute_ids", ids, numExperts);
  PairRanks ranks = emitPairRanks(em, "permute", ids, pairs, numExperts);
  Value offsets = em.alloc({numExperts + 1}, i32, {});
  launchSingle(em, "permute_offsets", [&](LoopEmitter &kernel) {
    kernel.store(kernel.i32(0), offsets, {kernel.index(0)});
    kernel.forLoop(kernel.index(0), kernel.index(numExperts), [&](Value e) {
      Value next = arith::AddIOp::create(b, loc, kernel.load(offsets, {e}),
                                         kernel.load(ranks.totals, {e}));
      kernel.store(next, offsets,
                   {arith::AddIOp::create(b, loc, e, kernel.index(1))});
    });
  });

  Value rows = em.alloc({ShapedType::kDynamic}, i32, {pairs});
  scatterPairs(
      em, "permute", ids, pairs, numExperts, ranks,
      [&](LoopEmitter &kernel, Value pair, Value e, Value rank) {
        Value row =
            arith::AddIOp::create(kernel.b, loc, kernel.load(offsets, {e}),
                                  rank);
        kernel.store(arith::IndexCastOp::create(kernel.b, loc, i32, pair),
                     rows, {kernel.toIndex(row)});
      },
      [&](LoopEmitter &kernel, Value pair) {
        // Rows past the routed pairs (pairs with an invalid id) hold none;
        // the scatter writes only rows below offsets[E].
        Value routed = kernel.toIndex(
            kernel.load(offsets, {kernel.index(numExperts)}));
        Value spare = cmpi(kernel.b, loc, arith::CmpIPredicate::uge, pair,
                           routed);
        kernel.ifThen(spare,
                      [&] { kernel.store(kernel.i32(-1), rows, {pair}); });
      });

  SmallVector<Value> xpSizes{pairs};
  if (xType.isDynamicDim(1))
    xpSizes.push_back(em.dim(x, 1));
  Value xp = em.alloc({ShapedType::kDynamic, xType.getDimSize(1)},
                      xType.getElementType(), xpSizes);
  gatherRows(em, "permute", x, rows, k, xp);
  return SmallVector<Value>{em.toTensor(xp), em.toTensor(offsets),
                            em.toTensor(rows)};
}

FailureOr<SmallVector<Value>>
mlir::moe::lowerDispatchToGpu(DispatchOp op, LoopEmitter &em,
                              GpuContractChecks &checks) {
  OpBuilder &b = em.b;
  Location loc = em.loc;
  int64_t numExperts = op.getNumExperts();
  Value x = em.toBuffer(op.getX());
  Value ids = em.toBuffer(op.getIds());
  Value k = em.dim(ids, 1);
  Value pairs = arith::MulIOp::create(b, loc, em.dim(ids, 0), k);
  Type i32 = b.getI32Type();
  auto xType = cast<MemRefType>(x.getType());

  if (!op.getCapacity() && checks.enabled()) {
    Value requested = op.getDynamicCapacity();
    checks.check(em, {"moe.dispatch", "capacity", "capacity", 0},
                 "dispatch_capacity", em.index(1),
                 [&](LoopEmitter &kl, Value) {
                   Value tooSmall = arith::CmpIOp::create(
                       kl.b, loc, arith::CmpIPredicate::slt, requested,
                       kl.index(1));
                   return ContractProbe{tooSmall, Value(), Value(), requested,
                                        Value()};
                 });
  }
  SmallVector<ContractSite> noSites;
  ContractRecorder recordedAbove(Value(), noSites);
  DispatchCapacity rowsOf = DispatchCapacity::create(op, em, recordedAbove);
  Value capacity = rowsOf.capacity;
  int64_t staticRows = rowsOf.staticRows;
  ArrayRef<Value> rowSizes = rowsOf.rowSizes;
  Value numRows = rowsOf.numRows(em);
  Value capacityI32 = arith::IndexCastOp::create(b, loc, i32, capacity);

  checkIdsOnGpu(em, checks, "moe.dispatch", "dispatch_ids", ids, numExperts);
  PairRanks ranks = emitPairRanks(em, "dispatch", ids, pairs, numExperts);
  Value counts = em.alloc({numExperts}, i32, {});
  launchFlat(em, "dispatch_counts", em.index(numExperts),
             [&](LoopEmitter &kernel, Value e) {
    Value kept = arith::MinSIOp::create(
        kernel.b, loc, kernel.load(ranks.totals, {e}), capacityI32);
    kernel.store(kept, counts, {e});
  });

  // Rows no pair fills: -1. They are exactly those the scatter skips.
  Value rows = em.alloc({staticRows}, i32, rowSizes);
  launchFlat(em, "dispatch_unfilled", numRows,
             [&](LoopEmitter &kernel, Value r) {
    OpBuilder &kb = kernel.b;
    Value e = arith::DivUIOp::create(kb, loc, r, capacity);
    Value j = arith::RemUIOp::create(kb, loc, r, capacity);
    Value total = kernel.toIndex(kernel.load(ranks.totals, {e}));
    Value empty = cmpi(kb, loc, arith::CmpIPredicate::uge, j, total);
    kernel.ifThen(empty, [&] { kernel.store(kernel.i32(-1), rows, {r}); });
  });
  scatterPairs(em, "dispatch", ids, pairs, numExperts, ranks,
               [&](LoopEmitter &kernel, Value pair, Value e, Value rank) {
                 OpBuilder &kb = kernel.b;
                 Value room = cmpi(kb, loc, arith::CmpIPredicate::slt, rank,
                                   capacityI32);
                 kernel.ifThen(room, [&] {
                   Value base = arith::MulIOp::create(kb, loc, e, capacity);
                   Value r = arith::AddIOp::create(kb, loc, base,
                                                   kernel.toIndex(rank));
                   kernel.store(arith::IndexCastOp::create(kb, loc, i32, pair),
                                rows, {r});
                 });
               });

  SmallVector<Value> xpSizes(rowSizes);
  if (xType.isDynamicDim(1))
    xpSizes.push_back(em.dim(x, 1));
  Value xp = em.alloc({staticRows, xType.getDimSize(1)},
                      xType.getElementType(), xpSizes);
  gatherRows(em, "dispatch", x, rows, k, xp);
  return SmallVector<Value>{em.toTensor(xp), em.toTensor(counts),
                            em.toTensor(rows)};
}
