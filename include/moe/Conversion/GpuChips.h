//===- GpuChips.h - GPU chip names LLVM knows -------------------*- C++ -*-===//
//
// A chip name that only looks right (sm_999, gfx9999) would reach the LLVM
// backend, which ignores it (nvptx) or stops the process with "LLVM ERROR"
// (amdgcn). Every path from a user's chip to a GPU pipeline checks it here.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_CONVERSION_GPUCHIPS_H
#define MOE_CONVERSION_GPUCHIPS_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::moe {

/// Nothing when LLVM's NVPTX (`nvidia`) or AMDGPU target knows the processor
/// `chip`, else the error: the chip, the target (`targetName`, as the user
/// spelled it) and a few valid chips.
std::optional<std::string> unknownGpuChip(llvm::StringRef chip, bool nvidia,
                                          llvm::StringRef targetName);

} // namespace mlir::moe

#endif // MOE_CONVERSION_GPUCHIPS_H
