//===- HostBuffersToGpu.cpp - the moe-host-buffers-to-gpu pass ------------===//
#include "moe/Conversion/Passes.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEHOSTBUFFERSTOGPU
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

struct MoeHostBuffersToGpuPass
    : public mlir::moe::impl::MoeHostBuffersToGpuBase<
          MoeHostBuffersToGpuPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      llvm::SmallPtrSet<Value, 16> moved;
      for (Block &block : func.getBody())
        for (auto alloc :
             llvm::make_early_inc_range(block.getOps<memref::AllocOp>())) {
          OpBuilder b(alloc);
          auto shared = gpu::AllocOp::create(
              b, alloc.getLoc(), alloc.getType(), /*asyncToken=*/Type(),
              /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
              alloc.getSymbolOperands(), b.getUnitAttr());
          alloc.replaceAllUsesWith(shared.getMemref());
          alloc.erase();
          moved.insert(shared.getMemref());
        }
      SmallVector<memref::DeallocOp> deallocs;
      func.walk([&](memref::DeallocOp dealloc) {
        if (moved.contains(dealloc.getMemref()))
          deallocs.push_back(dealloc);
      });
      for (memref::DeallocOp dealloc : deallocs) {
        // gpu-to-llvm lowers only the asynchronous form: free on a stream
        // and wait for it.
        OpBuilder b(dealloc);
        Location loc = dealloc.getLoc();
        Type token = gpu::AsyncTokenType::get(&getContext());
        Value stream =
            gpu::WaitOp::create(b, loc, token, ValueRange()).getAsyncToken();
        Value freed = gpu::DeallocOp::create(b, loc, token, ValueRange{stream},
                                             dealloc.getMemref())
                          .getAsyncToken();
        gpu::WaitOp::create(b, loc, Type(), ValueRange{freed});
        dealloc.erase();
      }
    }
  }
};

} // namespace
