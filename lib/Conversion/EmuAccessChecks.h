//===- EmuAccessChecks.h - bounds and race checks of emulated kernels -*- C++ -*-===//
//
// What moe-gpu-to-emu emits around a kernel's memory accesses when checks are
// on (docs/abi.md, "Emulator"): the index test, the report of an access out
// of bounds, and the race detector's notice of a workgroup access. Shared by
// the plain accesses (GpuToEmu.cpp) and the warp collectives that read memory
// (EmuCollectives.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_EMUACCESSCHECKS_H
#define MOE_LIB_CONVERSION_EMUACCESSCHECKS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::moe {

/// The private declaration of runtime function `name` in `module` (made once).
func::FuncOp declareEmuFunction(OpBuilder &b, ModuleOp module, StringRef name,
                                FunctionType type);

/// The buffer a memref value views (through views and casts).
Value rootBuffer(Value value);

/// Whether `indices` address `span` elements of `memref` in bounds (`span`
/// consecutive ones along its last dim), and if not the first dim found out
/// of bounds, with its index and size (for the report).
struct AccessBounds {
  Value inBounds, badDim, badIndex, badSize;
};
AccessBounds emitBoundsTest(OpBuilder &b, Location loc, Value memref,
                            ValueRange indices, int64_t span = 1);

/// moe_emu_out_of_bounds(is_store, is_workgroup, dim, index, size).
void emitOutOfBoundsReport(OpBuilder &b, Location loc, func::FuncOp report,
                           bool isStore, bool isWorkgroup,
                           const AccessBounds &bounds);

/// How the race detector numbers the elements of a memref in workgroup
/// memory: buffer `id`, of `elements` elements, and the memref's first
/// element at `elementOffset` (null: 0; a memref.view of a byte buffer
/// starts at its byte shift over its element size).
struct WorkgroupBuffer {
  int32_t id = -1;
  int64_t elements = 0;
  Value elementOffset;
};
using WorkgroupBuffers = llvm::DenseMap<Value, WorkgroupBuffer>;

/// moe_emu_workgroup_access for each of `span` elements of `memref` (static
/// shape, in `buffer`) from `indices` on: the race detector sees them by
/// their row-major element numbers.
void emitWorkgroupTrack(OpBuilder &b, Location loc, func::FuncOp track,
                        const WorkgroupBuffer &buffer, Value memref,
                        ValueRange indices, bool isStore, int64_t span = 1);

/// The row-major element number of `indices` in `memref` (static shape) as
/// the race detector sees it (`buffer`'s offset added).
Value emitWorkgroupElement(OpBuilder &b, Location loc,
                           const WorkgroupBuffer &buffer, Value memref,
                           ValueRange indices);

/// The address of element `indices` of `memref` (none: its first) as an
/// i64, as the runtime's collectives and copies take it.
Value emitElementAddress(OpBuilder &b, Location loc, Value memref,
                         ValueRange indices);

/// The declarations of the two runtime functions above.
func::FuncOp declareOutOfBoundsReport(OpBuilder &b, ModuleOp module);
func::FuncOp declareWorkgroupTrack(OpBuilder &b, ModuleOp module);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_EMUACCESSCHECKS_H
