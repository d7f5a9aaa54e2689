//===- Artifact.h - a loaded artifact (dlopen'ed host object) ---*- C++ -*-===//
//
// An artifact is a host shared object exporting moe_artifact_manifest() and
// one `_mlir_ciface_NAME` per entry (docs/abi.md). Loading reads the whole
// file once and dlopens a private copy of exactly those bytes (unlinked at
// once), so that
//  * what was validated (the disk cache's content hash) is what runs, and
//  * a file overwritten at the same path is really reloaded: glibc's dlopen
//    returns an already loaded object when the path string matches, however
//    the file changed since.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_ARTIFACT_H
#define MOE_RUNTIME_ARTIFACT_H

#include "Errors.h"
#include "GpuDevice.h"
#include "Manifest.h"

#include <memory>
#include <string>
#include <vector>

namespace moe::runtime {

class Artifact {
public:
  ~Artifact();
  Artifact(const Artifact &) = delete;
  Artifact &operator=(const Artifact &) = delete;

  /// Loads an artifact from its file `bytes`. `origin` names it in messages
  /// and is loaded directly when the private copy cannot be made or mapped
  /// (a noexec temporary directory); empty when there is no such file.
  /// `device` runs a GPU artifact's kernels (its module loads when the
  /// artifact does); nullptr for cpu artifacts.
  static Error load(const std::string &bytes, const std::string &origin,
                    std::shared_ptr<const Artifact> &artifact,
                    GpuDevice *device = nullptr);

  const Manifest &manifest() const { return manifestData; }
  /// The entry point of entry `index` (the manifest's `symbol`).
  void *function(size_t index) const { return functions[index]; }
  /// The index of the entry called `name`, or -1.
  int64_t findEntry(const std::string &name) const;
  const std::string &origin() const { return originName; }
  /// The device its mgpu* calls go to, or nullptr (cpu).
  GpuDevice *device() const { return gpuDevice; }

private:
  Artifact() = default;
  void *handle = nullptr;
  Manifest manifestData;
  std::vector<void *> functions;
  std::string originName;
  GpuDevice *gpuDevice = nullptr;
};

} // namespace moe::runtime

#endif // MOE_RUNTIME_ARTIFACT_H
