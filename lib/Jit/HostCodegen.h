//===- HostCodegen.h - LLVM-dialect host modules to files -------*- C++ -*-===//
#ifndef MOE_LIB_JIT_HOSTCODEGEN_H
#define MOE_LIB_JIT_HOSTCODEGEN_H

#include "Diagnostics.h"

#include "moe/Jit/Compiler.h"

#include "mlir/IR/BuiltinOps.h"

#include <vector>

namespace moe::jit {

/// The x86 CPU `cpu` names (empty: the host) and its LLVM features
/// ("+avx2,+fma,..."); an error for a CPU LLVM does not know.
llvm::Expected<std::pair<std::string, std::string>>
resolveCpu(const std::string &cpu);

/// The CPU name of host code that must run on any x86-64 machine (a GPU
/// artifact's launch code, carried to the GPU's host).
inline constexpr const char *kPortableCpu = "x86-64";

/// The features of moe/Support/CpuFeatures.h among `features` (resolveCpu's
/// "+avx2,-avx512f,..."): what an artifact compiled with them needs of the
/// CPU that loads it.
std::vector<std::string> recordedCpuFeatures(const std::string &features);

/// Writes a host module in the LLVM dialect as `emit` (mlir, llvm, asm, obj,
/// so), optimized for `cpu` (empty: the host); a non-empty `manifest` is
/// exported as moe_artifact_manifest (docs/abi.md). `so` links with ld.lld.
llvm::Expected<std::vector<char>>
emitHostModule(mlir::ModuleOp module, Emit emit, const std::string &manifest,
               const DiagnosticCollector &diagnostics,
               const std::string &cpu = "");

} // namespace moe::jit

#endif // MOE_LIB_JIT_HOSTCODEGEN_H
