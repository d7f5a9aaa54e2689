//===- moe-opt.cpp - the moe pass driver ----------------------------------===//
//
// mlir-opt with the moe dialect and passes: every upstream dialect, pass and
// extension is registered too, so moe pipelines can be mixed with upstream ones.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"
#include "moe/MoeDialect.h"
#include "moe/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR inside the pass.
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::registerAllPasses();
  registry.insert<mlir::moe::MoeDialect>();
  mlir::moe::registerMoePasses();
  mlir::moe::registerMoeConversionPasses();
  mlir::moe::registerMoePipelines();
  mlir::moe::registerMoeGpuPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "moe-mlir pass driver\n", registry));
}
