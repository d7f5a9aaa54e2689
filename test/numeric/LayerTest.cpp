//===- LayerTest.cpp - whole MoE layers against the reference -------------===//
//
// Each spec is compiled once and run at several token counts (one compiled
// kernel serves every T), in every dtype, against moe::ref::layer.
//
//===----------------------------------------------------------------------===//
#include "NumericTestUtil.h"

#include <cctype>
#include <cstring>
#include <memory>
#include <thread>

using namespace moe;
using namespace moe::numeric;

namespace {

/// Random arguments of a spec's @moe_layer at `tokens` tokens, scaled like
/// trained weights (1/sqrt(fan-in)) so activations stay O(1).
std::vector<HostTensor> layerInputs(const LayerSpec &spec, int64_t tokens,
                                    uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<HostTensor> inputs;
  for (const LayerSpec::Tensor &arg : spec.arguments()) {
    std::vector<int64_t> shape = arg.shape;
    for (int64_t &dim : shape)
      if (dim < 0)
        dim = tokens;
    float fanIn = 1.0f;
    if (arg.name == "router_w" || arg.name == "w_gate_up" ||
        arg.name == "shared_gate_up")
      fanIn = float(spec.hidden);
    else if (arg.name == "w_down")
      fanIn = float(spec.inter);
    else if (arg.name == "shared_down")
      fanIn = float(spec.sharedInter);
    float scale = arg.name == "router_bias" ? 0.1f : 1.0f / std::sqrt(fanIn);
    inputs.push_back(floatTensor(shape, arg.dtype, rng, scale));
  }
  return inputs;
}

ref::Tensor referenceLayer(const LayerSpec &spec,
                           const std::vector<HostTensor> &inputs) {
  std::vector<ref::Tensor> tensors;
  for (const HostTensor &input : inputs)
    tensors.push_back(toReference(input));
  ref::LayerWeights weights;
  size_t next = 1;
  weights.routerW = &tensors[next++];
  if (spec.routerBias)
    weights.routerBias = &tensors[next++];
  weights.wGateUp = &tensors[next++];
  weights.wDown = &tensors[next++];
  if (spec.sharedInter > 0) {
    weights.sharedGateUp = &tensors[next++];
    weights.sharedDown = &tensors[next++];
  }
  return ref::layer(tensors[0], weights, spec.referenceOptions());
}

void checkLayer(const std::string &specText, std::vector<int64_t> tokenCounts) {
  std::string error;
  std::optional<LayerSpec> spec = LayerSpec::parse(specText, error);
  ASSERT_TRUE(spec) << error;
  Module module = compileLayer(specText);
  ASSERT_TRUE(module);
  for (int64_t tokens : tokenCounts) {
    std::vector<HostTensor> inputs =
        layerInputs(*spec, tokens, 1234u + uint32_t(tokens));
    RunResult result = run(module.get(), inputs);
    ASSERT_EQ(result.status, MOE_OK) << result.error;
    ASSERT_EQ(result.outputs.size(), 1u);
    expectClose(result.outputs[0], referenceLayer(*spec, inputs), spec->dtype,
                specText + " at T = " + std::to_string(tokens));
  }
}

class LayerShapes : public ::testing::TestWithParam<const char *> {};

TEST_P(LayerShapes, MatchesTheReferenceInEveryDtype) {
  for (const char *dtype : {"f32", "f16", "bf16"})
    checkLayer(std::string(GetParam()) + ",dtype=" + dtype, {0, 1, 7, 33});
}

INSTANTIATE_TEST_SUITE_P(
    Numeric, LayerShapes,
    ::testing::Values(
        // Mixtral-like: softmax top-2, gated SiLU.
        "experts=8,k=2,hidden=32,inter=16",
        // Qwen3-MoE-like: 128 experts, top-8, renormalized.
        "experts=128,k=8,hidden=32,inter=16,renormalize=1",
        // DeepSeek-V3-like routing: sigmoid, correction bias, 8 groups keep 4,
        // scaling 2.5, a shared expert.
        "experts=256,k=8,hidden=32,inter=8,scoring=sigmoid,router_bias=1,"
        "groups=8,group_topk=4,scaling=2.5,renormalize=1,shared_inter=16",
        // E not a power of two.
        "experts=60,k=4,hidden=32,inter=16,renormalize=1",
        // K = E, and E = 1.
        "experts=4,k=4,hidden=16,inter=8",
        "experts=1,k=1,hidden=16,inter=8",
        // Capacity-limited dispatch, capacity computed from the dynamic T.
        "experts=8,k=2,hidden=32,inter=16,capacity_factor=1.25",
        "experts=8,k=2,hidden=32,inter=16,capacity_factor=0.5,"
        "weight_layout=eoi",
        // Hugging Face weight layout; ungated activations; shared experts.
        "experts=8,k=2,hidden=32,inter=16,weight_layout=eoi,activation=gelu",
        "experts=8,k=2,hidden=32,inter=16,gated=0,activation=relu",
        "experts=8,k=2,hidden=32,inter=16,gated=0,activation=gelu_tanh,"
        "shared_inter=8,weight_layout=eoi",
        "experts=6,k=3,hidden=16,inter=8,activation=none,shared_inter=8",
        // Sizes that are multiples of nothing.
        "experts=7,k=3,hidden=33,inter=17,renormalize=1"),
    // The spec with every character that is not alphanumeric made '_'.
    [](const ::testing::TestParamInfo<const char *> &info) {
      std::string name = info.param;
      for (char &c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)))
          c = '_';
      return name;
    });

