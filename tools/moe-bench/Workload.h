//===- Workload.h - FLOPs and weight bytes of a layer at T ------*- C++ -*-===//
#ifndef MOE_TOOLS_MOE_BENCH_WORKLOAD_H
#define MOE_TOOLS_MOE_BENCH_WORKLOAD_H

#include "Machine.h"

#include "moe/Spec/LayerSpec.h"

#include <cstdint>

namespace moe::bench {

struct Workload {
  int64_t tokens = 0;
  int64_t expertsHit = 0;
  /// Router 2·T·H·E, experts 2·T·K·H·I2 + 2·T·K·I·H (I2 = 2I gated, else I),
  /// shared expert 2·T·H·SI2 + 2·T·SI·H: every routed pair, so a capacity
  /// factor's dropped pairs are counted as if computed.
  double flops = 0;
  /// Weight bytes read at least once: the experts hit (w_gate_up and w_down),
  /// the router (and its bias) and the shared expert. Activations are left
  /// out: at the shapes benchmarked the weights dominate.
  double bytes = 0;
};

Workload workload(const LayerSpec &spec, int64_t tokens, int64_t expertsHit);

/// The time the roofline allows, in ms: max(FLOPs / FMA peak,
/// bytes / read bandwidth).
double rooflineMs(const Workload &work, const MachineInfo &machine);

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_WORKLOAD_H
