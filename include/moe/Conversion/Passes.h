//===- Passes.h - moe lowering passes and pipelines -------------*- C++ -*-===//
#ifndef MOE_CONVERSION_PASSES_H
#define MOE_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::moe {

#define GEN_PASS_DECL
#include "moe/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "moe/Conversion/Passes.h.inc"

/// Options of the `moe-lower-to-cpu` pipeline.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<bool> checks{*this, "checks",
                      llvm::cl::desc("Compile the runtime contract checks in"),
                      llvm::cl::init(true)};
};

/// moe ops on tensors -> LLVM dialect for the host: decompose, lower to loops,
/// bufferize, deallocate, lower to LLVM with C interfaces for every public
/// function (docs/abi.md). The two halves below, in order.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);
/// moe ops -> loops over memrefs inside tensor code (status arguments added).
void buildMoeToLoopsPipeline(OpPassManager &pm,
                             const CpuPipelineOptions &options);
/// Tensor code with loops -> the LLVM dialect, public functions exported.
void buildLoopsToLLVMPipeline(OpPassManager &pm);

/// Registers `moe-lower-to-cpu`.
void registerMoePipelines();

} // namespace mlir::moe

#endif // MOE_CONVERSION_PASSES_H
