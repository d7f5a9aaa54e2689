//===- LoopEmitter.cpp - building loop nests over memrefs -----------------===//
#include "LoopEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::moe;

MemRefType mlir::moe::identityMemRef(ArrayRef<int64_t> shape, Type element) {
  return MemRefType::get(shape, element);
}

Value LoopEmitter::index(int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value LoopEmitter::i32(int64_t value) {
  return arith::ConstantIntOp::create(b, loc, b.getI32Type(), value);
}

Value LoopEmitter::i64(int64_t value) {
  return arith::ConstantIntOp::create(b, loc, b.getI64Type(), value);
}

Value LoopEmitter::f32(double value) {
  return arith::ConstantOp::create(b, loc, b.getF32Type(),
                                   b.getF32FloatAttr(float(value)));
}

Value LoopEmitter::dim(Value memref, int64_t d) {
  return memref::DimOp::create(b, loc, memref, d);
}

Value LoopEmitter::alloc(ArrayRef<int64_t> shape, Type element,
                         ValueRange dynamicSizes) {
  return memref::AllocOp::create(b, loc, identityMemRef(shape, element),
                                 dynamicSizes);
}

Value LoopEmitter::toBuffer(Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, identityMemRef(type.getShape(), type.getElementType()), tensor,
      /*read_only=*/true);
}

Value LoopEmitter::toTensor(Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  return bufferization::ToTensorOp::create(
      b, loc, RankedTensorType::get(type.getShape(), type.getElementType()),
      memref, /*restrict=*/true, /*writable=*/true);
}

void LoopEmitter::fill(Value memref, Value value) {
  linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{memref});
}

void LoopEmitter::forLoop(Value lb, Value ub,
                          function_ref<void(Value)> body) {
  auto loop = scf::ForOp::create(b, loc, lb, ub, index(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(loop.getInductionVar());
}

void LoopEmitter::parallelLoop(Value lb, Value ub,
                               function_ref<void(Value)> body) {
  auto loop = scf::ParallelOp::create(b, loc, ValueRange{lb}, ValueRange{ub},
                                      ValueRange{index(1)});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  body(loop.getInductionVars()[0]);
}

SmallVector<Value>
LoopEmitter::forLoop(Value lb, Value ub, ValueRange init,
                     function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, index(1), init,
      [&](OpBuilder &nested, Location, Value iv, ValueRange carried) {
        OpBuilder::InsertionGuard guard(b);
        b.setInsertionPointToEnd(nested.getInsertionBlock());
        SmallVector<Value> next = body(iv, carried);
        scf::YieldOp::create(b, loc, next);
      });
  return SmallVector<Value>(loop.getResults());
}

void LoopEmitter::ifThen(Value condition, function_ref<void()> then) {
  auto ifOp = scf::IfOp::create(b, loc, condition, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
  then();
}

Value LoopEmitter::ifThenElse(Type type, Value condition,
                              function_ref<Value()> then,
                              function_ref<Value()> otherwise) {
  return ifThenElse(
      TypeRange{type}, condition,
      [&] { return SmallVector<Value>{then()}; },
      [&] { return SmallVector<Value>{otherwise()}; })[0];
}

SmallVector<Value>
LoopEmitter::ifThenElse(TypeRange types, Value condition,
                        function_ref<SmallVector<Value>()> then,
                        function_ref<SmallVector<Value>()> otherwise) {
  auto ifOp = scf::IfOp::create(b, loc, types, condition,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(ifOp.thenBlock());
  scf::YieldOp::create(b, loc, then());
  b.setInsertionPointToEnd(ifOp.elseBlock());
  scf::YieldOp::create(b, loc, otherwise());
  return SmallVector<Value>(ifOp.getResults());
}

Value LoopEmitter::load(Value memref, ValueRange indices) {
  return memref::LoadOp::create(b, loc, memref, indices);
}

void LoopEmitter::store(Value value, Value memref, ValueRange indices) {
  memref::StoreOp::create(b, loc, value, memref, indices);
}

Value LoopEmitter::loadF32(Value memref, ValueRange indices) {
  Value value = load(memref, indices);
  if (value.getType().isF32())
    return value;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), value);
}

void LoopEmitter::storeRounded(Value value, Value memref, ValueRange indices) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  if (element != value.getType())
    value = arith::TruncFOp::create(b, loc, element, value);
  store(value, memref, indices);
}

Value LoopEmitter::toIndex(Value integer) {
  if (integer.getType().isIndex())
    return integer;
  return arith::IndexCastOp::create(b, loc, b.getIndexType(), integer);
}

Value LoopEmitter::toI64(Value value) {
  Type type = value.getType();
  if (type.isInteger(64))
    return value;
  if (type.isIndex())
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), value);
  return arith::ExtSIOp::create(b, loc, b.getI64Type(), value);
}

Value LoopEmitter::toF32(Value integerOrIndex) {
  Value value = toI64(integerOrIndex);
  return arith::SIToFPOp::create(b, loc, b.getF32Type(), value);
}

Value LoopEmitter::clamp(Value value, Value lo, Value hi) {
  Value atLeast = arith::MaxSIOp::create(b, loc, value, lo);
  return arith::MinSIOp::create(b, loc, atLeast, hi);
}

Value LoopEmitter::inRange(Value value, Value lo, Value hi) {
  Value aboveLo =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, value, lo);
  Value belowHi =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, value, hi);
  return arith::AndIOp::create(b, loc, aboveLo, belowHi);
}

Value LoopEmitter::negate(Value condition) {
  Value one = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
  return arith::XOrIOp::create(b, loc, condition, one);
}

Value LoopEmitter::outOfRange(Value value, Value lo, Value hi) {
  return negate(inRange(value, lo, hi));
}
