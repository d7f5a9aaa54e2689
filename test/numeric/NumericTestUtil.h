//===- NumericTestUtil.h - compile, run, compare with the reference -*- C++ -*-===//
//
// The numeric suite drives the real pipeline the way a user does: through
// libmoe_runtime (which loads libmoe_jit to compile), with the scalar reference
// as the oracle. Tolerances are DESIGN.md §7: f32 1e-5, f16/bf16 1e-2, relative
// to the largest reference magnitude of the output; integers exact.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TEST_NUMERIC_NUMERICTESTUTIL_H
#define MOE_TEST_NUMERIC_NUMERICTESTUTIL_H

#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_runtime.h"
#include "moe/Spec/LayerSpec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace moe::numeric {

/// The backend the suite runs on: $MOE_NUMERIC_BACKEND (cpu, the default,
/// or emu: the GPU kernels on the CPU, optionally with the chip whose
/// kernels it runs: emu:gfx942). CTest runs the suite on each.
moe_backend_t backend();

/// The lanes of a warp of the kernels compiled: 64 for an AMD CDNA chip's
/// (its MFMA waves), else 32.
int warpLanes();

/// One runtime context and module cache for the whole suite: compiled modules
/// are reused across tests and token counts.
moe_context_t context();
const moe_compile_options_t *compileOptions(bool checks = true);

struct ModuleDeleter {
  void operator()(moe_module *module) const { moe_module_release(module); }
};
using Module = std::unique_ptr<moe_module, ModuleDeleter>;

/// Compiles MLIR text or a layer spec; fails the test with the compiler's
/// message when it does not compile.
Module compileMlir(const std::string &text, bool checks = true);
Module compileLayer(const std::string &spec, bool checks = true);

/// A host tensor of any dtype the runtime takes; floats are kept as f32 values
/// exactly representable in `dtype`, integers as int32.
struct HostTensor {
  moe_dtype_t dtype = MOE_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int32_t> ints;
  std::vector<uint8_t> bytes; // the device layout, made by pack()

  int64_t numel() const;
  void pack();
  moe_buffer_t buffer();
};

HostTensor floatTensor(std::vector<int64_t> shape, ref::DType dtype,
                       std::mt19937 &rng, float scale = 1.0f);
HostTensor intTensor(std::vector<int64_t> shape, std::vector<int32_t> values);
HostTensor fromReference(const ref::Tensor &tensor, ref::DType dtype);
ref::Tensor toReference(const HostTensor &tensor);
ref::DType refDType(moe_dtype_t dtype);
moe_dtype_t runtimeDType(ref::DType dtype);

/// The outputs of one run, unpacked (floats as f32, ints as int32).
struct RunResult {
  moe_status_t status;
  std::string error;
  std::vector<HostTensor> outputs;
};
RunResult run(moe_module_t module, std::vector<HostTensor> &inputs);

/// Asserts `got` equals `expected` within the dtype's tolerance.
void expectClose(const HostTensor &got, const ref::Tensor &expected,
                 ref::DType dtype, const std::string &what);
void expectEqualInts(const HostTensor &got, const std::vector<int32_t> &expected,
                     const std::string &what);

/// MLIR spelling of a dtype.
const char *mlirType(ref::DType dtype);

} // namespace moe::numeric

#endif // MOE_TEST_NUMERIC_NUMERICTESTUTIL_H
