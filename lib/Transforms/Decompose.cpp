//===- Decompose.cpp - moe.layer into the primitive moe ops ---------------===//
#include "moe/MoeActivation.h"
#include "moe/MoeOps.h"
#include "moe/MoeShapes.h"
#include "moe/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"
#include <algorithm>
#include <cmath>

namespace mlir::moe {
#define GEN_PASS_DEF_MOEDECOMPOSE
#include "moe/Transforms/Passes.h.inc"
} // namespace mlir::moe

using namespace mlir;
using namespace mlir::moe;

namespace {

/// A zero-filled f32 tensor [rows of `like`, cols], the accumulator of a
/// dense matmul.
Value zeroAccumulator(OpBuilder &b, Location loc, Value like, int64_t cols) {
  auto likeType = cast<RankedTensorType>(like.getType());
  SmallVector<Value> dynamicSizes;
  if (likeType.isDynamicDim(0))
    dynamicSizes.push_back(tensor::DimOp::create(b, loc, like, 0));
  Type f32 = b.getF32Type();
  Value empty = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{likeType.getDimSize(0), cols}, f32,
      dynamicSizes);
  Value zero = arith::ConstantOp::create(b, loc, f32, b.getF32FloatAttr(0.0f));
  return linalg::FillOp::create(b, loc, zero, empty).getResult(0);
}

/// `lhs [M, K] · rhs` in f32, rhs being [K, N] or, transposed, [N, K].
Value denseMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                  bool rhsTransposed) {
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t cols = rhsType.getDimSize(rhsTransposed ? 0 : 1);
  Value acc = zeroAccumulator(b, loc, lhs, cols);
  if (rhsTransposed)
    return linalg::MatmulTransposeBOp::create(b, loc, TypeRange{acc.getType()},
                                              ValueRange{lhs, rhs},
                                              ValueRange{acc})
        .getResult(0);
  return linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                                  ValueRange{lhs, rhs}, ValueRange{acc})
      .getResult(0);
}

Value castFloat(OpBuilder &b, Location loc, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, loc, to, value);
  return arith::TruncFOp::create(b, loc, to, value);
}

/// An elementwise linalg.generic over same-shaped 2-D tensors producing
/// `resultElement`; `body` maps the scalar inputs to the scalar result.
Value elementwise(
    OpBuilder &b, Location loc, ValueRange inputs, Type resultElement,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  Value like = inputs.front();
  auto likeType = cast<RankedTensorType>(like.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, like);
  Value init = tensor::EmptyOp::create(b, loc, sizes, resultElement);
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              b.getMultiDimIdentityMap(likeType.getRank()));
  SmallVector<utils::IteratorType> iterators(likeType.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value result = body(nested, nestedLoc, args.drop_back());
        linalg::YieldOp::create(nested, nestedLoc, result);
      });
  return generic.getResult(0);
}

/// Columns [begin, begin + width) of a 2-D tensor.
Value columns(OpBuilder &b, Location loc, Value value, OpFoldResult begin,
              OpFoldResult width) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  sizes[1] = width;
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), begin};
  SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
  return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes, strides);
}

/// Half the columns of a 2-D tensor: where [gate | up] splits.
OpFoldResult halfWidth(OpBuilder &b, Location loc, Value value) {
  int64_t width = cast<RankedTensorType>(value.getType()).getDimSize(1);
  if (!ShapedType::isDynamic(width))
    return b.getIndexAttr(width / 2);
  Value dynamicWidth = tensor::DimOp::create(b, loc, value, 1);
  return arith::DivUIOp::create(b, loc, dynamicWidth,
                                arith::ConstantIndexOp::create(b, loc, 2))
      .getResult();
}

/// The capacity `max(1, ceil(factor · T·K / E))` as an index value, computed
/// in f64 at run time because T is dynamic.
Value dynamicCapacity(OpBuilder &b, Location loc, Value x, int64_t k,
                      int64_t numExperts, double factor) {
  Value tokens = tensor::DimOp::create(b, loc, x, 0);
  Value pairs = arith::MulIOp::create(
      b, loc, tokens, arith::ConstantIndexOp::create(b, loc, k));
  Value pairsI64 =
      arith::IndexCastOp::create(b, loc, b.getI64Type(), pairs);
  Type f64 = b.getF64Type();
  Value pairsF64 = arith::UIToFPOp::create(b, loc, f64, pairsI64);
  Value scaled = arith::MulFOp::create(
      b, loc, arith::ConstantOp::create(b, loc, f64, b.getF64FloatAttr(factor)),
      pairsF64);
  Value perExpert = arith::DivFOp::create(
      b, loc, scaled,
      arith::ConstantOp::create(b, loc, f64,
                                b.getF64FloatAttr(double(numExperts))));
  // Clamped to 2^62 so that the conversion is defined; moe.dispatch's shape
  // contract then refuses any capacity whose rows exceed i32.
  Value ceil = arith::MinimumFOp::create(
      b, loc, math::CeilOp::create(b, loc, perExpert),
      arith::ConstantOp::create(b, loc, f64, b.getF64FloatAttr(0x1p62)));
  Value capacityI64 = arith::FPToUIOp::create(b, loc, b.getI64Type(), ceil);
  Value capacity =
      arith::IndexCastOp::create(b, loc, b.getIndexType(), capacityI64);
  return arith::MaxUIOp::create(b, loc, capacity,
                                arith::ConstantIndexOp::create(b, loc, 1));
}

