//===- MoeVerifiers.cpp - static shape contracts of the moe ops -----------===//
//
// DESIGN.md §4: every static fact is checked, a dynamic size (`?`) never fails
// a check and a static mismatch always does. Each message names the operand,
// attribute or result, and the dimension it is about.
//
//===----------------------------------------------------------------------===//
#include "moe/MoeOps.h"
#include "moe/MoeShapeContracts.h"
#include "moe/MoeShapes.h"

#include "mlir/IR/Builders.h"
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::moe;

namespace {
/// Emits one op's verifier messages in a uniform shape.
class ContractChecker {
public:
  explicit ContractChecker(Operation *op) : op(op) {}

  /// Operand `name` must be a ranked tensor of `rank`, described by `shape`.
  FailureOr<RankedTensorType> tensor(Value value, StringRef name, int64_t rank,
                                     StringRef shape) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (type && type.getRank() == rank)
      return type;
    return op->emitOpError() << "operand '" << name << "' must be a rank-"
                             << rank << " tensor " << shape << ", got "
                             << value.getType();
  }

  LogicalResult floatElements(RankedTensorType type, StringRef name) {
    if (isSupportedFloat(type.getElementType()))
      return success();
    return op->emitOpError() << "operand '" << name
                             << "' element type must be f32, f16 or bf16, got "
                             << type.getElementType();
  }

  LogicalResult elementType(RankedTensorType type, StringRef name,
                            Type expected) {
    if (type.getElementType() == expected)
      return success();
    return op->emitOpError() << "operand '" << name << "' element type must be "
                             << expected << ", got " << type.getElementType();
  }

  LogicalResult sameElementType(RankedTensorType type, StringRef name,
                                RankedTensorType reference,
                                StringRef referenceName) {
    if (type.getElementType() == reference.getElementType())
      return success();
    return op->emitOpError()
           << "operand '" << name << "' element type " << type.getElementType()
           << " must match operand '" << referenceName << "' element type "
           << reference.getElementType();
  }

  LogicalResult attrAtLeastOne(StringRef name, int64_t value) {
    if (value >= 1)
      return success();
    return op->emitOpError() << "attribute '" << name << "' = " << value
                             << " must be at least 1";
  }

  LogicalResult finitePositive(StringRef name, double value) {
    if (std::isfinite(value) && value > 0)
      return success();
    return op->emitOpError() << "attribute '" << name << "' = " << value
                             << " must be finite and positive";
  }

  /// Result `name` must have exactly the type its operands determine, so that
  /// the printed form (which omits result types) parses back to the same op.
  LogicalResult result(StringRef name, Type actual, Type expected) {
    if (actual == expected)
      return success();
    return op->emitOpError() << "result '" << name << "' must be " << expected
                             << " (determined by the operands), got "
                             << actual;
  }

private:
  Operation *op;
};
} // namespace

static Type i32Type(Operation *op) {
  return IntegerType::get(op->getContext(), 32);
}

static Type f32Type(Operation *op) { return Float32Type::get(op->getContext()); }

/// Routing attributes shared by moe.route and moe.layer (their relations
/// to E are shape relations, MoeShapeContracts.cpp).
static LogicalResult verifyRoutingAttrs(Operation *op, int64_t k,
                                        int64_t groups, int64_t groupTopk,
                                        double scaling) {
  ContractChecker check(op);
  if (failed(check.attrAtLeastOne("k", k)) ||
      failed(check.attrAtLeastOne("groups", groups)))
    return failure();
  if (groupTopk < 1 || groupTopk > groups)
    return op->emitOpError() << "attribute 'group_topk' = " << groupTopk
                             << " must be in [1, groups = " << groups << "]";
  return check.finitePositive("scaling", scaling);
}

//===----------------------------------------------------------------------===//
// moe.route
//===----------------------------------------------------------------------===//

