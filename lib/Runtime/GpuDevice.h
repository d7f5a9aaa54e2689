//===- GpuDevice.h - what the mgpu* functions of GPU host code run on -*- C++ -*-===//
//
// Host code compiled for a GPU target (nvptx, rocdl, emu) loads its device
// binary and launches kernels through MLIR's mgpu* functions, which
// libmoe_runtime exports (docs/abi.md, "GPU artifacts"). They forward to the
// device of the calling thread, set by the runtime while it loads or runs a
// GPU artifact. Loaded modules and functions remember their device.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_GPUDEVICE_H
#define MOE_RUNTIME_GPUDEVICE_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace moe::runtime {

class GpuDevice {
public:
  virtual ~GpuDevice() = default;
  virtual const char *name() const = 0;
  /// The chip the compiler targets for this device (sm_90 from a CUDA
  /// compute capability, gfx942 from a HIP gcnArchName); empty when the
  /// device has none (emu) or it is unknown (then the compiler's default).
  virtual std::string chip() const { return {}; }
  /// A device binary (`assembly`: PTX text to JIT-compile) as a module;
  /// nullptr and `error` set when it does not load.
  virtual void *loadModule(const void *data, size_t size, bool assembly,
                           std::string &error) = 0;
  virtual void unloadModule(void *module) = 0;
  virtual void *function(void *module, const char *name,
                         std::string &error) = 0;
  /// Runs `function` over the grid; `params[i]` points at argument i.
  virtual bool launch(void *function, const int64_t grid[3],
                      const int64_t block[3], int32_t sharedBytes,
                      void **params, std::string &error) = 0;
  /// Device memory: the kernels read and write it, the host reaches it only
  /// through copy (on a real GPU it is not host-addressable).
  virtual void *allocate(size_t bytes, std::string &error) = 0;
  virtual void release(void *pointer) = 0;
  /// Copies `bytes` between any two of host memory and this device's memory,
  /// after every launch so far; the data is in place when it returns.
  virtual bool copy(void *destination, const void *source, size_t bytes,
                    std::string &error) = 0;
  /// Whether the kernels can read and write `pointer` where it is (memory of
  /// this device): such caller buffers are passed without staging copies.
  virtual bool isDeviceMemory(const void *pointer) = 0;
  /// Waits for every launch so far.
  virtual bool synchronize(std::string &error) = 0;
};

/// The live allocations of a device, for devices whose API cannot tell
/// device pointers from host ones reliably (emu, hip).
class AllocationMap {
public:
  void add(const void *pointer, size_t bytes);
  void remove(const void *pointer);
  /// Whether `pointer` is inside a live allocation.
  bool contains(const void *pointer);

private:
  std::mutex mutex;
  std::map<uintptr_t, size_t> allocations;
};

/// The emulator: device binaries are host shared objects of the kernels.
GpuDevice &emuDevice();

/// Device 0 through the CUDA driver (opened once); nullptr and `error` set
/// when there is no driver or no usable device.
GpuDevice *cudaDevice(std::string &error);

/// Device 0 through the HIP runtime (opened once); nullptr and `error` set
/// when there is no runtime or no GPU.
GpuDevice *hipDevice(std::string &error);

/// The device that runs artifacts of `target` (emu, nvptx, rocdl); nullptr
/// for cpu artifacts, which make no mgpu* calls.
GpuDevice *gpuDeviceForTarget(const std::string &target);

/// The device of a backend name (emu, cuda, hip); nullptr for cpu.
GpuDevice *gpuDeviceForBackend(const std::string &backend);

/// Routes this thread's mgpu* calls to `device` while alive.
class ActiveGpuDevice {
public:
  explicit ActiveGpuDevice(GpuDevice *device);
  ~ActiveGpuDevice();
  ActiveGpuDevice(const ActiveGpuDevice &) = delete;
  ActiveGpuDevice &operator=(const ActiveGpuDevice &) = delete;

private:
  GpuDevice *previous;
};

/// The first error an mgpu* call met on this thread since the last call
/// (empty: none); clears it.
std::string takeGpuError();

} // namespace moe::runtime

#endif // MOE_RUNTIME_GPUDEVICE_H
