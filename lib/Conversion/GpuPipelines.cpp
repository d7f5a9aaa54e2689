//===- GpuPipelines.cpp - moe-lower-to-nvvm and moe-lower-to-rocdl --------===//
//
// Both GPU pipelines share every stage up to the outlined gpu.module with its
// kernels in gpu/scf/memref form (buildMoeToGpuKernelsPipeline); the vendor
// split is one builder per vendor: attach the target, convert the kernels,
// serialize. The host half is the same for both.
//
//===----------------------------------------------------------------------===//
#include "GpuKernels.h"
#include "moe/Conversion/GpuChips.h"
#include "moe/Conversion/Passes.h"
#include "moe/Tiles/GpuTiles.h"
#include "moe/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/GPUToROCDL/GPUToROCDLPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/NVGPUToNVVM/NVGPUToNVVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToGPU/SCFToGPUPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/StringExtras.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The PTX ISA of a chip: 8.0 up to sm_90 (sm_90 needs 7.8; CUDA 12.0
/// drivers read 8.0). Newer chips need a newer ISA (sm_100 8.6, sm_121 8.8),
/// which no driver older than the chip reads anyway: they get LLVM's default,
/// the first ISA that has them. Asking 8.0 for them stops LLVM with "PTX
/// version 8.0 does not support target".
std::string ptxFeatures(StringRef chip) {
  unsigned number = 0;
  StringRef digits = chip.drop_front(3).take_while(llvm::isDigit);
  if (!chip.starts_with("sm_") || digits.getAsInteger(10, number) ||
      number <= 90)
    return "+ptx80";
  return "";
}

/// Tensors to buffers; the linalg ops moe-decompose leaves (router matmul,
/// shared expert) become 16 x 16 thread tiles of parallel loops mapped to
/// gpu.launch, so no buffer is touched on the host; then every gpu.launch
/// into a gpu.module kernel. A kernel's vector.contract on pieces that fit
/// becomes the chip's warp matrix instruction: nvgpu.mma.sync with ldmatrix
/// loads, or amdgpu.mfma (the NVVM / ROCDL targets lower them, the emulator
/// runs them as warp collectives).
void addKernelOutlining(OpPassManager &pm,
                        ::moe::tiles::MatrixInstruction instruction) {
  addBufferization(pm);
  pm.addPass(createConvertLinalgToParallelLoopsPass());
  // A fill and the reduction that starts from it, over the same elements:
  // one kernel (CSE first: their bounds must be the same values).
  pm.addPass(createCSEPass());
  pm.addPass(createParallelLoopFusionPass());
  pm.addPass(createMoePromoteLoopAccumulators());
  pm.addPass(createParallelLoopTilingPass({16, 16}, /*noMinMaxBounds=*/true));
  // Thread x along the innermost (contiguous) dimension: coalesced loads.
  GpuMapParallelLoopsPassOptions mapping;
  mapping.mappingPolicyStr = "innermost-first";
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass(mapping));
  pm.addPass(createConvertParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createMoeFreeHostBuffers());
  pm.addPass(createMoeHostBuffersToGpu());
  pm.addPass(createMoeNameGpuKernels());
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createMoeAlignWorkgroupBuffers());
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  if (instruction == ::moe::tiles::MatrixInstruction::MmaSync)
    pm.addNestedPass<gpu::GPUModuleOp>(createMoeVectorToMmaSync());
  if (instruction == ::moe::tiles::MatrixInstruction::Mfma)
    pm.addNestedPass<gpu::GPUModuleOp>(createMoeVectorToMfma());
  pm.addNestedPass<gpu::GPUModuleOp>(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createLowerAffinePass());
}

