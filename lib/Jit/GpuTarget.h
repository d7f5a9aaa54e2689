//===- GpuTarget.h - compile moe modules for nvptx and rocdl ----*- C++ -*-===//
#ifndef MOE_LIB_JIT_GPUTARGET_H
#define MOE_LIB_JIT_GPUTARGET_H

#include "Diagnostics.h"

#include "moe/Jit/Compiler.h"

#include "mlir/IR/BuiltinOps.h"

namespace moe::jit {

/// Lowers `module` (moe ops on tensors) with the NVVM or ROCDL pipeline and
/// emits what `options.emit` asks: the final MLIR, host LLVM IR, or the
/// device binary's PTX / cubin / AMDGCN / hsaco.
llvm::Expected<CompileResult> compileGpu(mlir::ModuleOp module,
                                         const CompileOptions &options,
                                         const std::string &layerSpec,
                                         const DiagnosticCollector &diagnostics);

} // namespace moe::jit

#endif // MOE_LIB_JIT_GPUTARGET_H
