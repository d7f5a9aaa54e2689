//===- AlignWorkgroupBuffers.cpp - the moe-align-workgroup-buffers pass ---===//
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEALIGNWORKGROUPBUFFERS
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;

namespace {

/// cp.async moves 16 bytes; so do ldmatrix rows and 8 x 16-bit vectors.
constexpr int64_t kWorkgroupAlignment = 16;

struct MoeAlignWorkgroupBuffersPass
    : public mlir::moe::impl::MoeAlignWorkgroupBuffersBase<
          MoeAlignWorkgroupBuffersPass> {
  void runOnOperation() override {
    StringRef align = LLVM::LLVMDialect::getAlignAttrName();
    IntegerAttr alignment =
        IntegerAttr::get(IntegerType::get(&getContext(), 64),
                         kWorkgroupAlignment);
    getOperation().walk([&](gpu::GPUFuncOp kernel) {
      for (unsigned i = 0; i < kernel.getNumWorkgroupAttributions(); ++i)
        if (!kernel.getWorkgroupAttributionAttr(i, align))
          kernel.setWorkgroupAttributionAttr(i, align, alignment);
    });
  }
};

} // namespace
