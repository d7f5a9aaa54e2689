//===- ContractChecks.h - runtime contract checks in lowered code -*- C++ -*-===//
//
// A check site is one place in a lowering where a runtime contract of
// DESIGN.md §4 is tested. Compiled code records the first violated site in the
// function's status buffer (docs/abi.md); the module's `moe.contracts`
// attribute describes every site so the runtime can word the error.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_CONTRACTCHECKS_H
#define MOE_LIB_CONVERSION_CONTRACTCHECKS_H

#include "LoopEmitter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::moe {

struct ContractSite {
  std::string op;     // "moe.permute"
  std::string kind;   // docs/abi.md: ids_range, offsets_start, ...
  std::string tensor; // the operand named in the message
  int64_t rank;       // 2: [i, j], 1: [i], 0: no position
  // Kind "shape" (moe.shape_violation): the relation and the bound's name
  // (empty for a number); `tensor` is the subject ("ids dim 0").
  std::string contract = {};
  std::string bound = {};
};

/// The function's status buffer argument (`moe.status`), or null.
Value findStatusArgument(func::FuncOp func);

/// Adds the status buffer (memref<6xi64>, `moe.status`) as `func`'s new
/// last argument; an error on `func` when it is called inside `module`
/// (callers would miss the argument).
FailureOr<Value> addStatusArgument(ModuleOp module, func::FuncOp func);

/// Sets the module's `moe.contracts` attribute from `sites`.
void setContractSites(ModuleOp module, ArrayRef<ContractSite> sites);

/// Writes a violation into the status buffer's words 0-4 (docs/abi.md):
/// the site number, the position (i, j: -1 when null), the value (an f32's
/// bits) and the context (0 when null).
void storeViolation(LoopEmitter &em, Value status, int64_t siteNumber,
                    Value i, Value j, Value value, Value context);

/// The contract site of a moe.shape_violation (kind "shape").
ContractSite shapeViolationSite(Operation *shapeViolation);

class ContractRecorder {
public:
  /// `status` is the function's status buffer, or null when checks are off
  /// (then check() emits nothing).
  ContractRecorder(Value status, SmallVectorImpl<ContractSite> &sites)
      : status(status), sites(sites) {}

  bool enabled() const { return bool(status); }

  /// When `violated` holds and no earlier violation was recorded, records this
  /// site, the position (i, j: -1 when absent), the value and the context.
  /// Integer operands of any width; `value` of kind `finite` is an f32 whose
  /// bits are recorded.
  void check(LoopEmitter &em, Value violated, const ContractSite &site,
             Value i, Value j, Value value, Value context);

private:
  Value status;
  SmallVectorImpl<ContractSite> &sites;
};

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_CONTRACTCHECKS_H
