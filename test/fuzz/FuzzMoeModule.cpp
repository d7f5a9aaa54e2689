//===- FuzzMoeModule.cpp - libFuzzer target: parse, verify, lower ----------===//
//
// The input is MLIR text. It is parsed into a context with the dialects
// moe-opt registers, verified, and run through the moe half of the CPU
// pipeline (buildMoeToLoopsPipeline: moe-check-shapes, moe-decompose,
// moe-fuse, moe-select-tiles, moe-lower-to-loops with the runtime contract
// checks, moe-tile, moe-vectorize-tiles), for an AVX2, an AVX-512 or an AMX
// CPU (chosen by the input's length, so each input always takes the same
// path; a module's own moe.target wins). Refusing to parse or failing a pass
// is fine; crashing, asserting or a sanitizer report is a bug.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"
#include "moe/MoeDialect.h"
#include "moe/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

const mlir::DialectRegistry &registry() {
  static const mlir::DialectRegistry *instance = [] {
    auto *r = new mlir::DialectRegistry();
    mlir::registerAllDialects(*r);
    mlir::registerAllExtensions(*r);
    r->insert<mlir::moe::MoeDialect>();
    return r;
  }();
  return *instance;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // MLIR's lexer expects the NUL that ends every buffer a tool reads (as
  // llvm::MemoryBuffer guarantees); libFuzzer's data has none.
  std::string text(reinterpret_cast<const char *>(data), size);
  mlir::MLIRContext context(registry(),
                            mlir::MLIRContext::Threading::DISABLED);
  // Diagnostics are expected (most inputs are invalid): drop them.
  mlir::ScopedDiagnosticHandler quiet(
      &context, [](mlir::Diagnostic &) { return mlir::success(); });
  // Parsing verifies the module.
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(text, &context);
  if (!module)
    return 0;
  static const struct {
    const char *cpu, *features;
  } kCpus[] = {
      {"haswell", "+avx,+avx2,+fma"},
      {"skylake-avx512", "+avx,+avx2,+fma,+avx512f"},
      {"sapphirerapids", "+avx,+avx2,+fma,+avx512f,+amx-tile,+amx-bf16"},
  };
  mlir::moe::CpuPipelineOptions options;
  options.cpu = kCpus[size % 3].cpu;
  options.features = kCpus[size % 3].features;
  mlir::PassManager pm(&context);
  mlir::moe::buildMoeToLoopsPipeline(pm, options);
  (void)pm.run(*module);
  return 0;
}
