//===- HipDevice.cpp - AMD GPUs through the HIP runtime -------------------===//
//
// libamdhip64.so is dlopen'ed, never linked (DESIGN.md §1). Device 0 runs
// everything; buffers are device memory (hipMalloc), reached from the host
// through hipMemcpy (hipMemcpyDefault: unified addressing tells the
// direction); device binaries are hsaco (HIP has no assembly loader, so
// rocdl artifacts embed hsaco). Device memory is recognized by the
// allocations made here (moe_device_alloc's too): the memory-type values of
// hipPointerGetAttribute changed between ROCm 5 and 6. The runtime compiles
// for device 0's processor (chip(), from its gcnArchName).
//
// NOT YET RUN ON A GPU: no AMD device was available to the session that
// wrote it. The host side it serves is the one the emulator runs in every
// test.
//
//===----------------------------------------------------------------------===//
#include "DriverLoader.h"

#include <cstring>
#include <vector>

namespace moe::runtime {

namespace {

using hipError_t = int;
using hipModule_t = void *;
using hipFunction_t = void *;
using hipStream_t = void *;
constexpr hipError_t hipSuccess = 0;
constexpr int hipMemcpyDefault = 4;

// hipGetDeviceProperties is a macro of hip_runtime_api.h; the symbol behind
// it names the struct layout it fills, which never changes under that name
// (ROCm 6 added hipGetDevicePropertiesR0600 precisely to version it). In
// hipDeviceProp_tR0600 (1472 bytes) gcnArchName, char[256], is at byte 1160:
// "gfx942:sramecc+:xnack-", the processor and its feature settings.
constexpr size_t kPropertiesR0600Bytes = 1472;
constexpr size_t kGcnArchNameOffset = 1160;
constexpr size_t kGcnArchNameBytes = 256;

struct Runtime {
  hipError_t (*hipInit)(unsigned);
  hipError_t (*hipGetDeviceCount)(int *);
  hipError_t (*hipSetDevice)(int);
  hipError_t (*hipDeviceSynchronize)();
  hipError_t (*hipModuleLoadData)(hipModule_t *, const void *);
  hipError_t (*hipModuleUnload)(hipModule_t);
  hipError_t (*hipModuleGetFunction)(hipFunction_t *, hipModule_t,
                                     const char *);
  hipError_t (*hipModuleLaunchKernel)(hipFunction_t, unsigned, unsigned,
                                      unsigned, unsigned, unsigned, unsigned,
                                      unsigned, hipStream_t, void **, void **);
  hipError_t (*hipMalloc)(void **, size_t);
  hipError_t (*hipMemcpy)(void *, const void *, size_t, int);
  hipError_t (*hipFree)(void *);
  const char *(*hipGetErrorString)(hipError_t);
};

class HipDevice final : public GpuDevice {
public:
  bool open(std::string &error) {
    void *library = openLibrary({"libamdhip64.so", "libamdhip64.so.6"},
                                "no ROCm runtime", error);
    if (!library)
      return false;
    if (!resolveSymbols(
            library, "libamdhip64.so",
            {symbol(api.hipInit, "hipInit"),
             symbol(api.hipGetDeviceCount, "hipGetDeviceCount"),
             symbol(api.hipSetDevice, "hipSetDevice"),
             symbol(api.hipDeviceSynchronize, "hipDeviceSynchronize"),
             symbol(api.hipModuleLoadData, "hipModuleLoadData"),
             symbol(api.hipModuleUnload, "hipModuleUnload"),
             symbol(api.hipModuleGetFunction, "hipModuleGetFunction"),
             symbol(api.hipModuleLaunchKernel, "hipModuleLaunchKernel"),
             symbol(api.hipMalloc, "hipMalloc"),
             symbol(api.hipMemcpy, "hipMemcpy"),
             symbol(api.hipFree, "hipFree"),
             symbol(api.hipGetErrorString, "hipGetErrorString")},
            error))
      return false;
    int count = 0;
    if (!check(api.hipInit(0), "hipInit", error) ||
        !check(api.hipGetDeviceCount(&count), "hipGetDeviceCount", error))
      return false;
    if (count == 0) {
      error = "the ROCm runtime reports no GPU";
      return false;
    }
    if (!current(error))
      return false;
    chipName = queryChip(library);
    return true;
  }