/// The shared expert: act(x · gate) ⊙ (x · up), rounded to x's element type,
/// times the down projection, in f32.
Value sharedExpert(OpBuilder &b, Location loc, LayerOp op) {
  Value x = op.getX();
  Type element = cast<RankedTensorType>(x.getType()).getElementType();
  bool transposed = op.getWeightLayout() == WeightLayout::ExpertOutIn;
  Activation activation = op.getActivation();
  Value gateUp = denseMatmul(b, loc, x, op.getSharedGateUp(), transposed);
  Value hidden;
  if (op.getGated()) {
    OpFoldResult half = halfWidth(b, loc, gateUp);
    Value gate = columns(b, loc, gateUp, b.getIndexAttr(0), half);
    Value up = columns(b, loc, gateUp, half, half);
    hidden = elementwise(b, loc, {gate, up}, element,
                         [&](OpBuilder &nb, Location l, ValueRange args) {
                           Value act = buildActivation(nb, l, args[0], activation);
                           Value prod = arith::MulFOp::create(nb, l, act, args[1]);
                           return castFloat(nb, l, prod, element);
                         });
  } else {
    hidden = elementwise(b, loc, {gateUp}, element,
                         [&](OpBuilder &nb, Location l, ValueRange args) {
                           Value act = buildActivation(nb, l, args[0], activation);
                           return castFloat(nb, l, act, element);
                         });
  }
  return denseMatmul(b, loc, hidden, op.getSharedDown(), transposed);
}

struct DecomposeLayer : OpRewritePattern<LayerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerOp op,
                                PatternRewriter &rewriter) const override {
    int64_t numExperts = op.getNumExperts();
    if (ShapedType::isDynamic(numExperts))
      return rewriter.notifyMatchFailure(op, "the number of experts is dynamic");
    Location loc = op.getLoc();
    Value x = op.getX();
    auto xType = cast<RankedTensorType>(x.getType());
    WeightLayout layout = op.getWeightLayout();
    int64_t k = op.getK();

    Value logits = denseMatmul(rewriter, loc, x, op.getRouterW(),
                               /*rhsTransposed=*/false);
    auto route = RouteOp::create(
        rewriter, loc, logits, op.getRouterBias(), k, op.getScoring(),
        op.getRenormalize(), op.getScaling().convertToFloat(), op.getGroups(),
        op.getGroupTopk());

    Value xp, segments, rows;
    SegmentKind kind;
    if (std::optional<APFloat> factor = op.getCapacityFactor()) {
      double f = factor->convertToDouble();
      DispatchOp dispatch;
      if (xType.isDynamicDim(0)) {
        Value capacity =
            dynamicCapacity(rewriter, loc, x, k, numExperts, f);
        dispatch = DispatchOp::create(rewriter, loc, x, route.getIds(),
                                      numExperts, capacity);
      } else {
        int64_t capacity =
            dispatchCapacity(f, xType.getDimSize(0) * k, numExperts);
        dispatch = DispatchOp::create(rewriter, loc, x, route.getIds(),
                                      numExperts, capacity);
      }
      xp = dispatch.getXp();
      segments = dispatch.getCounts();
      rows = dispatch.getRows();
      kind = SegmentKind::Counts;
    } else {
      auto permute =
          PermuteOp::create(rewriter, loc, x, route.getIds(), numExperts);
      xp = permute.getXp();
      segments = permute.getOffsets();
      rows = permute.getRows();
      kind = SegmentKind::Offsets;
    }

    Value hidden = GroupedGemmOp::create(
        rewriter, loc, xp, op.getWGateUp(), segments, kind, /*bias=*/Value(),
        op.getActivation(), op.getGated(), layout);
    Value down = GroupedGemmOp::create(rewriter, loc, hidden, op.getWDown(),
                                       segments, kind, /*bias=*/Value(),
                                       Activation::None, /*gated=*/false,
                                       layout);
    Value out =
        UnpermuteOp::create(rewriter, loc, down, rows, route.getWeights());

    if (op.getSharedDown()) {
      Value shared = sharedExpert(rewriter, loc, op);
      Type element = xType.getElementType();
      out = elementwise(rewriter, loc, {out, shared}, element,
                        [&](OpBuilder &nb, Location l, ValueRange args) {
                          Value routed =
                              castFloat(nb, l, args[0], nb.getF32Type());
                          Value sum = arith::AddFOp::create(nb, l, routed, args[1]);
                          return castFloat(nb, l, sum, element);
                        });
    }
    rewriter.replaceOp(op, out);
    return success();
  }
};

struct MoeDecomposePass
    : public mlir::moe::impl::MoeDecomposeBase<MoeDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeLayer>(&getContext());
    walkAndApplyPatterns(getOperation(), std::move(patterns));
    WalkResult leftover = getOperation()->walk([&](LayerOp op) {
      op.emitOpError("cannot be decomposed: the number of experts (router_w "
                     "dim 1) must be static");
      return WalkResult::interrupt();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
