//===- RouteMath.h - moe.route's per-row math, shared -----------*- C++ -*-===//
//
// The routing steps of DESIGN.md §4.1 (softmax, group exclusion, top-k by
// argmax, weight scaling) in the reference's order. Both lowerings build
// them: moe-lower-to-loops for every row, moe-lower-to-gpu inside its
// kernels (a thread per row with a dynamic E, the balance loss's softmax),
// so the two pick the same experts and weights bit for bit. They live here,
// below both lowerings, so neither calls into the other (DESIGN.md §2).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_ROUTEMATH_H
#define MOE_LIB_CONVERSION_ROUTEMATH_H

#include "ContractChecks.h"
#include "moe/MoeOps.h"

namespace mlir::moe {

/// Per-row work buffers of moe.route: [E] scores (f32), selection scores
/// (f32), excluded flags (i8); [G] group scores (f32), taken flags (i8).
struct RouteScratch {
  Value scores, selection, excluded, groupScores, groupTaken;
};

/// Routes token row `t` of `logits` [T, E] into row t of `ids` and `weights`
/// [T, K] (DESIGN.md §4.1), E >= 1. `bias` is null when absent.
void emitRouteRow(RouteOp op, LoopEmitter &em, ContractRecorder &checks,
                  Value logits, Value bias, Value t,
                  const RouteScratch &scratch, Value ids, Value weights);

/// The index of the largest `values[i]` with `excluded[i] == 0` (i8) among
/// [begin, end), lower index on ties, and that value; `begin` when all are
/// excluded (keeps every index in range).
std::pair<Value, Value> emitArgmax(LoopEmitter &em, Value values,
                                   Value excluded, Value begin, Value end);

/// moe.route's group step (groups > 1): scores each group of `selection`,
/// keeps the group_topk best and marks every other group's experts in
/// `excluded`. `groupScores` [G] f32 and `groupTaken` [G] i8 are work space.
void emitGroupExclusion(RouteOp op, LoopEmitter &em, Value selection,
                        Value excluded, Value groupScores, Value groupTaken,
                        Value numExperts, bool hasBias);

/// moe.route's last step on row `t` of `weights` [T, K]: renormalize by
/// `sum` (the weights' sum in k order) and multiply by the scaling.
void emitWeightScaling(RouteOp op, LoopEmitter &em, Value weights, Value t,
                       Value sum);

/// softmax of row `t` of `logits` [T, E] into the f32 buffer `out` [E], in the
/// reference's order: max, then exp(l - max) summed in order, then divided.
void emitSoftmaxRow(LoopEmitter &em, Value logits, Value t, Value numExperts,
                    Value out);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_ROUTEMATH_H
