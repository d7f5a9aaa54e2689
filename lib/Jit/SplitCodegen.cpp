//===- SplitCodegen.cpp - optimize and compile a host module in parts -----===//
#include "SplitCodegen.h"

#include "mlir/ExecutionEngine/OptUtils.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Utils/SplitModule.h"


using namespace ::moe::jit;

bool(::moe::jit::canSplitForCodegen)(const llvm::Module &module) {
  if (module.getNamedGlobal("llvm.global_ctors"))
    return false;
  unsigned definitions = 0;
  for (const llvm::Function &function : module)
    definitions += !function.isDeclaration();
  return definitions > 1;
}

namespace {

/// O3 and code generation of one part, given as bitcode, in a context of
/// its own (an LLVMContext is not shared between threads).
llvm::Expected<std::vector<char>> compilePart(llvm::StringRef bitcode,
                                              llvm::TargetMachine &machine) {
  llvm::LLVMContext context;
  llvm::Expected<std::unique_ptr<llvm::Module>> part = llvm::parseBitcodeFile(
      llvm::MemoryBufferRef(bitcode, "moe-part"), context);
  if (!part)
    return part.takeError();
  if (llvm::Error error =
          mlir::makeOptimizingTransformer(3, 0, &machine)(part->get()))
    return std::move(error);
  llvm::SmallVector<char, 0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager passes;
  if (machine.addPassesToEmitFile(passes, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return llvm::createStringError("the target cannot emit object files");
  passes.run(**part);
  return std::vector<char>(buffer.begin(), buffer.end());
}

} // namespace

llvm::Expected<std::vector<std::vector<char>>>(
    ::moe::jit::optimizeAndEmitInParts)(std::unique_ptr<llvm::Module> module,
                                        TargetMachineFactory makeMachine) {
  // Round robin by size, so the large tile functions spread over the parts.
  std::vector<llvm::SmallVector<char, 0>> bitcode;
  llvm::SplitModule(
      *module, kCodegenPartitions,
      [&](std::unique_ptr<llvm::Module> part) {
        llvm::raw_svector_ostream os(bitcode.emplace_back());
        llvm::WriteBitcodeToFile(*part, os);
      },
      /*PreserveLocals=*/false, /*RoundRobin=*/true);
  module.reset();

  // Target machines are made here, one a part: making them reads the host's
  // CPU features, and code generation changes a machine's state.
  std::vector<std::unique_ptr<llvm::TargetMachine>> machines;
  for (size_t i = 0; i < bitcode.size(); ++i) {
    auto machine = makeMachine();
    if (!machine)
      return machine.takeError();
    machines.push_back(std::move(*machine));
  }

  std::vector<std::vector<char>> objects(bitcode.size());
  std::vector<std::string> errors(bitcode.size());
  {
    // No more threads than parts or than the machine's cores.
    llvm::ThreadPoolStrategy threads =
        llvm::hardware_concurrency(static_cast<unsigned>(bitcode.size()));
    threads.Limit = true;
    llvm::DefaultThreadPool pool(threads);
    for (size_t i = 0; i < bitcode.size(); ++i)
      pool.async([&, i] {
        llvm::Expected<std::vector<char>> object = compilePart(
            llvm::StringRef(bitcode[i].data(), bitcode[i].size()),
            *machines[i]);
        if (object)
          objects[i] = std::move(*object);
        else
          errors[i] = llvm::toString(object.takeError());
      });
    pool.wait();
  }
  for (const std::string &error : errors)
    if (!error.empty())
      return llvm::createStringError("code generation of a module part: " +
                                     error);
  return objects;
}
