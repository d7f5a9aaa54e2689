//===- CudaDevice.cpp - NVIDIA GPUs through the CUDA driver API -----------===//
//
// libcuda.so.1 is dlopen'ed, never linked (DESIGN.md §1): the subset of the
// driver API below is resolved by name. Device 0's primary context runs
// everything; buffers are plain device memory (cuMemAlloc), reached from the
// host only through cuMemcpy (unified addressing tells the direction). PTX
// is JIT-compiled by the driver, cubin loaded as is (cuModuleLoadData takes
// both). The runtime compiles for device 0's compute capability (chip()).
// Run on an H100 (scripts/gpu-artifacts.sh, docs/decisions.md).
//
//===----------------------------------------------------------------------===//
#include "DriverLoader.h"

namespace moe::runtime {

namespace {

using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUdeviceptr = unsigned long long;
constexpr CUresult CUDA_SUCCESS = 0;
constexpr int CU_POINTER_ATTRIBUTE_MEMORY_TYPE = 2;
constexpr unsigned CU_MEMORYTYPE_DEVICE = 2;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
constexpr int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxSynchronize)();
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuMemAlloc)(CUdeviceptr *, size_t);
  CUresult (*cuMemcpy)(CUdeviceptr, CUdeviceptr, size_t);
  CUresult (*cuPointerGetAttribute)(void *, int, CUdeviceptr);
  CUresult (*cuMemFree)(CUdeviceptr);
  CUresult (*cuGetErrorString)(CUresult, const char **);
};

class CudaDevice final : public GpuDevice {
public:
  /// Loads the driver and retains device 0's primary context; false and
  /// `error` set when there is no driver or no device.
  bool open(std::string &error) {
    void *library = openLibrary({"libcuda.so.1"}, "no NVIDIA driver", error);
    if (!library)
      return false;
    if (!resolveSymbols(
            library, "libcuda.so.1",
            {symbol(driver.cuInit, "cuInit"),
             symbol(driver.cuDeviceGetCount, "cuDeviceGetCount"),
             symbol(driver.cuDeviceGet, "cuDeviceGet"),
             symbol(driver.cuDeviceGetAttribute, "cuDeviceGetAttribute"),
             symbol(driver.cuDevicePrimaryCtxRetain,
                    "cuDevicePrimaryCtxRetain"),
             symbol(driver.cuCtxSetCurrent, "cuCtxSetCurrent"),
             symbol(driver.cuCtxSynchronize, "cuCtxSynchronize"),
             symbol(driver.cuModuleLoadData, "cuModuleLoadData"),
             symbol(driver.cuModuleUnload, "cuModuleUnload"),
             symbol(driver.cuModuleGetFunction, "cuModuleGetFunction"),
             symbol(driver.cuLaunchKernel, "cuLaunchKernel"),
             symbol(driver.cuMemAlloc, "cuMemAlloc_v2"),
             symbol(driver.cuMemcpy, "cuMemcpy"),
             symbol(driver.cuPointerGetAttribute, "cuPointerGetAttribute"),
             symbol(driver.cuMemFree, "cuMemFree_v2"),
             symbol(driver.cuGetErrorString, "cuGetErrorString")},
            error))
      return false;
    int count = 0;
    CUdevice device = 0;
    if (!check(driver.cuInit(0), "cuInit", error) ||
        !check(driver.cuDeviceGetCount(&count), "cuDeviceGetCount", error))
      return false;
    if (count == 0) {
      error = "the NVIDIA driver reports no CUDA device";
      return false;
    }
    int major = 0, minor = 0;
    if (!check(driver.cuDeviceGet(&device, 0), "cuDeviceGet", error) ||
        !check(
            driver.cuDeviceGetAttribute(
                &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device),
            "cuDeviceGetAttribute", error) ||
        !check(
            driver.cuDeviceGetAttribute(
                &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device),
            "cuDeviceGetAttribute", error))
      return false;
    // The chip of compute capability X.Y is sm_XY (sm_90, sm_100, sm_121).
    chipName = "sm_" + std::to_string(major) + std::to_string(minor);
    if (major < 8) {
      error = "CUDA device 0 is " + chipName +
              "; the kernels need sm_80 or newer";
      return false;
    }
    return check(driver.cuDevicePrimaryCtxRetain(&context, device),
                 "cuDevicePrimaryCtxRetain", error);
  }

