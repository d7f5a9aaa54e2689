//===- HostBuffersToGpu.cpp - the moe-host-buffers-to-gpu pass ------------===//
//
// After this pass the host code of a GPU module only allocates, copies and
// frees buffers through the gpu dialect and launches kernels: on CUDA and HIP
// the buffers are device memory that the host cannot dereference, so any
// other host access is reported here rather than crashing at run time. The
// ops are synchronous; gpu-async-region later chains them on one stream.
//
//===----------------------------------------------------------------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEHOSTBUFFERSTOGPU
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The ops of `func` that run on the host (not inside a gpu.launch).
SmallVector<Operation *> hostOps(func::FuncOp func) {
  SmallVector<Operation *> ops;
  func.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
    if (isa<gpu::LaunchOp>(op)) {
      ops.push_back(op);
      return WalkResult::skip();
    }
    ops.push_back(op);
    return WalkResult::advance();
  });
  return ops;
}

/// Whether `op` reads or writes memref data on the host.
bool touchesBuffers(Operation *op) {
  if (isa<gpu::GPUDialect>(op->getDialect()))
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [](const MemoryEffects::EffectInstance &e) {
    Value value = e.getValue();
    return value && isa<BaseMemRefType>(value.getType()) &&
           isa<MemoryEffects::Read, MemoryEffects::Write>(e.getEffect());
  });
}

struct MoeHostBuffersToGpuPass
    : public mlir::moe::impl::MoeHostBuffersToGpuBase<
          MoeHostBuffersToGpuPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      llvm::SmallPtrSet<Value, 16> moved;
      for (Operation *op : hostOps(func)) {
        OpBuilder b(op);
        Location loc = op->getLoc();
        if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
          auto device = gpu::AllocOp::create(
              b, loc, alloc.getType(), /*asyncToken=*/Type(),
              /*asyncDependencies=*/ValueRange(), alloc.getDynamicSizes(),
              alloc.getSymbolOperands(), /*hostShared=*/UnitAttr());
          alloc.replaceAllUsesWith(device.getMemref());
          alloc.erase();
          moved.insert(device.getMemref());
        } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
          gpu::MemcpyOp::create(b, loc, /*asyncToken=*/Type(), ValueRange(),
                                copy.getTarget(), copy.getSource());
          copy.erase();
        }
      }
      for (Operation *op : hostOps(func)) {
        if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
          if (!moved.contains(dealloc.getMemref()))
            continue;
          OpBuilder b(dealloc);
          gpu::DeallocOp::create(b, dealloc.getLoc(), /*asyncToken=*/Type(),
                                 ValueRange(), dealloc.getMemref());
          dealloc.erase();
        } else if (touchesBuffers(op)) {
          op->emitOpError()
              << "reads or writes a buffer in the host code of a GPU "
                 "function ('"
              << func.getSymName()
              << "'); its buffers live in device memory, so only kernels "
                 "may access them";
          return signalPassFailure();
        }
      }
    }
  }
};

} // namespace
