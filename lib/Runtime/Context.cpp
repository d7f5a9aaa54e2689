//===- Context.cpp - backends ---------------------------------------------===//

#include "Context.h"
#include "GpuDevice.h"


namespace moe::runtime {


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
    resolved = cudaDevice(ignored)  ? MOE_BACKEND_CUDA
               : hipDevice(ignored) ? MOE_BACKEND_HIP
                                    : MOE_BACKEND_CPU;
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
    std::string error;
    if (!hipDevice(error))
      return makeError(MOE_ERROR_UNAVAILABLE,
                       "the hip backend cannot start: " + error);
    resolved = MOE_BACKEND_HIP;
    return Error::ok();
  }
  case MOE_BACKEND_MAX_ENUM:
    break;
  }
  return makeError(MOE_ERROR_INVALID_ARGUMENT,
                   "invalid backend " + std::to_string(static_cast<int>(backend)));
}

} // namespace moe::runtime
