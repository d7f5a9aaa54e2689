//===- Invoke.h - calling an entry through MLIR's C interface ---*- C++ -*-===//
//
// Builds the memref descriptors of docs/abi.md for the caller's inputs
// (packing strided ones), calls `_mlir_ciface_NAME`, decodes the status
// buffer and the returned result descriptors, and frees the results.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_INVOKE_H
#define MOE_RUNTIME_INVOKE_H

#include "Artifact.h"
#include "Errors.h"

#include <functional>
#include <vector>

namespace moe::runtime {

/// A result as the compiled code returned it (valid only inside the
/// consumer callback of invokeEntry).
struct ResultView {
  const TensorSignature *signature = nullptr;
  std::vector<int64_t> shape;
  std::vector<int64_t> strides; ///< in elements, as returned
  const void *data = nullptr;   ///< aligned + offset
  GpuDevice *device = nullptr;  ///< data is in its memory (null: host)
};

/// Copies `view` into `destination` (row-major `strides` in elements): host
/// memory, or for a GPU result also contiguous memory of its device.
/// `what` names the destination in errors ("output").
Error copyResult(const ResultView &view, void *destination,
                 const int64_t *strides, const char *what);

/// The index of the entry `name` (NULL: the only entry).
Error resolveEntry(const Artifact &artifact, const char *name, size_t &index);

/// Checks `inputs` against entry `index`, calls it, and on success hands the
/// results to `consume`; the results are freed afterwards whatever happens.
/// A violated runtime contract gives MOE_ERROR_CONTRACT (consume is not
/// called).
Error invokeEntry(const Artifact &artifact, size_t index,
                  const moe_buffer_t *inputs, size_t numInputs,
                  const std::function<Error(const std::vector<ResultView> &)>
                      &consume);

/// The maximum number of C parameters of an entry (results pointer,
/// arguments, status) this runtime can call.
constexpr size_t kMaxEntryParameters = 64;

} // namespace moe::runtime

#endif // MOE_RUNTIME_INVOKE_H
