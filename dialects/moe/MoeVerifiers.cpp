//===- MoeVerifiers.cpp - static shape contracts of the moe ops -----------===//
//
// DESIGN.md §4: every static fact is checked, a dynamic size (`?`) never fails
// a check and a static mismatch always does. Each message names the operand,
// attribute or result, and the dimension it is about.
//
//===----------------------------------------------------------------------===//
#include "moe/MoeOps.h"
#include "moe/MoeShapes.h"

#include "mlir/IR/Builders.h"
#include <cmath>

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

  /// Dim `dim` of operand `name` must equal `expected`, explained by `what`.
  LogicalResult dimEquals(StringRef name, RankedTensorType type, int64_t dim,
                          int64_t expected, const Twine &what) {
    int64_t size = type.getDimSize(dim);
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(expected) ||
        size == expected)
      return success();
    return op->emitOpError() << "operand '" << name << "' dim " << dim
                             << " is " << size << " but must be " << expected
                             << " (" << what << ")";
  }

  /// Dim `dim` of operand `name`, which is `what`, must be at least 1.
  LogicalResult dimPositive(StringRef name, RankedTensorType type, int64_t dim,
                            StringRef what) {
    int64_t size = type.getDimSize(dim);
    if (ShapedType::isDynamic(size) || size >= 1)
      return success();
    return op->emitOpError() << "operand '" << name << "' dim " << dim << " ("
                             << what << ") must be at least 1, got " << size;
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

/// Routing attributes shared by moe.route and moe.layer; `numExperts` comes
/// from `expertsSource` (named in the messages).
static LogicalResult verifyRoutingAttrs(Operation *op, int64_t numExperts,
                                        StringRef expertsSource, int64_t k,
                                        int64_t groups, int64_t groupTopk,
                                        double scaling) {
  ContractChecker check(op);
  if (failed(check.attrAtLeastOne("k", k)) ||
      failed(check.attrAtLeastOne("groups", groups)))
    return failure();
  if (groupTopk < 1 || groupTopk > groups)
    return op->emitOpError() << "attribute 'group_topk' = " << groupTopk
                             << " must be in [1, groups = " << groups << "]";
  if (failed(check.finitePositive("scaling", scaling)))
    return failure();
  if (ShapedType::isDynamic(numExperts))
    return success();
  if (k > numExperts)
    return op->emitOpError() << "attribute 'k' = " << k
                             << " must not exceed the number of experts E = "
                             << numExperts << " (" << expertsSource << ")";
  if (numExperts % groups != 0)
    return op->emitOpError() << "attribute 'groups' = " << groups
                             << " must divide the number of experts E = "
                             << numExperts << " (" << expertsSource << ")";
  int64_t selectable = groupTopk * (numExperts / groups);
  if (k > selectable)
    return op->emitOpError()
           << "attribute 'k' = " << k << " must not exceed group_topk * E / "
           << "groups = " << groupTopk << " * " << numExperts << " / "
           << groups << " = " << selectable
           << ", the experts left after group selection";
  return success();
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
  int64_t numExperts = logits->getDimSize(1);
  if (Value biasValue = getBias()) {
    FailureOr<RankedTensorType> bias = check.tensor(biasValue, "bias", 1, "[E]");
    if (failed(bias) ||
        failed(check.elementType(*bias, "bias", f32Type(*this))) ||
        failed(check.dimEquals("bias", *bias, 0, numExperts,
                               "E, logits dim 1")))
      return failure();
  }
  if (failed(verifyRoutingAttrs(*this, numExperts, "logits dim 1", getK(),
                                getGroups(), getGroupTopk(),
                                getScaling().convertToDouble())))
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
      failed(check.dimEquals("ids", *ids, 0, x->getDimSize(0), "T, x dim 0")) ||
      failed(check.dimPositive("ids", *ids, 1, "K")) ||
      failed(check.attrAtLeastOne("num_experts", numExperts)))
    return failure();
  return std::make_pair(*x, *ids);
}

