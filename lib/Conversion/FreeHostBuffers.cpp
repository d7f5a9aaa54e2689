//===- FreeHostBuffers.cpp - the moe-free-host-buffers pass ---------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::moe {
#define GEN_PASS_DEF_MOEFREEHOSTBUFFERS
#include "moe/Conversion/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The buffer a memref value views (through casts, subviews, reshapes).
Value rootBuffer(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    auto view = dyn_cast<ViewLikeOpInterface>(op);
    if (!view)
      break;
    value = view.getViewSource();
  }
  return value;
}

struct MoeFreeHostBuffersPass
    : public mlir::moe::impl::MoeFreeHostBuffersBase<MoeFreeHostBuffersPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      Region &body = func.getBody();
      SmallVector<func::ReturnOp> returns;
      for (Block &block : body)
        if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator()))
          returns.push_back(ret);
      // One block: every top-level allocation dominates the return.
      if (!body.hasOneBlock() || returns.size() != 1)
        continue;
      func::ReturnOp ret = returns.front();
      llvm::SmallPtrSet<Value, 8> returned;
      for (Value value : ret.getOperands())
        returned.insert(rootBuffer(value));
      OpBuilder b(ret);
      for (auto alloc : body.front().getOps<memref::AllocOp>())
        if (!returned.contains(alloc.getResult()))
          memref::DeallocOp::create(b, alloc.getLoc(), alloc.getResult());
    }
  }
};

} // namespace
