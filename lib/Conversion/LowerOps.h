//===- LowerOps.h - moe op lowerings to loops -------------------*- C++ -*-===//
//
// One function per op: each builds the op's loops over memrefs at the op's
// position and returns the tensors that replace its results. What the GPU
// lowering shares with these lives below both (MoeFunctionLowering.h,
// GroupedGemmBuffers.h, RouteMath.h, DispatchCapacity.h); this header is the
// loop lowering's own.
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
