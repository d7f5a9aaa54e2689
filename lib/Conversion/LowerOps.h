//===- LowerOps.h - moe op lowerings to loops -------------------*- C++ -*-===//
//
// One function per op: each builds the op's loops over memrefs at the op's
// position and returns the tensors that replace its results.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_LOWEROPS_H
#define MOE_LIB_CONVERSION_LOWEROPS_H

#include "ContractChecks.h"
#include "moe/MoeOps.h"

namespace mlir::moe {

SmallVector<Value> lowerRoute(RouteOp op, LoopEmitter &em,
                              ContractRecorder &checks);
SmallVector<Value> lowerBalanceLoss(BalanceLossOp op, LoopEmitter &em,
                                    ContractRecorder &checks);
SmallVector<Value> lowerPermute(PermuteOp op, LoopEmitter &em,
                                ContractRecorder &checks);
SmallVector<Value> lowerDispatch(DispatchOp op, LoopEmitter &em,
                                 ContractRecorder &checks);
SmallVector<Value> lowerUnpermute(UnpermuteOp op, LoopEmitter &em,
                                  ContractRecorder &checks);
SmallVector<Value> lowerGroupedGemm(GroupedGemmOp op, LoopEmitter &em,
                                    ContractRecorder &checks);
SmallVector<Value> recordShapeViolation(ShapeViolationOp op, LoopEmitter &em,
                                        ContractRecorder &checks);

/// The moe ops under `root` in walk order; an moe.layer (not decomposed) is
/// an error on that op.
LogicalResult collectMoeOps(Operation *root, SmallVectorImpl<Operation *> &ops);

/// Lowers one moe op at `em`'s position: the values replacing its results.
/// `status` is the function's status buffer (null without checks); sites
/// recorded go to `sites`.
using MoeOpLowering = function_ref<FailureOr<SmallVector<Value>>(
    Operation *op, LoopEmitter &em, Value status,
    SmallVectorImpl<ContractSite> &sites)>;

/// Replaces the moe ops of every function of `module` with `lower`'s values.
/// With `checks`, each function holding moe ops gets the status buffer as a
/// new last argument and the module the `moe.contracts` list of the sites.
LogicalResult lowerMoeFunctions(ModuleOp module, bool checks,
                                MoeOpLowering lower);

/// The buffers and sizes of a moe.grouped_gemm, shared by its CPU and GPU
/// lowerings: operands as buffers (bias and gatherRows null when absent),
/// `out` the weight's Out, `width` the result width (Out/2 when gated),
/// `numRows` the rows M of the grouped operand (gather rows, else x).
struct GroupedGemmBuffers {
  Value x, w, segments, bias, gatherRows;
  Value numExperts, in, out, width, numRows;
  int64_t staticOut, staticWidth, staticRows;
  Type element; // x's element type, the result's

  static GroupedGemmBuffers create(GroupedGemmOp op, LoopEmitter &em);
  /// A fresh [M, width] result buffer (not initialized).
  Value allocResult(LoopEmitter &em) const;
};

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

/// The capacity C of a moe.dispatch as an index, and its E·C rows: static
/// when C is, else `rowSizes` holds E·C. A dynamic C below 1 is a contract
/// violation (checked through `checks`); it is clamped at 0, which keeps
/// every buffer empty and valid.
struct DispatchCapacity {
  Value capacity;
  int64_t staticRows;
  SmallVector<Value> rowSizes;

  static DispatchCapacity create(DispatchOp op, LoopEmitter &em,
                                 ContractRecorder &checks);
  Value numRows(LoopEmitter &em) const;
};

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

/// Checks `0 <= ids < numExperts` for every element of `ids` [T, K].
void emitIdsCheck(LoopEmitter &em, ContractRecorder &checks, StringRef opName,
                  Value ids, int64_t numExperts);

/// out [T, H] = Σ_k weights[t, k] · y[row holding pair t·K + k], in k order,
/// accumulated in f32 and rounded to `outElement` (moe.unpermute, and the
/// combine form of moe.grouped_gemm). `rowsName` names `rows` in messages.
Value emitCombine(LoopEmitter &em, ContractRecorder &checks, StringRef opName,
                  StringRef rowsName, Value y, Value rows, Value weights,
                  Type outElement);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_LOWEROPS_H