  const char *name() const override { return "cuda"; }
  std::string chip() const override { return chipName; }

  void *loadModule(const void *data, size_t, bool,
                   std::string &error) override {
    CUmodule module = nullptr;
    if (!current(error) || !check(driver.cuModuleLoadData(&module, data),
                                  "cuModuleLoadData", error))
      return nullptr;
    return module;
  }

  void unloadModule(void *module) override {
    std::string ignored;
    if (current(ignored))
      driver.cuModuleUnload(module);
  }

  void *function(void *module, const char *name, std::string &error) override {
    CUfunction function = nullptr;
    if (!current(error) ||
        !check(driver.cuModuleGetFunction(&function, module, name),
               "cuModuleGetFunction", error))
      return nullptr;
    return function;
  }

  bool launch(void *function, const int64_t grid[3], const int64_t block[3],
              int32_t sharedBytes, void **params, std::string &error) override {
    if (!launchFits(grid, block, error))
      return false;
    return current(error) &&
           check(driver.cuLaunchKernel(
                     function, unsigned(grid[0]), unsigned(grid[1]),
                     unsigned(grid[2]), unsigned(block[0]), unsigned(block[1]),
                     unsigned(block[2]), unsigned(sharedBytes),
                     /*stream=*/nullptr, params, /*extra=*/nullptr),
                 "cuLaunchKernel", error);
  }

  void *allocate(size_t bytes, std::string &error) override {
    CUdeviceptr pointer = 0;
    if (!current(error) ||
        !check(driver.cuMemAlloc(&pointer, bytes ? bytes : 1), "cuMemAlloc",
               error))
      return nullptr;
    return reinterpret_cast<void *>(pointer);
  }

  void release(void *pointer) override {
    std::string ignored;
    if (pointer && current(ignored))
      driver.cuMemFree(reinterpret_cast<CUdeviceptr>(pointer));
  }

  bool copy(void *destination, const void *source, size_t bytes,
            std::string &error) override {
    // cuMemcpy runs on the legacy default stream, after the launches.
    return bytes == 0 ||
           (current(error) &&
            check(driver.cuMemcpy(reinterpret_cast<CUdeviceptr>(destination),
                                  reinterpret_cast<CUdeviceptr>(source),
                                  bytes),
                  "cuMemcpy", error));
  }

  bool isDeviceMemory(const void *pointer) override {
    // Memory of cuMemAlloc (also what PyTorch's allocator hands out); host
    // memory, pinned or not, is staged.
    unsigned type = 0;
    std::string ignored;
    return pointer && current(ignored) &&
           driver.cuPointerGetAttribute(
               &type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
               reinterpret_cast<CUdeviceptr>(pointer)) == CUDA_SUCCESS &&
           type == CU_MEMORYTYPE_DEVICE;
  }

  bool synchronize(std::string &error) override {
    return current(error) &&
           check(driver.cuCtxSynchronize(), "cuCtxSynchronize", error);
  }

private:
  bool check(CUresult result, const char *call, std::string &error) {
    if (result == CUDA_SUCCESS)
      return true;
    const char *text = nullptr;
    if (driver.cuGetErrorString)
      driver.cuGetErrorString(result, &text);
    error = std::string(call) + " failed: " +
            (text ? text : "CUDA error " + std::to_string(result));
    return false;
  }

  /// The primary context on the calling thread.
  bool current(std::string &error) {
    return check(driver.cuCtxSetCurrent(context), "cuCtxSetCurrent", error);
  }

  Driver driver{};
  CUcontext context = nullptr;
  std::string chipName; ///< from device 0's compute capability
};

} // namespace

GpuDevice *cudaDevice(std::string &error) {
  return openOnce<CudaDevice>(error);
}

} // namespace moe::runtime
