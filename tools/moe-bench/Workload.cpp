//===- Workload.cpp - FLOPs and weight bytes of a layer at T --------------===//

#include "Workload.h"

#include <algorithm>

namespace moe::bench {

Workload workload(const LayerSpec &spec, int64_t tokens, int64_t expertsHit) {
  const double t = static_cast<double>(tokens);
  const double k = static_cast<double>(spec.k);
  const double h = static_cast<double>(spec.hidden);
  const double e = static_cast<double>(spec.experts);
  const double i = static_cast<double>(spec.inter);
  const double i2 = spec.gated ? 2 * i : i;
  const double si = static_cast<double>(spec.sharedInter);
  const double si2 = spec.gated ? 2 * si : si;
  const double size = spec.dtype == ref::DType::F32 ? 4 : 2;

  Workload work;
  work.tokens = tokens;
  work.expertsHit = expertsHit;
  work.flops = 2 * t * h * e + 2 * t * k * h * i2 + 2 * t * k * i * h +
               2 * t * h * si2 + 2 * t * si * h;
  work.bytes = static_cast<double>(expertsHit) * (h * i2 + i * h) * size +
               h * e * size + (spec.routerBias ? 4 * e : 0) +
               (h * si2 + si * h) * size;
  return work;
}

double rooflineMs(const Workload &work, const MachineInfo &machine) {
  double compute = work.flops / (machine.fmaGflops * 1e9);
  double memory = work.bytes / (machine.bandwidthGbs * 1e9);
  return std::max(compute, memory) * 1e3;
}

} // namespace moe::bench
