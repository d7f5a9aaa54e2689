//===- Manifest.h - the JSON manifest of an artifact ------------*- C++ -*-===//
//
// The manifest an artifact returns from moe_artifact_manifest() (docs/abi.md):
// its entries with their argument and result signatures, and the runtime
// contract sites the status buffer refers to.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_MANIFEST_H
#define MOE_RUNTIME_MANIFEST_H

#include "Errors.h"

#include "moe/Reference/Reference.h"
#include "moe/Runtime/moe_runtime.h"

#include <optional>
#include <string>
#include <vector>

namespace moe::runtime {

/// One argument or result: name, dtype and shape (-1: dynamic).
struct TensorSignature {
  std::string name;
  moe_dtype_t dtype = MOE_DTYPE_F32;
  std::vector<int64_t> shape;

  int32_t rank() const { return static_cast<int32_t>(shape.size()); }
};

struct EntrySignature {
  std::string name;
  std::string symbol;
  /// The entry takes the trailing status memref (compiled with checks).
  bool status = false;
  std::vector<TensorSignature> args;
  std::vector<TensorSignature> results;
};

/// A runtime contract site; the status buffer's [0] is 1 + its index.
struct ContractSite {
  std::string op;
  ref::ContractKind kind = ref::ContractKind::IdsRange;
  std::string tensor;
  int64_t rank = 0;
  // Kind shape: the relation ("ids dim 0 == x dim 0") and the bound's name
  // (empty when it is a number); `tensor` is the subject ("ids dim 0").
  std::string contract;
  std::string bound;
};

struct Manifest {
  int64_t format = 0;
  std::string compiler;
  std::string target;
  /// The GPU chip the kernels were compiled for (sm_90, gfx942; "host" or
  /// a chip for emu); empty for cpu artifacts and older manifests.
  std::string chip;
  /// The CPU the host code was compiled for, where not this machine's
  /// (moe-compile --cpu); empty otherwise.
  std::string cpu;
  /// The features of moe/Support/CpuFeatures.h that the host code may use;
  /// empty in older manifests (nothing is checked then).
  std::vector<std::string> cpuFeatures;
  bool checks = false;
  std::optional<std::string> layerSpec;
  std::vector<EntrySignature> entries;
  std::vector<ContractSite> contracts;
  /// The manifest text as the artifact returned it.
  std::string json;
};

/// The manifest format this runtime reads.
constexpr int64_t kManifestFormat = 2;

/// Parses and validates a manifest. MOE_ERROR_IO on malformed JSON, a
/// missing or mistyped field, an unknown dtype or contract kind, or another
/// format version, naming what is wrong.
Error parseManifest(const std::string &json, Manifest &manifest);

/// "[?, 4]" for the shape {-1, 4}.
std::string formatShape(const std::vector<int64_t> &shape);
std::string formatShape(const int64_t *shape, int64_t rank);

} // namespace moe::runtime

#endif // MOE_RUNTIME_MANIFEST_H
