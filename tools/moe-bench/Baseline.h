//===- Baseline.h - the per-expert OpenBLAS loop ----------------*- C++ -*-===//
//
// What a careful C programmer writes without a compiler for MoE: for each
// expert hit, gather its tokens' rows, cblas_sgemm for gate/up, SiLU(gate)·up
// in C, cblas_sgemm for down, and a weighted add into the output; the router
// and the shared expert are dense sgemms. It is f32 only: f16/bf16 weights
// are used through their f32 copy, made once before timing.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TOOLS_MOE_BENCH_BASELINE_H
#define MOE_TOOLS_MOE_BENCH_BASELINE_H

#include "Inputs.h"

#include "moe/Spec/LayerSpec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe::bench {

/// Whether moe-bench was built with OpenBLAS.
bool openblasAvailable();
/// "OpenBLAS 0.3.21 ..." (its build configuration), or why it is absent.
std::string openblasDescription();
/// Sets OpenBLAS's thread count (no-op without it).
void openblasSetThreads(int threads);

class OpenBlasBaseline {
public:
  OpenBlasBaseline(const LayerSpec &spec, const LayerInputs &inputs,
                   const Routing &routing);

  /// Allocates the buffers for `tokens` tokens (outside the timed runs).
  void prepare(int64_t tokens);
  /// The layer on x's first `tokens` tokens (as prepared) into output(),
  /// [tokens, H] f32. The router sgemm is computed and timed, but the experts
  /// are those of `routing` (the reference route on the layer's logits), so
  /// both sides compute with the same experts whatever sgemm's rounding.
  void run();
  const std::vector<float> &output() const { return out; }

private:
  const LayerSpec &spec;
  const LayerInputs &inputs;
  const Routing &routing;
  int64_t tokens = 0;
  std::vector<float> out, logits;
  std::vector<float> xe, gateUp, act, down; // one expert's rows
  std::vector<float> sharedGateUp, sharedAct, sharedDown;
  // The pairs of each expert: pairs[count[e] .. count[e+1]) (CSR).
  std::vector<int32_t> count, next, pairs;
};

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_BASELINE_H
