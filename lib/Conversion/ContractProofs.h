//===- ContractProofs.h - contracts that hold by construction ---*- C++ -*-===//
//
// A runtime contract check (DESIGN.md §4) guards an op against operand
// values its verifier cannot see. When those values come from the ops
// moe-decompose builds a layer from, the producer guarantees the contract:
// route's ids lie in [0, E), permute's offsets start at 0, never decrease
// and end at its row count, and its rows are a permutation of the pairs.
// Checking them again costs two kernel launches per contract on a GPU, so
// the lowerings skip the checks of an op whose every checked contract is
// proven here.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_CONTRACTPROOFS_H
#define MOE_LIB_CONVERSION_CONTRACTPROOFS_H

#include "mlir/IR/Operation.h"

namespace mlir::moe {

/// Whether every value contract the lowering of `op` would check holds by
/// construction of its operands (an op with no such contract: false).
/// Proven: moe.permute and moe.dispatch whose ids are moe.route's with as
/// many experts; moe.grouped_gemm (no gather, no combine) whose x rows were
/// grouped by a permute (dispatch) — x is its xp, or the result of such a
/// grouped GEMM — and whose segments are that op's offsets (counts);
/// moe.unpermute whose y rows were grouped so and whose rows are that
/// op's.
bool contractsHoldByConstruction(Operation *op);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_CONTRACTPROOFS_H
