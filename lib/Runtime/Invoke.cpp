//===- Invoke.cpp - calling an entry through MLIR's C interface -----------===//

#include "Invoke.h"

#include "Buffers.h"
#include "HostAllocator.h"

#include "moe/Support/CheckedMath.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <utility>

extern "C" void _mlir_memref_to_llvm_free(void *pointer);

namespace moe::runtime {

namespace {

/// Device inputs are passed at this alignment (see the staging below).
constexpr uintptr_t kDeviceInputAlignment = 16;

//===----------------------------------------------------------------------===//
// Calling a `void f(void *, ..., void *)` with N pointer parameters
//===----------------------------------------------------------------------===//

using Caller = void (*)(void *, void **);

template <size_t... I>
void callWith(void *function, [[maybe_unused]] void **parameters,
              std::index_sequence<I...>) {
  using Fn = void (*)(decltype((void)I, static_cast<void *>(nullptr))...);
  reinterpret_cast<Fn>(function)(parameters[I]...);
}

template <size_t N> void callN(void *function, void **parameters) {
  callWith(function, parameters, std::make_index_sequence<N>{});
}

template <size_t... N>
constexpr std::array<Caller, sizeof...(N)> makeCallers(std::index_sequence<N...>) {
  return {&callN<N>...};
}

constexpr std::array<Caller, kMaxEntryParameters + 1> kCallers =
    makeCallers(std::make_index_sequence<kMaxEntryParameters + 1>{});

//===----------------------------------------------------------------------===//
// Descriptors
//===----------------------------------------------------------------------===//

/// Words of a rank-r descriptor: allocated, aligned, offset, sizes, strides.
size_t descriptorWords(size_t rank) { return 3 + 2 * rank; }

/// A copy of an argument: host memory, or the device's for GPU artifacts.
struct StagingDeleter {
  GpuDevice *device = nullptr;
  void operator()(void *p) const {
    if (device)
      device->release(p);
    else
      std::free(p);
  }
};
using Staging = std::unique_ptr<void, StagingDeleter>;

void *allocateStaging(size_t bytes, GpuDevice *device) {
  if (device) {
    std::string ignored;
    return device->allocate(bytes, ignored);
  }
  size_t rounded;
  if (!checkedRoundUp(bytes, 64, rounded))
    return nullptr; // reported by the caller as out of memory
  return std::aligned_alloc(64, rounded ? rounded : 64);
}

} // namespace

Error copyResult(const ResultView &view, void *destination,
                 const int64_t *strides, const char *what) {
  int64_t rank = static_cast<int64_t>(view.shape.size());
  size_t size = dtypeSize(view.signature->dtype);
  int64_t count = elementCount(view.shape.data(), rank);
  if (count == 0)
    return Error::ok();
  if (!view.device) {
    stridedCopy(destination, strides, view.data, view.strides.data(),
                view.shape.data(), rank, size);
    return Error::ok();
  }
  // The elements the result's descriptor spans, from its first; the
  // descriptor comes from compiled code, so its arithmetic is checked too.
  int64_t span = 1, spanBytes = 0;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t reach;
    if (view.strides[d] < 0 ||
        !checkedMul(view.shape[d] - 1, view.strides[d], reach) ||
        !checkedAdd(span, reach, span))
      return makeError(MOE_ERROR_INTERNAL,
                       "result " + quoted(view.signature->name) +
                           " has a negative or overflowing stride");
  }
  if (!checkedMul(span, static_cast<int64_t>(size), spanBytes))
    return makeError(MOE_ERROR_INTERNAL,
                     "result " + quoted(view.signature->name) + " spans " +
                         std::to_string(span) +
                         " elements, more bytes than fit in int64");
  std::vector<int64_t> rowMajor = rowMajorStrides(view.shape.data(), rank);
  bool denseResult = view.strides == rowMajor;
  bool denseDestination =
      std::equal(rowMajor.begin(), rowMajor.end(), strides);
  std::string error;
  if (view.device->isDeviceMemory(destination)) {
    if (!denseResult || !denseDestination)
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       std::string(what) + " " +
                           quoted(view.signature->name) + " is strided " +
                           view.device->name() +
                           " device memory; device buffers must be "
                           "contiguous row-major");
    if (!view.device->copy(destination, view.data,
                           static_cast<size_t>(count) * size, error))
      return makeError(MOE_ERROR_INTERNAL, "copying result " +
                                               quoted(view.signature->name) +
                                               " failed: " + error);
    return Error::ok();
  }
  std::vector<char> host;
  void *target = destination;
  if (!denseResult || !denseDestination) {
    host.resize(static_cast<size_t>(spanBytes));
    target = host.data();
  }
  if (!view.device->copy(target, view.data, static_cast<size_t>(spanBytes),
                         error))
    return makeError(MOE_ERROR_INTERNAL, "reading result " +
                                             quoted(view.signature->name) +
                                             " back failed: " + error);
  if (target != destination)
    stridedCopy(destination, strides, host.data(), view.strides.data(),
                view.shape.data(), rank, size);
  return Error::ok();
}

