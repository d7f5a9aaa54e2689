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

#include <optional>
#include <string>
#include <vector>

namespace moe::jit {

enum class Emit { Mlir, Llvm, Asm, Obj, So };

struct CompileOptions {
  std::string target = "cpu";
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
};

struct CompileResult {
  std::vector<char> bytes; // the emitted file
  std::vector<EntrySignature> entries;
  std::vector<ContractSiteInfo> contracts;
  std::string manifest; // the artifact manifest (JSON)
  std::string header;   // a C header describing the entry points
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
