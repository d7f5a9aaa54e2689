//===- moe-compile.cpp - the ahead-of-time compiler -----------------------===//
//
//   moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 \
//       --target cpu --emit so -o layer.so      (writes layer.h beside it)
//   moe-compile model.mlir --emit llvm -o model.ll
//   moe-compile --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16 \
//       --target nvptx --chip sm_90 --emit ptx -o layer.ptx  (and layer.h)
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

static cl::OptionCategory category("moe-compile options");

static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<input .mlir, - for stdin>"),
                                      cl::init(""), cl::cat(category));
static cl::opt<std::string>
    layerSpec("layer", cl::desc("Compile a layer spec instead of a file "
                                "(experts=E,k=K,hidden=H,inter=I,dtype=...)"),
              cl::init(""), cl::cat(category));
static cl::opt<std::string> target("target",
                                   cl::desc("cpu, emu (the GPU kernels run "
                                            "on the CPU), nvptx or rocdl"),
                                   cl::init("cpu"), cl::cat(category));
static cl::opt<std::string>
    chip("chip",
         cl::desc("GPU chip: sm_80 (default), sm_90 for nvptx; gfx90a, "
                  "gfx942 (default) for rocdl; for emu, the chip whose "
                  "kernels the emulator runs (default: its own)"),
         cl::init(""), cl::cat(category));
static cl::opt<std::string>
    cpu("cpu",
        cl::desc("CPU target: the LLVM CPU to compile for (haswell, "
                 "skylake-avx512, znver4, ...); default: this machine's"),
        cl::init(""), cl::cat(category));
static cl::opt<std::string>
    tileTable("tile-table",
              cl::desc("CPU target: a tuning table (JSON, written by "
                       "moe-tune) replacing the built-in "
                       "tuning/cpu-tiles.json"),
              cl::init(""), cl::cat(category));
static cl::opt<std::string>
    cudaPath("cuda-path",
             cl::desc("CUDA toolkit (ptxas, libdevice); default $CUDA_HOME, "
                      "else /usr/local/cuda"),
             cl::init(""), cl::cat(category));
static cl::opt<std::string>
    rocmPath("rocm-path",
             cl::desc("ROCm toolkit (llvm/bin/ld.lld, amdgcn/bitcode); "
                      "default $ROCM_PATH, else the one the build prepared"),
             cl::init(""), cl::cat(category));
static cl::opt<Emit> emit(
    "emit",
    cl::desc("What to write (default: so for cpu, ptx for nvptx, hsaco for "
             "rocdl)"),
    cl::init(Emit::So),
    cl::values(
        clEnumValN(Emit::Mlir, "mlir", "the lowered module (LLVM dialect)"),
        clEnumValN(Emit::Llvm, "llvm", "host LLVM IR"),
        clEnumValN(Emit::Asm, "asm",
                   "assembly: host (cpu), PTX (nvptx), AMDGCN (rocdl)"),
        clEnumValN(Emit::Obj, "obj", "the host object file"),
        clEnumValN(Emit::So, "so",
                   "an artifact: host code, GPU kernels embedded (docs/abi.md)"),
        clEnumValN(Emit::Ptx, "ptx", "the kernels' PTX (nvptx)"),
        clEnumValN(Emit::Cubin, "cubin", "the kernels' cubin (nvptx; ptxas)"),
        clEnumValN(Emit::Hsaco, "hsaco", "the kernels' hsaco (rocdl)")),
    cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("filename"),
                                       cl::init("-"), cl::cat(category));
static cl::opt<std::string>
    headerFile("header",
               cl::desc("C header path (default: the output with .h)"),
               cl::init(""), cl::cat(category));
static cl::opt<bool> noChecks("no-checks",
                              cl::desc("Compile the runtime contract checks "
                                       "out (benchmarks)"),
                              cl::init(false), cl::cat(category));

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
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "moe-mlir ahead-of-time compiler\n");
  if (target == "cpu" && !chip.empty())
    return fail("--chip applies to GPU targets (--target emu, nvptx or "
                "rocdl) only");
  if ((target == "cpu" || target == "emu") &&
      (!cudaPath.empty() || !rocmPath.empty()))
    return fail("--cuda-path and --rocm-path apply to GPU targets "
                "(--target nvptx or rocdl) only");
  if (target != "cpu" && !cpu.empty())
    return fail("--cpu applies to the cpu target only");
  if (target != "cpu" && !tileTable.empty())
    return fail("--tile-table applies to the cpu target only");
  if (layerSpec.empty() == inputFile.empty())
    return fail("give exactly one of an input .mlir file or --layer SPEC");

  CompileOptions options;
  options.target = target;
  options.chip = chip;
  options.cpu = cpu;
  options.tileTable = tileTable;
  options.cudaPath = cudaPath;
  options.rocmPath = rocmPath;
  options.checks = !noChecks;
  options.emit = emit;
  // Without --emit, a GPU target writes its device binary's usual form.
  if (emit.getNumOccurrences() == 0 && target == "nvptx")
    options.emit = Emit::Ptx;
  if (emit.getNumOccurrences() == 0 && target == "rocdl")
    options.emit = Emit::Hsaco;

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
