//===- DispatchCapacity.h - moe.dispatch's capacity and rows ----*- C++ -*-===//
//
// The capacity C of a moe.dispatch (DESIGN.md §4.3), static or an operand,
// and the E·C rows it gives. Both lowerings size their buffers from it
// (moe-lower-to-loops and moe-lower-to-gpu), so it lives below both rather
// than in either (DESIGN.md §2).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_DISPATCHCAPACITY_H
#define MOE_LIB_CONVERSION_DISPATCHCAPACITY_H

#include "ContractChecks.h"
#include "moe/MoeOps.h"

namespace mlir::moe {

/// The capacity C of a moe.dispatch as an index, and its E·C rows: static
/// when C is, else `rowSizes` holds E·C. A dynamic C below 1 is a contract
/// violation (checked through `checks`); it is clamped at 0, which keeps
/// every buffer empty and valid.
struct DispatchCapacity {
  Value capacity;
  int64_t staticRows;
  SmallVector<Value> rowSizes;

  static DispatchCapacity create(DispatchOp op, LoopEmitter &em,
                                 ContractRecorder &checks);
  Value numRows(LoopEmitter &em) const;
};

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_DISPATCHCAPACITY_H
