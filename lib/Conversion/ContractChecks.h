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

#include <string>

namespace mlir::moe {

struct ContractSite {
  std::string op;     // "moe.permute"
  std::string kind;   // docs/abi.md: ids_range, offsets_start, ...
  std::string tensor; // the operand named in the message
  int64_t rank;       // 2: [i, j], 1: [i], 0: no position
};

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
