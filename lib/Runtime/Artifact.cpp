//===- Artifact.cpp - a loaded artifact -----------------------------------===//

#include "Artifact.h"
#include "moe/Support/HostAmx.h"

#include "Elf.h"
#include "Files.h"
#include "HostCpu.h"

#include <algorithm>
#include <cerrno>
#include <optional>
#include <utility>
#include <cstdlib>
#include <dlfcn.h>
#include <unistd.h>

namespace moe::runtime {

namespace {

std::string dlError() {
  const char *text = dlerror();
  return text ? text : "unknown dlopen error";
}

/// dlopen()s a private copy of `bytes`; returns nullptr and sets `error` when
/// the copy cannot be written or loaded.
void *openCopy(const std::string &bytes, std::string &error) {
  std::string path =
      tempDirectory() + "/moe-artifact-" + uniqueSuffix() + ".so";
  if (Error written = writeNewFile(path, bytes, 0700)) {
    error = written.message;
    return nullptr;
  }
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    error = dlError();
  unlink(path.c_str());
  return handle;
}

} // namespace

Artifact::~Artifact() {
  if (handle)
    dlclose(handle);
}

int64_t Artifact::findEntry(const std::string &name) const {
  for (size_t i = 0; i < manifestData.entries.size(); ++i)
    if (manifestData.entries[i].name == name)
      return static_cast<int64_t>(i);
  return -1;
}

namespace {

/// The number of "sm_<number>[a]" and whether it has the "a" suffix (the
/// architecture-specific features, which run on that chip only).
std::optional<std::pair<int, bool>> nvidiaChip(const std::string &chip) {
  if (chip.rfind("sm_", 0) != 0 || chip.size() < 4)
    return std::nullopt;
  int number = 0;
  size_t i = 3;
  for (; i < chip.size() && chip[i] >= '0' && chip[i] <= '9'; ++i)
    number = number * 10 + (chip[i] - '0');
  if (i == 3 || (i < chip.size() && chip.substr(i) != "a"))
    return std::nullopt;
  return std::make_pair(number, i < chip.size());
}

/// Why this CPU cannot run the artifact's host code: the features of its
/// manifest that the CPU lacks (or the OS withholds); nullopt where it can.
std::optional<std::string> missingCpuFeaturesMessage(const Manifest &manifest) {
  std::vector<std::string> missing =
      missingCpuFeatures(manifest.cpuFeatures, hostCpuFeatures());
  if (missing.empty())
    return std::nullopt;
  std::string list;
  for (const std::string &feature : missing)
    list += (list.empty() ? "" : ", ") + feature;
  bool amx = std::any_of(missing.begin(), missing.end(),
                         [](const std::string &feature) {
                           return feature.rfind("amx", 0) == 0;
                         });
  return "its code was compiled for " +
         (manifest.cpu.empty() ? std::string("another CPU")
                               : "CPU '" + manifest.cpu + "'") +
         " and uses " + list + ", which this CPU " +
         (amx ? "lacks or the kernel does not grant" : "lacks") +
         " (compile it again here, or with moe-compile --cpu naming this "
         "machine's CPU)";
}

std::optional<std::string> chipMismatch(const std::string &chip,
                                        const GpuDevice *device) {
  if (!device || chip.empty() || device->chip().empty())
    return std::nullopt;
  std::string deviceChip = device->chip();
  if (auto built = nvidiaChip(chip)) {
    auto here = nvidiaChip(deviceChip);
    if (!here)
      return std::nullopt;
    bool runs = built->second ? built->first == here->first
                              : built->first <= here->first;
    if (runs)
      return std::nullopt;
    return "it was compiled for " + chip + " and the " + device->name() +
           " device is " + deviceChip +
           (built->second ? " (sm_XYa code runs on that chip only"
                          : " (PTX runs on its chip and newer ones") +
           "; compile it for " + deviceChip + ")";
  }
  if (chip.rfind("gfx", 0) == 0) {
    std::string base = deviceChip.substr(0, deviceChip.find(':'));
    if (chip == base)
      return std::nullopt;
    return "it was compiled for " + chip + " and the " + device->name() +
           " device is " + base +
           " (an AMD code object runs only on its chip; compile it for " +
           base + ")";
  }
  return std::nullopt;
}

/// The chip in the manifest of the artifact open at `handle` ("" when it
/// has none or it cannot be read).
std::string manifestChip(void *handle) {
  using ManifestFn = const char *(*)();
  auto manifestFn =
      reinterpret_cast<ManifestFn>(dlsym(handle, "moe_artifact_manifest"));
  Manifest manifest;
  if (!manifestFn || !manifestFn() ||
      parseManifest(manifestFn(), manifest))
    return "";
  return manifest.chip;
}

} // namespace

Error Artifact::load(const std::string &bytes, const std::string &origin,
                     std::shared_ptr<const Artifact> &result,
                     GpuDevice *device) {
  std::string name = origin.empty() ? std::string("artifact") : quoted(origin);
  // An ELF object starts with \x7fELF: say so plainly rather than with the
  // loader's "invalid ELF header".
  if (bytes.size() < 4 || bytes.compare(0, 4, "\x7f" "ELF") != 0)
    return makeError(MOE_ERROR_IO,
                     "cannot load " + name + ": not a shared object (" +
                         std::to_string(bytes.size()) + " bytes, no ELF header)");
  // A cut-off object crashes inside dlopen(): refuse it before.
  std::string reason;
  if (!checkSharedObject(bytes.data(), bytes.size(), reason))
    return makeError(MOE_ERROR_IO,
                     (origin.empty() ? std::string("the artifact")
                                     : "artifact " + quoted(origin)) +
                         " is truncated or not a valid shared object: " +
                         reason);
  // Host code compiled for this machine may use AMX tiles, which fault
  // until the process has asked for them.
  ::moe::requestAmxTiles();
  // A GPU artifact loads its kernels in a constructor (mgpuModuleLoad).
  ActiveGpuDevice active(device);
  takeGpuError();
  std::string copyError;
  void *handle = openCopy(bytes, copyError);
  if (!handle && !origin.empty()) {
    handle = dlopen(origin.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      copyError += "; loading it in place: " + dlError();
  }
  if (!handle)
    return makeError(MOE_ERROR_IO, "cannot load " + name + ": " + copyError);

  std::shared_ptr<Artifact> artifact(new Artifact());
  artifact->handle = handle;
  artifact->originName = origin;
  artifact->gpuDevice = device;
  std::string gpuError = takeGpuError();
  if (!gpuError.empty()) {
    // The driver refused the kernels; a chip mismatch says why.
    std::optional<std::string> mismatch =
        chipMismatch(manifestChip(handle), device);
    return makeError(MOE_ERROR_IO, "cannot load " + name + ": " + gpuError +
                                       (mismatch ? " (" + *mismatch + ")"
                                                 : std::string()));
  }

  dlerror();
  using ManifestFn = const char *(*)();
  auto manifestFn = reinterpret_cast<ManifestFn>(
      dlsym(handle, "moe_artifact_manifest"));
  if (!manifestFn)
    return makeError(MOE_ERROR_IO,
                     name + " is not a moe-mlir artifact: it exports no "
                            "moe_artifact_manifest");
  const char *text = manifestFn();
  if (!text)
    return makeError(MOE_ERROR_IO,
                     name + " is not a valid artifact: moe_artifact_manifest "
                            "returned NULL");
  if (Error error = parseManifest(text, artifact->manifestData))
    return makeError(error.status, name + ": " + error.message);
  // The host code's CPU features, then the kernels' chip.
  std::optional<std::string> unrunnable =
      missingCpuFeaturesMessage(artifact->manifestData);
  if (!unrunnable)
    unrunnable = chipMismatch(artifact->manifestData.chip, device);
  if (unrunnable)
    return makeError(MOE_ERROR_INVALID_ARGUMENT,
                     "cannot run " +
                         (origin.empty() ? std::string("the artifact")
                                         : "artifact " + quoted(origin)) +
                         " here: " + *unrunnable);
  for (const EntrySignature &entry : artifact->manifestData.entries) {
    void *function = dlsym(handle, entry.symbol.c_str());
    if (!function)
      return makeError(MOE_ERROR_IO, name + " is not a valid artifact: entry " +
                                         quoted(entry.name) + " has no symbol " +
                                         quoted(entry.symbol));
    artifact->functions.push_back(function);
  }
  result = std::move(artifact);
  return Error::ok();
}

} // namespace moe::runtime