Error resolveEntry(const Artifact &artifact, const char *name, size_t &index) {
  const Manifest &manifest = artifact.manifest();
  if (!name) {
    if (manifest.entries.size() == 1) {
      index = 0;
      return Error::ok();
    }
    std::string names;
    for (const EntrySignature &entry : manifest.entries)
      names += (names.empty() ? "" : ", ") + entry.name;
    return makeError(MOE_ERROR_INVALID_ARGUMENT,
                     manifest.entries.empty()
                         ? std::string("the module has no entry points")
                         : "the module has " +
                               std::to_string(manifest.entries.size()) +
                               " entry points (" + names +
                               "): name the one to run");
  }
  int64_t found = artifact.findEntry(name);
  if (found < 0) {
    std::string names;
    for (const EntrySignature &entry : manifest.entries)
      names += (names.empty() ? "" : ", ") + entry.name;
    return makeError(MOE_ERROR_INVALID_ARGUMENT,
                     "the module has no entry point " + quoted(name) +
                         " (it has: " + names + ")");
  }
  index = static_cast<size_t>(found);
  return Error::ok();
}

Error invokeEntry(const Artifact &artifact, size_t index,
                  const moe_buffer_t *inputs, size_t numInputs,
                  const std::function<Error(const std::vector<ResultView> &)>
                      &consume) {
  const Manifest &manifest = artifact.manifest();
  const EntrySignature &entry = manifest.entries[index];
  if (numInputs != entry.args.size())
    return makeError(MOE_ERROR_INVALID_ARGUMENT,
                     "entry " + quoted(entry.name) + " takes " +
                         std::to_string(entry.args.size()) + " argument" +
                         (entry.args.size() == 1 ? "" : "s") + " but " +
                         std::to_string(numInputs) + " input" +
                         (numInputs == 1 ? " was" : "s were") + " given");
  if (numInputs > 0 && !inputs)
    return makeError(MOE_ERROR_INVALID_ARGUMENT, "inputs is NULL");
  for (size_t i = 0; i < numInputs; ++i)
    if (Error error = checkBuffer(inputs[i], entry.args[i], "argument", i))
      return error;

  size_t numParameters = (entry.results.empty() ? 0 : 1) + entry.args.size() +
                         (entry.status ? 1 : 0);
  if (numParameters > kMaxEntryParameters)
    return makeError(MOE_ERROR_INTERNAL,
                     "entry " + quoted(entry.name) + " has " +
                         std::to_string(numParameters) +
                         " C parameters; the runtime calls at most " +
                         std::to_string(kMaxEntryParameters));

  // Argument descriptors; strided inputs are packed into staging copies,
  // and every input of a GPU artifact that is not already in the device's
  // memory is copied there.
  GpuDevice *device = artifact.device();
  std::vector<Staging> staging;
  std::vector<std::vector<int64_t>> argDescriptors(numInputs);
  std::set<const void *> argumentPointers;
  for (size_t i = 0; i < numInputs; ++i) {
    const moe_buffer_t &input = inputs[i];
    size_t rank = static_cast<size_t>(input.rank);
    void *data = input.data;
    bool onDevice = device && input.data && device->isDeviceMemory(input.data);
    if (onDevice && !isContiguous(input))
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       "argument " + quoted(entry.args[i].name) + " (#" +
                           std::to_string(i) + ") is strided " +
                           device->name() +
                           " device memory; device buffers must be "
                           "contiguous row-major");
    // The tensor-core kernels copy 16-byte pieces of their inputs (cp.async):
    // a device buffer at another alignment (a sliced framework tensor) is
    // copied to an aligned one first, as host inputs are.
    bool misaligned = onDevice && reinterpret_cast<uintptr_t>(input.data) %
                                          kDeviceInputAlignment !=
                                      0;
    if (misaligned) {
      size_t bytes =
          static_cast<size_t>(byteSize(input.shape, input.rank, input.dtype));
      std::string error;
      Staging copy(allocateStaging(bytes, device), StagingDeleter{device});
      if (!copy || !device->copy(copy.get(), input.data, bytes, error))
        return makeError(MOE_ERROR_INTERNAL,
                         "aligning argument " + quoted(entry.args[i].name) +
                             " on the " + device->name() + " backend failed" +
                             (error.empty() ? "" : ": " + error));
      data = copy.get();
      staging.push_back(std::move(copy));
    } else if (!onDevice && (!isContiguous(input) || device)) {
      // checkBuffer bounded this.
      size_t bytes =
          static_cast<size_t>(byteSize(input.shape, input.rank, input.dtype));
      // A strided input is packed on the host first.
      Staging packed;
      const void *contiguous = input.data;
      if (!isContiguous(input)) {
        packed = Staging(allocateStaging(bytes, nullptr), StagingDeleter{});
        if (!packed)
          return makeError(MOE_ERROR_INTERNAL,
                           "out of memory staging argument " +
                               quoted(entry.args[i].name));
        std::vector<int64_t> strides =
            rowMajorStrides(input.shape, input.rank);
        stridedCopy(packed.get(), strides.data(), input.data, input.strides,
                    input.shape, input.rank, dtypeSize(input.dtype));
        contiguous = packed.get();
      }
      if (device) {
        std::string error;
        Staging copy(allocateStaging(bytes, device), StagingDeleter{device});
        if (!copy || !device->copy(copy.get(), contiguous, bytes, error))
          return makeError(MOE_ERROR_INTERNAL,
                           "staging argument " + quoted(entry.args[i].name) +
                               " on the " + device->name() +
                               " backend failed" +
                               (error.empty() ? "" : ": " + error));
        packed = std::move(copy);
      }
      data = packed.get();
      staging.push_back(std::move(packed));
    }
    argumentPointers.insert(data);
    std::vector<int64_t> &words = argDescriptors[i];
    words.assign(descriptorWords(rank), 0);
    words[0] = static_cast<int64_t>(reinterpret_cast<intptr_t>(data));
    words[1] = words[0];
    words[2] = 0;
    std::vector<int64_t> strides = rowMajorStrides(input.shape, input.rank);
    for (size_t d = 0; d < rank; ++d) {
      words[3 + d] = input.shape[d];
      words[3 + rank + d] = strides[d];
    }
  }

  // The results struct: one descriptor per result, back to back.
  std::vector<size_t> resultOffsets;
  size_t resultWords = 0;
  for (const TensorSignature &result : entry.results) {
    resultOffsets.push_back(resultWords);
    resultWords += descriptorWords(result.shape.size());
  }
  std::vector<int64_t> results(resultWords ? resultWords : 1, 0);

  // The status buffer: a rank-1 memref of 6 i64, zeroed; for a GPU
  // artifact in device memory (its check kernels write it), read back after.
  int64_t status[6] = {0, 0, 0, 0, 0, 0};
  int64_t *statusWords = status;
  Staging deviceStatus;
  if (device && entry.status) {
    std::string error;
    deviceStatus = Staging(allocateStaging(sizeof status, device),
                           StagingDeleter{device});
    if (!deviceStatus ||
        !device->copy(deviceStatus.get(), status, sizeof status, error))
      return makeError(MOE_ERROR_INTERNAL,
                       "staging the status buffer on the " +
                           std::string(device->name()) + " backend failed" +
                           (error.empty() ? "" : ": " + error));
    statusWords = static_cast<int64_t *>(deviceStatus.get());
  }
  int64_t statusDescriptor[5] = {
      static_cast<int64_t>(reinterpret_cast<intptr_t>(statusWords)),
      static_cast<int64_t>(reinterpret_cast<intptr_t>(statusWords)), 0, 6, 1};

  std::vector<void *> parameters;
  if (!entry.results.empty())
    parameters.push_back(results.data());
  for (std::vector<int64_t> &words : argDescriptors)
    parameters.push_back(words.data());
  if (entry.status)
    parameters.push_back(statusDescriptor);
  std::string gpuError;
  {
    ActiveGpuDevice active(artifact.device());
    takeGpuError();
    size_t failedBytes = 0;
    if (!callCatchingAllocationFailure(kCallers[parameters.size()],
                                       artifact.function(index),
                                       parameters.data(), failedBytes))
      return makeError(MOE_ERROR_INTERNAL,
                       "entry " + quoted(entry.name) +
                           " ran out of memory: it could not allocate " +
                           std::to_string(failedBytes) +
                           " bytes (the call was abandoned)");
    gpuError = takeGpuError();
    // The one wait of a GPU call (see mgpuStreamSynchronize): a kernel that
    // faulted is reported here.
    if (device && gpuError.empty() && !device->synchronize(gpuError))
      gpuError = "waiting for the kernels failed: " + gpuError;
  }
  if (statusWords != status && gpuError.empty() &&
      !device->copy(status, statusWords, sizeof status, gpuError))
    gpuError = "reading the status buffer failed: " + gpuError;

  // Decode the results, and free each distinct result allocation that is not
  // an argument's, exactly once, whatever happens below.
  std::vector<ResultView> views(entry.results.size());
  std::set<void *> toFree;
  for (size_t r = 0; r < entry.results.size(); ++r) {
    const int64_t *words = results.data() + resultOffsets[r];
    size_t rank = entry.results[r].shape.size();
    void *allocated = reinterpret_cast<void *>(static_cast<intptr_t>(words[0]));
    char *aligned = reinterpret_cast<char *>(static_cast<intptr_t>(words[1]));
    if (allocated && !argumentPointers.count(allocated))
      toFree.insert(allocated);
    ResultView &view = views[r];
    view.signature = &entry.results[r];
    view.shape.assign(words + 3, words + 3 + rank);
    view.strides.assign(words + 3 + rank, words + 3 + 2 * rank);
    view.data = aligned ? aligned + words[2] * static_cast<int64_t>(
                                                  dtypeSize(view.signature->dtype))
                        : nullptr;
    view.device = device;
  }
  // GPU artifacts allocate results with mgpuMemAlloc: the device frees them.
  struct Freer {
    std::set<void *> &pointers;
    GpuDevice *device;
    ~Freer() {
      for (void *p : pointers) {
        if (device)
          device->release(p);
        else
          _mlir_memref_to_llvm_free(p);
      }
    }
  } freer{toFree, artifact.device()};

  if (!gpuError.empty())
    return makeError(MOE_ERROR_INTERNAL,
                     "entry " + quoted(entry.name) + " failed on the " +
                         artifact.device()->name() + " backend: " + gpuError);

  if (entry.status && status[0] != 0) {
    int64_t site = status[0] - 1;
    if (site < 0 || site >= static_cast<int64_t>(manifest.contracts.size()))
      return makeError(MOE_ERROR_CONTRACT,
                       "entry " + quoted(entry.name) +
                           " reported a violation of runtime contract #" +
                           std::to_string(status[0]) + ", which the manifest (" +
                           std::to_string(manifest.contracts.size()) +
                           " contracts) does not list");
    const ContractSite &contract = manifest.contracts[static_cast<size_t>(site)];
    if (contract.kind == ref::ContractKind::Shape)
      return makeError(MOE_ERROR_CONTRACT,
                       ref::formatShapeViolation(
                           contract.op, contract.contract, contract.tensor,
                           contract.bound, status[3], status[4]));
    return makeError(MOE_ERROR_CONTRACT,
                     ref::formatViolation(contract.op, contract.kind,
                                          contract.tensor, status[1], status[2],
                                          status[3], status[4]));
  }

  for (ResultView &view : views) {
    int64_t rank = static_cast<int64_t>(view.shape.size());
    int64_t count = elementCount(view.shape.data(), rank);
    if (count < 0 ||
        byteSize(view.shape.data(), rank, view.signature->dtype) < 0 ||
        (count > 0 && !view.data))
      return makeError(MOE_ERROR_INTERNAL,
                       "entry " + quoted(entry.name) + " returned an invalid " +
                           "descriptor for result " +
                           quoted(view.signature->name) + " (shape " +
                           formatShape(view.shape) + ")");
    for (size_t d = 0; d < view.shape.size(); ++d) {
      int64_t expected = view.signature->shape[d];
      if (expected >= 0 && view.shape[d] != expected)
        return makeError(MOE_ERROR_INTERNAL,
                         "entry " + quoted(entry.name) + " returned result " +
                             quoted(view.signature->name) + " with shape " +
                             formatShape(view.shape) +
                             " but its manifest declares " +
                             formatShape(view.signature->shape));
    }
  }
  return consume(views);
}

} // namespace moe::runtime
