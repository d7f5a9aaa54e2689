//===- GpuTarget.cpp - compile moe modules for nvptx and rocdl ------------===//
//
// Toolkits are checked before anything runs, so a missing tool is one error
// that says what to install rather than a failure deep in serialization:
// NVPTX needs libdevice whenever a kernel calls math (else the PTX keeps
// unresolved __nv_* calls) and ptxas for cubin; ROCDL needs the device-lib
// bitcode always and ld.lld for hsaco (MLIR22-NOTES.md).
//
//===----------------------------------------------------------------------===//
#include "GpuTarget.h"
#include "KernelTable.h"
#include "Signature.h"

#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"

using namespace mlir;
using namespace ::moe::jit;

namespace {

struct GpuTarget {
  bool nvidia;
  std::string chip;
  std::string toolkit;
};

std::string join(const std::string &dir, const char *a, const char *b = "",
                 const char *c = "") {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, a, b, c);
  return path.str().str();
}

llvm::Expected<GpuTarget> resolveTarget(const CompileOptions &options) {
  GpuTarget target;
  target.nvidia = options.target == "nvptx";
  target.chip = options.chip.empty() ? (target.nvidia ? "sm_90" : "gfx942")
                                     : options.chip;
  llvm::Regex pattern(target.nvidia ? "^sm_[0-9]+a?$" : "^gfx[0-9a-f]+$");
  if (!pattern.match(target.chip))
    return llvm::createStringError(
        "unknown chip '" + target.chip + "' for target " + options.target +
        (target.nvidia ? " (sm_80, sm_90, ...)" : " (gfx90a, gfx942, ...)"));
  if (target.nvidia) {
    target.toolkit = options.cudaPath.empty() ? mlir::moe::defaultCudaToolkit()
                                              : options.cudaPath;
  } else {
    target.toolkit = options.rocmPath.empty() ? mlir::moe::defaultRocmToolkit()
                                              : options.rocmPath;
  }
  return target;
}

const char *emitName(Emit emit) {
  switch (emit) {
  case Emit::Mlir: return "mlir";
  case Emit::Llvm: return "llvm";
  case Emit::Asm: return "asm";
  case Emit::Obj: return "obj";
  case Emit::So: return "so";
  case Emit::Ptx: return "ptx";
  case Emit::Cubin: return "cubin";
  case Emit::Hsaco: return "hsaco";
  }
  return "?";
}

/// Whether `emit` needs the device binary (cubin, hsaco) rather than its
/// assembly; an error when the target cannot emit it.
llvm::Expected<bool> wantsBinary(const GpuTarget &target, Emit emit,
                                 const std::string &targetName) {
  switch (emit) {
  case Emit::Mlir:
  case Emit::Llvm:
    // The host module embeds what a runtime loads: PTX (JIT-compiled by the
    // driver) on NVIDIA, hsaco on AMD (HIP has no assembly loader).
    return !target.nvidia;
  case Emit::Asm:
    return false;
  case Emit::Ptx:
    if (target.nvidia)
      return false;
    break;
  case Emit::Cubin:
    if (target.nvidia)
      return true;
    break;
  case Emit::Hsaco:
    if (!target.nvidia)
      return true;
    break;
  case Emit::Obj:
  case Emit::So:
    return llvm::createStringError(
        std::string("--emit ") + emitName(emit) + " for target " + targetName +
        " is not available yet: GPU artifacts need the cuda/hip runtime "
        "backends (emit mlir, llvm, asm and " +
        (target.nvidia ? "ptx or cubin" : "hsaco") + " for now)");
  }
  return llvm::createStringError(
      std::string("--emit ") + emitName(emit) + " does not apply to target " +
      targetName + " (it emits mlir, llvm, asm and " +
      (target.nvidia ? "ptx, cubin" : "hsaco") + ")");
}

