//===- Signature.h - entry points, manifest and C header --------*- C++ -*-===//
#ifndef MOE_LIB_JIT_SIGNATURE_H
#define MOE_LIB_JIT_SIGNATURE_H

#include "moe/Jit/Compiler.h"

#include "mlir/IR/BuiltinOps.h"

namespace moe::jit {

/// The entry points of a module after moe-lower-to-loops: every public
/// function, its tensor arguments and results, and its status buffer.
llvm::Expected<std::vector<EntrySignature>> readEntries(mlir::ModuleOp module);

/// The check sites recorded by moe-lower-to-loops (`moe.contracts`).
std::vector<ContractSiteInfo> readContracts(mlir::ModuleOp module);

/// The artifact manifest of docs/abi.md; `cpuFeatures` are those its host
/// code may use (recordedCpuFeatures).
std::string buildManifest(const CompileResult &result,
                          const CompileOptions &options,
                          const std::string &layerSpec,
                          const std::vector<std::string> &cpuFeatures);

/// A C header declaring each entry point's C interface, with the shapes.
std::string buildHeader(const CompileResult &result);

/// "[T, 2048] bf16": a tensor's shape (T for a dynamic dim 0) and dtype.
std::string shapeText(const TensorSignature &tensor);

} // namespace moe::jit

#endif // MOE_LIB_JIT_SIGNATURE_H
