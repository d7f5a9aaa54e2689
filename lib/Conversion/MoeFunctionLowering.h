//===- MoeFunctionLowering.h - replacing the moe ops of functions -*- C++ -*-===//
//
// The walk both moe-lower-to-loops and moe-lower-to-gpu run: find each
// function's moe ops, add the status buffer when checks are on, replace each
// op by what a per-op lowering builds, and record the module's contract
// sites. The passes differ only in the per-op lowering they pass in, so the
// walk lives below both rather than in either (DESIGN.md §2).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_MOEFUNCTIONLOWERING_H
#define MOE_LIB_CONVERSION_MOEFUNCTIONLOWERING_H

#include "ContractChecks.h"

namespace mlir::moe {

/// The moe ops under `root` in walk order; an moe.layer (not decomposed) is
/// an error on that op.
LogicalResult collectMoeOps(Operation *root, SmallVectorImpl<Operation *> &ops);

/// Lowers one moe op at `em`'s position: the values replacing its results.
/// `status` is the function's status buffer (null without checks, and when
/// `contractsProven`: every value contract of the op holds by construction,
/// ContractProofs.h); sites recorded go to `sites`.
using MoeOpLowering = function_ref<FailureOr<SmallVector<Value>>(
    Operation *op, LoopEmitter &em, Value status, bool contractsProven,
    SmallVectorImpl<ContractSite> &sites)>;

/// Replaces the moe ops of every function of `module` with `lower`'s values.
/// With `checks`, each function holding moe ops gets the status buffer as a
/// new last argument and the module the `moe.contracts` list of the sites.
LogicalResult lowerMoeFunctions(ModuleOp module, bool checks,
                                MoeOpLowering lower);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_MOEFUNCTIONLOWERING_H
