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
  auto constant = [&](double c) { return constantLike(builder, loc, value, c); };
  switch (activation) {
  case Activation::None:
    return value;
  case Activation::Relu:
    return arith::MaximumFOp::create(builder, loc, value, constant(0.0));
  case Activation::Silu: {
    Value negated = arith::NegFOp::create(builder, loc, value);
    Value exp = math::ExpOp::create(builder, loc, negated);
    Value denominator = arith::AddFOp::create(builder, loc, constant(1.0), exp);
    return arith::DivFOp::create(builder, loc, value, denominator);
  }
  case Activation::Gelu: {
    Value scaled = arith::MulFOp::create(builder, loc, value,
                                         constant(1.0 / std::sqrt(2.0)));
    Value erf = math::ErfOp::create(builder, loc, scaled);
    Value onePlus = arith::AddFOp::create(builder, loc, constant(1.0), erf);
    Value half = arith::MulFOp::create(builder, loc, value, constant(0.5));
    return arith::MulFOp::create(builder, loc, half, onePlus);
  }
  case Activation::GeluTanh: {
    Value cube = arith::MulFOp::create(
        builder, loc, arith::MulFOp::create(builder, loc, value, value), value);
    Value inner = arith::AddFOp::create(
        builder, loc, value,
        arith::MulFOp::create(builder, loc, cube, constant(0.044715)));
    Value scaled = arith::MulFOp::create(builder, loc, inner,
                                         constant(std::sqrt(2.0 / M_PI)));
    Value tanh = math::TanhOp::create(builder, loc, scaled);
    Value onePlus = arith::AddFOp::create(builder, loc, constant(1.0), tanh);
    Value half = arith::MulFOp::create(builder, loc, value, constant(0.5));
    return arith::MulFOp::create(builder, loc, half, onePlus);
  }
  }
  llvm_unreachable("unknown activation");
}
