//===- KernelTable.h - the device kernels of a GPU module -------*- C++ -*-===//
//
// Reads, from a module in the outlined form (host code launching gpu.module
// kernels), which kernels each entry point launches, with the launch
// geometry written as formulas of the entry's dynamic sizes (T), and writes
// them into the C header of a GPU compilation.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_JIT_KERNELTABLE_H
#define MOE_LIB_JIT_KERNELTABLE_H

#include "moe/Jit/Compiler.h"

#include "mlir/IR/BuiltinOps.h"

namespace moe::jit {

/// The kernels launched by each public function of `module`; `entries`
/// (read before lowering) names their arguments.
std::vector<KernelInfo> readKernels(mlir::ModuleOp module,
                                    const std::vector<EntrySignature> &entries);

/// The C header of a GPU compilation: entry tensors and the kernel table.
std::string buildGpuHeader(const CompileResult &result,
                           const CompileOptions &options,
                           const std::string &chip);

} // namespace moe::jit

#endif // MOE_LIB_JIT_KERNELTABLE_H
