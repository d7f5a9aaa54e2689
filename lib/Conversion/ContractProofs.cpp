//===- ContractProofs.cpp - contracts that hold by construction -----------===//
#include "ContractProofs.h"
#include "moe/MoeOps.h"

using namespace mlir;
using namespace mlir::moe;

namespace {

/// The moe.permute or moe.dispatch whose grouped rows `value`'s rows are,
/// one for one: its xp, or the result of a grouped GEMM (no gather, no
/// combine) of such rows.
Operation *rowsGroupedBy(Value value) {
  if (auto permute = value.getDefiningOp<PermuteOp>())
    return value == permute.getXp() ? permute.getOperation() : nullptr;
  if (auto dispatch = value.getDefiningOp<DispatchOp>())
    return value == dispatch.getXp() ? dispatch.getOperation() : nullptr;
  if (auto gemm = value.getDefiningOp<GroupedGemmOp>())
    if (!gemm.getGatherRows() && !gemm.getCombineRows())
      return rowsGroupedBy(gemm.getX());
  return nullptr;
}

/// Whether `ids` are moe.route's for `numExperts` experts.
bool idsFromRoute(Value ids, int64_t numExperts) {
  auto route = ids.getDefiningOp<RouteOp>();
  if (!route || ids != route.getIds())
    return false;
  auto logits = cast<RankedTensorType>(route.getLogits().getType());
  return logits.getRank() == 2 && !logits.isDynamicDim(1) &&
         logits.getDimSize(1) == numExperts;
}

/// Whether `segments` are the offsets (counts) of the op that grouped `x`.
bool segmentsOfGrouping(GroupedGemmOp gemm) {
  if (gemm.getGatherRows() || gemm.getCombineRows())
    return false;
  Operation *grouping = rowsGroupedBy(gemm.getX());
  Value segments = gemm.getSegments();
  if (auto permute = dyn_cast_or_null<PermuteOp>(grouping))
    return gemm.getSegmentKind() == SegmentKind::Offsets &&
           segments == permute.getOffsets();
  if (auto dispatch = dyn_cast_or_null<DispatchOp>(grouping))
    return gemm.getSegmentKind() == SegmentKind::Counts &&
           segments == dispatch.getCounts();
  return false;
}

/// Whether `rows` are those of the op that grouped `y`.
bool rowsOfGrouping(UnpermuteOp unpermute) {
  Operation *grouping = rowsGroupedBy(unpermute.getY());
  Value rows = unpermute.getRows();
  if (auto permute = dyn_cast_or_null<PermuteOp>(grouping))
    return rows == permute.getRows();
  if (auto dispatch = dyn_cast_or_null<DispatchOp>(grouping))
    return rows == dispatch.getRows();
  return false;
}

} // namespace

bool mlir::moe::contractsHoldByConstruction(Operation *op) {
  if (auto permute = dyn_cast<PermuteOp>(op))
    return idsFromRoute(permute.getIds(), permute.getNumExperts());
  if (auto dispatch = dyn_cast<DispatchOp>(op))
    return idsFromRoute(dispatch.getIds(), dispatch.getNumExperts());
  if (auto gemm = dyn_cast<GroupedGemmOp>(op))
    return segmentsOfGrouping(gemm);
  if (auto unpermute = dyn_cast<UnpermuteOp>(op))
    return rowsOfGrouping(unpermute);
  return false;
}
