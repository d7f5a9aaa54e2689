//===- LoopEmitter.h - building loop nests over memrefs ---------*- C++ -*-===//
//
// Small helpers that keep the moe op lowerings readable: constants, loops with
// and without carried values, conditionals, and element access that widens
// f16/bf16 to f32 on load and rounds back on store.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_LOOPEMITTER_H
#define MOE_LIB_CONVERSION_LOOPEMITTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::moe {

class LoopEmitter {
public:
  LoopEmitter(OpBuilder &builder, Location loc) : b(builder), loc(loc) {}

  OpBuilder &b;
  Location loc;

  Value index(int64_t value);
  Value i32(int64_t value);
  Value i64(int64_t value);
  Value f32(double value);

  /// Size of dim `d` of a memref, as an index.
  Value dim(Value memref, int64_t d);
  /// A fresh identity-layout buffer; `dynamicSizes` for its `?` dims in order.
  Value alloc(ArrayRef<int64_t> shape, Type element, ValueRange dynamicSizes);
  /// The buffer of a tensor operand (read only).
  Value toBuffer(Value tensor);
  /// A tensor of a buffer this lowering allocated and filled.
  Value toTensor(Value memref);
  /// Fills a buffer with `value`.
  void fill(Value memref, Value value);

  /// for (iv = lb; iv < ub; ++iv) body(iv)
  void forLoop(Value lb, Value ub, function_ref<void(Value)> body);
  /// An scf.parallel loop: iterations that touch disjoint memory (the CPU
  /// pipeline runs them on OpenMP threads).
  void parallelLoop(Value lb, Value ub, function_ref<void(Value)> body);
  /// Loop carrying `init`; `body(iv, carried)` returns the next carried values.
  SmallVector<Value>
  forLoop(Value lb, Value ub, ValueRange init,
          function_ref<SmallVector<Value>(Value, ValueRange)> body);
  void ifThen(Value condition, function_ref<void()> then);
  Value ifThenElse(Type type, Value condition, function_ref<Value()> then,
                   function_ref<Value()> otherwise);
  SmallVector<Value>
  ifThenElse(TypeRange types, Value condition,
             function_ref<SmallVector<Value>()> then,
             function_ref<SmallVector<Value>()> otherwise);

  Value load(Value memref, ValueRange indices);
  void store(Value value, Value memref, ValueRange indices);
  /// Loads a float element widened to f32.
  Value loadF32(Value memref, ValueRange indices);
  /// Stores an f32 value rounded to the buffer's element type.
  void storeRounded(Value value, Value memref, ValueRange indices);

  Value toIndex(Value integer);
  Value toI64(Value value);
  Value toF32(Value integerOrIndex);
  /// min(max(value, lo), hi) on index values.
  Value clamp(Value value, Value lo, Value hi);
  /// lo <= value < hi on integers of one type.
  Value inRange(Value value, Value lo, Value hi);
  /// !(lo <= value < hi): a runtime contract check's condition.
  Value outOfRange(Value value, Value lo, Value hi);
  /// Logical not of an i1.
  Value negate(Value condition);
};

/// `memref<shape x element>` with the identity layout.
MemRefType identityMemRef(ArrayRef<int64_t> shape, Type element);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_LOOPEMITTER_H
