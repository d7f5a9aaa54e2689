//===- JitLoader.cpp - dlopen of the compiler library libmoe_jit ----------===//

#include "JitLoader.h"
#include "Cache.h"

#include "Elf.h"
#include "Files.h"

#include <cstdlib>
#include <dlfcn.h>
#include <map>
#include <memory>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace moe::runtime {

namespace {

constexpr const char *kJitName = "libmoe_jit.so";

std::mutex jitMutex;
/// Loaded compilers by the path they were loaded from (with $MOE_JIT_LIBRARY
/// changing between calls, as tests do, each path is loaded once).
std::map<std::string, std::unique_ptr<Jit>> &loadedJits() {
  static auto *jits = new std::map<std::string, std::unique_ptr<Jit>>();
  return *jits;
}

/// The directory of the object holding this code (libmoe_runtime.so).
std::string runtimeDirectory() {
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&moe_runtime_version), &info) &&
      info.dli_fname && info.dli_fname[0])
    return directoryOf(info.dli_fname);
  return {};
}

/// Loads the compiler at `path`; nullptr and `error` on failure.
const Jit *tryLoad(const std::string &path, std::string &error) {
  auto &jits = loadedJits();
  auto found = jits.find(path);
  if (found != jits.end())
    return found->second.get();
  // A truncated library crashes inside dlopen(): refuse it before.
  std::string reason;
  if (!checkSharedObjectFile(path, reason)) {
    error = path + " is truncated or not a valid shared object: " + reason;
    return nullptr;
  }
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *text = dlerror();
    error = text ? text : "cannot load " + path;
    return nullptr;
  }
  auto jit = std::make_unique<Jit>();
  jit->path = path;
  jit->compile =
      reinterpret_cast<Jit::CompileFn>(dlsym(handle, "moe_jit_compile_request"));
  auto version =
      reinterpret_cast<Jit::VersionFn>(dlsym(handle, "moe_jit_version"));
  jit->release = reinterpret_cast<Jit::FreeFn>(dlsym(handle, "moe_jit_free"));
  if (!jit->compile || !version || !jit->release) {
    error = path + " is not the moe-mlir compiler library (it lacks " +
            (!jit->compile ? "moe_jit_compile_request"
                           : !version ? "moe_jit_version" : "moe_jit_free") +
            ")";
    dlclose(handle);
    return nullptr;
  }
  const char *text = version();
  jit->version = text ? text : "";
  const Jit *result = jit.get();
  jits.emplace(path, std::move(jit));
  return result;
}

} // namespace

Error loadJit(const Jit *&jit) {
  std::lock_guard<std::mutex> lock(jitMutex);
  const char *hint = "; compiling needs the compiler library libmoe_jit.so "
                     "(part of a full moe-mlir install, with LLVM/MLIR); "
                     "prebuilt artifacts still run without it "
                     "(moe_load_artifact, moe-run --artifact)";
  const char *override = getenv("MOE_JIT_LIBRARY");
  if (override && *override) {
    std::string error;
    jit = tryLoad(override, error);
    if (jit)
      return Error::ok();
    return makeError(MOE_ERROR_UNAVAILABLE,
                     "the compiler library could not be loaded from "
                     "$MOE_JIT_LIBRARY (" +
                         std::string(override) + "): " + error + hint);
  }
  std::vector<std::string> tried;
  std::string directory = runtimeDirectory();
  if (!directory.empty()) {
    std::string path = directory + "/" + kJitName;
    if (access(path.c_str(), F_OK) == 0) {
      std::string error;
      jit = tryLoad(path, error);
      if (jit)
        return Error::ok();
      tried.push_back(path + ": " + error);
    } else {
      tried.push_back(path + ": no such file");
    }
  }
  std::string error;
  jit = tryLoad(kJitName, error);
  if (jit)
    return Error::ok();
  tried.push_back("the library search path: " + error);
  std::string where;
  for (const std::string &attempt : tried)
    where += (where.empty() ? "" : "; ") + attempt;
  return makeError(MOE_ERROR_UNAVAILABLE,
                   "the compiler library libmoe_jit.so is not installed "
                   "(looked for " +
                       where + ")" + hint);
}

std::string jitCandidatePath() {
  const char *override = getenv("MOE_JIT_LIBRARY");
  if (override && *override)
    return override;
  std::string directory = runtimeDirectory();
  if (directory.empty())
    return {};
  std::string path = directory + "/" + kJitName;
  return access(path.c_str(), F_OK) == 0 ? path : std::string();
}

Error Jit::run(const CompileRequest &request,
               const std::string &outPath) const {
  auto orNull = [](const std::string &value) {
    return value.empty() ? nullptr : value.c_str();
  };
  moe_jit_request_t jitRequest{};
  jitRequest.source = request.source.c_str();
  jitRequest.source_is_layer_spec = request.isLayerSpec ? 1 : 0;
  jitRequest.target = request.target.c_str();
  jitRequest.chip = orNull(request.chip);
  jitRequest.chip_is_device = request.chipIsDevice ? 1 : 0;
  jitRequest.checks = request.checks ? 1 : 0;
  jitRequest.tile_table = orNull(request.tileTable);
  jitRequest.out_path = outPath.c_str();
  char *message = nullptr;
  int code = compile(&jitRequest, &message);
  if (code == 0) {
    if (message)
      release(message);
    return Error::ok();
  }
  std::string text = message ? message : "the compiler failed without a message";
  if (message)
    release(message);
  return makeError(MOE_ERROR_COMPILE, text);
}

} // namespace moe::runtime
