//===- MoeShapeContracts.cpp - shape relations of the moe ops -------------===//
#include "moe/MoeShapeContracts.h"
#include "moe/MoeOps.h"
#include "moe/MoeShapes.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"

#include <limits>

using namespace mlir;
using namespace mlir::moe;

ShapeSize ShapeSize::dimOf(Value value, StringRef name, int64_t dim,
                           int64_t scale, int64_t offset) {
  return {value, name.str(), dim, scale, offset};
}

ShapeSize ShapeSize::scalar(Value value, StringRef name) {
  return {value, name.str(), kScalar, 1, 0};
}

ShapeSize ShapeSize::quotient(int64_t numerator, StringRef numeratorName,
                              Value value, StringRef name, int64_t dim) {
  ShapeSize size{value, name.str(), dim, 1, 0};
  size.numerator = numerator;
  size.numeratorName = numeratorName.str();
  return size;
}

ShapeSize ShapeSize::constant(int64_t value, StringRef name) {
  return {Value(), name.str(), 0, 1, value};
}

std::optional<int64_t> ShapeSize::staticValue() const {
  if (isConstant())
    return offset;
  if (dim == kScalar)
    return std::nullopt;
  int64_t size = cast<RankedTensorType>(value.getType()).getDimSize(dim);
  if (ShapedType::isDynamic(size))
    return std::nullopt;
  if (numerator)
    return *numerator / std::max<int64_t>(size, 1);
  return scale * size + offset;
}

std::string ShapeSize::describe() const {
  if (isConstant())
    return name.empty() ? std::to_string(offset)
                        : name + " = " + std::to_string(offset);
  std::string text = name;
  if (dim != kScalar)
    text += " dim " + std::to_string(dim);
  if (numerator)
    return numeratorName + " / " + text;
  if (scale != 1)
    text = std::to_string(scale) + " * " + text;
  if (offset > 0)
    text += " + " + std::to_string(offset);
  else if (offset < 0)
    text += " - " + std::to_string(-offset);
  return text;
}

bool ShapeRelation::isStatic() const {
  return subject.staticValue() && bound.staticValue();
}

bool ShapeRelation::holds(Kind kind, int64_t subject, int64_t bound) {
  switch (kind) {
  case Kind::Equal:
    return subject == bound;
  case Kind::AtLeast:
    return subject >= bound;
  case Kind::AtMost:
    return subject <= bound;
  case Kind::MultipleOf:
    return bound > 0 && subject % bound == 0;
  }
  return false;
}

std::string ShapeRelation::contract() const {
  const char *relation = "";
  switch (kind) {
  case Kind::Equal:
    relation = " == ";
    break;
  case Kind::AtLeast:
    relation = " >= ";
    break;
  case Kind::AtMost:
    relation = " <= ";
    break;
  case Kind::MultipleOf:
    relation = " is a multiple of ";
    break;
  }
  return subject.describe() + relation + bound.describe();
}

std::string ShapeRelation::message(int64_t subjectSize,
                                   int64_t boundSize) const {
  std::string operand = "operand '" + subject.name + "'";
  if (subject.dim != ShapeSize::kScalar)
    operand += " dim " + std::to_string(subject.dim);
  std::string got = std::to_string(subjectSize);
  std::string expected = std::to_string(boundSize);
  // The bound's origin, unless it is a bare number.
  std::string origin;
  if (!bound.isConstant())
    origin = " (" + bound.describe() + ")";
  else if (!bound.name.empty())
    origin = " (" + bound.name + ")";
  switch (kind) {
  case Kind::Equal:
    return operand + " (" + what + ") is " + got + " but must be " + expected +
           origin;
  case Kind::AtLeast:
    return operand + " (" + what + ") must be at least " + expected + origin +
           ", got " + got;
  case Kind::AtMost:
    return operand + " (" + what + ") must be at most " + expected + origin +
           ", got " + got;
  case Kind::MultipleOf:
    return operand + " (" + what + ") is " + got +
           " but must be a multiple of " + expected + origin;
  }
  return operand;
}

namespace {

using Kind = ShapeRelation::Kind;

/// Collects one op's relations.
struct Relations {
  std::vector<ShapeRelation> list;

