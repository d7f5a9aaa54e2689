//===- EmuCollectives.h - warp collectives of emulated kernels --*- C++ -*-===//
//
// moe-gpu-to-emu's rewriting of the warp-wide ops of a kernel (DESIGN.md §5,
// "Emulator"): nvgpu.ldmatrix, nvgpu.mma.sync, gpu.shuffle,
// gpu.subgroup_reduce and amdgpu.mfma become calls of the emulator's collectives
// (moe_emu.h), each lane passing its operands by value or through scratch
// memory on its own stack.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_LIB_CONVERSION_EMUCOLLECTIVES_H
#define MOE_LIB_CONVERSION_EMUCOLLECTIVES_H

#include "EmuAccessChecks.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::moe {

/// Rewrites the collectives of `func`, an emulated kernel whose warps have
/// `subgroupSize` lanes: 32 for the NVIDIA ones, 64 for amdgpu.mfma (an op of
/// the other kind is an error). With `checks`, a
/// row ldmatrix reads out of bounds is reported and reads as zeros, and the
/// rows read from a workgroup buffer (numbered in `workgroupBuffers`) are
/// told to the race detector. A vendor op the emulator cannot run (other
/// nvgpu ops, amdgpu, nvvm, rocdl) is an error naming it.
LogicalResult
lowerEmuCollectives(ModuleOp module, func::FuncOp func, bool checks,
                    int subgroupSize, const WorkgroupBuffers &workgroupBuffers);

} // namespace mlir::moe

#endif // MOE_LIB_CONVERSION_EMUCOLLECTIVES_H