LogicalResult RouteOp::verify() {
  ContractChecker check(*this);
  FailureOr<RankedTensorType> logits =
      check.tensor(getLogits(), "logits", 2, "[T, E]");
  if (failed(logits) || failed(check.floatElements(*logits, "logits")))
    return failure();
  if (Value biasValue = getBias()) {
    FailureOr<RankedTensorType> bias = check.tensor(biasValue, "bias", 1, "[E]");
    if (failed(bias) ||
        failed(check.elementType(*bias, "bias", f32Type(*this))))
      return failure();
  }
  if (failed(verifyRoutingAttrs(*this, getK(), getGroups(), getGroupTopk(),
                                getScaling().convertToDouble())) ||
      failed(verifyStaticShapeRelations(*this)))
    return failure();
  return failure(
      failed(check.result("ids", getIds().getType(),
                          inferRouteIdsType(*logits, getK()))) ||
      failed(check.result("weights", getWeights().getType(),
                          inferRouteWeightsType(*logits, getK()))));
}

//===----------------------------------------------------------------------===//
// moe.permute, moe.dispatch
//===----------------------------------------------------------------------===//

/// The operands both token-ordering ops share: x [T, H] and ids [T, K].
static FailureOr<std::pair<RankedTensorType, RankedTensorType>>
verifyTokensAndIds(Operation *op, Value xValue, Value idsValue,
                   int64_t numExperts) {
  ContractChecker check(op);
  FailureOr<RankedTensorType> x = check.tensor(xValue, "x", 2, "[T, H]");
  if (failed(x) || failed(check.floatElements(*x, "x")))
    return failure();
  FailureOr<RankedTensorType> ids = check.tensor(idsValue, "ids", 2, "[T, K]");
  if (failed(ids) || failed(check.elementType(*ids, "ids", i32Type(op))) ||
      failed(check.attrAtLeastOne("num_experts", numExperts)))
    return failure();
  return std::make_pair(*x, *ids);
}

LogicalResult PermuteOp::verify() {
  auto operands =
      verifyTokensAndIds(*this, getX(), getIds(), getNumExperts());
  if (failed(operands) || failed(verifyStaticShapeRelations(*this)))
    return failure();
  ContractChecker check(*this);
  PermuteResultTypes expected =
      inferPermuteTypes(operands->first, operands->second, getNumExperts());
  return failure(
      failed(check.result("xp", getXp().getType(), expected.xp)) ||
      failed(check.result("offsets", getOffsets().getType(),
                          expected.segments)) ||
      failed(check.result("rows", getRows().getType(), expected.rows)));
}

LogicalResult DispatchOp::verify() {
  auto operands =
      verifyTokensAndIds(*this, getX(), getIds(), getNumExperts());
  if (failed(operands))
    return failure();
  ContractChecker check(*this);
  std::optional<int64_t> capacity = getCapacity();
  if (capacity.has_value() == bool(getDynamicCapacity()))
    return emitOpError() << "needs exactly one capacity: the attribute "
                            "'capacity' or the operand 'dynamic_capacity'";
  if (capacity && failed(check.attrAtLeastOne("capacity", *capacity)))
    return failure();
  // Rows and counts are i32 (DESIGN.md §3).
  int64_t numExperts = static_cast<int64_t>(getNumExperts());
  if (capacity && *capacity > std::numeric_limits<int32_t>::max() / numExperts)
    return emitOpError() << "attribute 'capacity' = " << *capacity
                         << " makes num_experts * capacity = "
                         << getNumExperts() << " * " << *capacity
                         << " rows, more than i32 row indices address";
  if (failed(verifyStaticShapeRelations(*this)))
    return failure();
  PermuteResultTypes expected =
      inferDispatchTypes(operands->first, getNumExperts(), capacity);
  return failure(
      failed(check.result("xp", getXp().getType(), expected.xp)) ||
      failed(check.result("counts", getCounts().getType(),
                          expected.segments)) ||
      failed(check.result("rows", getRows().getType(), expected.rows)));
}

//===----------------------------------------------------------------------===//
// moe.grouped_gemm
//===----------------------------------------------------------------------===//

