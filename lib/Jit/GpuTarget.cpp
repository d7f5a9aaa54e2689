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
#include "HostCodegen.h"
#include "KernelTable.h"
#include "Signature.h"

#include "moe/Conversion/GpuChips.h"
#include "moe/Conversion/Passes.h"
#include "moe/MoeDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/TargetSelect.h"

#include <memory>
#include <mutex>

using namespace mlir;
using namespace ::moe::jit;

namespace {

struct GpuTarget {
  bool emu;    // the emulator: device binaries are host shared objects
  bool nvidia; // else AMD (when not emu)
  std::string chip;
  std::string toolkit;
  /// The chip whose kernels are built: `chip`, but empty for the
  /// emulator's own ("host").
  std::string kernelChip() const { return chip == "host" ? "" : chip; }
};

std::string join(const std::string &dir, const char *a, const char *b = "",
                 const char *c = "") {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, a, b, c);
  return path.str().str();
}

llvm::Expected<GpuTarget> resolveTarget(const CompileOptions &options) {
  GpuTarget target;
  target.emu = options.target == "emu";
  target.nvidia = options.target == "nvptx";
  if (target.emu) {
    // The emulator runs its own kernels, or those of a chip named (its
    // warp matrix instructions included: sm_80's mma.sync, gfx942's MFMA).
    target.chip = options.chip.empty() ? "host" : options.chip;
    llvm::Regex gpuChip("^(sm_[0-9]+a?|gfx[0-9a-f]+)$");
    if (target.chip != "host" && !gpuChip.match(target.chip))
      return llvm::createStringError(
          "unknown chip '" + target.chip +
          "' for target emu (an NVIDIA or AMD chip whose kernels the "
          "emulator runs: sm_80, sm_90, gfx90a, gfx942, ...)");
    if (target.chip != "host")
      if (std::optional<std::string> unknown = mlir::moe::unknownGpuChip(
              target.chip, mlir::moe::isNvidiaChip(target.chip), "emu"))
        return llvm::createStringError(*unknown);
    return target;
  }
  // sm_80 PTX runs on every supported NVIDIA GPU (the driver JIT-compiles
  // it for newer ones); gfx942 is the newest AMD chip supported.
  target.chip = options.chip.empty() ? (target.nvidia ? "sm_80" : "gfx942")
                                     : options.chip;
  llvm::Regex pattern(target.nvidia ? "^sm_[0-9]+a?$" : "^gfx[0-9a-f]+$");
  if (!pattern.match(target.chip))
    return llvm::createStringError(
        "unknown chip '" + target.chip + "' for target " + options.target +
        (target.nvidia ? " (sm_80, sm_90, ...)" : " (gfx90a, gfx942, ...)"));
  if (std::optional<std::string> unknown = mlir::moe::unknownGpuChip(
          target.chip, target.nvidia, options.target)) {
    // A device newer than LLVM's NVPTX backend knows (the runtime asks for
    // its compute capability) gets the PTX of the newest chip LLVM knows
    // below it: PTX for sm_XY runs on every GPU of compute capability X.Y
    // and up, compiled by the driver's JIT when the artifact loads (the
    // runtime embeds PTX, never cubin), so the code is correct, merely
    // without the newer chip's features. AMD code objects run only on the
    // chip they were built for and HIP has no JIT, so an AMD chip LLVM does
    // not know stays an error, as does any chip asked for by name.
    std::optional<std::string> older;
    if (options.chipIsDevice && target.nvidia)
      older = mlir::moe::newestKnownNvidiaChipAtMost(target.chip);
    if (!older)
      return llvm::createStringError(*unknown);
    target.chip = *older;
  }
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

/// Whether the device binary is wanted as a binary (cubin, hsaco) rather
/// than assembly; an error when the target cannot emit `emit`.
llvm::Expected<bool> wantsBinary(const GpuTarget &target, Emit emit,
                                 const std::string &targetName) {
  if (target.emu) {
    switch (emit) {
    case Emit::Mlir:
    case Emit::Llvm:
    case Emit::Asm:
    case Emit::Obj:
    case Emit::So:
      return true;
    default:
      return llvm::createStringError(
          std::string("--emit ") + emitName(emit) +
          " does not apply to target emu (it emits mlir, llvm, asm, obj and "
          "so: host code, the kernels embedded as a host shared object)");
    }
  }
  switch (emit) {
  case Emit::Mlir:
  case Emit::Llvm:
  case Emit::Obj:
  case Emit::So:
    // The host code embeds what a runtime loads: PTX (JIT-compiled by the
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
  }
  return llvm::createStringError(
      std::string("--emit ") + emitName(emit) + " does not apply to target " +
      targetName + " (it emits mlir, llvm, asm, obj, so and " +
      (target.nvidia ? "ptx, cubin" : "hsaco") + ")");
}

/// Whether `emit` is a file of the host code (the artifact or a stage of
/// it) rather than of the device binary.
bool isHostOutput(const GpuTarget &target, Emit emit) {
  switch (emit) {
  case Emit::Mlir:
  case Emit::Llvm:
  case Emit::Obj:
  case Emit::So:
    return true;
  case Emit::Asm:
    return target.emu;
  default:
    return false;
  }
}

llvm::Error checkToolkit(const GpuTarget &target, bool binary,
                         bool usesMath) {
  namespace fs = llvm::sys::fs;
  if (target.emu)
    return llvm::Error::success();
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


/// Compiles the kernels of the outlined `module` into the emu device
/// binary (a host shared object) and replaces the gpu.module by a gpu.binary
/// holding it, which the host code loads with mgpuModuleLoad.
llvm::Error embedEmuDevice(ModuleOp module, bool checks, StringRef chip,
                           const DiagnosticCollector &diagnostics) {
  OwningOpRef<ModuleOp> device(module.clone());
  PassManager toDevice(module.getContext());
  mlir::moe::buildEmuDeviceFromKernelsPipeline(toDevice, checks, chip);
  if (failed(toDevice.run(*device)))
    return diagnostics.error("compiling the kernels for the emulator failed");
  auto bytes = emitHostModule(*device, Emit::So, /*manifest=*/"", diagnostics);
  if (!bytes)
    return bytes.takeError();

  MLIRContext *context = module.getContext();
  for (auto kernels :
       llvm::make_early_inc_range(module.getOps<gpu::GPUModuleOp>())) {
    OpBuilder b(kernels);
    // The target attribute only tags the object; the translation embeds the
    // bytes and loads them with mgpuModuleLoad (format bin).
    auto object = gpu::ObjectAttr::get(
        context, StringAttr::get(context, "emu"),
        gpu::CompilationTarget::Binary,
        StringAttr::get(context, StringRef(bytes->data(), bytes->size())),
        /*properties=*/nullptr, /*kernels=*/nullptr);
    gpu::BinaryOp::create(b, kernels.getLoc(), kernels.getName(),
                          /*offloadingHandler=*/nullptr,
                          ArrayAttr::get(context, {object}));
    kernels.erase();
  }
  return llvm::Error::success();
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

  // The target is set once, here: every pass reads it from the module
  // (DESIGN.md §5). It replaces one the input may carry. A module without
  // moe ops has not loaded the dialect that owns the attribute.
  module.getContext()->getOrLoadDialect<mlir::moe::MoeDialect>();
  module->setAttr(mlir::moe::TargetAttr::getModuleAttrName(),
                  mlir::moe::TargetAttr::get(
                      module.getContext(), options.target,
                      target->kernelChip(), /*features=*/""));

  mlir::moe::GpuPipelineOptions pipeline;
  pipeline.checks = options.checks;
  pipeline.chip = target->kernelChip();
  pipeline.format = *binary ? "bin" : "isa";
  if (target->nvidia)
    pipeline.cudaPath = target->toolkit;
  else
    pipeline.rocmPath = target->toolkit;

  PassManager toKernels(module.getContext());
  mlir::moe::buildMoeToGpuKernelsPipeline(toKernels, pipeline, target->emu);
  if (failed(toKernels.run(module)))
    return diagnostics.error("lowering the moe ops to GPU kernels failed");
  if (llvm::Error error =
          checkToolkit(*target, *binary, kernelsUseMath(module)))
    return std::move(error);

  // Entry points that hold moe ops got the status buffer (with checks).
  for (auto func : module.getOps<func::FuncOp>())
    for (EntrySignature &entry : result.entries)
      if (entry.name == func.getName() && func.getNumArguments() > 0 &&
          func.getArgAttr(func.getNumArguments() - 1, "moe.status"))
        entry.status = true;
  result.contracts = readContracts(module);
  CompileOptions resolved = options;
  resolved.chip = target->chip;
  result.kernels = readKernels(module, result.entries);
  // The emulator runs the kernels as this machine's code; a GPU artifact's
  // host code only launches them, and is portable so that it runs on
  // whichever machine holds the GPU.
  std::string hostCpu = target->emu ? "" : kPortableCpu;
  auto hostFeatures = resolveCpu(hostCpu);
  if (!hostFeatures)
    return hostFeatures.takeError();
  result.manifest = buildManifest(result, resolved, layerSpec,
                                  recordedCpuFeatures(hostFeatures->second));
  // The entry points (the artifact's C interface), then the kernel table.
  result.header = buildHeader(result) + "\n" +
                  buildGpuHeader(result, resolved, target->chip);

  PassManager toDevice(module.getContext());
  if (target->emu) {
    if (llvm::Error error = embedEmuDevice(module, options.checks,
                                           target->kernelChip(), diagnostics))
      return std::move(error);
    mlir::moe::buildGpuHostPipeline(toDevice);
  } else if (target->nvidia) {
    mlir::moe::buildNvvmFromKernelsPipeline(toDevice, pipeline);
  } else {
    mlir::moe::buildRocdlFromKernelsPipeline(toDevice, pipeline);
  }
  if (failed(toDevice.run(module)))
    return diagnostics.error("compiling the kernels for " + options.target +
                             " " + target->chip + " failed");

  if (isHostOutput(*target, options.emit)) {
    auto bytes = emitHostModule(module, options.emit, result.manifest,
                                diagnostics, hostCpu);
    if (!bytes)
      return bytes.takeError();
    result.bytes = std::move(*bytes);
    return result;
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
