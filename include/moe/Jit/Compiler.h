//===- Compiler.h - compile moe modules for a target ------------*- C++ -*-===//
//
// The compiler behind moe-compile and libmoe_jit: parse a module (or build
// one from a layer spec), lower it with the target's pipeline, and emit MLIR,
// LLVM IR, assembly, an object file or an artifact (docs/abi.md).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_JIT_COMPILER_H
#define MOE_JIT_COMPILER_H

#include "llvm/Support/Error.h"

#include <array>
#include <optional>
#include <string>
#include <vector>

namespace moe::jit {

/// What to write. cpu: mlir, llvm, asm, obj, so. nvptx: mlir, llvm, ptx
/// (asm is the same), cubin. rocdl: mlir, llvm, asm (AMDGCN), hsaco.
enum class Emit { Mlir, Llvm, Asm, Obj, So, Ptx, Cubin, Hsaco };

struct CompileOptions {
  std::string target = "cpu"; // cpu, nvptx, rocdl
  std::string chip;           // GPU targets: sm_80, sm_90, gfx90a, gfx942...
  /// `chip` is the chip of the device the artifact will run on (the
  /// runtime's), not one asked for by name: an NVIDIA chip newer than LLVM
  /// knows compiles for the newest known chip below it (see resolveTarget).
  bool chipIsDevice = false;
  std::string cpu;            // cpu target: an LLVM CPU name; empty: the host
  std::string cudaPath;       // empty: $CUDA_HOME, else /usr/local/cuda
  std::string rocmPath;       // empty: $ROCM_PATH, else the build's links
  std::string tileTable;      // cpu: a tuning table file; empty: built in
  bool checks = true;
  Emit emit = Emit::So;
};

/// One tensor at an entry point's boundary.
struct TensorSignature {
  std::string name;
  std::string dtype;          // f32, f16, bf16, i32
  std::vector<int64_t> shape; // -1 for dynamic
};

struct EntrySignature {
  std::string name;
  std::vector<TensorSignature> args;
  std::vector<TensorSignature> results;
  bool status = false; // a trailing status buffer (docs/abi.md)
};

struct ContractSiteInfo {
  std::string op, kind, tensor;
  int64_t rank;
  std::string contract, bound; // kind "shape" (docs/abi.md)
};

/// One device kernel launch of a GPU entry point, in launch order.
struct KernelInfo {
  std::string entry;                // the entry point launching it
  std::string name;                 // the kernel's symbol in the binary
  std::array<std::string, 3> grid;  // blocks, as formulas of T
  std::array<int64_t, 3> block;     // threads per block
  int64_t workgroupBytes = 0;       // static workgroup (shared/LDS) memory
  std::vector<std::string> args;    // argument types, in order
};

struct CompileResult {
  std::vector<char> bytes; // the emitted file
  std::vector<EntrySignature> entries;
  std::vector<ContractSiteInfo> contracts;
  std::string manifest; // the artifact manifest (JSON)
  std::string header;   // a C header describing the entry points
  std::vector<KernelInfo> kernels; // GPU targets: the device kernels
};

/// Compiles MLIR text. `layerSpec` (canonical form) is recorded in the
/// manifest when the module came from one.
llvm::Expected<CompileResult> compile(const std::string &mlirText,
                                      const CompileOptions &options,
                                      const std::string &layerSpec = "");

/// Parses a layer spec and compiles its module.
llvm::Expected<CompileResult> compileLayer(const std::string &spec,
                                           const CompileOptions &options);

/// See moe_jit_version().
const std::string &compilerVersion();

} // namespace moe::jit

#endif // MOE_JIT_COMPILER_H