/// Fails on a chip LLVM does not know (before the backend sees it).
struct CheckGpuChipPass
    : public PassWrapper<CheckGpuChipPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckGpuChipPass)
  CheckGpuChipPass(std::string chip, bool nvidia)
      : chip(std::move(chip)), nvidia(nvidia) {}
  StringRef getArgument() const final { return "moe-check-gpu-chip"; }
  StringRef getDescription() const final {
    return "Fail on a GPU chip LLVM does not know";
  }
  void runOnOperation() override {
    if (std::optional<std::string> unknown =
            unknownGpuChip(chip, nvidia, nvidia ? "nvptx" : "rocdl")) {
      getOperation().emitError(*unknown);
      signalPassFailure();
    }
  }
  std::string chip;
  bool nvidia;
};

/// A vendor's kernel conversion, run in each gpu.module.
void addKernelCleanup(OpPassManager &pm) {
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
}

/// gpu-module-to-binary in `format` (isa, bin, offload) with `toolkit`.
void addSerialization(OpPassManager &pm, StringRef format, StringRef toolkit) {
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = format.str();
  binary.toolkitPath = toolkit.str();
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

} // namespace

std::string mlir::moe::defaultRocmToolkit() {
  if (const char *env = std::getenv("ROCM_PATH"); env && *env)
    return env;
#ifdef MOE_ROCM_TOOLKIT_DIR
  return MOE_ROCM_TOOLKIT_DIR;
#else
  return "/opt/rocm";
#endif
}

std::string mlir::moe::defaultCudaToolkit() {
  if (const char *env = std::getenv("CUDA_HOME"); env && *env)
    return env;
  return "/usr/local/cuda";
}

void mlir::moe::buildMoeToGpuKernelsPipeline(OpPassManager &pm,
                                             const GpuPipelineOptions &options,
                                             bool emulated) {
  pm.addPass(createMoeCheckShapes());
  pm.addPass(createMoeDecompose());
  pm.addPass(createCanonicalizerPass());
  // Every grouped GEMM gets the tile of the module's moe.target: one the
  // driver set (the JIT, for the device it compiles for) wins; a module
  // without one (moe-opt) records the pipeline's chip there (none: the
  // emulator's own chip). The emulator runs any chip's kernels.
  MoeSelectTilesOptions target;
  target.targetKind = emulated || options.chip.empty() ? "emu"
                      : isNvidiaChip(options.chip)      ? "nvptx"
                                                        : "rocdl";
  target.chip = options.chip;
  pm.addPass(createMoeSelectTiles(target));
  MoeLowerToGpuOptions gpu;
  gpu.checks = options.checks;
  pm.addPass(createMoeLowerToGpu(gpu));
  // The dense linalg ops left (router matmul): a long reduction is split
  // into chunks that threads reduce at once, then summed.
  pm.addNestedPass<func::FuncOp>(createMoeSplitReductions());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addKernelOutlining(pm,
                     ::moe::tiles::matrixInstruction(options.chip.getValue()));
}

void mlir::moe::buildNvvmPipeline(OpPassManager &pm,
                                  const GpuPipelineOptions &options) {
  buildMoeToGpuKernelsPipeline(pm, options);
  buildNvvmFromKernelsPipeline(pm, options);
}

void mlir::moe::buildRocdlPipeline(OpPassManager &pm,
                                   const GpuPipelineOptions &options) {
  buildMoeToGpuKernelsPipeline(pm, options);
  buildRocdlFromKernelsPipeline(pm, options);
}

void mlir::moe::buildNvvmFromKernelsPipeline(
    OpPassManager &pm, const GpuPipelineOptions &options) {
  std::string chip = options.chip.empty() ? "sm_90" : options.chip.getValue();
  pm.addPass(std::make_unique<CheckGpuChipPass>(chip, /*nvidia=*/true));
  GpuNVVMAttachTargetOptions target;
  target.chip = chip;
  target.features = ptxFeatures(chip);
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addNestedPass<gpu::GPUModuleOp>(createMoeBf16MmaToNvvm());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertNVGPUToNVVMPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  addKernelCleanup(pm);
  buildGpuHostPipeline(pm);
  // The toolkit gives ptxas (cubin) and libdevice (math); without one the
  // PTX keeps unresolved __nv_* calls (MLIR22-NOTES.md).
  std::string toolkit = options.cudaPath.empty() ? defaultCudaToolkit()
                                                 : options.cudaPath.getValue();
  addSerialization(pm, options.format, toolkit);
}

