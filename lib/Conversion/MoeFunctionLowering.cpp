//===- MoeFunctionLowering.cpp - replacing the moe ops of functions -------===//
#include "MoeFunctionLowering.h"
#include "ContractProofs.h"
#include "moe/MoeOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::moe;

LogicalResult mlir::moe::collectMoeOps(Operation *root,
                                      SmallVectorImpl<Operation *> &ops) {
  WalkResult walk = root->walk([&](Operation *op) {
    if (isa<LayerOp>(op)) {
      op->emitOpError("must be decomposed first (run moe-decompose)");
      return WalkResult::interrupt();
    }
    if (isa_and_nonnull<MoeDialect>(op->getDialect()))
      ops.push_back(op);
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult mlir::moe::lowerMoeFunctions(ModuleOp module, bool checks,
                                          MoeOpLowering lower) {
  SmallVector<ContractSite> sites;
  for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
    SmallVector<Operation *> ops;
    if (failed(collectMoeOps(func, ops)))
      return failure();
    if (ops.empty() || func.isExternal())
      continue;
    // Shape violations (moe-check-shapes) are recorded with or without the
    // value checks.
    bool recordsShapes = llvm::any_of(
        ops, [](Operation *op) { return isa<ShapeViolationOp>(op); });
    Value status = findStatusArgument(func);
    if (!status && (checks || recordsShapes)) {
      FailureOr<Value> added = addStatusArgument(module, func);
      if (failed(added))
        return failure();
      status = *added;
    }
    // Decided before any op is replaced: the proofs follow the moe ops'
    // operands to their producers.
    DenseSet<Operation *> proven;
    for (Operation *op : ops)
      if (contractsHoldByConstruction(op))
        proven.insert(op);
    for (Operation *op : ops) {
      OpBuilder builder(op);
      LoopEmitter em(builder, op->getLoc());
      Value opStatus =
          (checks && !proven.contains(op)) || isa<ShapeViolationOp>(op)
              ? status
              : Value();
      FailureOr<SmallVector<Value>> replacements =
          lower(op, em, opStatus, proven.contains(op), sites);
      if (failed(replacements))
        return failure();
      // An op may keep itself for a later pass (a tiled grouped GEMM: its
      // checks are emitted here, its kernel by moe-tile).
      if (op->getNumResults() != 0 &&
          llvm::equal(*replacements, op->getResults()))
        continue;
      // Lowerings build dynamically shaped buffers; a static result type
      // (e.g. a static token count) gets its type back through a cast.
      SmallVector<Value> typed;
      for (auto [result, replacement] :
           llvm::zip_equal(op->getResults(), *replacements)) {
        Value value = replacement;
        if (value.getType() != result.getType())
          value = tensor::CastOp::create(builder, op->getLoc(),
                                         result.getType(), value);
        typed.push_back(value);
      }
      op->replaceAllUsesWith(typed);
      op->erase();
    }
  }
  if (!sites.empty() || checks)
    setContractSites(module, sites);
  return success();
}
