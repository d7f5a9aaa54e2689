//===- Compiler.cpp - compile moe modules for a target --------------------===//
#include "moe/Jit/Compiler.h"
#include "Diagnostics.h"
#include "GpuTarget.h"
#include "HostCodegen.h"
#include "Signature.h"

#include "moe/Conversion/Passes.h"
#include "moe/MoeDialect.h"
#include "moe/Spec/LayerSpec.h"
#include "moe/Transforms/Passes.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

#include <dlfcn.h>
#include <fstream>
#include <mutex>

using namespace mlir;
using namespace ::moe::jit;

namespace {

void initializeOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    mlir::moe::registerMoePasses();
    mlir::moe::registerMoeConversionPasses();
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
  });
}

} // namespace

const std::string &::moe::jit::compilerVersion() {
  static const std::string version = [] {
    std::string text = "moe-mlir 0.1.0 (LLVM " LLVM_VERSION_STRING;
    // The hash of this library: any rebuild of the compiler changes it, so
    // cached artifacts of an older compiler are never reused.
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&::moe::jit::compilerVersion), &info) &&
        info.dli_fname) {
      if (auto buffer = llvm::MemoryBuffer::getFile(info.dli_fname)) {
        uint64_t hash = 1469598103934665603ull;
        for (char c : (*buffer)->getBuffer())
          hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx",
                      static_cast<unsigned long long>(hash));
        text += std::string("; build ") + hex;
      }
    }
    return text + ")";
  }();
  return version;
}

llvm::Expected<CompileResult> (::moe::jit::compile)(const std::string &mlirText,
                                                const CompileOptions &options,
                                                const std::string &layerSpec) {
  if (options.target != "cpu" && options.target != "emu" &&
      options.target != "nvptx" && options.target != "rocdl")
    return llvm::createStringError("unknown target '" + options.target +
                                   "' (cpu, emu, nvptx, rocdl)");
  initializeOnce();

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<mlir::moe::MoeDialect>();
  // One module is small: the context's thread pool costs more than it gives.
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  // An error's message is for the user: without this MLIR appends the
  // failing op, which for a pass on the module is the whole module.
  context.printOpOnDiagnostic(false);
  DiagnosticCollector diagnostics(context);

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(mlirText, &context, "input");
  if (!module)
    return diagnostics.error("cannot parse the module");
  if (options.target != "cpu")
    return compileGpu(*module, options, layerSpec, diagnostics);
  switch (options.emit) {
  case Emit::Ptx:
  case Emit::Cubin:
  case Emit::Hsaco:
    return llvm::createStringError(
        "--emit ptx, cubin and hsaco need a GPU target (--target nvptx or "
        "rocdl)");
  default:
    break;
  }

  CompileResult result;
  mlir::moe::CpuPipelineOptions pipelineOptions;
  pipelineOptions.checks = options.checks;
  // The target is set once here: the CPU and its features (the host's when
  // no --cpu), read by moe-select-tiles from the module's moe.target.
  auto cpu = resolveCpu(options.cpu);
  if (!cpu)
    return cpu.takeError();
  pipelineOptions.cpu = cpu->first;
  pipelineOptions.features = cpu->second;
  pipelineOptions.tileTable = options.tileTable;
  PassManager toLoops(&context);
  mlir::moe::buildMoeToLoopsPipeline(toLoops, pipelineOptions);
  if (failed(toLoops.run(*module)))
    return diagnostics.error("lowering the moe ops failed");

  auto entries = readEntries(*module);
  if (!entries)
    return entries.takeError();
  result.entries = std::move(*entries);
  result.contracts = readContracts(*module);
  result.manifest = buildManifest(result, options, layerSpec,
                                  recordedCpuFeatures(cpu->second));
  result.header = buildHeader(result);

  PassManager toLLVM(&context);
  mlir::moe::buildLoopsToLLVMPipeline(toLLVM);
  if (failed(toLLVM.run(*module)))
    return diagnostics.error("lowering to the LLVM dialect failed");

  auto bytes = emitHostModule(*module, options.emit, result.manifest,
                              diagnostics, options.cpu);
  if (!bytes)
    return bytes.takeError();
  result.bytes = std::move(*bytes);
  return result;
}

llvm::Expected<CompileResult> (::moe::jit::compileLayer)(
    const std::string &specText, const CompileOptions &options) {
  std::string error;
  std::optional<::moe::LayerSpec> spec = ::moe::LayerSpec::parse(specText, error);
  if (!spec)
    return llvm::createStringError(error);
  return compile(spec->toMlir(), options, spec->str());
}
