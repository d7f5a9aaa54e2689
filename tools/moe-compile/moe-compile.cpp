//===- moe-compile.cpp - the ahead-of-time compiler -----------------------===//
//
//   moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 \
//       --target cpu --emit so -o layer.so      (writes layer.h beside it)
//   moe-compile model.mlir --emit llvm -o model.ll
//
//===----------------------------------------------------------------------===//
#include "moe/Jit/Compiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

namespace cl = llvm::cl;
using namespace moe::jit;

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<input .mlir, - for stdin>"),
                                      cl::init(""));
static cl::opt<std::string>
    layerSpec("layer", cl::desc("Compile a layer spec instead of a file "
                                "(experts=E,k=K,hidden=H,inter=I,dtype=...)"),
              cl::init(""));
static cl::opt<std::string> target("target",
                                   cl::desc("cpu (nvptx, rocdl: not yet)"),
                                   cl::init("cpu"));
static cl::opt<std::string> chip("chip", cl::desc("GPU chip (GPU targets)"),
                                 cl::init(""));
static cl::opt<Emit> emit(
    "emit", cl::desc("What to write"), cl::init(Emit::So),
    cl::values(clEnumValN(Emit::Mlir, "mlir", "the LLVM dialect module"),
               clEnumValN(Emit::Llvm, "llvm", "LLVM IR"),
               clEnumValN(Emit::Asm, "asm", "target assembly"),
               clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::So, "so", "an artifact (docs/abi.md)")));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("filename"),
                                       cl::init("-"));
static cl::opt<std::string>
    headerFile("header",
               cl::desc("C header path (default: the output with .h)"),
               cl::init(""));
static cl::opt<bool> noChecks("no-checks",
                              cl::desc("Compile the runtime contract checks "
                                       "out (benchmarks)"),
                              cl::init(false));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "moe-compile") << message << "\n";
  return 1;
}

static bool writeFile(const std::string &path, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::ToolOutputFile file(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    return false;
  file.os() << bytes;
  file.keep();
  return true;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::ParseCommandLineOptions(argc, argv, "moe-mlir ahead-of-time compiler\n");
  if (!chip.empty() && target == "cpu")
    return fail("--chip applies to GPU targets only");
  if (layerSpec.empty() == inputFile.empty())
    return fail("give exactly one of an input .mlir file or --layer SPEC");

  CompileOptions options;
  options.target = target;
  options.checks = !noChecks;
  options.emit = emit;

  llvm::Expected<CompileResult> result =
      llvm::createStringError("not compiled");
  if (!layerSpec.empty()) {
    llvm::consumeError(result.takeError());
    result = compileLayer(layerSpec, options);
  } else {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
    if (!buffer)
      return fail("cannot read " + inputFile + ": " +
                  buffer.getError().message());
    llvm::consumeError(result.takeError());
    result = compile((*buffer)->getBuffer().str(), options);
  }
  if (!result)
    return fail(llvm::toString(result.takeError()));

  if (!writeFile(outputFile,
                 llvm::StringRef(result->bytes.data(), result->bytes.size())))
    return fail("cannot write " + outputFile);
  std::string header = headerFile;
  if (header.empty() && outputFile != "-") {
    llvm::SmallString<128> path(outputFile.getValue());
    llvm::sys::path::replace_extension(path, "h");
    header = path.str().str();
  }
  if (!header.empty() && !writeFile(header, result->header))
    return fail("cannot write " + header);
  return 0;
}
