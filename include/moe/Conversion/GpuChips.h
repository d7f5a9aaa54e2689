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

/// Whether `chip` names an NVIDIA chip (sm_XY), else an AMD one.
inline bool isNvidiaChip(llvm::StringRef chip) {
  return chip.starts_with("sm_");
}

/// For the NVIDIA chip `chip` (sm_XY, the compute capability of a device):
/// itself when LLVM's NVPTX target knows it, else the newest chip LLVM knows
/// that is not above it (sm_120 for an sm_121 device when LLVM stops at
/// sm_120); nothing when there is none. Arch-specific chips (sm_90a) are
/// never chosen: their code runs on that one chip only.
std::optional<std::string> newestKnownNvidiaChipAtMost(llvm::StringRef chip);

} // namespace mlir::moe

#endif // MOE_CONVERSION_GPUCHIPS_H
