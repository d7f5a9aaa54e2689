//===- Passes.h - moe lowering passes and pipelines -------------*- C++ -*-===//
#ifndef MOE_CONVERSION_PASSES_H
#define MOE_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::moe {

/// On a vector.contract of 16-bit data held as f16 bit patterns: the data's
/// real type (bf16). Set by the grouped GEMM's tensor-core kernel, read by
/// moe-vector-to-mma-sync and moe-vector-to-mfma.
constexpr llvm::StringLiteral kMmaElementAttrName = "moe.mma_element";

#define GEN_PASS_DECL
#include "moe/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "moe/Conversion/Passes.h.inc"

/// Options of the `moe-lower-to-cpu` pipeline.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<bool> checks{*this, "checks",
                      llvm::cl::desc("Compile the runtime contract checks in"),
                      llvm::cl::init(true)};
  Option<bool> fuse{*this, "fuse",
                    llvm::cl::desc("Fold the permutation into the grouped "
                                   "GEMMs (moe-fuse)"),
                    llvm::cl::init(true)};
  Option<std::string> cpu{*this, "cpu",
                          llvm::cl::desc("CPU to compile for (default: the "
                                         "host), e.g. znver4, skylake"),
                          llvm::cl::init("")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("its LLVM features, e.g. +avx2,+fma (with cpu=)"),
      llvm::cl::init("")};
  Option<std::string> tileTable{
      *this, "tile-table",
      llvm::cl::desc("a tuning table (JSON, moe-tune) replacing the built-in "
                     "one"),
      llvm::cl::init("")};
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
/// The part of it after bufferization and deallocation: buffers and loops
/// (structured or not) to the LLVM dialect, public functions with C
/// interfaces.
void buildBuffersToLLVMPipeline(OpPassManager &pm);

/// Registers `moe-lower-to-cpu`.
void registerMoePipelines();

/// Options of the GPU pipelines.
struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  Option<bool> checks{*this, "checks",
                      llvm::cl::desc("Compile the runtime contract checks in"),
                      llvm::cl::init(true)};
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("sm_80, sm_90 (NVVM); gfx90a, "
                                          "gfx942 (ROCDL)"),
                           llvm::cl::init("")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("gpu-module-to-binary format: isa (PTX / AMDGCN "
                     "assembly), bin (cubin / hsaco), offload (LLVM IR)"),
      llvm::cl::init("isa")};
  Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit directory (ptxas, nvvm/libdevice); "
                     "default $CUDA_HOME, else /usr/local/cuda"),
      llvm::cl::init("")};
  Option<std::string> rocmPath{
      *this, "rocm-path",
      llvm::cl::desc("ROCm toolkit directory (llvm/bin/ld.lld and "
                     "amdgcn/bitcode); default $ROCM_PATH, else the one the "
                     "build prepared"),
      llvm::cl::init("")};
};

/// moe ops on tensors -> host code launching outlined gpu.module kernels in
/// gpu/memref/cf form: the stages the NVVM, ROCDL and emu targets share.
/// The kernels are `options.chip`'s; `emulated` says the emulator runs them
/// (the target a module without one records is then emu).
void buildMoeToGpuKernelsPipeline(OpPassManager &pm,
                                  const GpuPipelineOptions &options,
                                  bool emulated = false);
/// ... then NVVM (PTX/cubin) or ROCDL (AMDGCN/hsaco) and host LLVM.
void buildNvvmPipeline(OpPassManager &pm, const GpuPipelineOptions &options);
void buildRocdlPipeline(OpPassManager &pm, const GpuPipelineOptions &options);
/// The vendor halves alone, from the outlined form.
void buildNvvmFromKernelsPipeline(OpPassManager &pm,
                                  const GpuPipelineOptions &options);
void buildRocdlFromKernelsPipeline(OpPassManager &pm,
                                   const GpuPipelineOptions &options);
/// moe ops on tensors -> the emu device binary's module: the same kernels
/// as host functions, exported under their names (LLVM dialect). With a
/// chip, the kernels are that chip's (an AMD chip's run on 64-lane waves).
void buildEmuDevicePipeline(OpPassManager &pm,
                            const GpuPipelineOptions &options);
void buildEmuDeviceFromKernelsPipeline(OpPassManager &pm, bool checks,
                                       StringRef chip = "");
/// The host half of every GPU target, from the outlined form: C interfaces
/// for the entry points, launches as mgpu* calls, the LLVM dialect.
void buildGpuHostPipeline(OpPassManager &pm);
/// One-shot bufferization of whole modules with identity-layout function
/// boundaries (the artifact ABI's contiguous buffers, docs/abi.md).
void addBufferization(OpPassManager &pm);
/// Marks public functions for C interfaces (`_mlir_ciface_`).
void addExportEntryPoints(OpPassManager &pm);
/// $CUDA_HOME, else /usr/local/cuda.
std::string defaultCudaToolkit();
/// $ROCM_PATH, else the toolkit directory of links the build prepared.
std::string defaultRocmToolkit();

/// Registers `moe-lower-to-gpu-kernels`, `moe-lower-to-nvvm`,
/// `moe-lower-to-rocdl` and `moe-lower-to-emu-device`.
void registerMoeGpuPipelines();

} // namespace mlir::moe

#endif // MOE_CONVERSION_PASSES_H
