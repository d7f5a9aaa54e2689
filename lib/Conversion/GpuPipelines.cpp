//===- GpuPipelines.cpp - moe-lower-to-nvvm and moe-lower-to-rocdl --------===//
//
// Both GPU pipelines share every stage up to the outlined gpu.module with its
// kernels in gpu/scf/memref form (buildMoeToGpuKernelsPipeline); the vendor
// split is the one string below per vendor: attach the target, convert the
// kernels, serialize. The host half is the same for both.
//
//===----------------------------------------------------------------------===//
#include "GpuKernels.h"
#include "moe/Conversion/Passes.h"
#include "moe/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Tensors to buffers; the linalg ops moe-decompose leaves (router matmul,
/// shared expert) become 16 x 16 thread tiles of parallel loops mapped to
/// gpu.launch, so no buffer is touched on the host; then every gpu.launch
/// into a gpu.module kernel.
constexpr const char *kOutlinePipeline =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "convert-linalg-to-parallel-loops,"
    "moe-promote-loop-accumulators,"
    "scf-parallel-loop-tiling{parallel-loop-tile-sizes=16,16 "
    "no-min-max-bounds=true},"
    "func.func(gpu-map-parallel-loops{mapping-policy=innermost-first}),"
    "convert-parallel-loops-to-gpu,"
    "canonicalize,"
    "moe-free-host-buffers,"
    "moe-host-buffers-to-gpu,"
    "moe-name-gpu-kernels,"
    "gpu-launch-sink-index-computations,"
    "gpu-kernel-outlining,"
    "func.func(gpu-async-region),"
    "gpu.module(lower-affine),"
    "convert-scf-to-cf,"
    "expand-strided-metadata,"
    "gpu.module(lower-affine)";

/// The host side after the kernels are converted: launches become calls of
/// the mgpu* ABI (MLIR22-NOTES.md), everything else the LLVM dialect. Host
/// affine maps (launch grids) live until here so the kernel table can print
/// them as formulas.
constexpr const char *kHostPipeline =
    "lower-affine,"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    "arith-expand{include-bf16=true},"
    "gpu-to-llvm,"
    "convert-index-to-llvm,"
    "finalize-memref-to-llvm,"
    "convert-arith-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-func-to-llvm,"
    "reconcile-unrealized-casts";

/// The PTX ISA a chip needs: sm_90 needs 7.8; 8.0 serves both (CUDA 12.0).
std::string ptxFeatures(StringRef chip) { return "+ptx80"; }

void addPipeline(OpPassManager &pm, StringRef text, StringRef what) {
  if (failed(parsePassPipeline(text, pm, llvm::errs())))
    llvm::report_fatal_error(llvm::Twine("moe-mlir: bad ") + what +
                             " pipeline: " + text);
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
                                             const GpuPipelineOptions &options) {
  pm.addPass(createMoeDecompose());
  pm.addPass(createCanonicalizerPass());
  MoeLowerToGpuOptions gpu;
  gpu.checks = options.checks;
  GemmTile tile = defaultGemmTile(options.chip);
  gpu.blockM = tile.bm;
  gpu.blockN = tile.bn;
  gpu.blockK = tile.bk;
  gpu.threadM = tile.tm;
  gpu.threadN = tile.tn;
  pm.addPass(createMoeLowerToGpu(gpu));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addPipeline(pm, kOutlinePipeline, "kernel outlining");
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
  addPipeline(pm,
              llvm::formatv("nvvm-attach-target{{chip={0} features={1} O=3},"
                            "gpu.module(convert-gpu-to-nvvm,canonicalize,cse,"
                            "reconcile-unrealized-casts)",
                            chip, ptxFeatures(chip))
                  .str(),
              "NVVM kernel");
  buildGpuHostPipeline(pm);
  // The toolkit gives ptxas (cubin) and libdevice (math); without one the
  // PTX keeps unresolved __nv_* calls (MLIR22-NOTES.md).
  std::string toolkit = options.cudaPath.empty() ? defaultCudaToolkit()
                                                 : options.cudaPath.getValue();
  addPipeline(pm,
              llvm::formatv("gpu-module-to-binary{{format={0} toolkit={1}}",
                            options.format.getValue(), toolkit)
                  .str(),
              "NVVM serialization");
}

void mlir::moe::buildRocdlFromKernelsPipeline(
    OpPassManager &pm, const GpuPipelineOptions &options) {
  std::string chip = options.chip.empty() ? "gfx942" : options.chip.getValue();
  std::string toolkit = options.rocmPath.empty() ? defaultRocmToolkit()
                                                 : options.rocmPath.getValue();
  addPipeline(pm,
              llvm::formatv("rocdl-attach-target{{chip={0} O=3},"
                            "gpu.module(convert-gpu-to-rocdl{{chipset={0}},"
                            "canonicalize,cse,reconcile-unrealized-casts)",
                            chip)
                  .str(),
              "ROCDL kernel");
  buildGpuHostPipeline(pm);
  addPipeline(pm,
              llvm::formatv("gpu-module-to-binary{{format={0} toolkit={1}}",
                            options.format.getValue(), toolkit)
                  .str(),
              "ROCDL serialization");
}

void mlir::moe::buildEmuDevicePipeline(OpPassManager &pm,
                                       const GpuPipelineOptions &options) {
  buildMoeToGpuKernelsPipeline(pm, options);
  buildEmuDeviceFromKernelsPipeline(pm);
}

void mlir::moe::buildEmuDeviceFromKernelsPipeline(OpPassManager &pm) {
  pm.addPass(createMoeGpuToEmu());
  // The kernels are host functions now: the CPU target's LLVM stages
  // without bufferization and deallocation (nothing to do: the device code
  // allocates nothing).
  buildBuffersToLLVMPipeline(pm);
  pm.addPass(createMoeEmuTrampolines());
}

void mlir::moe::buildGpuHostPipeline(OpPassManager &pm) {
  addExportEntryPoints(pm);
  addPipeline(pm, kHostPipeline, "host");
}

void mlir::moe::registerMoeGpuPipelines() {
  PassPipelineRegistration<GpuPipelineOptions>(
      "moe-lower-to-emu-device",
      "Lower moe ops on tensors to the emulator's device module: the GPU "
      "kernels as host functions exported under their names (LLVM dialect)",
      buildEmuDevicePipeline);
  PassPipelineRegistration<GpuPipelineOptions>(
      "moe-lower-to-gpu-kernels",
      "Lower moe ops on tensors to outlined gpu.module kernels (the stages "
      "every GPU target shares)",
      buildMoeToGpuKernelsPipeline);
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
