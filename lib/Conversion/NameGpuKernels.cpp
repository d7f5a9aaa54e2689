//===- NameGpuKernels.cpp - the moe-name-gpu-kernels pass -----------------===//
#include "GpuKernels.h"
#include "moe/Conversion/Passes.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOENAMEGPUKERNELS
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

struct MoeNameGpuKernelsPass
    : public mlir::moe::impl::MoeNameGpuKernelsBase<MoeNameGpuKernelsPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    auto module = FlatSymbolRefAttr::get(context, kKernelModule);
    auto dense = FlatSymbolRefAttr::get(context, "dense");
    getOperation().walk([&](gpu::LaunchOp launch) {
      launch.setModuleAttr(module);
      if (!launch.getFunction())
        launch.setFunctionAttr(dense);
    });
  }
};

} // namespace
