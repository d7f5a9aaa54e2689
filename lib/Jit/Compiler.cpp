//===- Compiler.cpp - compile moe modules for a target --------------------===//
#include "moe/Jit/Compiler.h"
#include "Diagnostics.h"
#include "GpuTarget.h"
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

llvm::Expected<std::unique_ptr<llvm::TargetMachine>> hostTargetMachine() {
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for " + triple.str() +
                                   ": " + error);
  llvm::SubtargetFeatures features;
  for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
    features.AddFeature(feature, enabled);
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, llvm::sys::getHostCPUName(), features.getString(),
      llvm::TargetOptions(), llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return llvm::createStringError("cannot create a target machine for " +
                                   triple.str());
  return machine;
}

/// Adds `const char *moe_artifact_manifest(void)` to the module.
void addManifest(llvm::Module &module, const std::string &manifest) {
  llvm::LLVMContext &context = module.getContext();
  llvm::Constant *text =
      llvm::ConstantDataArray::getString(context, manifest, /*AddNull=*/true);
  auto *global = new llvm::GlobalVariable(module, text->getType(),
                                          /*isConstant=*/true,
                                          llvm::GlobalValue::PrivateLinkage,
                                          text, "moe.manifest");
  auto *function = llvm::Function::Create(
      llvm::FunctionType::get(llvm::PointerType::get(context, 0), false),
      llvm::GlobalValue::ExternalLinkage, "moe_artifact_manifest", module);
  llvm::IRBuilder<> builder(
      llvm::BasicBlock::Create(context, "entry", function));
  builder.CreateRet(global);
}

llvm::Expected<std::vector<char>> emitFile(llvm::Module &module,
                                           llvm::TargetMachine &machine,
                                           llvm::CodeGenFileType type) {
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr, type))
    return llvm::createStringError("the target cannot emit this file type");
  passes.run(module);
  return std::vector<char>(buffer.begin(), buffer.end());
}

llvm::Expected<std::string> findLinker() {
  if (const char *path = std::getenv("MOE_LLD"))
    return std::string(path);
  for (const char *name : {"ld.lld", "ld.lld-22"})
    if (auto path = llvm::sys::findProgramByName(
            name, {MOE_LLVM_TOOLS_DIR}))
      return *path;
  for (const char *name : {"ld.lld-22", "ld.lld"})
    if (auto path = llvm::sys::findProgramByName(name))
      return *path;
  return llvm::createStringError(
      "cannot link the artifact: ld.lld not found (install Debian's lld-22, "
      "or set MOE_LLD to an ld.lld)");
}

/// Links an object into a shared library with ld.lld; libc/libm symbols
/// stay undefined and bind when the runtime loads the artifact.
llvm::Expected<std::vector<char>> linkShared(const std::vector<char> &object) {
  llvm::Expected<std::string> linker = findLinker();
  if (!linker)
    return linker.takeError();
  llvm::SmallString<128> objectPath, libraryPath;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("moe-artifact", "o", fd, objectPath))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "moe-artifact", "so", libraryPath))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(
      *linker,
      {*linker, "-shared", "--hash-style=gnu", "-o", libraryPath.str(),
       objectPath.str()},
      std::nullopt, {}, /*SecondsToWait=*/0, /*MemoryLimit=*/0, &message);
  llvm::sys::fs::remove(objectPath);
  if (rc != 0) {
    llvm::sys::fs::remove(libraryPath);
    return llvm::createStringError("ld.lld failed (exit " + std::to_string(rc) +
                                   ")" + (message.empty() ? "" : ": " + message));
  }
  auto buffer = llvm::MemoryBuffer::getFile(libraryPath);
  llvm::sys::fs::remove(libraryPath);
  if (!buffer)
    return llvm::createStringError("cannot read the linked artifact");
  return std::vector<char>((*buffer)->getBufferStart(),
                           (*buffer)->getBufferEnd());
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
  DiagnosticCollector diagnostics(context);

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(mlirText, &context, "input");
  if (!module)
    return diagnostics.error("cannot parse the module");
  if (options.target == "nvptx" || options.target == "rocdl")
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
  if (options.target == "emu") {
    // The GPU kernels, compiled for the host: no contract checks yet, so
    // the entry points have no status buffer.
    auto entries = readEntries(*module);
    if (!entries)
      return entries.takeError();
    result.entries = std::move(*entries);
    CompileOptions emu = options;
    emu.checks = false;
    result.manifest = buildManifest(result, emu, layerSpec);
    result.header = buildHeader(result);
    PassManager toLLVM(&context);
    mlir::moe::buildEmuPipeline(toLLVM, mlir::moe::GpuPipelineOptions());
    if (failed(toLLVM.run(*module)))
      return diagnostics.error("lowering for the emulator failed");
  } else {
    mlir::moe::CpuPipelineOptions pipelineOptions;
    pipelineOptions.checks = options.checks;
    PassManager toLoops(&context);
    mlir::moe::buildMoeToLoopsPipeline(toLoops, pipelineOptions);
    if (failed(toLoops.run(*module)))
      return diagnostics.error("lowering the moe ops failed");

    auto entries = readEntries(*module);
    if (!entries)
      return entries.takeError();
    result.entries = std::move(*entries);
    result.contracts = readContracts(*module);
    result.manifest = buildManifest(result, options, layerSpec);
    result.header = buildHeader(result);

    PassManager toLLVM(&context);
    mlir::moe::buildLoopsToLLVMPipeline(toLLVM);
    if (failed(toLLVM.run(*module)))
      return diagnostics.error("lowering to the LLVM dialect failed");
  }

  if (options.emit == Emit::Mlir) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    result.bytes.assign(text.begin(), text.end());
    return result;
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, "moe");
  if (!llvmModule)
    return diagnostics.error("translation to LLVM IR failed");
  auto machine = hostTargetMachine();
  if (!machine)
    return machine.takeError();
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  addManifest(*llvmModule, result.manifest);
  if (llvm::Error error =
          makeOptimizingTransformer(3, 0, machine->get())(llvmModule.get()))
    return std::move(error);

  switch (options.emit) {
  case Emit::Llvm: {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    result.bytes.assign(text.begin(), text.end());
    return result;
  }
  case Emit::Asm: {
    auto bytes = emitFile(*llvmModule, **machine,
                          llvm::CodeGenFileType::AssemblyFile);
    if (!bytes)
      return bytes.takeError();
    result.bytes = std::move(*bytes);
    return result;
  }
  case Emit::Obj:
  case Emit::So: {
    auto object =
        emitFile(*llvmModule, **machine, llvm::CodeGenFileType::ObjectFile);
    if (!object)
      return object.takeError();
    if (options.emit == Emit::Obj) {
      result.bytes = std::move(*object);
      return result;
    }
    auto library = linkShared(*object);
    if (!library)
      return library.takeError();
    result.bytes = std::move(*library);
    return result;
  }
  default:
    break;
  }
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
