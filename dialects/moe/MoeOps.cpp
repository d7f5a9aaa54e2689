//===- MoeOps.cpp - moe op assembly and builders --------------------------===//
//
// The custom directives of the assembly formats. Result types are never
// printed: the `*ResultTypes` directives print nothing and, when parsing,
// derive the results from the operand types (MoeShapes.h).
//
//===----------------------------------------------------------------------===//
#include "moe/MoeOps.h"
#include "moe/MoeShapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::moe;

/// The parser needs the operand ranks to derive results; a wrong rank is
/// reported here because the verifier never sees an op that failed to parse.
static ParseResult parseRankedOperand(OpAsmParser &parser, Type type,
                                      StringRef operand, int64_t rank,
                                      RankedTensorType &result) {
  result = dyn_cast_or_null<RankedTensorType>(type);
  if (result && result.getRank() == rank)
    return success();
  return parser.emitError(parser.getNameLoc())
         << "operand '" << operand << "' must be a rank-" << rank
         << " tensor for the result types to be inferred, got " << type;
}

//===----------------------------------------------------------------------===//
// Result type directives
//===----------------------------------------------------------------------===//

static ParseResult parseRouteResultTypes(OpAsmParser &parser, Type logitsType,
                                         IntegerAttr k, Type &ids,
                                         Type &weights) {
  RankedTensorType logits;
  if (parseRankedOperand(parser, logitsType, "logits", 2, logits))
    return failure();
  ids = inferRouteIdsType(logits, k.getInt());
  weights = inferRouteWeightsType(logits, k.getInt());
  return success();
}
static void printRouteResultTypes(OpAsmPrinter &, Operation *, Type,
                                  IntegerAttr, Type, Type) {}

static ParseResult parsePermuteResultTypes(OpAsmParser &parser, Type xType,
                                           Type idsType, IntegerAttr experts,
                                           Type &xp, Type &offsets,
                                           Type &rows) {
  RankedTensorType x, ids;
  if (parseRankedOperand(parser, xType, "x", 2, x) ||
      parseRankedOperand(parser, idsType, "ids", 2, ids))
    return failure();
  PermuteResultTypes types = inferPermuteTypes(x, ids, experts.getInt());
  xp = types.xp;
  offsets = types.segments;
  rows = types.rows;
  return success();
}
static void printPermuteResultTypes(OpAsmPrinter &, Operation *, Type, Type,
                                    IntegerAttr, Type, Type, Type) {}

static ParseResult parseDispatchResultTypes(OpAsmParser &parser, Type xType,
                                            IntegerAttr experts,
                                            IntegerAttr capacity, Type &xp,
                                            Type &counts, Type &rows) {
  RankedTensorType x;
  if (parseRankedOperand(parser, xType, "x", 2, x))
    return failure();
  std::optional<int64_t> staticCapacity;
  if (capacity)
    staticCapacity = capacity.getInt();
  PermuteResultTypes types =
      inferDispatchTypes(x, experts.getInt(), staticCapacity);
  xp = types.xp;
  counts = types.segments;
  rows = types.rows;
  return success();
}
static void printDispatchResultTypes(OpAsmPrinter &, Operation *, Type,
                                     IntegerAttr, IntegerAttr, Type, Type,
                                     Type) {}

static ParseResult
parseGroupedGemmResultType(OpAsmParser &parser, Type xType, Type wType,
                           Type gatherRowsType, Type combineWeightsType,
                           UnitAttr gated, WeightLayoutAttr layout, Type &y) {
  RankedTensorType x, w, gatherRows, combineWeights;
  if (parseRankedOperand(parser, xType, "x", 2, x) ||
      parseRankedOperand(parser, wType, "w", 3, w))
    return failure();
  if (gatherRowsType &&
      parseRankedOperand(parser, gatherRowsType, "gather rows", 1, gatherRows))
    return failure();
  if (combineWeightsType &&
      parseRankedOperand(parser, combineWeightsType, "combine weights", 2,
                         combineWeights))
    return failure();
  y = inferGroupedGemmType(x, w, gatherRows, combineWeights, bool(gated),
                           layout ? layout.getValue() : WeightLayout::ExpertInOut);
  return success();
}
static void printGroupedGemmResultType(OpAsmPrinter &, Operation *, Type, Type,
                                       Type, Type, UnitAttr, WeightLayoutAttr,
                                       Type) {}

static ParseResult parseUnpermuteResultType(OpAsmParser &parser, Type yType,
                                            Type weightsType, Type &out) {
  RankedTensorType y, weights;
  if (parseRankedOperand(parser, yType, "y", 2, y) ||
      parseRankedOperand(parser, weightsType, "weights", 2, weights))
    return failure();
  out = inferUnpermuteType(y, weights);
  return success();
}
static void printUnpermuteResultType(OpAsmPrinter &, Operation *, Type, Type,
                                     Type) {}

//===----------------------------------------------------------------------===//
// Operand directives
//===----------------------------------------------------------------------===//

/// `capacity(16)` or `capacity(%c)`.
static ParseResult
parseCapacity(OpAsmParser &parser,
              std::optional<OpAsmParser::UnresolvedOperand> &dynamicCapacity,
              IntegerAttr &capacity) {
  OpAsmParser::UnresolvedOperand operand;
  OptionalParseResult hasOperand = parser.parseOptionalOperand(operand);
  if (hasOperand.has_value()) {
    if (failed(*hasOperand))
      return failure();
    dynamicCapacity = operand;
    return success();
  }
  int64_t value = 0;
  if (parser.parseInteger(value))
    return failure();
  capacity = parser.getBuilder().getI64IntegerAttr(value);
  return success();
}
static void printCapacity(OpAsmPrinter &printer, Operation *,
                          Value dynamicCapacity, IntegerAttr capacity) {
  if (dynamicCapacity)
    printer << dynamicCapacity;
  else if (capacity)
    printer << capacity.getInt();
}

