//===- CpuPipeline.cpp - moe-lower-to-cpu ---------------------------------===//
#include "moe/Conversion/Passes.h"
#include "moe/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/VectorToAMX/VectorToAMX.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
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

} // namespace

void mlir::moe::buildMoeToLoopsPipeline(OpPassManager &pm,
                                        const CpuPipelineOptions &options) {
  pm.addPass(createMoeCheckShapes());
  pm.addPass(createMoeDecompose());
  pm.addPass(createCanonicalizerPass());
  if (options.fuse)
    pm.addPass(createMoeFuse());
  MoeSelectTilesOptions tiles;
  tiles.targetKind = "cpu";
  tiles.chip = options.cpu;
  tiles.features = options.features;
  tiles.tileTable = options.tileTable;
  pm.addPass(createMoeSelectTiles(tiles));
  // Every op but the tiled grouped GEMMs to loops (their contract checks
  // too); those through structured code generation.
  MoeLowerToLoopsOptions loops;
  loops.checks = options.checks;
  pm.addPass(createMoeLowerToLoops(loops));
  pm.addPass(createMoeTile());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createMoeVectorizeTiles());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::moe::buildLoopsToLLVMPipeline(OpPassManager &pm) {
  addBufferization(pm);
  bufferization::buildBufferDeallocationPipeline(pm);
  // Deallocation clones a buffer whose ownership it cannot know (an argument
  // returned through an scf.if, e.g. after moe-check-shapes).
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createMoeCopiesToLinalg());
  // Tiles run in parallel on OpenMP threads (libomp, docs/decisions.md).
  pm.addPass(createForallToParallelLoopPass());
  pm.addPass(createConvertSCFToOpenMPPass());
  // Inlines the memref.alloca_scope around each loop body (it holds no
  // alloca), which the control-flow lowering could not keep in one block.
  pm.addPass(createCanonicalizerPass());
  buildBuffersToLLVMPipeline(pm);
}

void mlir::moe::addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Otherwise an scf.if yielding buffers (moe-check-shapes) gets a fully
  // dynamic layout, which costs a copy into the identity-layout result.
  bufferize.unknownTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

void mlir::moe::addExportEntryPoints(OpPassManager &pm) {
  pm.addPass(std::make_unique<ExportEntryPointsPass>());
}

void mlir::moe::buildBuffersToLLVMPipeline(OpPassManager &pm) {
  addExportEntryPoints(pm);
  // The AMX k steps (bf16 contractions in the pairs layout, moe-vectorize-
  // tiles) become tile loads, tdpbf16ps and tile stores while their
  // transfers still read whole tiles from memory; no other contraction
  // matches.
  pm.addPass(createConvertVectorToAMX());
  pm.addPass(createMoeHoistAmxAccumulators());
  pm.addPass(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToSCFPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // bf16 conversions become integer code: LLVM would call __truncsfbf2,
  // which the libgcc of GCC < 13 (the loader's fallback) lacks.
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  // Buffers come from the runtime's caching allocator (docs/abi.md).
  FinalizeMemRefToLLVMConversionPassOptions memrefs;
  memrefs.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefs));
  // vector.contract of a register tile: one FMA per row and weight vector.
  ConvertVectorToLLVMPassOptions vectors;
  vectors.vectorContractLowering = vector::VectorContractLowering::OuterProduct;
  vectors.amx = true;
  pm.addPass(createConvertVectorToLLVMPass(vectors));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
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
