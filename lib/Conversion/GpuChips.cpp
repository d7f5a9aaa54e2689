//===- GpuChips.cpp - GPU chip names LLVM knows ---------------------------===//
#include "moe/Conversion/GpuChips.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <mutex>

namespace {

/// LLVM's subtarget information of the generic processor of `triple`, whose
/// tables list every chip; nullptr and `error` set when the target is absent.
std::unique_ptr<llvm::MCSubtargetInfo> genericSubtarget(const char *triple,
                                                        std::string &error) {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargetMCs();
  });
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(llvm::Triple(triple), error);
  if (!target)
    return nullptr;
  // Making subtarget info for an unknown chip itself would print a warning
  // on stderr; the generic processor's never does.
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(llvm::Triple(triple), "", ""));
  if (!generic)
    error = "LLVM has no subtarget information for " + std::string(triple);
  return generic;
}

/// The number of "sm_<number>" (no suffix), or nothing.
std::optional<unsigned> nvidiaChipNumber(llvm::StringRef chip) {
  unsigned number = 0;
  if (!chip.consume_front("sm_") || chip.empty() ||
      chip.getAsInteger(10, number))
    return std::nullopt;
  return number;
}

} // namespace

std::optional<std::string>
mlir::moe::newestKnownNvidiaChipAtMost(llvm::StringRef chip) {
  std::optional<unsigned> wanted = nvidiaChipNumber(chip);
  if (!wanted)
    return std::nullopt;
  std::string error;
  std::unique_ptr<llvm::MCSubtargetInfo> generic =
      genericSubtarget("nvptx64-nvidia-cuda", error);
  if (!generic)
    return std::nullopt;
  std::optional<unsigned> best;
  for (const llvm::SubtargetSubTypeKV &processor :
       generic->getAllProcessorDescriptions()) {
    std::optional<unsigned> number = nvidiaChipNumber(processor.Key);
    if (number && *number <= *wanted && (!best || *number > *best))
      best = number;
  }
  if (!best)
    return std::nullopt;
  return "sm_" + std::to_string(*best);
}

std::optional<std::string>
mlir::moe::unknownGpuChip(llvm::StringRef chip, bool nvidia,
                          llvm::StringRef targetName) {
  const char *triple = nvidia ? "nvptx64-nvidia-cuda" : "amdgcn-amd-amdhsa";
  static const char *const nvidiaExamples[] = {
      "sm_70", "sm_80", "sm_86", "sm_89", "sm_90", "sm_90a", "sm_100"};
  static const char *const amdExamples[] = {
      "gfx908", "gfx90a", "gfx942", "gfx950", "gfx1030", "gfx1100", "gfx1201"};
  llvm::ArrayRef<const char *> examples =
      nvidia ? llvm::ArrayRef<const char *>(nvidiaExamples)
             : llvm::ArrayRef<const char *>(amdExamples);
  std::string error;
  std::unique_ptr<llvm::MCSubtargetInfo> generic =
      genericSubtarget(triple, error);
  if (!generic)
    return "target " + targetName.str() + " is not available in this LLVM (" +
           triple + "): " + error;
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
