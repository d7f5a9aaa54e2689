//===- EmuDevice.cpp - the emulator as a GPU device -----------------------===//
//
// An emu device binary is a host shared object: each kernel is exported
// under its own name as `void kernel(void **params)`, which moe_emu_launch
// runs once per emulated thread. Device memory is host memory from malloc.
//
//===----------------------------------------------------------------------===//
#include "Elf.h"
#include "Files.h"
#include "GpuDevice.h"

#include "moe/Support/CheckedMath.h"

#include "moe/Runtime/moe_emu.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <mutex>
#include <unordered_map>
#include <unistd.h>

namespace moe::runtime {

namespace {

/// moe_emu_launch's limit (a CUDA block's).
constexpr int64_t kMaxEmuThreadsPerBlock = 1024;

class EmuDevice final : public GpuDevice {
public:
  const char *name() const override { return "emu"; }

  void *loadModule(const void *data, size_t size, bool assembly,
                   std::string &error) override {
    if (assembly || size < 4 || std::memcmp(data, "\x7f" "ELF", 4) != 0) {
      error = "an emu device binary is a host shared object (this one is "
              "not: compiled for another target?)";
      return nullptr;
    }
    std::string reason;
    if (!checkSharedObject(data, size, reason)) {
      error = "the emu device binary is truncated or not a valid shared "
              "object: " + reason;
      return nullptr;
    }
    std::string path =
        tempDirectory() + "/moe-emu-kernels-" + uniqueSuffix() + ".so";
    if (Error written = writeNewFile(
            path, std::string(static_cast<const char *>(data), size), 0700)) {
      error = written.message;
      return nullptr;
    }
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *text = dlerror();
      error = text ? text : "dlopen failed";
    }
    unlink(path.c_str());
    return handle;
  }

  void unloadModule(void *module) override { dlclose(module); }

  void *function(void *module, const char *name, std::string &error) override {
    dlerror();
    void *symbol = dlsym(module, name);
    if (!symbol) {
      const char *text = dlerror();
      error = text ? text : "no such kernel";
      return nullptr;
    }
    std::lock_guard<std::mutex> lock(namesMutex);
    kernelNames[symbol] = name; // for the emulator's messages
    return symbol;
  }

  bool launch(void *function, const int64_t grid[3], const int64_t block[3],
              int32_t /*sharedBytes*/, void **params,
              std::string &error) override {
    // moe_emu_launch cannot return an error (it aborts): refuse here what
    // it cannot run, with the block named.
    int64_t threads = 1;
    for (int d = 0; d < 3; ++d) {
      if (block[d] <= 0)
        return true; // an empty block launches nothing
      if (!checkedMul(threads, block[d], threads))
        threads = INT64_MAX;
    }
    if (threads > kMaxEmuThreadsPerBlock) {
      error = "a block of " + std::to_string(block[0]) + " x " +
              std::to_string(block[1]) + " x " + std::to_string(block[2]) +
              " threads exceeds the emulator's " +
              std::to_string(kMaxEmuThreadsPerBlock) + " threads per block";
      return false;
    }
    std::string name;
    {
      std::lock_guard<std::mutex> lock(namesMutex);
      auto known = kernelNames.find(function);
      name = known != kernelNames.end() ? known->second : "(unknown)";
    }
    if (moe_emu_launch(name.c_str(),
                       reinterpret_cast<void (*)(void **)>(function), params,
                       grid[0], grid[1], grid[2], block[0], block[1],
                       block[2]) != 0) {
      error = moe_emu_error();
      return false;
    }
    return true;
  }

  void *allocate(size_t bytes, std::string &error) override {
    void *pointer = std::malloc(bytes ? bytes : 1);
    if (!pointer) {
      error = "out of host memory";
      return nullptr;
    }
    allocations.add(pointer, bytes ? bytes : 1);
    return pointer;
  }

  void release(void *pointer) override {
    if (!pointer)
      return;
    allocations.remove(pointer);
    std::free(pointer);
  }

  bool copy(void *destination, const void *source, size_t bytes,
            std::string & /*error*/) override {
    if (bytes)
      std::memmove(destination, source, bytes);
    return true;
  }

  bool isDeviceMemory(const void *pointer) override {
    return allocations.contains(pointer);
  }

  bool synchronize(std::string & /*error*/) override { return true; }

private:
  // Emulated device memory is host memory; the allocations are remembered so
  // that the emu backend treats caller buffers as a GPU backend does.
  AllocationMap allocations;
  std::mutex namesMutex;
  std::unordered_map<void *, std::string> kernelNames;
};

} // namespace

GpuDevice &emuDevice() {
  static EmuDevice device;
  return device;
}

void AllocationMap::add(const void *pointer, size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex);
  allocations[reinterpret_cast<uintptr_t>(pointer)] = bytes;
}

void AllocationMap::remove(const void *pointer) {
  std::lock_guard<std::mutex> lock(mutex);
  allocations.erase(reinterpret_cast<uintptr_t>(pointer));
}

bool AllocationMap::contains(const void *pointer) {
  auto address = reinterpret_cast<uintptr_t>(pointer);
  std::lock_guard<std::mutex> lock(mutex);
  auto next = allocations.upper_bound(address);
  if (next == allocations.begin())
    return false;
  --next;
  return address < next->first + next->second;
}

GpuDevice *gpuDeviceForBackend(const std::string &backend) {
  if (backend == "emu")
    return &emuDevice();
  std::string error;
  if (backend == "cuda")
    return cudaDevice(error);
  if (backend == "hip")
    return hipDevice(error);
  return nullptr;
}

GpuDevice *gpuDeviceForTarget(const std::string &target) {
  return gpuDeviceForBackend(target == "nvptx"   ? "cuda"
                             : target == "rocdl" ? "hip"
                                                 : target);
}

} // namespace moe::runtime