/// `offsets(%o)` or `counts(%c)`.
static ParseResult parseSegments(OpAsmParser &parser,
                                 OpAsmParser::UnresolvedOperand &segments,
                                 SegmentKindAttr &kind) {
  StringRef keyword;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<SegmentKind> parsed = symbolizeSegmentKind(keyword);
  if (!parsed)
    return parser.emitError(loc)
           << "expected 'offsets' or 'counts' before the segments operand";
  kind = SegmentKindAttr::get(parser.getContext(), *parsed);
  return failure(parser.parseLParen() || parser.parseOperand(segments) ||
                 parser.parseRParen());
}
static void printSegments(OpAsmPrinter &printer, Operation *, Value segments,
                          SegmentKindAttr kind) {
  printer << stringifySegmentKind(kind.getValue()) << "(" << segments << ")";
}

/// `gated`, a custom directive so that the result type directive can refer to
/// it (a unit attribute in an optional group has no parser variable).
static ParseResult parseGatedFlag(OpAsmParser &parser, UnitAttr &gated) {
  if (succeeded(parser.parseOptionalKeyword("gated")))
    gated = parser.getBuilder().getUnitAttr();
  return success();
}
static void printGatedFlag(OpAsmPrinter &printer, Operation *, UnitAttr gated) {
  if (gated)
    printer << " gated";
}

#define GET_OP_CLASSES
#include "moe/MoeOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Builders
//===----------------------------------------------------------------------===//

void RouteOp::build(OpBuilder &builder, OperationState &state, Value logits,
                    Value bias, int64_t k, Scoring scoring, bool renormalize,
                    float scaling, int64_t groups, int64_t groupTopk) {
  auto logitsType = cast<RankedTensorType>(logits.getType());
  build(builder, state, inferRouteIdsType(logitsType, k),
        inferRouteWeightsType(logitsType, k), logits, bias, uint64_t(k),
        scoring, renormalize, llvm::APFloat(scaling), uint64_t(groups),
        uint64_t(groupTopk));
}

void PermuteOp::build(OpBuilder &builder, OperationState &state, Value x,
                      Value ids, int64_t numExperts) {
  PermuteResultTypes types =
      inferPermuteTypes(cast<RankedTensorType>(x.getType()),
                        cast<RankedTensorType>(ids.getType()), numExperts);
  build(builder, state, types.xp, types.segments, types.rows, x, ids,
        uint64_t(numExperts));
}

void DispatchOp::build(OpBuilder &builder, OperationState &state, Value x,
                       Value ids, int64_t numExperts, int64_t capacity) {
  PermuteResultTypes types = inferDispatchTypes(
      cast<RankedTensorType>(x.getType()), numExperts, capacity);
  build(builder, state, types.xp, types.segments, types.rows, x, ids,
        /*dynamic_capacity=*/Value(), builder.getI64IntegerAttr(numExperts),
        builder.getI64IntegerAttr(capacity));
}

void DispatchOp::build(OpBuilder &builder, OperationState &state, Value x,
                       Value ids, int64_t numExperts, Value dynamicCapacity) {
  PermuteResultTypes types = inferDispatchTypes(
      cast<RankedTensorType>(x.getType()), numExperts, std::nullopt);
  build(builder, state, types.xp, types.segments, types.rows, x, ids,
        dynamicCapacity, builder.getI64IntegerAttr(numExperts),
        /*capacity=*/IntegerAttr());
}

void GroupedGemmOp::build(OpBuilder &builder, OperationState &state, Value x,
                          Value w, Value segments, SegmentKind segmentKind,
                          Value bias, Activation activation, bool gated,
                          WeightLayout weightLayout) {
  Type y = inferGroupedGemmType(cast<RankedTensorType>(x.getType()),
                                cast<RankedTensorType>(w.getType()),
                                /*gatherRows=*/nullptr,
                                /*combineWeights=*/nullptr, gated,
                                weightLayout);
  build(builder, state, y, x, w, segments, bias, /*gather_rows=*/Value(),
        /*combine_rows=*/Value(), /*combine_weights=*/Value(), segmentKind,
        /*gather_k=*/IntegerAttr(), activation, gated, weightLayout,
        /*tile=*/TileAttr(), /*small_tile=*/TileAttr(),
        /*medium_tile=*/TileAttr());
}

void UnpermuteOp::build(OpBuilder &builder, OperationState &state, Value y,
                        Value rows, Value weights) {
  build(builder, state,
        inferUnpermuteType(cast<RankedTensorType>(y.getType()),
                           cast<RankedTensorType>(weights.getType())),
        y, rows, weights);
}

//===----------------------------------------------------------------------===//
// Accessors
//===----------------------------------------------------------------------===//

int64_t GroupedGemmOp::getNumExperts() {
  return cast<RankedTensorType>(getW().getType()).getDimSize(0);
}

int64_t GroupedGemmOp::getGemmOut() {
  return weightOutDim(cast<RankedTensorType>(getW().getType()),
                      getWeightLayout());
}

int64_t GroupedGemmOp::getNumGroupedRows() {
  Value rowsSource = getGatherRows() ? getGatherRows() : getX();
  return cast<RankedTensorType>(rowsSource.getType()).getDimSize(0);
}

int64_t LayerOp::getNumExperts() {
  return cast<RankedTensorType>(getRouterW().getType()).getDimSize(1);
}

int64_t LayerOp::getIntermediateSize() {
  return weightInDim(cast<RankedTensorType>(getWDown().getType()),
                     getWeightLayout());
}
