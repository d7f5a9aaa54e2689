//===- GpuAbi.cpp - MLIR's mgpu* host ABI over the runtime's devices ------===//
//
// The functions `gpu-to-llvm` code and the gpu.binary translation call
// (MLIR22-NOTES.md). They cannot return errors, so the first failure is kept
// per thread and the runtime reports it after the call (takeGpuError); later
// calls after a failure do nothing harmful (null modules, no launches).
//
//===----------------------------------------------------------------------===//
#include "GpuDevice.h"

#include "moe/Runtime/moe_runtime.h"

#include <map>
#include <memory>
#include <mutex>

namespace moe::runtime {

namespace {

thread_local GpuDevice *activeDevice = nullptr;
thread_local std::string pendingError;

void fail(const std::string &message) {
  if (pendingError.empty())
    pendingError = message;
}

struct LoadedFunction {
  GpuDevice *device;
  void *native;
};

struct LoadedModule {
  GpuDevice *device;
  void *native;
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<LoadedFunction>> functions;
};

GpuDevice *requireDevice(const char *what) {
  if (!activeDevice)
    fail(std::string("it is a GPU artifact (its ") + what +
         " call found no GPU backend running it): load it in a context of "
         "the backend of its target (emu, cuda or hip)");
  return activeDevice;
}

void *loadModule(const void *data, size_t size, bool assembly) {
  GpuDevice *device = requireDevice("mgpuModuleLoad");
  if (!device || !data)
    return nullptr;
  std::string error;
  void *native = device->loadModule(data, size, assembly, error);
  if (!native) {
    fail("loading the kernels on the " + std::string(device->name()) +
         " backend failed: " + error);
    return nullptr;
  }
  auto *module = new LoadedModule();
  module->device = device;
  module->native = native;
  return module;
}

} // namespace

ActiveGpuDevice::ActiveGpuDevice(GpuDevice *device) : previous(activeDevice) {
  activeDevice = device;
}

ActiveGpuDevice::~ActiveGpuDevice() { activeDevice = previous; }

std::string takeGpuError() {
  std::string error;
  error.swap(pendingError);
  return error;
}

} // namespace moe::runtime

using namespace moe::runtime;

extern "C" {

MOE_RUNTIME_API void *mgpuModuleLoad(void *data, size_t size) {
  return loadModule(data, size, /*assembly=*/false);
}

MOE_RUNTIME_API void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return loadModule(data, 0, /*assembly=*/true);
}

MOE_RUNTIME_API void mgpuModuleUnload(void *handle) {
  auto *module = static_cast<LoadedModule *>(handle);
  if (!module)
    return;
  module->device->unloadModule(module->native);
  delete module;
}

MOE_RUNTIME_API void *mgpuModuleGetFunction(void *handle, const char *name) {
  auto *module = static_cast<LoadedModule *>(handle);
  if (!module || !name) {
    fail(std::string("kernel ") + (name ? name : "(null)") +
         " requested from a module that did not load");
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(module->mutex);
  auto found = module->functions.find(name);
  if (found != module->functions.end())
    return found->second.get();
  std::string error;
  void *native = module->device->function(module->native, name, error);
  if (!native) {
    fail("kernel " + std::string(name) + " not found in the device binary: " +
         error);
    return nullptr;
  }
  auto function = std::make_unique<LoadedFunction>(
      LoadedFunction{module->device, native});
  LoadedFunction *result = function.get();
  module->functions.emplace(name, std::move(function));
  return result;
}

MOE_RUNTIME_API void *mgpuStreamCreate() {
  // One implicit in-order stream per device: launches run in order.
  return nullptr;
}

MOE_RUNTIME_API void mgpuStreamSynchronize(void * /*stream*/) {
  // Nothing to wait for here: launches, copies and frees run in order on the
  // device's one stream, and the host code never reads device memory
  // (moe-host-buffers-to-gpu rejects it), so the runtime waits once, after
  // the entry point returns, and reports a failed kernel then.
}

MOE_RUNTIME_API void mgpuStreamDestroy(void * /*stream*/) {}

MOE_RUNTIME_API void mgpuLaunchKernel(void *handle, int64_t gridX,
                                      int64_t gridY, int64_t gridZ,
                                      int64_t blockX, int64_t blockY,
                                      int64_t blockZ, int32_t sharedBytes,
                                      void * /*stream*/, void **params,
                                      void ** /*extra*/,
                                      size_t /*paramsCount*/) {
  auto *function = static_cast<LoadedFunction *>(handle);
  if (!function)
    return; // the failure to find it is already recorded
  // An empty grid (T = 0) is not a launch on any GPU API: skip it.
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 ||
      blockZ <= 0)
    return;
  if (!pendingError.empty())
    return; // an earlier step failed: its inputs are not ready
  const int64_t grid[3] = {gridX, gridY, gridZ};
  const int64_t block[3] = {blockX, blockY, blockZ};
  std::string error;
  if (!function->device->launch(function->native, grid, block, sharedBytes,
                                params, error))
    fail("a kernel launch failed: " + error);
}

MOE_RUNTIME_API void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/,
                                   bool /*isHostShared*/) {
  GpuDevice *device = requireDevice("mgpuMemAlloc");
  if (!device)
    return nullptr;
  std::string error;
  void *pointer = device->allocate(sizeBytes, error);
  if (!pointer && sizeBytes > 0)
    fail("allocating " + std::to_string(sizeBytes) + " bytes failed: " +
         error);
  return pointer;
}

MOE_RUNTIME_API void mgpuMemcpy(void *destination, void *source,
                                size_t sizeBytes, void * /*stream*/) {
  GpuDevice *device = requireDevice("mgpuMemcpy");
  if (!device || !pendingError.empty())
    return;
  std::string error;
  if (!device->copy(destination, source, sizeBytes, error))
    fail("copying " + std::to_string(sizeBytes) + " bytes failed: " + error);
}

MOE_RUNTIME_API void mgpuMemFree(void *pointer, void * /*stream*/) {
  GpuDevice *device = activeDevice;
  if (!device || !pointer)
    return;
  // Kernels queued before the free may still read the buffer.
  std::string error;
  if (!device->synchronize(error))
    fail("waiting for the kernels failed: " + error);
  device->release(pointer);
}

} // extern "C"