TEST(LayerReuse, OneCompiledModuleServesEveryTokenCount) {
  const std::string spec = "experts=8,k=2,hidden=32,inter=16,dtype=f32";
  checkLayer(spec, {0, 1, 7, 300});
  // Compiling the same spec again in the same context is a memory-cache hit.
  Module again = compileLayer(spec);
  ASSERT_TRUE(again);
  moe_cache_state_t state;
  ASSERT_EQ(moe_module_cache_state(again.get(), &state), MOE_OK);
  EXPECT_EQ(state, MOE_CACHE_MEMORY);
}

TEST(LayerConcurrency, OneModuleRunsOnSeveralThreadsAtOnce) {
  // Each thread runs its own token count; on emu the kernels' workgroup
  // buffers must not be shared between host threads.
  const std::string specText = "experts=8,k=2,hidden=32,inter=16,dtype=f32";
  std::string error;
  LayerSpec spec = *LayerSpec::parse(specText, error);
  Module module = compileLayer(specText);
  ASSERT_TRUE(module);
  std::vector<std::thread> threads;
  for (int64_t tokens : {5, 17, 33, 64})
    threads.emplace_back([&, tokens] {
      std::vector<HostTensor> inputs =
          layerInputs(spec, tokens, 99u + uint32_t(tokens));
      for (int repeat = 0; repeat < 3; ++repeat) {
        RunResult result = run(module.get(), inputs);
        ASSERT_EQ(result.status, MOE_OK) << result.error;
        expectClose(result.outputs[0], referenceLayer(spec, inputs),
                    spec.dtype, "T = " + std::to_string(tokens));
      }
    });
  for (std::thread &thread : threads)
    thread.join();
}

/// Device memory of the suite's backend holding a copy of `bytes`.
struct DeviceCopy {
  void *data = nullptr;
  DeviceCopy(const void *bytes, size_t size) {
    EXPECT_EQ(moe_device_alloc(context(), size, &data), MOE_OK)
        << moe_last_error();
    if (bytes && data) {
      EXPECT_EQ(moe_device_copy(context(), data, bytes, size), MOE_OK)
          << moe_last_error();
    }
  }
  ~DeviceCopy() { moe_device_free(context(), data); }
};

TEST(LayerDeviceMemory, ResidentInputsAndOutputMatchTheReference) {
  // What a serving engine does: weights and activations already in device
  // memory, the output written there; the runtime stages nothing.
  const std::string specText = "experts=8,k=2,hidden=32,inter=16,dtype=f32";
  std::string error;
  LayerSpec spec = *LayerSpec::parse(specText, error);
  Module module = compileLayer(specText);
  ASSERT_TRUE(module);
  const int64_t tokens = 9;
  std::vector<HostTensor> inputs = layerInputs(spec, tokens, 4242u);
  std::vector<std::unique_ptr<DeviceCopy>> copies;
  std::vector<moe_buffer_t> buffers;
  for (HostTensor &input : inputs) {
    moe_buffer_t buffer = input.buffer();
    copies.push_back(
        std::make_unique<DeviceCopy>(input.bytes.data(), input.bytes.size()));
    buffer.data = copies.back()->data;
    buffers.push_back(buffer);
  }
  HostTensor out;
  out.shape = {tokens, spec.hidden};
  out.floats.assign(size_t(tokens * spec.hidden), -7.0f);
  DeviceCopy deviceOut(out.floats.data(), out.floats.size() * 4);
  int64_t outShape[] = {tokens, spec.hidden};
  moe_buffer_t outBuffer{deviceOut.data, MOE_DTYPE_F32, 2, outShape, nullptr};
  ASSERT_EQ(moe_run(module.get(), nullptr, buffers.data(), buffers.size(),
                    &outBuffer, 1),
            MOE_OK)
      << moe_last_error();
  ASSERT_EQ(moe_device_copy(context(), out.floats.data(), deviceOut.data,
                            out.floats.size() * 4),
            MOE_OK);
  expectClose(out, referenceLayer(spec, inputs), spec.dtype,
              "device-resident run");

  if (backend() == MOE_BACKEND_CPU)
    return; // device memory is host memory there: any strides work
  // Device buffers cannot be packed on the host: a strided one is refused.
  int64_t strides[] = {1, tokens};
  moe_buffer_t strided = buffers[0];
  strided.strides = strides;
  std::vector<moe_buffer_t> stridedInputs = buffers;
  stridedInputs[0] = strided;
  EXPECT_EQ(moe_run(module.get(), nullptr, stridedInputs.data(),
                    stridedInputs.size(), &outBuffer, 1),
            MOE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(moe_last_error())
                .find("argument 'x' (#0) is strided emu device memory"),
            std::string::npos)
      << moe_last_error();
}