LogicalResult GroupedGemmOp::verify() {
  // The last row tile of an expert is cut by `tile`'s block_m, so a small
  // or medium tile of more rows would never be used.
  TileAttr tile = getTileAttr();
  for (auto [name, rowTile] : {std::pair{"small_tile", getSmallTileAttr()},
                               std::pair{"medium_tile", getMediumTileAttr()}}) {
    if (!rowTile)
      continue;
    if (!tile)
      return emitOpError("attribute '") << name << "' needs a 'tile'";
    if (rowTile.getBlockM() > tile.getBlockM())
      return emitOpError("attribute '")
             << name << "' block_m = " << rowTile.getBlockM()
             << " must be at most the tile's block_m = " << tile.getBlockM();
  }
  TileAttr small = getSmallTileAttr(), medium = getMediumTileAttr();
  if (small && medium && medium.getBlockM() <= small.getBlockM())
    return emitOpError("attribute 'medium_tile' block_m = ")
           << medium.getBlockM() << " must exceed small_tile's block_m = "
           << small.getBlockM();
  ContractChecker check(*this);
  bool eio = getWeightLayout() == WeightLayout::ExpertInOut;
  bool gather = bool(getGatherRows());
  FailureOr<RankedTensorType> x =
      check.tensor(getX(), "x", 2, gather ? "[T, In]" : "[M, In]");
  if (failed(x) || failed(check.floatElements(*x, "x")))
    return failure();
  FailureOr<RankedTensorType> w =
      check.tensor(getW(), "w", 3, eio ? "[E, In, Out]" : "[E, Out, In]");
  if (failed(w) || failed(check.sameElementType(*w, "w", *x, "x")))
    return failure();

  bool offsets = getSegmentKind() == SegmentKind::Offsets;
  StringRef segmentsName = offsets ? "offsets" : "counts";
  FailureOr<RankedTensorType> segments = check.tensor(
      getSegments(), segmentsName, 1, offsets ? "[E+1]" : "[E]");
  if (failed(segments) ||
      failed(check.elementType(*segments, segmentsName, i32Type(*this))))
    return failure();

  if (Value biasValue = getBias()) {
    FailureOr<RankedTensorType> bias =
        check.tensor(biasValue, "bias", 2, "[E, Out]");
    if (failed(bias) || failed(check.floatElements(*bias, "bias")))
      return failure();
  }

  bool hasGatherK = getGatherK().has_value();
  if (gather) {
    FailureOr<RankedTensorType> rows =
        check.tensor(getGatherRows(), "gather rows", 1, "[M]");
    if (failed(rows) ||
        failed(check.elementType(*rows, "gather rows", i32Type(*this))))
      return failure();
    if (!hasGatherK)
      return emitOpError() << "gather form needs the attribute 'gather_k' "
                              "(K, to map a pair to its token)";
    if (failed(check.attrAtLeastOne("gather_k", *getGatherK())))
      return failure();
  } else if (hasGatherK) {
    return emitOpError() << "attribute 'gather_k' is only valid with the "
                            "gather rows operand";
  }

  if (bool(getCombineRows()) != bool(getCombineWeights()))
    return emitOpError() << "combine form needs both the combine rows and the "
                            "combine weights operands";
  if (getCombineRows()) {
    FailureOr<RankedTensorType> rows =
        check.tensor(getCombineRows(), "combine rows", 1, "[M]");
    if (failed(rows) ||
        failed(check.elementType(*rows, "combine rows", i32Type(*this))))
      return failure();
    FailureOr<RankedTensorType> weights =
        check.tensor(getCombineWeights(), "combine weights", 2, "[T, K]");
    if (failed(weights) ||
        failed(check.elementType(*weights, "combine weights", f32Type(*this))))
      return failure();
  }

  if (failed(verifyStaticShapeRelations(*this)))
    return failure();

  RankedTensorType gatherRows =
      gather ? cast<RankedTensorType>(getGatherRows().getType()) : nullptr;
  RankedTensorType combineWeights =
      getCombineWeights() ? cast<RankedTensorType>(getCombineWeights().getType())
                          : nullptr;
  return check.result("y", getY().getType(),
                      inferGroupedGemmType(*x, *w, gatherRows, combineWeights,
                                           getGated(), getWeightLayout()));
}

//===----------------------------------------------------------------------===//
// moe.unpermute
//===----------------------------------------------------------------------===//

