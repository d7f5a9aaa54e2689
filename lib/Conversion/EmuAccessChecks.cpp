//===- EmuAccessChecks.cpp - bounds and race checks of emulated kernels ---===//
#include "EmuAccessChecks.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/CastInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;
using namespace mlir::moe;

func::FuncOp mlir::moe::declareEmuFunction(OpBuilder &b, ModuleOp module,
                                           StringRef name, FunctionType type) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto func = func::FuncOp::create(b, module.getLoc(), name, type);
  func.setPrivate();
  return func;
}

Value mlir::moe::rootBuffer(Value value) {
  while (Operation *op = value.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(op))
      value = view.getViewSource();
    else if (isa<CastOpInterface>(op) && op->getNumOperands() == 1)
      value = op->getOperand(0);
    else
      break;
  }
  return value;
}

AccessBounds mlir::moe::emitBoundsTest(OpBuilder &b, Location loc,
                                       Value memref, ValueRange indices,
                                       int64_t span) {
  auto index = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  // The first dim whose index is outside [0, size) (an index below 0 is a
  // large unsigned number), found from the last dim back. A span also needs
  // its last element inside, tested apart: start + span - 1 may wrap.
  AccessBounds bounds{Value(), index(0), index(0), index(0)};
  for (int64_t d = int64_t(indices.size()) - 1; d >= 0; --d) {
    Value size = memref::DimOp::create(b, loc, memref, d);
    Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                     indices[d], size);
    Value badIndex = indices[d];
    if (span > 1 && d == int64_t(indices.size()) - 1) {
      Value last = arith::AddIOp::create(b, loc, indices[d], index(span - 1));
      Value lastOk = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                           last, size);
      badIndex = arith::SelectOp::create(b, loc, ok, last, indices[d]);
      ok = arith::AndIOp::create(b, loc, ok, lastOk);
    }
    bounds.inBounds =
        bounds.inBounds ? arith::AndIOp::create(b, loc, bounds.inBounds, ok)
                        : ok;
    bounds.badDim = arith::SelectOp::create(b, loc, ok, bounds.badDim, index(d));
    bounds.badIndex =
        arith::SelectOp::create(b, loc, ok, bounds.badIndex, badIndex);
    bounds.badSize = arith::SelectOp::create(b, loc, ok, bounds.badSize, size);
  }
  return bounds;
}

void mlir::moe::emitOutOfBoundsReport(OpBuilder &b, Location loc,
                                      func::FuncOp report, bool isStore,
                                      bool isWorkgroup,
                                      const AccessBounds &bounds) {
  auto i32 = [&](int32_t v) -> Value {
    return arith::ConstantIntOp::create(b, loc, b.getI32Type(), v);
  };
  auto i64 = [&](Value v) -> Value {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
  };
  func::CallOp::create(b, loc, report,
                       ValueRange{i32(isStore), i32(isWorkgroup),
                                  i64(bounds.badDim), i64(bounds.badIndex),
                                  i64(bounds.badSize)});
}

Value mlir::moe::emitWorkgroupElement(OpBuilder &b, Location loc,
                                     const WorkgroupBuffer &buffer,
                                     Value memref, ValueRange indices) {
  auto type = cast<MemRefType>(memref.getType());
  Value linear = buffer.elementOffset
                     ? buffer.elementOffset
                     : arith::ConstantIndexOp::create(b, loc, 0).getResult();
  Value inMemref = arith::ConstantIndexOp::create(b, loc, 0);
  for (auto [d, idx] : llvm::enumerate(indices)) {
    inMemref = arith::MulIOp::create(
        b, loc, inMemref,
        arith::ConstantIndexOp::create(b, loc, type.getDimSize(d)));
    inMemref = arith::AddIOp::create(b, loc, inMemref, idx);
  }
  return arith::AddIOp::create(b, loc, linear, inMemref);
}

void mlir::moe::emitWorkgroupTrack(OpBuilder &b, Location loc,
                                   func::FuncOp track,
                                   const WorkgroupBuffer &buffer, Value memref,
                                   ValueRange indices, bool isStore,
                                   int64_t span) {
  Value linear = emitWorkgroupElement(b, loc, buffer, memref, indices);
  Value elements =
      arith::ConstantIntOp::create(b, loc, b.getI64Type(), buffer.elements);
  for (int64_t e = 0; e < span; ++e) {
    Value element =
        e == 0 ? linear
               : arith::AddIOp::create(
                     b, loc, linear, arith::ConstantIndexOp::create(b, loc, e));
    func::CallOp::create(
        b, loc, track,
        ValueRange{
            arith::ConstantIntOp::create(b, loc, b.getI32Type(), buffer.id),
            elements,
            arith::IndexCastOp::create(b, loc, b.getI64Type(), element),
            arith::ConstantIntOp::create(b, loc, b.getI32Type(), isStore)});
  }
}

Value mlir::moe::emitElementAddress(OpBuilder &b, Location loc, Value memref,
                                   ValueRange indices) {
  Value pointer = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  if (!indices.empty()) {
    auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
    Value linear = metadata.getOffset();
    for (auto [index, stride] : llvm::zip(indices, metadata.getStrides()))
      linear = arith::AddIOp::create(
          b, loc, linear, arith::MulIOp::create(b, loc, index, stride));
    int64_t bytes =
        cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
    pointer = arith::AddIOp::create(
        b, loc, pointer,
        arith::MulIOp::create(b, loc, linear,
                              arith::ConstantIndexOp::create(b, loc, bytes)));
  }
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), pointer);
}

func::FuncOp mlir::moe::declareOutOfBoundsReport(OpBuilder &b,
                                                 ModuleOp module) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  return declareEmuFunction(b, module, "moe_emu_out_of_bounds",
                            b.getFunctionType({i32, i32, i64, i64, i64}, {}));
}

func::FuncOp mlir::moe::declareWorkgroupTrack(OpBuilder &b, ModuleOp module) {
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  return declareEmuFunction(b, module, "moe_emu_workgroup_access",
                            b.getFunctionType({i32, i64, i64, i32}, {}));
}
