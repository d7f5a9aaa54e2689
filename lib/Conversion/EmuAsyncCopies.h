//===- EmuAsyncCopies.h - cp.async in emulated kernels ----------*- C++ -*-===//
//
// moe-gpu-to-emu's rewriting of a kernel's asynchronous copies
// (nvgpu.device_async_copy, device_async_create_group, device_async_wait)
// into calls of the emulator's per-thread copy queue (moe_emu.h).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_EMUASYNCCOPIES_H
#define MOE_LIB_CONVERSION_EMUASYNCCOPIES_H

#include "EmuAccessChecks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::moe {

/// Rewrites the asynchronous copies of `func`, an emulated kernel. With
/// `checks`, a copy whose destination or source is out of bounds is skipped
/// and reported; one into a workgroup buffer (in `workgroupBuffers`) is a
/// store to the race detector when it lands.
LogicalResult lowerEmuAsyncCopies(ModuleOp module, func::FuncOp func,
                                  bool checks,
                                  const WorkgroupBuffers &workgroupBuffers);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_EMUASYNCCOPIES_H