  void add(Kind kind, ShapeSize subject, ShapeSize bound, StringRef what) {
    list.push_back({kind, std::move(subject), std::move(bound), what.str()});
  }
};

ShapeSize dim(Value value, StringRef name, int64_t d, int64_t scale = 1,
              int64_t offset = 0) {
  return ShapeSize::dimOf(value, name, d, scale, offset);
}

ShapeSize constant(int64_t value, StringRef name = "") {
  return ShapeSize::constant(value, name);
}

/// E against the routing attributes (moe.route, moe.layer): K experts must
/// remain after group selection.
void addRoutingRelations(Relations &r, ShapeSize experts, int64_t k,
                         int64_t groups, int64_t groupTopk) {
  r.add(Kind::AtLeast, experts, constant(k, "k"), "E");
  if (groups <= 1 || groupTopk < 1)
    return;
  r.add(Kind::MultipleOf, experts, constant(groups, "groups"), "E");
  // K <= group_topk * E / groups, with groups dividing E.
  int64_t perGroup = (k + groupTopk - 1) / groupTopk;
  r.add(Kind::AtLeast, experts,
        constant(groups * perGroup, "groups * ceil(k / group_topk)"), "E");
}

void addRoute(Relations &r, RouteOp op) {
  ShapeSize experts = dim(op.getLogits(), "logits", 1);
  if (Value bias = op.getBias())
    r.add(Kind::Equal, dim(bias, "bias", 0), experts, "E");
  addRoutingRelations(r, experts, op.getK(), op.getGroups(),
                      op.getGroupTopk());
}

constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();

/// Pair numbers t·K + k, rows and offsets are i32 (DESIGN.md §3): T·K pairs
/// of a [T, K] tensor must number at most 2^31 - 1.
void addPairsFitI32(Relations &r, Value tokensByK, StringRef name) {
  r.add(Kind::AtMost, dim(tokensByK, name, 0),
        ShapeSize::quotient(kI32Max, "(2^31 - 1)", tokensByK, name, 1), "T");
}

void addTokensAndIds(Relations &r, Value x, Value ids) {
  r.add(Kind::Equal, dim(ids, "ids", 0), dim(x, "x", 0), "T");
  r.add(Kind::AtLeast, dim(ids, "ids", 1), constant(1), "K");
  addPairsFitI32(r, ids, "ids");
}

void addDispatch(Relations &r, DispatchOp op) {
  addTokensAndIds(r, op.getX(), op.getIds());
  // Rows and counts are i32: E * C rows must stay below 2^31.
  if (Value capacity = op.getDynamicCapacity(); capacity && op.getNumExperts() > 0)
    r.add(Kind::AtMost, ShapeSize::scalar(capacity, "dynamic_capacity"),
          constant(std::numeric_limits<int32_t>::max() / op.getNumExperts(),
                   "(2^31 - 1) / num_experts"),
          "C");
}

void addGroupedGemm(Relations &r, GroupedGemmOp op) {
  bool eio = op.getWeightLayout() == WeightLayout::ExpertInOut;
  int64_t inDim = eio ? 1 : 2, outDim = eio ? 2 : 1;
  Value w = op.getW();
  ShapeSize experts = dim(w, "w", 0);
  r.add(Kind::AtLeast, experts, constant(1), "E");
  r.add(Kind::Equal, dim(w, "w", inDim), dim(op.getX(), "x", 1), "In");
  bool offsets = op.getSegmentKind() == SegmentKind::Offsets;
  StringRef segmentsName = offsets ? "offsets" : "counts";
  r.add(Kind::Equal, dim(op.getSegments(), segmentsName, 0),
        dim(w, "w", 0, 1, offsets ? 1 : 0), offsets ? "E + 1" : "E");
  if (op.getGated())
    r.add(Kind::MultipleOf, dim(w, "w", outDim), constant(2), "Out");
  if (Value bias = op.getBias()) {
    r.add(Kind::Equal, dim(bias, "bias", 0), experts, "E");
    r.add(Kind::Equal, dim(bias, "bias", 1), dim(w, "w", outDim), "Out");
  }
  Value gatherRows = op.getGatherRows();
  ShapeSize groupedRows = gatherRows ? dim(gatherRows, "gather rows", 0)
                                     : dim(op.getX(), "x", 0);
  if (!offsets)
    r.add(Kind::MultipleOf, groupedRows, experts, "M");
  r.add(Kind::AtMost, groupedRows, constant(kI32Max, "2^31 - 1"), "M");
  if (Value combineRows = op.getCombineRows()) {
    Value weights = op.getCombineWeights();
    r.add(Kind::Equal, dim(combineRows, "combine rows", 0), groupedRows, "M");
    if (gatherRows) {
      r.add(Kind::Equal, dim(op.getX(), "x", 0),
            dim(weights, "combine weights", 0), "T");
      r.add(Kind::Equal, dim(weights, "combine weights", 1),
            constant(op.getGatherK().value_or(0), "gather_k"), "K");
    } else {
      r.add(Kind::AtLeast, dim(weights, "combine weights", 1), constant(1),
            "K");
    }
    addPairsFitI32(r, weights, "combine weights");
  }
}

void addUnpermute(Relations &r, UnpermuteOp op) {
  r.add(Kind::Equal, dim(op.getRows(), "rows", 0), dim(op.getY(), "y", 0),
        "M");
  r.add(Kind::AtLeast, dim(op.getWeights(), "weights", 1), constant(1), "K");
  r.add(Kind::AtMost, dim(op.getY(), "y", 0), constant(kI32Max, "2^31 - 1"),
        "M");
  addPairsFitI32(r, op.getWeights(), "weights");
}

void addLayer(Relations &r, LayerOp op) {
  bool eio = op.getWeightLayout() == WeightLayout::ExpertInOut;
  int64_t inDim = eio ? 1 : 2, outDim = eio ? 2 : 1;
  int64_t gatedScale = op.getGated() ? 2 : 1;
  StringRef gatedWhat = op.getGated() ? "2 * I" : "I";
  ShapeSize hidden = dim(op.getX(), "x", 1);
  ShapeSize experts = dim(op.getRouterW(), "router_w", 1);
  r.add(Kind::Equal, dim(op.getRouterW(), "router_w", 0), hidden, "H");
  if (Value bias = op.getRouterBias())
    r.add(Kind::Equal, dim(bias, "router_bias", 0), experts, "E");
  addRoutingRelations(r, experts, op.getK(), op.getGroups(),
                      op.getGroupTopk());
  if (op.getK() >= 1)
    r.add(Kind::AtMost, dim(op.getX(), "x", 0),
          constant(kI32Max / op.getK(), "(2^31 - 1) / k"), "T");
  // The capacity moe-decompose computes from T must keep E * C rows i32.
  std::optional<APFloat> factor = op.getCapacityFactor();
  int64_t numExperts = op.getNumExperts();
  if (factor && op.getK() >= 1 && !ShapedType::isDynamic(numExperts) &&
      numExperts >= 1)
    r.add(Kind::AtMost, dim(op.getX(), "x", 0),
          constant(maxTokensForCapacity(factor->convertToDouble(), op.getK(),
                                        numExperts),
                   "max T with E * C < 2^31"),
          "T");
  Value down = op.getWDown(), gateUp = op.getWGateUp();
  r.add(Kind::Equal, dim(down, "w_down", 0), experts, "E");
  r.add(Kind::Equal, dim(down, "w_down", outDim), hidden, "H");
  r.add(Kind::Equal, dim(gateUp, "w_gate_up", 0), experts, "E");
  r.add(Kind::Equal, dim(gateUp, "w_gate_up", inDim), hidden, "H");
  r.add(Kind::Equal, dim(gateUp, "w_gate_up", outDim),
        dim(down, "w_down", inDim, gatedScale), gatedWhat);
  Value sharedDown = op.getSharedDown(), sharedGateUp = op.getSharedGateUp();
  if (!sharedDown || !sharedGateUp)
    return;
  // Dense [In, Out] (eio) or [Out, In] (eoi) weights.
  int64_t denseIn = eio ? 0 : 1, denseOut = eio ? 1 : 0;
  r.add(Kind::Equal, dim(sharedDown, "shared_down", denseOut), hidden, "H");
  r.add(Kind::Equal, dim(sharedGateUp, "shared_gate_up", denseIn), hidden,
        "H");
  r.add(Kind::Equal, dim(sharedGateUp, "shared_gate_up", denseOut),
        dim(sharedDown, "shared_down", denseIn, gatedScale),
        op.getGated() ? "2 * SI" : "SI");
}

void addBalanceLoss(Relations &r, BalanceLossOp op) {
  r.add(Kind::Equal, dim(op.getIds(), "ids", 0), dim(op.getLogits(), "logits", 0),
        "T");
  addPairsFitI32(r, op.getIds(), "ids");
}

} // namespace

std::vector<ShapeRelation> mlir::moe::getShapeRelations(Operation *op) {
  Relations r;
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](RouteOp route) { addRoute(r, route); })
      .Case([&](PermuteOp permute) {
        addTokensAndIds(r, permute.getX(), permute.getIds());
      })
      .Case([&](DispatchOp dispatch) { addDispatch(r, dispatch); })
      .Case([&](GroupedGemmOp gemm) { addGroupedGemm(r, gemm); })
      .Case([&](UnpermuteOp unpermute) { addUnpermute(r, unpermute); })
      .Case([&](LayerOp layer) { addLayer(r, layer); })
      .Case([&](BalanceLossOp loss) { addBalanceLoss(r, loss); });
  return std::move(r.list);
}

LogicalResult mlir::moe::verifyStaticShapeRelations(Operation *op) {
  for (const ShapeRelation &relation : getShapeRelations(op)) {
    std::optional<int64_t> subject = relation.subject.staticValue();
    std::optional<int64_t> bound = relation.bound.staticValue();
    if (!subject || !bound ||
        ShapeRelation::holds(relation.kind, *subject, *bound))
      continue;
    return op->emitOpError() << relation.message(*subject, *bound);
  }
  return success();
}
