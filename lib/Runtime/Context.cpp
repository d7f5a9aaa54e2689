//===- Context.cpp - backends ---------------------------------------------===//

#include "Context.h"
#include "GpuDevice.h"

#include <dlfcn.h>

namespace moe::runtime {

namespace {

/// Whether the driver library `name` can be loaded (it is unloaded again);
/// `detail` is the loader's message when not.
bool probeLibrary(const char *name, std::string &detail) {
  void *handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
  if (!handle) {
    const char *text = dlerror();
    detail = text ? text : "not found";
    return false;
  }
  dlclose(handle);
  return true;
}

std::string notYet(const char *backend) {
  return std::string("the ") + backend +
         " backend is not available yet in this build (see issue: GPU code "
         "generation)";
}

std::string driverNote(const char *library, const char *vendor) {
  std::string detail;
  if (probeLibrary(library, detail))
    return std::string("; ") + library + " was loaded, so an " + vendor +
           " driver is installed";
  return std::string("; ") + library + " could not be loaded either (" +
         detail + ")";
}

} // namespace

const char *backendTarget(moe_backend_t backend) {
  switch (backend) {
  case MOE_BACKEND_CPU:
    return "cpu";
  case MOE_BACKEND_EMU:
    return "emu";
  case MOE_BACKEND_CUDA:
    return "nvptx";
  case MOE_BACKEND_HIP:
    return "rocdl";
  case MOE_BACKEND_AUTO:
  case MOE_BACKEND_MAX_ENUM:
    break;
  }
  return "cpu";
}

Error openBackend(moe_backend_t backend, moe_backend_t &resolved) {
  switch (backend) {
  case MOE_BACKEND_CPU:
    resolved = MOE_BACKEND_CPU;
    return Error::ok();
  case MOE_BACKEND_AUTO: {
    // A present GPU wins; else the CPU.
    std::string ignored;
    resolved = cudaDevice(ignored) ? MOE_BACKEND_CUDA : MOE_BACKEND_CPU;
    return Error::ok();
  }
  case MOE_BACKEND_EMU:
    resolved = MOE_BACKEND_EMU;
    return Error::ok();
  case MOE_BACKEND_CUDA: {
    std::string error;
    if (!cudaDevice(error))
      return makeError(MOE_ERROR_UNAVAILABLE,
                       "the cuda backend cannot start: " + error);
    resolved = MOE_BACKEND_CUDA;
    return Error::ok();
  }
  case MOE_BACKEND_HIP: {
    std::string note = driverNote("libamdhip64.so", "AMD");
    if (note.find("was loaded") == std::string::npos) {
      std::string versioned = driverNote("libamdhip64.so.6", "AMD");
      if (versioned.find("was loaded") != std::string::npos)
        note = versioned;
    }
    return makeError(MOE_ERROR_UNAVAILABLE, notYet("hip") + note);
  }
  case MOE_BACKEND_MAX_ENUM:
    break;
  }
  return makeError(MOE_ERROR_INVALID_ARGUMENT,
                   "invalid backend " + std::to_string(static_cast<int>(backend)));
}

} // namespace moe::runtime
