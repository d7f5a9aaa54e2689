//===- NumericTestUtil.cpp - compile, run, compare with the reference -----===//
#include "NumericTestUtil.h"

#include <algorithm>
#include <cstdlib>
#include <string>

namespace moe::numeric {

namespace {
/// MOE_NUMERIC_BACKEND: a backend name, optionally with the chip whose
/// kernels it compiles (`emu:gfx942`: the emulator runs gfx942's kernels).
struct BackendChoice {
  moe_backend_t backend = MOE_BACKEND_CPU;
  std::string chip;
};

const BackendChoice &choice() {
  static BackendChoice chosen = [] {
    BackendChoice parsed;
    const char *value = std::getenv("MOE_NUMERIC_BACKEND");
    std::string name = value ? value : "";
    if (size_t colon = name.find(':'); colon != std::string::npos) {
      parsed.chip = name.substr(colon + 1);
      name.resize(colon);
    }
    if (!name.empty() &&
        moe_backend_from_name(name.c_str(), &parsed.backend) != MOE_OK)
      ADD_FAILURE() << "MOE_NUMERIC_BACKEND: " << moe_last_error();
    return parsed;
  }();
  return chosen;
}
} // namespace

moe_backend_t backend() { return choice().backend; }

int warpLanes() {
  return choice().chip.rfind("gfx9", 0) == 0 ? 64 : 32;
}

moe_context_t context() {
  static moe_context_t ctx = [] {
    moe_context_t created = nullptr;
    if (moe_context_create(backend(), &created) != MOE_OK)
      ADD_FAILURE() << "cannot create a " << moe_backend_name(backend())
                    << " context: " << moe_last_error();
    return created;
  }();
  return ctx;
}

const moe_compile_options_t *compileOptions(bool checks) {
  static moe_compile_options_t withChecks, withoutChecks;
  static bool initialized = [] {
    moe_compile_options_init(&withChecks);
    withChecks.cache_dir = MOE_NUMERIC_CACHE_DIR;
    if (!choice().chip.empty())
      withChecks.chip = choice().chip.c_str();
    withoutChecks = withChecks;
    withoutChecks.checks = 0;
    return true;
  }();
  (void)initialized;
  return checks ? &withChecks : &withoutChecks;
}

Module compileMlir(const std::string &text, bool checks) {
  moe_module_t module = nullptr;
  moe_status_t status =
      moe_compile_mlir(context(), text.c_str(), compileOptions(checks), &module);
  EXPECT_EQ(status, MOE_OK) << moe_last_error() << "\nmodule:\n" << text;
  return Module(status == MOE_OK ? module : nullptr);
}

Module compileLayer(const std::string &spec, bool checks) {
  moe_module_t module = nullptr;
  moe_status_t status = moe_compile_layer(context(), spec.c_str(),
                                          compileOptions(checks), &module);
  EXPECT_EQ(status, MOE_OK) << moe_last_error() << "\nspec: " << spec;
  return Module(status == MOE_OK ? module : nullptr);
}

ref::DType refDType(moe_dtype_t dtype) {
  switch (dtype) {
  case MOE_DTYPE_F16:
    return ref::DType::F16;
  case MOE_DTYPE_BF16:
    return ref::DType::BF16;
  default:
    return ref::DType::F32;
  }
}

moe_dtype_t runtimeDType(ref::DType dtype) {
  switch (dtype) {
  case ref::DType::F16:
    return MOE_DTYPE_F16;
  case ref::DType::BF16:
    return MOE_DTYPE_BF16;
  case ref::DType::F32:
    break;
  }
  return MOE_DTYPE_F32;
}

const char *mlirType(ref::DType dtype) { return ref::toString(dtype); }

int64_t HostTensor::numel() const {
  return ref::Tensor::numElements(shape);
}

void HostTensor::pack() {
  size_t n = static_cast<size_t>(numel());
  switch (dtype) {
  case MOE_DTYPE_I32:
    bytes.resize(n * 4);
    if (n) // T = 0: data() may be null
      std::memcpy(bytes.data(), ints.data(), n * 4);
    return;
  case MOE_DTYPE_F32:
    bytes.resize(n * 4);
    if (n) // T = 0: data() may be null
      std::memcpy(bytes.data(), floats.data(), n * 4);
    return;
  default: {
    bytes.resize(n * 2);
    auto *bits = reinterpret_cast<uint16_t *>(bytes.data());
    for (size_t i = 0; i < n; ++i)
      bits[i] = dtype == MOE_DTYPE_F16 ? ref::toF16Bits(floats[i])
                                       : ref::toBF16Bits(floats[i]);
    return;
  }
  }
}

moe_buffer_t HostTensor::buffer() {
  pack();
  return {bytes.empty() ? nullptr : bytes.data(), dtype,
          static_cast<int32_t>(shape.size()), shape.data(), nullptr};
}

HostTensor floatTensor(std::vector<int64_t> shape, ref::DType dtype,
                       std::mt19937 &rng, float scale) {
  HostTensor t;
  t.dtype = runtimeDType(dtype);
  t.shape = std::move(shape);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  t.floats.resize(static_cast<size_t>(t.numel()));
  for (float &v : t.floats)
    v = ref::roundTo(dtype, normal(rng) * scale);
  return t;
}

HostTensor intTensor(std::vector<int64_t> shape, std::vector<int32_t> values) {
  HostTensor t;
  t.dtype = MOE_DTYPE_I32;
  t.shape = std::move(shape);
  t.ints = std::move(values);
  return t;
}

HostTensor fromReference(const ref::Tensor &tensor, ref::DType dtype) {
  HostTensor t;
  t.dtype = runtimeDType(dtype);
  t.shape = tensor.shape;
  t.floats = tensor.data;
  return t;
}

ref::Tensor toReference(const HostTensor &tensor) {
  return ref::Tensor{tensor.shape, tensor.floats};
}

RunResult run(moe_module_t module, std::vector<HostTensor> &inputs) {
  RunResult result;
  std::vector<moe_buffer_t> buffers;
  for (HostTensor &input : inputs)
    buffers.push_back(input.buffer());
  moe_results_t results = nullptr;
  result.status = moe_run_alloc(module, nullptr, buffers.data(),
                                buffers.size(), &results);
  if (result.status != MOE_OK) {
    result.error = moe_last_error();
    return result;
  }
  for (size_t i = 0; i < moe_results_count(results); ++i) {
    moe_buffer_t view;
    EXPECT_EQ(moe_results_get(results, i, &view), MOE_OK);
    HostTensor out;
    out.dtype = view.dtype;
    out.shape.assign(view.shape, view.shape + view.rank);
    size_t n = static_cast<size_t>(out.numel());
    if (view.dtype == MOE_DTYPE_I32) {
      out.ints.resize(n);
      if (n)
        std::memcpy(out.ints.data(), view.data, n * 4);
    } else if (view.dtype == MOE_DTYPE_F32) {
      out.floats.resize(n);
      if (n)
        std::memcpy(out.floats.data(), view.data, n * 4);
    } else {
      out.floats.resize(n);
      auto *bits = static_cast<const uint16_t *>(view.data);
      for (size_t j = 0; j < n; ++j)
        out.floats[j] = view.dtype == MOE_DTYPE_F16 ? ref::fromF16Bits(bits[j])
                                                    : ref::fromBF16Bits(bits[j]);
    }
    result.outputs.push_back(std::move(out));
  }
  moe_results_release(results);
  return result;
}

void expectClose(const HostTensor &got, const ref::Tensor &expected,
                 ref::DType dtype, const std::string &what) {
  ASSERT_EQ(got.shape, expected.shape) << what << ": shape";
  ASSERT_EQ(got.floats.size(), expected.data.size()) << what;
  float tolerance = dtype == ref::DType::F32 ? 1e-5f : 1e-2f;
  float largest = 0.0f, worst = 0.0f;
  size_t worstAt = 0;
  for (size_t i = 0; i < expected.data.size(); ++i) {
    largest = std::max(largest, std::fabs(expected.data[i]));
    float error = std::fabs(got.floats[i] - expected.data[i]);
    if (!(error <= worst)) { // also catches NaN
      worst = error;
      worstAt = i;
    }
  }
  float scale = std::max(largest, 1e-20f);
  EXPECT_LE(worst / scale, tolerance)
      << what << ": max abs error " << worst << " at flat index " << worstAt
      << " (got " << got.floats[worstAt] << ", expected "
      << expected.data[worstAt] << "), max |ref| " << largest;
}

void expectEqualInts(const HostTensor &got, const std::vector<int32_t> &expected,
                     const std::string &what) {
  EXPECT_EQ(got.ints, expected) << what;
}

} // namespace moe::numeric
