//===- GpuContractChecks.h - runtime contract checks as GPU kernels -*- C++ -*-===//
//
// On the GPU a contract site is checked by two flat kernels over the
// checked tensor's elements: the first raises the status buffer's word 5 to
// the priority of each violation (earlier site, then lower position: the
// order in which the CPU lowering meets them), the second lets the winner
// write words 0-4 as the CPU lowering does. So the runtime reports the same
// violation on every target, whatever the thread order.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_GPUCONTRACTCHECKS_H
#define MOE_LIB_CONVERSION_GPUCONTRACTCHECKS_H

#include "ContractChecks.h"

namespace mlir::moe {

/// One element's outcome: `violated` (i1); the position i, j, the value and
/// the context as the CPU lowering records them (null: absent).
struct ContractProbe {
  Value violated, i, j, value, context;
};

class GpuContractChecks {
public:
  /// `status` is the function's status buffer, or null when checks are off.
  GpuContractChecks(Value status, SmallVectorImpl<ContractSite> &sites)
      : status(status), sites(sites) {}

  bool enabled() const { return bool(status); }

  /// Records `site` and checks `probe(kernel, p)` for every p in
  /// [0, count), in kernels named `<kernel>_check` and `<kernel>_report`.
  void check(LoopEmitter &em, const ContractSite &site, StringRef kernel,
             Value count,
             function_ref<ContractProbe(LoopEmitter &, Value)> probe);

  /// Records `site`, a violation the host found (a shape relation), with
  /// one single-thread kernel `kernel`, unless an earlier site's violation is
  /// recorded already.
  void record(LoopEmitter &em, const ContractSite &site, StringRef kernel,
              Value value, Value context);

private:
  Value status;
  SmallVectorImpl<ContractSite> &sites;
};

/// The contracts several ops share, as the CPU lowering words them.
/// `0 <= ids < numExperts` over ids [T, K] (ids_range).
void checkIdsOnGpu(LoopEmitter &em, GpuContractChecks &checks,
                   StringRef opName, StringRef kernel, Value ids,
                   int64_t numExperts);
/// `-1 <= rows < pairs` over rows [M] (rows_range), `tensor` naming rows.
void checkRowsOnGpu(LoopEmitter &em, GpuContractChecks &checks,
                    StringRef opName, StringRef tensor, StringRef kernel,
                    Value rows, Value pairs);
/// offsets start at 0, never decrease, end <= numRows (offsets_start,
/// offsets_monotone, offsets_end); or 0 <= counts <= capacity
/// (counts_range), capacity = numRows / E.
void checkSegmentsOnGpu(LoopEmitter &em, GpuContractChecks &checks,
                        bool offsets, Value segments, Value numExperts,
                        Value numRows);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_GPUCONTRACTCHECKS_H
