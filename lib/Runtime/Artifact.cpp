//===- Artifact.cpp - a loaded artifact -----------------------------------===//

#include "Artifact.h"

#include "Elf.h"
#include "Files.h"

#include <cerrno>
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
  if (!gpuError.empty())
    return makeError(MOE_ERROR_IO, "cannot load " + name + ": " + gpuError);

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
