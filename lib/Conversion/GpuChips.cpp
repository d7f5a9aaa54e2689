//===- GpuChips.cpp - GPU chip names LLVM knows ---------------------------===//
#include "moe/Conversion/GpuChips.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <mutex>

std::optional<std::string>
mlir::moe::unknownGpuChip(llvm::StringRef chip, bool nvidia,
                          llvm::StringRef targetName) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargetMCs();
  });
  const char *triple = nvidia ? "nvptx64-nvidia-cuda" : "amdgcn-amd-amdhsa";
  static const char *const nvidiaExamples[] = {
      "sm_70", "sm_80", "sm_86", "sm_89", "sm_90", "sm_90a", "sm_100"};
  static const char *const amdExamples[] = {
      "gfx908", "gfx90a", "gfx942", "gfx950", "gfx1030", "gfx1100", "gfx1201"};
  llvm::ArrayRef<const char *> examples =
      nvidia ? llvm::ArrayRef<const char *>(nvidiaExamples)
             : llvm::ArrayRef<const char *>(amdExamples);
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return "target " + targetName.str() + " is not available in this LLVM (" +
           triple + "): " + error;
  // The generic processor's tables list every chip; making subtarget info
  // for an unknown chip itself would print a warning on stderr.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(llvm::Triple(triple), "", ""));
  if (!generic)
    return "LLVM has no subtarget information for " + std::string(triple);
  if (generic->isCPUStringValid(chip))
    return std::nullopt;
  std::string valid;
  for (const char *example : examples)
    if (generic->isCPUStringValid(example))
      valid += (valid.empty() ? "" : ", ") + std::string(example);
  return "unknown chip '" + chip.str() + "' for target " + targetName.str() +
         " (LLVM's " + triple + " processors include " + valid + "; " +
         std::to_string(generic->getAllProcessorDescriptions().size()) +
         " in all)";
}
