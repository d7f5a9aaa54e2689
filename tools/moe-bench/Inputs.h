//===- Inputs.h - moe-bench's layer inputs and their routing ----*- C++ -*-===//
//
// One set of random inputs serves every token count: x holds the largest T's
// rows and T tokens are its first T rows. The values are those of
// `moe-run --layer SPEC --tokens T --seed S` (same generator, streams and
// scales), so a failed check can be reproduced with moe-run.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TOOLS_MOE_BENCH_INPUTS_H
#define MOE_TOOLS_MOE_BENCH_INPUTS_H

#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_runtime.h"
#include "moe/Spec/LayerSpec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace moe::bench {

/// One argument of the layer's @moe_layer.
struct Argument {
  std::string name;
  moe_dtype_t dtype = MOE_DTYPE_F32;
  /// The values, already rounded to `dtype`: what the reference and the
  /// OpenBLAS baseline read (for f16/bf16, the one f32 copy of the weights
  /// the baseline converts to before timing).
  ref::Tensor values;
  /// The f16/bf16 bit patterns the compiled code reads; empty for f32, whose
  /// compiled code reads `values` itself (one copy of the weights, not two).
  std::vector<uint16_t> bits;
  /// The shape passed to moe_run (x: [T, H] for the current T).
  std::vector<int64_t> runShape;

  moe_buffer_t buffer();
};

struct LayerInputs {
  std::vector<Argument> args; ///< in @moe_layer order; args[0] is x
  int64_t maxTokens = 0;

  /// Makes x [maxTokens, H] and the weights of `spec` from `seed`.
  LayerInputs(const LayerSpec &spec, int64_t maxTokens, uint64_t seed);

  /// The argument called `name`, or nullptr.
  const Argument *find(const std::string &name) const;
  /// The reference's view of the weights (pointers into `args`).
  ref::LayerWeights weights() const;
  /// Sets x's run shape to [tokens, H] and returns one buffer an argument.
  std::vector<moe_buffer_t> buffers(int64_t tokens);
  /// x's first `tokens` rows as a reference tensor (a copy).
  ref::Tensor tokens(int64_t tokens) const;
};

/// Bytes the inputs of `spec` take in this process: the f32 values, plus the
/// f16/bf16 bits of the compiled code's copy.
double inputBytes(const LayerSpec &spec, int64_t maxTokens);

/// The routing of every token of x, computed as the layer defines it
/// (DESIGN.md §4.6): logits = x . router_w in f32, summed over H in order as
/// the reference does, then the reference's route.
struct Routing {
  ref::RouteResult route; ///< ids and weights [maxTokens, K]

  Routing(const LayerSpec &spec, const LayerInputs &inputs);

  /// Distinct experts chosen by the first `tokens` tokens.
  int64_t expertsHit(int64_t tokens) const;
};

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_INPUTS_H
