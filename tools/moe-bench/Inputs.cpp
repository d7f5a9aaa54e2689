//===- Inputs.cpp - moe-bench's layer inputs and their routing ------------===//

#include "Inputs.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace moe::bench {

namespace {

// moe-run's generator (tools/moe-run/HostTensor.cpp, fillRandom): splitmix64
// from seed * A + stream * G, one draw discarded, then 24 bits a value mapped
// to [-scale, scale). splitmix64 advances its state by G a draw, so draw i
// is a function of i alone and the fill splits across threads. moe-run's own
// fillRandom is not reused: it holds three copies of a tensor at once, too
// many for the weights of a real model.
constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ull;

uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void fillRandom(std::vector<float> &values, ref::DType dtype, uint64_t seed,
                uint64_t stream, float scale) {
  const uint64_t base = seed * 0x2545f4914f6cdd1dull + stream * kGolden;
  const int64_t n = static_cast<int64_t>(values.size());
  const int64_t workers = std::clamp<int64_t>(
      static_cast<int64_t>(std::thread::hardware_concurrency()), 1,
      std::max<int64_t>(1, n >> 20));
  auto fill = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      uint64_t draw = mix(base + static_cast<uint64_t>(i + 2) * kGolden);
      float unit = static_cast<float>(draw >> 40) * 0x1.0p-24f;
      values[static_cast<size_t>(i)] =
          ref::roundTo(dtype, (2.0f * unit - 1.0f) * scale);
    }
  };
  std::vector<std::thread> pool;
  for (int64_t w = 0; w < workers; ++w)
    pool.emplace_back(fill, n * w / workers, n * (w + 1) / workers);
  for (std::thread &t : pool)
    t.join();
}

/// moe-run's scales (layerScale): weights U(+-sqrt(3 / fan-in)), so products
/// keep unit scale; a small routing bias; activations in [-1, 1).
float weightScale(int64_t fanIn) {
  return std::sqrt(3.0f / static_cast<float>(std::max<int64_t>(fanIn, 1)));
}

float layerScale(const LayerSpec &spec, const std::string &name) {
  if (name == "router_w" || name == "w_gate_up" || name == "shared_gate_up")
    return weightScale(spec.hidden);
  if (name == "w_down")
    return weightScale(spec.inter);
  if (name == "shared_down")
    return weightScale(spec.sharedInter);
  if (name == "router_bias")
    return 0.05f;
  return 1.0f;
}

moe_dtype_t runtimeDType(ref::DType dtype) {
  switch (dtype) {
  case ref::DType::F32:
    return MOE_DTYPE_F32;
  case ref::DType::F16:
    return MOE_DTYPE_F16;
  case ref::DType::BF16:
    return MOE_DTYPE_BF16;
  }
  return MOE_DTYPE_F32;
}

} // namespace

moe_buffer_t Argument::buffer() {
  moe_buffer_t b;
  b.data = bits.empty() ? static_cast<void *>(values.data.data())
                        : static_cast<void *>(bits.data());
  b.dtype = dtype;
  b.rank = static_cast<int32_t>(runShape.size());
  b.shape = runShape.data();
  b.strides = nullptr;
  return b;
}

LayerInputs::LayerInputs(const LayerSpec &spec, int64_t maxTokens,
                         uint64_t seed)
    : maxTokens(maxTokens) {
  std::vector<LayerSpec::Tensor> expected = spec.arguments();
  for (size_t i = 0; i < expected.size(); ++i) {
    Argument arg;
    arg.name = expected[i].name;
    arg.dtype = runtimeDType(expected[i].dtype);
    arg.runShape = expected[i].shape;
    for (int64_t &extent : arg.runShape)
      if (extent < 0)
        extent = maxTokens;
    arg.values.shape = arg.runShape;
    arg.values.data.resize(static_cast<size_t>(
        ref::Tensor::numElements(arg.values.shape)));
    fillRandom(arg.values.data, expected[i].dtype, seed, i,
               layerScale(spec, arg.name));
    if (expected[i].dtype != ref::DType::F32) {
      arg.bits.resize(arg.values.data.size());
      bool f16 = expected[i].dtype == ref::DType::F16;
      for (size_t j = 0; j < arg.bits.size(); ++j)
        arg.bits[j] = f16 ? ref::toF16Bits(arg.values.data[j])
                          : ref::toBF16Bits(arg.values.data[j]);
    }
    args.push_back(std::move(arg));
  }
}