LogicalResult UnpermuteOp::verify() {
  ContractChecker check(*this);
  FailureOr<RankedTensorType> y = check.tensor(getY(), "y", 2, "[M, H]");
  if (failed(y) || failed(check.floatElements(*y, "y")))
    return failure();
  FailureOr<RankedTensorType> rows = check.tensor(getRows(), "rows", 1, "[M]");
  if (failed(rows) || failed(check.elementType(*rows, "rows", i32Type(*this))))
    return failure();
  FailureOr<RankedTensorType> weights =
      check.tensor(getWeights(), "weights", 2, "[T, K]");
  if (failed(weights) ||
      failed(check.elementType(*weights, "weights", f32Type(*this))) ||
      failed(verifyStaticShapeRelations(*this)))
    return failure();
  return check.result("out", getOut().getType(),
                      inferUnpermuteType(*y, *weights));
}

//===----------------------------------------------------------------------===//
// moe.layer
//===----------------------------------------------------------------------===//

LogicalResult LayerOp::verify() {
  ContractChecker check(*this);
  bool eio = getWeightLayout() == WeightLayout::ExpertInOut;
  FailureOr<RankedTensorType> x = check.tensor(getX(), "x", 2, "[T, H]");
  if (failed(x) || failed(check.floatElements(*x, "x")))
    return failure();
  FailureOr<RankedTensorType> router =
      check.tensor(getRouterW(), "router_w", 2, "[H, E]");
  if (failed(router) || failed(check.floatElements(*router, "router_w")))
    return failure();
  if (Value biasValue = getRouterBias()) {
    FailureOr<RankedTensorType> bias =
        check.tensor(biasValue, "router_bias", 1, "[E]");
    if (failed(bias) ||
        failed(check.elementType(*bias, "router_bias", f32Type(*this))))
      return failure();
  }
  if (failed(verifyRoutingAttrs(*this, getK(), getGroups(), getGroupTopk(),
                                getScaling().convertToDouble())))
    return failure();

  FailureOr<RankedTensorType> down = check.tensor(
      getWDown(), "w_down", 3, eio ? "[E, I, H]" : "[E, H, I]");
  if (failed(down) || failed(check.sameElementType(*down, "w_down", *x, "x")))
    return failure();
  FailureOr<RankedTensorType> gateUp = check.tensor(
      getWGateUp(), "w_gate_up", 3,
      eio ? (getGated() ? "[E, H, 2I]" : "[E, H, I]")
          : (getGated() ? "[E, 2I, H]" : "[E, I, H]"));
  if (failed(gateUp) ||
      failed(check.sameElementType(*gateUp, "w_gate_up", *x, "x")))
    return failure();

  if (bool(getSharedGateUp()) != bool(getSharedDown()))
    return emitOpError() << "the shared expert needs both operands "
                            "'shared_gate_up' and 'shared_down'";
  if (Value sharedDownValue = getSharedDown()) {
    FailureOr<RankedTensorType> sharedDown = check.tensor(
        sharedDownValue, "shared_down", 2, eio ? "[SI, H]" : "[H, SI]");
    if (failed(sharedDown) ||
        failed(check.sameElementType(*sharedDown, "shared_down", *x, "x")))
      return failure();
    FailureOr<RankedTensorType> sharedGateUp = check.tensor(
        getSharedGateUp(), "shared_gate_up", 2,
        eio ? (getGated() ? "[H, 2SI]" : "[H, SI]")
            : (getGated() ? "[2SI, H]" : "[SI, H]"));
    if (failed(sharedGateUp) ||
        failed(check.sameElementType(*sharedGateUp, "shared_gate_up", *x,
                                     "x")))
      return failure();
  }
  // The capacity contract computes with the factor: it must be sane first.
  if (std::optional<APFloat> factor = getCapacityFactor())
    if (failed(check.finitePositive("capacity_factor",
                                    factor->convertToDouble())))
      return failure();
  return verifyStaticShapeRelations(*this);
}

//===----------------------------------------------------------------------===//
// moe.balance_loss
//===----------------------------------------------------------------------===//

LogicalResult BalanceLossOp::verify() {
  ContractChecker check(*this);
  FailureOr<RankedTensorType> logits =
      check.tensor(getLogits(), "logits", 2, "[T, E]");
  if (failed(logits) || failed(check.floatElements(*logits, "logits")))
    return failure();
  FailureOr<RankedTensorType> ids = check.tensor(getIds(), "ids", 2, "[T, K]");
  if (failed(ids) || failed(check.elementType(*ids, "ids", i32Type(*this))))
    return failure();
  return verifyStaticShapeRelations(*this);
}
