//===- DriverLoader.h - opening a vendor GPU library by name ----*- C++ -*-===//
//
// What the cuda and hip devices share: resolving a dlopen'ed library's
// functions by name, checking a launch's geometry, and opening a device
// once per process.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_DRIVERLOADER_H
#define MOE_RUNTIME_DRIVERLOADER_H

#include "GpuDevice.h"

#include <climits>
#include <dlfcn.h>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>

namespace moe::runtime {

/// A function pointer slot and the symbol that fills it.
struct DriverSymbol {
  void **slot;
  const char *name;
};

template <typename Function>
DriverSymbol symbol(Function *&slot, const char *name) {
  return {reinterpret_cast<void **>(&slot), name};
}

/// Fills every slot from `library`; false and `error` set on the first
/// missing symbol.
inline bool resolveSymbols(void *library, const char *libraryName,
                           std::initializer_list<DriverSymbol> symbols,
                           std::string &error) {
  for (const DriverSymbol &entry : symbols) {
    *entry.slot = dlsym(library, entry.name);
    if (!*entry.slot) {
      error = std::string(libraryName) + " has no " + entry.name +
              " (an older driver?)";
      return false;
    }
  }
  return true;
}

/// The first of `names` that loads, or nullptr and `error` set.
inline void *openLibrary(std::initializer_list<const char *> names,
                         const char *what, std::string &error) {
  std::string detail;
  for (const char *name : names) {
    if (void *library = dlopen(name, RTLD_NOW | RTLD_LOCAL))
      return library;
    const char *text = dlerror();
    detail = text ? text : "not found";
  }
  error = std::string(*names.begin()) + " could not be loaded (" + detail +
          "): " + what;
  return nullptr;
}

/// Whether the grid and block fit the unsigned launch APIs (1024 threads).
inline bool launchFits(const int64_t grid[3], const int64_t block[3],
                       std::string &error) {
  for (int d = 0; d < 3; ++d)
    if (grid[d] > INT_MAX || block[d] > 1024) {
      error = "launch geometry out of range (grid " + std::to_string(grid[d]) +
              ", block " + std::to_string(block[d]) + ")";
      return false;
    }
  return true;
}

/// The process's one `Device`, opened on first use (`Device::open`);
/// nullptr and `error` set when it does not open.
template <typename Device> GpuDevice *openOnce(std::string &error) {
  static std::once_flag once;
  static Device *device = nullptr;
  static std::string openError;
  std::call_once(once, [] {
    auto *candidate = new Device();
    if (candidate->open(openError))
      device = candidate;
    else
      delete candidate;
  });
  if (!device)
    error = openError;
  return device;
}

} // namespace moe::runtime

#endif // MOE_RUNTIME_DRIVERLOADER_H
