//===- Context.h - contexts, modules and the in-memory cache ----*- C++ -*-===//
#ifndef MOE_RUNTIME_CONTEXT_H
#define MOE_RUNTIME_CONTEXT_H

#include "Artifact.h"
#include "Errors.h"

#include "moe/Runtime/moe_runtime.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>

/// A context: a backend and the in-memory cache of compiled modules (key ->
/// loaded artifact, kept until the context is destroyed).
struct moe_context {
  moe_backend_t backend = MOE_BACKEND_CPU;

  std::mutex mutex; ///< guards the two maps
  std::map<std::string, std::shared_ptr<const moe::runtime::Artifact>> memory;
  /// One mutex per cache key being compiled, so that threads of one context
  /// compile a key once (other processes are kept out by the disk cache's
  /// lock file).
  std::map<std::string, std::shared_ptr<std::mutex>> compiling;
};

/// A module handle: a loaded artifact (shared with the cache and other
/// handles) and how this handle was obtained.
struct moe_module {
  std::shared_ptr<const moe::runtime::Artifact> artifact;
  moe_cache_state_t cacheState = MOE_CACHE_NONE;
  double compileTimeMs = 0;
};

namespace moe::runtime {

/// The compile target of a backend ("cpu").
const char *backendTarget(moe_backend_t backend);

/// Checks that `backend` can run here; MOE_ERROR_UNAVAILABLE explaining why
/// not. `resolved` is the backend to use (auto resolves to a concrete one).
Error openBackend(moe_backend_t backend, moe_backend_t &resolved);

} // namespace moe::runtime

#endif // MOE_RUNTIME_CONTEXT_H
