//===- GroupedGemmBuffers.h - moe.grouped_gemm's operands -------*- C++ -*-===//
//
// How a moe.grouped_gemm's operands map to buffers and sizes (DESIGN.md
// §4.4): the weight layout decides Out, gating halves the result width, a
// gather form counts its rows from the gather rows. Both lowerings read the
// op through it (moe-lower-to-loops and moe-lower-to-gpu), so it lives below
// both rather than in either (DESIGN.md §2).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_GROUPEDGEMMBUFFERS_H
#define MOE_LIB_CONVERSION_GROUPEDGEMMBUFFERS_H

#include "LoopEmitter.h"
#include "moe/MoeOps.h"

namespace mlir::moe {

/// The buffers and sizes of a moe.grouped_gemm: operands as buffers (bias and
/// gatherRows null when absent), `out` the weight's Out, `width` the result
/// width (Out/2 when gated), `numRows` the rows M of the grouped operand
/// (gather rows, else x).
struct GroupedGemmBuffers {
  Value x, w, segments, bias, gatherRows;
  Value numExperts, in, out, width, numRows;
  int64_t staticOut, staticWidth, staticRows;
  Type element; // x's element type, the result's

  static GroupedGemmBuffers create(GroupedGemmOp op, LoopEmitter &em);
  /// A fresh [M, width] result buffer (not initialized).
  Value allocResult(LoopEmitter &em) const;
};

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_GROUPEDGEMMBUFFERS_H
