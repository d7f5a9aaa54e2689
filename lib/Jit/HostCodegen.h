//===- HostCodegen.h - LLVM-dialect host modules to files -------*- C++ -*-===//
#ifndef MOE_LIB_JIT_HOSTCODEGEN_H
#define MOE_LIB_JIT_HOSTCODEGEN_H

#include "Diagnostics.h"

#include "moe/Jit/Compiler.h"

#include "mlir/IR/BuiltinOps.h"

#include <vector>

namespace moe::jit {

/// Writes a host module in the LLVM dialect as `emit` (mlir, llvm, asm, obj,
/// so), optimized for the host CPU; a non-empty `manifest` is exported as
/// moe_artifact_manifest (docs/abi.md). `so` links with ld.lld.
llvm::Expected<std::vector<char>>
emitHostModule(mlir::ModuleOp module, Emit emit, const std::string &manifest,
               const DiagnosticCollector &diagnostics);

} // namespace moe::jit

#endif // MOE_LIB_JIT_HOSTCODEGEN_H
