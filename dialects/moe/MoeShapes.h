//===- MoeShapes.h - result types of the moe ops ----------------*- C++ -*-===//
//
// One place derives every moe op's result types from its operands, so the
// parser (which prints no result types), the builders and the verifiers agree.
// Callers check operand ranks first; these functions assume them.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_MOESHAPES_H
#define MOE_MOESHAPES_H

#include "moe/MoeDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include <optional>
#include <string>

namespace mlir::moe {

/// f32, f16 or bf16: the element types of activations and weights.
bool isSupportedFloat(Type type);

/// `a * b` where either may be ShapedType::kDynamic.
int64_t mulDims(int64_t a, int64_t b);

/// "?" for a dynamic size, else the number.
std::string dimToString(int64_t size);

/// moe.route: ids [T, k] i32 and weights [T, k] f32.
RankedTensorType inferRouteIdsType(RankedTensorType logits, int64_t k);
RankedTensorType inferRouteWeightsType(RankedTensorType logits, int64_t k);

struct PermuteResultTypes {
  RankedTensorType xp;
  RankedTensorType segments; // offsets [E+1] (permute) or counts [E] (dispatch)
  RankedTensorType rows;
};

/// moe.permute: xp [T·K, H], offsets [E+1], rows [T·K].
PermuteResultTypes inferPermuteTypes(RankedTensorType x, RankedTensorType ids,
                                     int64_t numExperts);
/// moe.dispatch: xp [E·C, H], counts [E], rows [E·C]; C dynamic when absent.
PermuteResultTypes inferDispatchTypes(RankedTensorType x, int64_t numExperts,
                                      std::optional<int64_t> capacity);

/// Out of an expert weight: dim 2 for eio, dim 1 for eoi.
int64_t weightOutDim(RankedTensorType w, WeightLayout layout);
/// In of an expert weight: dim 1 for eio, dim 2 for eoi.
int64_t weightInDim(RankedTensorType w, WeightLayout layout);

/// moe.grouped_gemm: [rows, Out or Out/2] of x's element type, rows being T
/// (combine form: combine weights dim 0), M (gather form: gather rows dim 0),
/// else x dim 0. `gatherRows` and `combineWeights` may be null.
RankedTensorType inferGroupedGemmType(RankedTensorType x, RankedTensorType w,
                                      RankedTensorType gatherRows,
                                      RankedTensorType combineWeights,
                                      bool gated, WeightLayout layout);

/// moe.layer with a capacity factor: `C = max(1, ceil(factor · pairs / E))`
/// in f64, clamped to 2^62 (moe-decompose computes it the same way in IR).
int64_t dispatchCapacity(double factor, int64_t pairs, int64_t numExperts);

/// The largest token count whose capacity keeps E · C rows addressable by
/// i32 row indices (the layer's shape contract); -1 when not even T = 0 is.
int64_t maxTokensForCapacity(double factor, int64_t k, int64_t numExperts);

/// Whether an expert weight's E, In and Out are all static: the tiled
/// (structured) grouped GEMM needs them; the loop kernel serves the others.
bool hasStaticWeightShape(Type weight);

/// moe.unpermute: [T, H] of y's element type.
RankedTensorType inferUnpermuteType(RankedTensorType y,
                                    RankedTensorType weights);

} // namespace mlir::moe

#endif // MOE_MOESHAPES_H
