//===- CpuPipeline.cpp - moe-lower-to-cpu ---------------------------------===//
#include "moe/Conversion/Passes.h"
#include "moe/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// Gives every public function a C interface (`_mlir_ciface_NAME`): the entry
/// points of an artifact (docs/abi.md).
struct ExportEntryPointsPass
    : public PassWrapper<ExportEntryPointsPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(ExportEntryPointsPass)
  StringRef getArgument() const final { return "moe-export-entry-points"; }
  StringRef getDescription() const final {
    return "Mark public functions for C interfaces";
  }
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>())
      if (func.isPublic() && !func.isExternal())
        func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      UnitAttr::get(&getContext()));
  }
};

/// The upstream half: bufferize, free, lower everything to the LLVM dialect.
constexpr const char *kBufferizePipeline =
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline";

constexpr const char *kBuffersToLLVMPipeline =
    "convert-linalg-to-loops,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "canonicalize,"
    "expand-strided-metadata,"
    "lower-affine,"
    // bf16 conversions become integer code: LLVM would call __truncsfbf2,
    // which the libgcc of GCC < 13 (the loader's fallback) lacks.
    "arith-expand{include-bf16=true},"
    "finalize-memref-to-llvm,"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    "convert-arith-to-llvm,"
    "convert-func-to-llvm,"
    "convert-cf-to-llvm,"
    "reconcile-unrealized-casts";

} // namespace

void mlir::moe::buildMoeToLoopsPipeline(OpPassManager &pm,
                                        const CpuPipelineOptions &options) {
  pm.addPass(createMoeDecompose());
  pm.addPass(createCanonicalizerPass());
  MoeLowerToLoopsOptions loops;
  loops.checks = options.checks;
  pm.addPass(createMoeLowerToLoops(loops));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::moe::buildLoopsToLLVMPipeline(OpPassManager &pm) {
  if (failed(parsePassPipeline(kBufferizePipeline, pm, llvm::errs())))
    llvm::report_fatal_error("moe-lower-to-cpu: bad bufferize pipeline");
  buildBuffersToLLVMPipeline(pm);
}

void mlir::moe::addExportEntryPoints(OpPassManager &pm) {
  pm.addPass(std::make_unique<ExportEntryPointsPass>());
}

void mlir::moe::buildBuffersToLLVMPipeline(OpPassManager &pm) {
  addExportEntryPoints(pm);
  if (failed(parsePassPipeline(kBuffersToLLVMPipeline, pm, llvm::errs())))
    llvm::report_fatal_error("moe-lower-to-cpu: bad LLVM pipeline");
}

void mlir::moe::buildCpuPipeline(OpPassManager &pm,
                                 const CpuPipelineOptions &options) {
  buildMoeToLoopsPipeline(pm, options);
  buildLoopsToLLVMPipeline(pm);
}

void mlir::moe::registerMoePipelines() {
  PassRegistration<ExportEntryPointsPass>();
  PassPipelineRegistration<CpuPipelineOptions>(
      "moe-lower-to-cpu",
      "Lower moe ops on tensors to the LLVM dialect for the host CPU",
      buildCpuPipeline);
}
