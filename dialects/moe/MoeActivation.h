//===- MoeActivation.h - the expert activation functions ---------*- C++ -*-===//
//
// The activation of DESIGN.md §4.4 as arith/math ops on f32 scalars or
// vectors, shared by every lowering so each target computes the same formula.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_MOEACTIVATION_H
#define MOE_MOEACTIVATION_H

#include "moe/MoeDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::moe {

/// relu max(v, 0); silu v / (1 + exp(-v)); gelu 0.5 v (1 + erf(v / sqrt 2));
/// gelu_tanh 0.5 v (1 + tanh(sqrt(2 / pi) (v + 0.044715 v^3))); none v.
/// `value` is f32 (scalar or vector).
Value buildActivation(OpBuilder &builder, Location loc, Value value,
                      Activation activation);

} // namespace mlir::moe

#endif // MOE_MOEACTIVATION_H