  const char *name() const override { return "hip"; }
  std::string chip() const override { return chipName; }

  void *loadModule(const void *data, size_t, bool assembly,
                   std::string &error) override {
    if (assembly) {
      error = "HIP loads hsaco only (an AMDGCN assembly module was given)";
      return nullptr;
    }
    hipModule_t module = nullptr;
    if (!current(error) || !check(api.hipModuleLoadData(&module, data),
                                  "hipModuleLoadData", error))
      return nullptr;
    return module;
  }

  void unloadModule(void *module) override {
    std::string ignored;
    if (current(ignored))
      api.hipModuleUnload(module);
  }

  void *function(void *module, const char *name, std::string &error) override {
    hipFunction_t function = nullptr;
    if (!current(error) ||
        !check(api.hipModuleGetFunction(&function, module, name),
               "hipModuleGetFunction", error))
      return nullptr;
    return function;
  }

  bool launch(void *function, const int64_t grid[3], const int64_t block[3],
              int32_t sharedBytes, void **params, std::string &error) override {
    if (!launchFits(grid, block, error))
      return false;
    return current(error) &&
           check(api.hipModuleLaunchKernel(
                     function, unsigned(grid[0]), unsigned(grid[1]),
                     unsigned(grid[2]), unsigned(block[0]), unsigned(block[1]),
                     unsigned(block[2]), unsigned(sharedBytes),
                     /*stream=*/nullptr, params, /*extra=*/nullptr),
                 "hipModuleLaunchKernel", error);
  }

  void *allocate(size_t bytes, std::string &error) override {
    void *pointer = nullptr;
    if (!current(error) ||
        !check(api.hipMalloc(&pointer, bytes ? bytes : 1), "hipMalloc", error))
      return nullptr;
    allocations.add(pointer, bytes ? bytes : 1);
    return pointer;
  }

  void release(void *pointer) override {
    std::string ignored;
    if (pointer && current(ignored)) {
      allocations.remove(pointer);
      api.hipFree(pointer);
    }
  }

  bool copy(void *destination, const void *source, size_t bytes,
            std::string &error) override {
    return bytes == 0 ||
           (current(error) &&
            check(api.hipMemcpy(destination, source, bytes, hipMemcpyDefault),
                  "hipMemcpy", error));
  }

  bool isDeviceMemory(const void *pointer) override {
    return allocations.contains(pointer);
  }

  bool synchronize(std::string &error) override {
    return current(error) &&
           check(api.hipDeviceSynchronize(), "hipDeviceSynchronize", error);
  }

private:
  bool check(hipError_t result, const char *call, std::string &error) {
    if (result == hipSuccess)
      return true;
    const char *text =
        api.hipGetErrorString ? api.hipGetErrorString(result) : nullptr;
    error = std::string(call) +
            " failed: " + (text ? text : "HIP error " + std::to_string(result));
    return false;
  }

  bool current(std::string &error) {
    return check(api.hipSetDevice(0), "hipSetDevice", error);
  }

  /// Device 0's processor (gcnArchName without its ":sramecc+:xnack-"
  /// feature settings), or empty when the runtime cannot say (a ROCm before
  /// 6 has no hipGetDevicePropertiesR0600): then the compiler's default chip.
  static std::string queryChip(void *library) {
    using GetProperties = hipError_t (*)(void *, int);
    auto getProperties = reinterpret_cast<GetProperties>(
        dlsym(library, "hipGetDevicePropertiesR0600"));
    if (!getProperties)
      return {};
    // Room to spare beyond the struct, in case a runtime writes more.
    std::vector<char> properties(4 * kPropertiesR0600Bytes, 0);
    if (getProperties(properties.data(), 0) != hipSuccess)
      return {};
    const char *name = properties.data() + kGcnArchNameOffset;
    std::string arch(name, strnlen(name, kGcnArchNameBytes));
    arch = arch.substr(0, arch.find(':'));
    if (arch.rfind("gfx", 0) != 0)
      return {};
    return arch;
  }

  Runtime api{};
  AllocationMap allocations;
  std::string chipName; ///< device 0's processor, e.g. gfx942
};

} // namespace

GpuDevice *hipDevice(std::string &error) { return openOnce<HipDevice>(error); }

} // namespace moe::runtime