llvm::Error checkToolkit(const GpuTarget &target, bool binary,
                         bool usesMath) {
  namespace fs = llvm::sys::fs;
  if (target.nvidia) {
    if (usesMath &&
        !fs::exists(join(target.toolkit, "nvvm", "libdevice",
                         "libdevice.10.bc")))
      return llvm::createStringError(
          "the kernels call math functions, which need libdevice from a CUDA "
          "toolkit: none at " + target.toolkit +
          " (install the CUDA toolkit, or set CUDA_HOME / --cuda-path)");
    if (binary && !fs::can_execute(join(target.toolkit, "bin", "ptxas")))
      return llvm::createStringError(
          "--emit cubin needs ptxas from a CUDA toolkit: none at " +
          target.toolkit +
          " (install the CUDA toolkit, or set CUDA_HOME / --cuda-path; "
          "--emit ptx needs no ptxas)");
    return llvm::Error::success();
  }
  if (!fs::is_directory(join(target.toolkit, "amdgcn", "bitcode")))
    return llvm::createStringError(
        "ROCDL kernels need the AMD device-library bitcode: no amdgcn/bitcode "
        "under " + target.toolkit +
        " (install Debian's rocm-device-libs and rebuild, or set ROCM_PATH / "
        "--rocm-path to a ROCm install)");
  if (binary && !fs::can_execute(join(target.toolkit, "llvm", "bin", "ld.lld")))
    return llvm::createStringError(
        "--emit hsaco needs ld.lld: none at " +
        join(target.toolkit, "llvm", "bin", "ld.lld") +
        " (install Debian's lld-22 and rebuild, or set ROCM_PATH / "
        "--rocm-path to a ROCm install)");
  return llvm::Error::success();
}

/// Whether any kernel calls a math function the vendor library provides.
bool kernelsUseMath(ModuleOp module) {
  bool found = false;
  module.walk([&](gpu::GPUModuleOp kernels) {
    kernels.walk([&](Operation *op) {
      if (op->getDialect() &&
          op->getDialect()->getNamespace() == "math")
        found = true;
    });
  });
  return found;
}

std::string printed(Operation *op) {
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os);
  return text;
}

} // namespace

llvm::Expected<CompileResult>(::moe::jit::compileGpu)(
    ModuleOp module, const CompileOptions &options,
    const std::string &layerSpec, const DiagnosticCollector &diagnostics) {
  llvm::Expected<GpuTarget> target = resolveTarget(options);
  if (!target)
    return target.takeError();
  llvm::Expected<bool> binary =
      wantsBinary(*target, options.emit, options.target);
  if (!binary)
    return binary.takeError();

  CompileResult result;
  // The signature as the caller sees it: tensors, before bufferization.
  auto entries = readEntries(module);
  if (!entries)
    return entries.takeError();
  result.entries = std::move(*entries);

  mlir::moe::GpuPipelineOptions pipeline;
  pipeline.chip = target->chip;
  pipeline.format = *binary ? "bin" : "isa";
  if (target->nvidia)
    pipeline.cudaPath = target->toolkit;
  else
    pipeline.rocmPath = target->toolkit;

  PassManager toKernels(module.getContext());
  mlir::moe::buildMoeToGpuKernelsPipeline(toKernels, pipeline);
  if (failed(toKernels.run(module)))
    return diagnostics.error("lowering the moe ops to GPU kernels failed");
  if (llvm::Error error =
          checkToolkit(*target, *binary, kernelsUseMath(module)))
    return std::move(error);

  CompileOptions resolved = options;
  resolved.chip = target->chip;
  result.kernels = readKernels(module, result.entries);
  result.manifest = buildManifest(result, resolved, layerSpec);
  result.header = buildGpuHeader(result, resolved, target->chip);

  PassManager toDevice(module.getContext());
  if (target->nvidia)
    mlir::moe::buildNvvmFromKernelsPipeline(toDevice, pipeline);
  else
    mlir::moe::buildRocdlFromKernelsPipeline(toDevice, pipeline);
  if (failed(toDevice.run(module)))
    return diagnostics.error("compiling the kernels for " + options.target +
                             " " + target->chip + " failed");

  switch (options.emit) {
  case Emit::Mlir: {
    std::string text = printed(module);
    result.bytes.assign(text.begin(), text.end());
    return result;
  }
  case Emit::Llvm: {
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::Module> llvmModule =
        translateModuleToLLVMIR(module, llvmContext, "moe");
    if (!llvmModule)
      return diagnostics.error("translation to LLVM IR failed");
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    result.bytes.assign(text.begin(), text.end());
    return result;
  }
  default:
    break;
  }
  // The device binary: one gpu.binary, one object of the one target.
  gpu::BinaryOp binaryOp;
  module.walk([&](gpu::BinaryOp op) { binaryOp = op; });
  if (!binaryOp || binaryOp.getObjects().size() != 1)
    return llvm::createStringError(
        "the compiled module holds no single device binary");
  auto object = cast<gpu::ObjectAttr>(binaryOp.getObjects()[0]);
  StringRef bytes = object.getObject().getValue();
  if (target->nvidia && !*binary && bytes.contains("__nv_"))
    return llvm::createStringError(
        "the PTX calls libdevice functions that were not linked (is " +
        target->toolkit + "/nvvm/libdevice complete?)");
  result.bytes.assign(bytes.begin(), bytes.end());
  return result;
}