void mlir::moe::buildRocdlFromKernelsPipeline(
    OpPassManager &pm, const GpuPipelineOptions &options) {
  std::string chip = options.chip.empty() ? "gfx942" : options.chip.getValue();
  pm.addPass(std::make_unique<CheckGpuChipPass>(chip, /*nvidia=*/false));
  std::string toolkit = options.rocmPath.empty() ? defaultRocmToolkit()
                                                 : options.rocmPath.getValue();
  GpuROCDLAttachTargetOptions target;
  target.chip = chip;
  target.optLevel = 3;
  pm.addPass(createGpuROCDLAttachTarget(target));
  ConvertGpuOpsToROCDLOpsOptions rocdl;
  rocdl.chipset = chip;
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToROCDLOps(rocdl));
  addKernelCleanup(pm);
  buildGpuHostPipeline(pm);
  addSerialization(pm, options.format, toolkit);
}

void mlir::moe::buildEmuDevicePipeline(OpPassManager &pm,
                                       const GpuPipelineOptions &options) {
  buildMoeToGpuKernelsPipeline(pm, options, /*emulated=*/true);
  buildEmuDeviceFromKernelsPipeline(pm, options.checks, options.chip);
}

void mlir::moe::buildEmuDeviceFromKernelsPipeline(OpPassManager &pm,
                                                  bool checks,
                                                  StringRef chip) {
  MoeGpuToEmuOptions emu;
  emu.checks = checks;
  emu.subgroupSize =
      ::moe::tiles::warpLanes(::moe::tiles::matrixInstruction(chip.str()));
  pm.addPass(createMoeGpuToEmu(emu));
  // The kernels are host functions now: the CPU target's LLVM stages
  // without bufferization and deallocation (nothing to do: the device code
  // allocates nothing).
  buildBuffersToLLVMPipeline(pm);
  pm.addPass(createMoeEmuTrampolines());
}

void mlir::moe::buildGpuHostPipeline(OpPassManager &pm) {
  addExportEntryPoints(pm);
  // Host affine maps (launch grids) live until here so the kernel table can
  // print them as formulas.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  // Launches become calls of the mgpu* ABI (MLIR22-NOTES.md).
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::moe::registerMoeGpuPipelines() {
  PassPipelineRegistration<GpuPipelineOptions>(
      "moe-lower-to-emu-device",
      "Lower moe ops on tensors to the emulator's device module: the GPU "
      "kernels (of `chip`: none for the emulator's own) as host functions "
      "exported under their names (LLVM dialect)",
      buildEmuDevicePipeline);
  PassPipelineRegistration<GpuPipelineOptions>(
      "moe-lower-to-gpu-kernels",
      "Lower moe ops on tensors to outlined gpu.module kernels (the stages "
      "every GPU target shares)",
      [](OpPassManager &pm, const GpuPipelineOptions &options) {
        buildMoeToGpuKernelsPipeline(pm, options);
      });
  PassPipelineRegistration<GpuPipelineOptions>(
      "moe-lower-to-nvvm",
      "Lower moe ops on tensors to NVVM kernels serialized as PTX or cubin, "
      "and host code calling the mgpu* ABI",
      buildNvvmPipeline);
  PassPipelineRegistration<GpuPipelineOptions>(
      "moe-lower-to-rocdl",
      "Lower moe ops on tensors to ROCDL kernels serialized as AMDGCN or "
      "hsaco, and host code calling the mgpu* ABI",
      buildRocdlPipeline);
}