LogicalResult PermuteOp::verify() {
  auto operands =
      verifyTokensAndIds(*this, getX(), getIds(), getNumExperts());
  if (failed(operands))
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
  if (TileAttr small = getSmallTileAttr()) {
    TileAttr tile = getTileAttr();
    if (!tile)
      return emitOpError("attribute 'small_tile' needs a 'tile'");
    if (small.getBlockM() > tile.getBlockM())
      return emitOpError("attribute 'small_tile' block_m = ")
             << small.getBlockM() << " must be at most the tile's block_m = "
             << tile.getBlockM();
  }
  ContractChecker check(*this);
  bool eio = getWeightLayout() == WeightLayout::ExpertInOut;
  bool gather = bool(getGatherRows());
  FailureOr<RankedTensorType> x =
      check.tensor(getX(), "x", 2, gather ? "[T, In]" : "[M, In]");
  if (failed(x) || failed(check.floatElements(*x, "x")))
    return failure();
  FailureOr<RankedTensorType> w =
      check.tensor(getW(), "w", 3, eio ? "[E, In, Out]" : "[E, Out, In]");
  if (failed(w) || failed(check.sameElementType(*w, "w", *x, "x")) ||
      failed(check.dimPositive("w", *w, 0, "E")) ||
      failed(check.dimEquals("w", *w, eio ? 1 : 2, x->getDimSize(1),
                             "In, x dim 1")))
    return failure();
  int64_t numExperts = w->getDimSize(0);
  int64_t out = getGemmOut();

  bool offsets = getSegmentKind() == SegmentKind::Offsets;
  StringRef segmentsName = offsets ? "offsets" : "counts";
  FailureOr<RankedTensorType> segments = check.tensor(
      getSegments(), segmentsName, 1, offsets ? "[E+1]" : "[E]");
  if (failed(segments) ||
      failed(check.elementType(*segments, segmentsName, i32Type(*this))))
    return failure();
  int64_t segmentsLength =
      offsets && !ShapedType::isDynamic(numExperts) ? numExperts + 1
                                                    : numExperts;
  if (failed(check.dimEquals(segmentsName, *segments, 0, segmentsLength,
                             offsets ? "E + 1, w dim 0 plus one"
                                     : "E, w dim 0")))
    return failure();

  if (getGated() && !ShapedType::isDynamic(out) && out % 2 != 0)
    return emitOpError() << "attribute 'gated' needs an even Out to split "
                            "into [gate | up], but w dim "
                         << (eio ? 2 : 1) << " is " << out;

  if (Value biasValue = getBias()) {
    FailureOr<RankedTensorType> bias =
        check.tensor(biasValue, "bias", 2, "[E, Out]");
    if (failed(bias) || failed(check.floatElements(*bias, "bias")) ||
        failed(check.dimEquals("bias", *bias, 0, numExperts, "E, w dim 0")) ||
        failed(check.dimEquals("bias", *bias, 1, out, "Out of w")))
      return failure();
  }

  bool hasGatherK = getGatherK().has_value();
  int64_t gatherK = getGatherK().value_or(0);
  if (gather) {
    FailureOr<RankedTensorType> rows =
        check.tensor(getGatherRows(), "gather rows", 1, "[M]");
    if (failed(rows) ||
        failed(check.elementType(*rows, "gather rows", i32Type(*this))))
      return failure();
    if (!hasGatherK)
      return emitOpError() << "gather form needs the attribute 'gather_k' "
                              "(K, to map a pair to its token)";
    if (failed(check.attrAtLeastOne("gather_k", gatherK)))
      return failure();
  } else if (hasGatherK) {
    return emitOpError() << "attribute 'gather_k' is only valid with the "
                            "gather rows operand";
  }

  int64_t groupedRows = getNumGroupedRows();
  StringRef groupedRowsName = gather ? "gather rows" : "x";
  if (!offsets && !ShapedType::isDynamic(groupedRows) &&
      !ShapedType::isDynamic(numExperts) && groupedRows % numExperts != 0)
    return emitOpError() << "operand '" << groupedRowsName << "' dim 0 is "
                         << groupedRows << " but the counts (padded [E, C]) "
                         << "layout needs a multiple of E = " << numExperts;

  if (bool(getCombineRows()) != bool(getCombineWeights()))
    return emitOpError() << "combine form needs both the combine rows and the "
                            "combine weights operands";
  if (getCombineRows()) {
    FailureOr<RankedTensorType> rows =
        check.tensor(getCombineRows(), "combine rows", 1, "[M]");
    if (failed(rows) ||
        failed(check.elementType(*rows, "combine rows", i32Type(*this))) ||
        failed(check.dimEquals("combine rows", *rows, 0, groupedRows,
                               "M, " + groupedRowsName + " dim 0")))
      return failure();
    FailureOr<RankedTensorType> weights =
        check.tensor(getCombineWeights(), "combine weights", 2, "[T, K]");
    if (failed(weights) ||
        failed(check.elementType(*weights, "combine weights", f32Type(*this))))
      return failure();
    if (gather) {
      if (failed(check.dimEquals("x", *x, 0, weights->getDimSize(0),
                                 "T, combine weights dim 0")))
        return failure();
      int64_t k = weights->getDimSize(1);
      if (!ShapedType::isDynamic(k) && gatherK != k)
        return emitOpError() << "attribute 'gather_k' = " << gatherK
                             << " must equal K = " << k
                             << " (combine weights dim 1)";
    }
  }

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
  if (failed(rows) ||
      failed(check.elementType(*rows, "rows", i32Type(*this))) ||
      failed(check.dimEquals("rows", *rows, 0, y->getDimSize(0), "M, y dim 0")))
    return failure();
  FailureOr<RankedTensorType> weights =
      check.tensor(getWeights(), "weights", 2, "[T, K]");
  if (failed(weights) ||
      failed(check.elementType(*weights, "weights", f32Type(*this))))
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
  int64_t hidden = x->getDimSize(1);
  FailureOr<RankedTensorType> router =
      check.tensor(getRouterW(), "router_w", 2, "[H, E]");
  if (failed(router) || failed(check.floatElements(*router, "router_w")) ||
      failed(check.dimEquals("router_w", *router, 0, hidden, "H, x dim 1")))
    return failure();
  int64_t numExperts = router->getDimSize(1);
  if (Value biasValue = getRouterBias()) {
    FailureOr<RankedTensorType> bias =
        check.tensor(biasValue, "router_bias", 1, "[E]");
    if (failed(bias) ||
        failed(check.elementType(*bias, "router_bias", f32Type(*this))) ||
        failed(check.dimEquals("router_bias", *bias, 0, numExperts,
                               "E, router_w dim 1")))
      return failure();
  }
  if (failed(verifyRoutingAttrs(*this, numExperts, "router_w dim 1", getK(),
                                getGroups(), getGroupTopk(),
                                getScaling().convertToDouble())))
    return failure();

  // w_down fixes I; w_gate_up must then produce 2·I (gated) or I columns.
  unsigned inIdx = eio ? 1 : 2, outIdx = eio ? 2 : 1;
  FailureOr<RankedTensorType> down = check.tensor(
      getWDown(), "w_down", 3, eio ? "[E, I, H]" : "[E, H, I]");
  if (failed(down) || failed(check.sameElementType(*down, "w_down", *x, "x")) ||
      failed(check.dimEquals("w_down", *down, 0, numExperts,
                             "E, router_w dim 1")) ||
      failed(check.dimEquals("w_down", *down, outIdx, hidden, "H, x dim 1")))
    return failure();
  int64_t inter = down->getDimSize(inIdx);
  int64_t gateUpWidth = getGated() ? mulDims(2, inter) : inter;
  StringRef gateUpWhat =
      getGated() ? "2 * I, twice the I of w_down" : "I, the I of w_down";
  FailureOr<RankedTensorType> gateUp = check.tensor(
      getWGateUp(), "w_gate_up", 3,
      eio ? (getGated() ? "[E, H, 2I]" : "[E, H, I]")
          : (getGated() ? "[E, 2I, H]" : "[E, I, H]"));
  if (failed(gateUp) ||
      failed(check.sameElementType(*gateUp, "w_gate_up", *x, "x")) ||
      failed(check.dimEquals("w_gate_up", *gateUp, 0, numExperts,
                             "E, router_w dim 1")) ||
      failed(check.dimEquals("w_gate_up", *gateUp, inIdx, hidden,
                             "H, x dim 1")) ||
      failed(check.dimEquals("w_gate_up", *gateUp, outIdx, gateUpWidth,
                             gateUpWhat)))
    return failure();

  if (bool(getSharedGateUp()) != bool(getSharedDown()))
    return emitOpError() << "the shared expert needs both operands "
                            "'shared_gate_up' and 'shared_down'";
  if (Value sharedDownValue = getSharedDown()) {
    unsigned denseIn = eio ? 0 : 1, denseOut = eio ? 1 : 0;
    FailureOr<RankedTensorType> sharedDown = check.tensor(
        sharedDownValue, "shared_down", 2, eio ? "[SI, H]" : "[H, SI]");
    if (failed(sharedDown) ||
        failed(check.sameElementType(*sharedDown, "shared_down", *x, "x")) ||
        failed(check.dimEquals("shared_down", *sharedDown, denseOut, hidden,
                               "H, x dim 1")))
      return failure();
    int64_t sharedInter = sharedDown->getDimSize(denseIn);
    FailureOr<RankedTensorType> sharedGateUp = check.tensor(
        getSharedGateUp(), "shared_gate_up", 2,
        eio ? (getGated() ? "[H, 2SI]" : "[H, SI]")
            : (getGated() ? "[2SI, H]" : "[SI, H]"));
    if (failed(sharedGateUp) ||
        failed(check.sameElementType(*sharedGateUp, "shared_gate_up", *x,
                                     "x")) ||
        failed(check.dimEquals("shared_gate_up", *sharedGateUp, denseIn,
                               hidden, "H, x dim 1")) ||
        failed(check.dimEquals(
            "shared_gate_up", *sharedGateUp, denseOut,
            getGated() ? mulDims(2, sharedInter) : sharedInter,
            getGated() ? "2 * SI, twice the SI of shared_down"
                       : "SI, the SI of shared_down")))
      return failure();
  }

  if (std::optional<APFloat> factor = getCapacityFactor())
    return check.finitePositive("capacity_factor", factor->convertToDouble());
  return success();
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
  if (failed(ids) || failed(check.elementType(*ids, "ids", i32Type(*this))) ||
      failed(check.dimEquals("ids", *ids, 0, logits->getDimSize(0),
                             "T, logits dim 0")))
    return failure();
  return success();
}
