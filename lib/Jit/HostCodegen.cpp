//===- HostCodegen.cpp - LLVM-dialect host modules to files ---------------===//
#include "HostCodegen.h"
#include "SplitCodegen.h"
#include "moe/Support/CpuFeatures.h"
#include "moe/Support/HostAmx.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace mlir;
using namespace ::moe::jit;

namespace {

llvm::Expected<const llvm::Target *> hostTarget(const llvm::Triple &triple) {
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("no LLVM target for " + triple.str() +
                                   ": " + error);
  return target;
}

/// A target machine for `cpu` (empty: the host CPU with all its features).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
hostTargetMachine(const std::string &cpu) {
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  auto target = hostTarget(triple);
  if (!target)
    return target.takeError();
  auto resolved = resolveCpu(cpu);
  if (!resolved)
    return resolved.takeError();
  llvm::SubtargetFeatures features(resolved->second);
  llvm::TargetOptions options;
  // Constructors (a GPU artifact loads its kernels in one) go to
  // .init_array, which the dynamic loader runs; .ctors needs crt files.
  options.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> machine((*target)->createTargetMachine(
      triple, resolved->first, features.getString(), options,
      llvm::Reloc::PIC_, std::nullopt,
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

/// Whether the module calls the OpenMP runtime (a CPU module with parallel
/// tiles).
bool usesOpenMP(const llvm::Module &module) {
  for (const llvm::Function &function : module)
    if (function.isDeclaration() && function.getName().starts_with("__kmpc_"))
      return true;
  return false;
}

/// Links an object into a shared library with ld.lld; libc/libm symbols
/// stay undefined and bind when the runtime loads the artifact. With
/// `openmp`, it needs LLVM's libomp, found through its run path.
llvm::Expected<std::vector<char>>
linkShared(const std::vector<std::vector<char>> &objects, bool openmp) {
  llvm::Expected<std::string> linker = findLinker();
  if (!linker)
    return linker.takeError();
  std::vector<llvm::SmallString<128>> objectPaths;
  auto removeObjects = [&] {
    for (const llvm::SmallString<128> &path : objectPaths)
      llvm::sys::fs::remove(path);
  };
  for (const std::vector<char> &object : objects) {
    int fd;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "moe-artifact", "o", fd, objectPaths.emplace_back())) {
      objectPaths.pop_back();
      removeObjects();
      return llvm::createStringError("cannot create a temporary file: " +
                                     ec.message());
    }
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  llvm::SmallString<128> libraryPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "moe-artifact", "so", libraryPath)) {
    removeObjects();
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  }
  std::string message;
  llvm::SmallVector<llvm::StringRef> arguments = {
      *linker, "-shared", "--hash-style=gnu", "-o", libraryPath.str()};
  for (const llvm::SmallString<128> &path : objectPaths)
    arguments.push_back(path.str());
  if (openmp)
    arguments.append({"-L", MOE_OPENMP_DIR, "-rpath", MOE_OPENMP_DIR, "-lomp"});
  int rc = llvm::sys::ExecuteAndWait(
      *linker, arguments, std::nullopt, {}, /*SecondsToWait=*/0,
      /*MemoryLimit=*/0, &message);
  removeObjects();
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

llvm::Expected<std::pair<std::string, std::string>>(::moe::jit::resolveCpu)(
    const std::string &cpu) {
  if (cpu.empty()) {
    llvm::SubtargetFeatures features;
    for (const auto &[feature, enabled] : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature, enabled && (!feature.starts_with("amx") ||
                                               ::moe::requestAmxTiles()));
    return std::make_pair(llvm::sys::getHostCPUName().str(),
                          features.getString());
  }
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  auto target = hostTarget(triple);
  if (!target)
    return target.takeError();
  // Checked against the generic CPU's table first: LLVM warns on stderr
  // when it makes subtarget info for a CPU it does not know.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      (*target)->createMCSubtargetInfo(triple, "", ""));
  std::unique_ptr<llvm::MCSubtargetInfo> info;
  if (generic && generic->isCPUStringValid(cpu))
    info.reset((*target)->createMCSubtargetInfo(triple, cpu, ""));
  if (!info)
    return llvm::createStringError("unknown CPU '" + cpu + "' for " +
                                   triple.str() +
                                   " (an LLVM CPU name: haswell, skylake-avx512, "
                                   "znver4, ...)");
  // The vector and matrix features the tile selector and code generator
  // use. AMX code compiled for another machine asks for its tiles at load
  // time (the runtime does, moe/Support/HostAmx.h).
  llvm::SubtargetFeatures features;
  for (std::string_view feature : ::moe::kRecordedCpuFeatures)
    if (info->checkFeatures("+" + std::string(feature)))
      features.AddFeature(feature);
  return std::make_pair(cpu, features.getString());
}

std::vector<std::string>(::moe::jit::recordedCpuFeatures)(
    const std::string &features) {
  std::vector<std::string> recorded;
  llvm::SmallVector<llvm::StringRef> flags;
  llvm::StringRef(features).split(flags, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef flag : flags)
    if (flag.consume_front("+") &&
        llvm::is_contained(::moe::kRecordedCpuFeatures, std::string_view(flag)))
      recorded.push_back(flag.str());
  llvm::sort(recorded);
  recorded.erase(std::unique(recorded.begin(), recorded.end()), recorded.end());
  return recorded;
}

llvm::Expected<std::vector<char>>(::moe::jit::emitHostModule)(
    ModuleOp module, Emit emit, const std::string &manifest,
    const DiagnosticCollector &diagnostics, const std::string &cpu) {
  if (emit == Emit::Mlir) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return std::vector<char>(text.begin(), text.end());
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "moe");
  if (!llvmModule)
    return diagnostics.error("translation to LLVM IR failed");
  auto machine = hostTargetMachine(cpu);
  if (!machine)
    return machine.takeError();
  llvmModule->setTargetTriple((*machine)->getTargetTriple());
  llvmModule->setDataLayout((*machine)->createDataLayout());
  if (!manifest.empty())
    addManifest(*llvmModule, manifest);
  // A shared library may come from several objects: its functions are
  // optimized and compiled in parts, concurrently.
  if (emit == Emit::So && canSplitForCodegen(*llvmModule)) {
    bool openmp = usesOpenMP(*llvmModule);
    auto objects = optimizeAndEmitInParts(
        std::move(llvmModule), [&] { return hostTargetMachine(cpu); });
    if (!objects)
      return objects.takeError();
    return linkShared(*objects, openmp);
  }
  if (llvm::Error error =
          makeOptimizingTransformer(3, 0, machine->get())(llvmModule.get()))
    return std::move(error);

  switch (emit) {
  case Emit::Llvm: {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    return std::vector<char>(text.begin(), text.end());
  }
  case Emit::Asm:
    return emitFile(*llvmModule, **machine,
                    llvm::CodeGenFileType::AssemblyFile);
  case Emit::Obj:
  case Emit::So: {
    auto object =
        emitFile(*llvmModule, **machine, llvm::CodeGenFileType::ObjectFile);
    if (!object || emit == Emit::Obj)
      return object;
    return linkShared({std::move(*object)}, usesOpenMP(*llvmModule));
  }
  default:
    break;
  }
  return llvm::createStringError("this output is not a host file");
}
