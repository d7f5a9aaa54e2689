//===- MoeActivation.cpp - the expert activation functions ----------------===//
#include "moe/MoeActivation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include <cmath>

using namespace mlir;
using namespace mlir::moe;

static Value constantLike(OpBuilder &builder, Location loc, Value like,
                          double value) {
  Type type = like.getType();
  FloatAttr scalar = builder.getFloatAttr(getElementTypeOrSelf(type), value);
  if (auto shaped = dyn_cast<ShapedType>(type))
    return arith::ConstantOp::create(builder, loc, shaped,
                                     DenseElementsAttr::get(shaped, scalar));
  return arith::ConstantOp::create(builder, loc, type, scalar);
}

Value mlir::moe::buildActivation(OpBuilder &builder, Location loc, Value value,
                                 Activation activation) {
  // The operation order follows the scalar reference (lib/Reference), so f32
  // results agree to the rounding of exp/erf/tanh.
  auto constant = [&](double c) { return constantLike(builder, loc, value, c); };
  auto mul = [&](Value a, Value b) {
    return arith::MulFOp::create(builder, loc, a, b).getResult();
  };
  auto add = [&](Value a, Value b) {
    return arith::AddFOp::create(builder, loc, a, b).getResult();
  };
  switch (activation) {
  case Activation::None:
    return value;
  case Activation::Relu: {
    // x > 0 ? x : 0 (NaN gives 0, as in the reference).
    Value zero = constant(0.0);
    Value positive = arith::CmpFOp::create(
        builder, loc, arith::CmpFPredicate::OGT, value, zero);
    return arith::SelectOp::create(builder, loc, positive, value, zero);
  }
  case Activation::Silu: {
    Value negated = arith::NegFOp::create(builder, loc, value);
    Value exp = math::ExpOp::create(builder, loc, negated);
    return arith::DivFOp::create(builder, loc, value, add(constant(1.0), exp));
  }
  case Activation::Gelu: {
    // 0.5 x (1 + erf(x / sqrt 2))
    Value scaled =
        arith::DivFOp::create(builder, loc, value, constant(std::sqrt(2.0)));
    Value erf = math::ErfOp::create(builder, loc, scaled);
    return mul(mul(constant(0.5), value), add(constant(1.0), erf));
  }
  case Activation::GeluTanh: {
    // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x x x)))
    Value cubic = mul(mul(mul(constant(0.044715), value), value), value);
    Value scaled = mul(constant(std::sqrt(2.0 / M_PI)), add(value, cubic));
    Value tanh = math::TanhOp::create(builder, loc, scaled);
    return mul(mul(constant(0.5), value), add(constant(1.0), tanh));
  }
  }
  llvm_unreachable("unknown activation");
}