TEST(LayerDeviceMemory, MisalignedResidentInputsAreAlignedFirst) {
  // A sliced framework tensor can start 2 bytes into an allocation; the
  // tensor-core kernels copy 16-byte pieces, so the runtime copies such an
  // input to an aligned device buffer first, and the result is the same.
  const std::string specText = "experts=8,k=2,hidden=32,inter=16,dtype=bf16";
  std::string error;
  LayerSpec spec = *LayerSpec::parse(specText, error);
  Module module = compileLayer(specText);
  ASSERT_TRUE(module);
  const int64_t tokens = 5;
  std::vector<HostTensor> inputs = layerInputs(spec, tokens, 77u);
  std::vector<std::unique_ptr<DeviceCopy>> copies;
  std::vector<moe_buffer_t> buffers;
  for (HostTensor &input : inputs) {
    moe_buffer_t buffer = input.buffer();
    std::vector<char> shifted(input.bytes.size() + 16, 0);
    std::memcpy(shifted.data() + 2, input.bytes.data(), input.bytes.size());
    copies.push_back(
        std::make_unique<DeviceCopy>(shifted.data(), shifted.size()));
    buffer.data = static_cast<char *>(copies.back()->data) + 2;
    buffers.push_back(buffer);
  }
  HostTensor out;
  out.dtype = MOE_DTYPE_BF16;
  out.shape = {tokens, spec.hidden};
  std::vector<uint16_t> bits(size_t(tokens * spec.hidden));
  int64_t outShape[] = {tokens, spec.hidden};
  moe_buffer_t outBuffer{bits.data(), MOE_DTYPE_BF16, 2, outShape, nullptr};
  ASSERT_EQ(moe_run(module.get(), nullptr, buffers.data(), buffers.size(),
                    &outBuffer, 1),
            MOE_OK)
      << moe_last_error();
  for (uint16_t b : bits)
    out.floats.push_back(ref::fromBF16Bits(b));
  expectClose(out, referenceLayer(spec, inputs), spec.dtype,
              "misaligned device-resident inputs");
}

TEST(LayerRowTiles, ManyRowsAnExpertMatchTheReference) {
  // Tens of rows an expert (E = 8, K = 2, T up to 1000): every expert has
  // whole register row tiles, a last partial one and, on the CPU, a small
  // tile or not. hidden 96 / inter 64 fit AMX tiles for bf16 on hosts that
  // have them (both GEMMs: K a multiple of 32, widths of 16); inter 48 gives
  // the down GEMM a K of 48, which does not, next to a gate/up that does;
  // hidden 33 fits nothing.
  for (const char *shape : {"experts=8,k=2,hidden=96,inter=64",
                            "experts=8,k=2,hidden=64,inter=48,gated=0",
                            "experts=8,k=2,hidden=33,inter=17"})
    for (const char *dtype : {"bf16", "f32"})
      checkLayer(std::string(shape) + ",dtype=" + dtype, {150, 1000});
}

TEST(LayerEdgeCases, TiedLogitsPickTheLowestExperts) {
  // A zero router makes every logit 0: experts 0 and 1 win every token, with
  // equal weights; the output must still match the reference.
  std::string error;
  const std::string specText = "experts=8,k=2,hidden=16,inter=8,dtype=f32";
  LayerSpec spec = *LayerSpec::parse(specText, error);
  Module module = compileLayer(specText);
  ASSERT_TRUE(module);
  std::vector<HostTensor> inputs = layerInputs(spec, 5, 7);
  std::fill(inputs[1].floats.begin(), inputs[1].floats.end(), 0.0f);
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  expectClose(result.outputs[0], referenceLayer(spec, inputs), spec.dtype,
              "tied logits");
}

TEST(LayerEdgeCases, EveryTokenOnOneExpert) {
  // Positive inputs and a router column of large weights send every token to
  // expert 3 (top-1); the other experts get no rows at all.
  std::string error;
  const std::string specText = "experts=8,k=1,hidden=16,inter=8,dtype=bf16";
  LayerSpec spec = *LayerSpec::parse(specText, error);
  Module module = compileLayer(specText);
  ASSERT_TRUE(module);
  std::vector<HostTensor> inputs = layerInputs(spec, 9, 11);
  for (float &v : inputs[0].floats)
    v = std::fabs(v);
  for (int64_t h = 0; h < spec.hidden; ++h)
    inputs[1].floats[h * spec.experts + 3] = 8.0f;
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  expectClose(result.outputs[0], referenceLayer(spec, inputs), spec.dtype,
              "every token on expert 3");
}

} // namespace