const Argument *LayerInputs::find(const std::string &name) const {
  for (const Argument &arg : args)
    if (arg.name == name)
      return &arg;
  return nullptr;
}

ref::LayerWeights LayerInputs::weights() const {
  auto values = [&](const char *name) -> const ref::Tensor * {
    const Argument *arg = find(name);
    return arg ? &arg->values : nullptr;
  };
  ref::LayerWeights w;
  w.routerW = values("router_w");
  w.routerBias = values("router_bias");
  w.wGateUp = values("w_gate_up");
  w.wDown = values("w_down");
  w.sharedGateUp = values("shared_gate_up");
  w.sharedDown = values("shared_down");
  return w;
}

std::vector<moe_buffer_t> LayerInputs::buffers(int64_t tokens) {
  args[0].runShape[0] = tokens;
  std::vector<moe_buffer_t> result;
  for (Argument &arg : args)
    result.push_back(arg.buffer());
  return result;
}

ref::Tensor LayerInputs::tokens(int64_t tokens) const {
  const ref::Tensor &x = args[0].values;
  int64_t hidden = x.dim(1);
  ref::Tensor head{{tokens, hidden}, {}};
  head.data.assign(x.data.begin(), x.data.begin() + tokens * hidden);
  return head;
}

double inputBytes(const LayerSpec &spec, int64_t maxTokens) {
  double total = 0;
  for (const LayerSpec::Tensor &t : spec.arguments()) {
    double n = 1;
    for (int64_t extent : t.shape)
      n *= static_cast<double>(extent < 0 ? maxTokens : extent);
    total += n * (t.dtype == ref::DType::F32 ? 4 : 4 + 2);
  }
  return total;
}

Routing::Routing(const LayerSpec &spec, const LayerInputs &inputs) {
  const ref::Tensor &x = inputs.args[0].values;
  const ref::Tensor &routerW = inputs.find("router_w")->values;
  const int64_t tokens = x.dim(0), hidden = x.dim(1);
  const int64_t experts = routerW.dim(1);
  ref::Tensor logits = ref::Tensor::zeros({tokens, experts});
  // The reference's order (lib/Reference matVecRow, EIO): logits[t][e] sums
  // x[t][h] * w[h][e] over h ascending, one rounding a product and a sum (the
  // target builds with -ffp-contract=off), so ties between experts break as
  // in the reference and the compiled layer's routing is reproduced.
  for (int64_t t = 0; t < tokens; ++t) {
    float *acc = logits.row(t);
    const float *xt = x.row(t);
    for (int64_t h = 0; h < hidden; ++h) {
      const float xh = xt[h];
      const float *w = routerW.row(h);
      for (int64_t e = 0; e < experts; ++e)
        acc[e] += xh * w[e];
    }
  }
  const Argument *bias = inputs.find("router_bias");
  route = ref::route(logits, bias ? &bias->values : nullptr,
                     spec.referenceOptions().route);
}

int64_t Routing::expertsHit(int64_t tokens) const {
  const int64_t k = route.ids.dim(1);
  std::vector<bool> hit;
  int64_t count = 0;
  for (int64_t i = 0; i < tokens * k; ++i) {
    int32_t e = route.ids.data[static_cast<size_t>(i)];
    if (e < 0)
      continue;
    if (static_cast<size_t>(e) >= hit.size())
      hit.resize(static_cast<size_t>(e) + 1, false);
    if (!hit[static_cast<size_t>(e)]) {
      hit[static_cast<size_t>(e)] = true;
      ++count;
    }
  }
  return count;
}

} // namespace moe::bench
