//===- FreeHostBuffers.cpp - the moe-free-host-buffers pass ---------------===//
#include "moe/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/CastInterfaces.h"
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
    if (auto view = dyn_cast<ViewLikeOpInterface>(op)) {
      value = view.getViewSource();
      continue;
    }
    if (isa<CastOpInterface>(op) && op->getNumOperands() == 1) {
      value = op->getOperand(0);
      continue;
    }
    break;
  }
  return value;
}

/// The buffers `block` owns: its allocations, and the results of its scf.if
/// ops whose every branch passes on a buffer that branch owns.
SmallVector<Value> ownedBuffers(Block &block,
                                const DenseMap<Block *, DenseSet<Value>> &owned) {
  SmallVector<Value> buffers;
  for (Operation &op : block) {
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      buffers.push_back(alloc.getResult());
      continue;
    }
    auto ifOp = dyn_cast<scf::IfOp>(op);
    if (!ifOp || !ifOp.elseBlock())
      continue;
    for (auto [index, result] : llvm::enumerate(ifOp.getResults())) {
      if (!isa<MemRefType>(result.getType()))
        continue;
      bool fresh = llvm::all_of(
          SmallVector<Block *>{ifOp.thenBlock(), ifOp.elseBlock()},
          [&, index = index](Block *branch) {
            Value yielded =
                rootBuffer(branch->getTerminator()->getOperand(index));
            auto it = owned.find(branch);
            return it != owned.end() && it->second.contains(yielded);
          });
      if (fresh)
        buffers.push_back(result);
    }
  }
  return buffers;
}

/// Frees, before `block`'s terminator, every buffer it owns and does not
/// pass on; records what it passes on in `owned` for the parent block.
void freeBlock(Block &block, DenseMap<Block *, DenseSet<Value>> &owned) {
  for (Operation &op : block)
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        freeBlock(nested, owned);
  Operation *terminator = block.getTerminator();
  if (!terminator)
    return;
  DenseSet<Value> passedOn;
  for (Value value : terminator->getOperands())
    passedOn.insert(rootBuffer(value));
  OpBuilder b(terminator);
  DenseSet<Value> &ownedHere = owned[&block];
  for (Value buffer : ownedBuffers(block, owned)) {
    if (passedOn.contains(buffer)) {
      ownedHere.insert(buffer);
      continue;
    }
    memref::DeallocOp::create(b, buffer.getLoc(), buffer);
  }
}

struct MoeFreeHostBuffersPass
    : public mlir::moe::impl::MoeFreeHostBuffersBase<MoeFreeHostBuffersPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      // Unstructured control flow: buffers are left alone (none is made).
      if (!func.getBody().hasOneBlock())
        continue;
      DenseMap<Block *, DenseSet<Value>> owned;
      freeBlock(func.getBody().front(), owned);
    }
  }
};

} // namespace
