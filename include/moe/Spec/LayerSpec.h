//===- LayerSpec.h - the `--layer` specification of a MoE block -*- C++ -*-===//
//
// `experts=128,k=8,hidden=2048,inter=768,dtype=bf16,renormalize=1` names one
// moe.layer. The compiler turns it into a module (toMlir), moe-run and the
// tests turn it into reference options and random weights. Plain C++17: the
// runtime side uses it without LLVM.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_SPEC_LAYERSPEC_H
#define MOE_SPEC_LAYERSPEC_H

#include "moe/Reference/Reference.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace moe {

struct LayerSpec {
  int64_t experts = 0;
  int64_t k = 0;
  int64_t hidden = 0;
  int64_t inter = 0; // I: the expert intermediate size after gating
  ref::DType dtype = ref::DType::F32;
  ref::Scoring scoring = ref::Scoring::Softmax;
  bool renormalize = false;
  int64_t groups = 1;
  int64_t groupTopk = 1;
  float scaling = 1.0f;
  ref::Activation activation = ref::Activation::Silu;
  bool gated = true;
  int64_t sharedInter = 0; // 0: no shared expert
  std::optional<float> capacityFactor;
  ref::WeightLayout layout = ref::WeightLayout::ExpertInOut;
  bool routerBias = false; // a route correction bias [E] (DeepSeek-V3)

  /// Parses `key=value,...`; on error returns nullopt and sets `error` to a
  /// message naming the key. Every static contract of moe.layer is checked.
  static std::optional<LayerSpec> parse(std::string_view text,
                                        std::string &error);

  /// The canonical spelling: every key, fixed order. Equal specs print equal.
  std::string str() const;

  /// A module with one public function @moe_layer holding one moe.layer, the
  /// token count dynamic. Arguments in order: x [T, H], router_w [H, E],
  /// router_bias [E] (if routerBias), w_gate_up, w_down, shared_gate_up,
  /// shared_down (if sharedInter > 0); result out [T, H].
  std::string toMlir() const;

  struct Tensor {
    std::string name;
    std::vector<int64_t> shape; // -1 for the dynamic token count
    ref::DType dtype;           // routing bias is always F32
  };
  /// The arguments of @moe_layer in order, as toMlir declares them.
  std::vector<Tensor> arguments() const;
  /// The result of @moe_layer.
  Tensor result() const;

  /// The reference options of this layer.
  ref::LayerOptions referenceOptions() const;
};

} // namespace moe

#endif // MOE_SPEC_LAYERSPEC_H
