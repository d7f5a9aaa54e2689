//===- Api.cpp - the C API of libmoe_runtime ------------------------------===//
//
// Thin wrappers: argument checks, then the pieces in this directory. No
// exception crosses the C boundary.
//
//===----------------------------------------------------------------------===//

#include "moe/Runtime/moe_runtime.h"

#include "Artifact.h"
#include "Buffers.h"
#include "Cache.h"
#include "Context.h"
#include "Errors.h"
#include "Files.h"
#include "Hash.h"
#include "Invoke.h"
#include "JitLoader.h"

#include "moe/Spec/LayerSpec.h"
#include "moe/Support/CheckedMath.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

using namespace moe::runtime;

namespace {

template <typename Fn> moe_status_t guarded(Fn &&fn) {
  try {
    return report(fn());
  } catch (const std::bad_alloc &) {
    return setLastError(MOE_ERROR_INTERNAL, "out of memory");
  } catch (const std::exception &e) {
    return setLastError(MOE_ERROR_INTERNAL,
                        std::string("internal error: ") + e.what());
  } catch (...) {
    return setLastError(MOE_ERROR_INTERNAL, "internal error");
  }
}

Error nullArgument(const char *name) {
  return makeError(MOE_ERROR_INVALID_ARGUMENT, std::string(name) + " is NULL");
}

double millisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now() - start)
      .count();
}

Error compile(moe_context_t context, std::string source, bool isLayerSpec,
              const moe_compile_options_t *options, moe_module_t *module) {
  auto start = std::chrono::steady_clock::now();
  moe_compile_options_t defaults;
  moe_compile_options_init(&defaults);
  if (!options)
    options = &defaults;
  CompileRequest request;
  request.source = std::move(source);
  request.isLayerSpec = isLayerSpec;
  request.target = backendTarget(context->backend);
  // The chip: the caller's, else that of the device the module will run on
  // (DESIGN.md §5), so the cache never hands one device's code to another.
  // On emu it names the chip whose kernels the emulator runs.
  bool gpu = context->backend == MOE_BACKEND_CUDA ||
             context->backend == MOE_BACKEND_HIP;
  if (options->chip && *options->chip) {
    if (!gpu && context->backend != MOE_BACKEND_EMU)
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       std::string("a compile option chip ('") +
                           options->chip + "') applies to cuda, hip and emu "
                           "contexts, not " +
                           moe_backend_name(context->backend));
    request.chip = options->chip;
  } else if (gpu) {
    if (GpuDevice *device =
            gpuDeviceForBackend(moe_backend_name(context->backend)))
      request.chip = device->chip();
    request.chipIsDevice = !request.chip.empty();
  }
  request.checks = options->checks != 0;
  if (options->tile_table && *options->tile_table) {
    if (context->backend != MOE_BACKEND_CPU)
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       "tile_table applies to the cpu backend only");
    std::string contents;
    if (Error error = readFile(options->tile_table, contents))
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       "tile_table: " + error.message);
    Sha256 hash;
    hash.update(contents);
    request.tileTable = options->tile_table;
    request.tileTableDigest = hash.hexDigest();
  }
  request.diskCache = options->disk_cache != 0;
  request.cacheDirectory =
      options->cache_dir && *options->cache_dir ? std::string(options->cache_dir)
                                                : defaultCacheDirectory();
  std::shared_ptr<const Artifact> artifact;
  moe_cache_state_t state = MOE_CACHE_COMPILED;
  if (Error error = compileCached(*context, request, artifact, state))
    return error;
  auto *result = new moe_module();
  result->artifact = std::move(artifact);
  result->cacheState = state;
  result->compileTimeMs = millisecondsSince(start);
  *module = result;
  return Error::ok();
}

Error checkModule(moe_module_t module) {
  if (!module || !module->artifact)
    return nullArgument("module");
  return Error::ok();
}

Error entryAt(moe_module_t module, size_t entry, const EntrySignature *&out) {
  if (Error error = checkModule(module))
    return error;
  const Manifest &manifest = module->artifact->manifest();
  if (entry >= manifest.entries.size())
    return makeError(MOE_ERROR_INVALID_ARGUMENT,
                     "entry index " + std::to_string(entry) +
                         " is out of range (the module has " +
                         std::to_string(manifest.entries.size()) + " entries)");
  out = &manifest.entries[entry];
  return Error::ok();
}

void fillTensorInfo(const TensorSignature &tensor, moe_tensor_info_t *info) {
  info->name = tensor.name.c_str();
  info->dtype = tensor.dtype;
  info->rank = tensor.rank();
  info->shape = tensor.shape.data();
}

/// Owned results of moe_run_alloc.
struct OwnedResult {
  moe_dtype_t dtype;
  std::vector<int64_t> shape;
  std::vector<char> bytes;
};

} // namespace

struct moe_results {
  std::vector<OwnedResult> results;
};

extern "C" {

//===----------------------------------------------------------------------===//
// Status, names
//===----------------------------------------------------------------------===//

const char *moe_last_error(void) { return lastError(); }

const char *moe_status_string(moe_status_t status) {
  switch (status) {
  case MOE_OK:
    return "ok";
  case MOE_ERROR_INVALID_ARGUMENT:
    return "invalid argument";
  case MOE_ERROR_UNAVAILABLE:
    return "unavailable";
  case MOE_ERROR_COMPILE:
    return "compile error";
  case MOE_ERROR_CONTRACT:
    return "contract violation";
  case MOE_ERROR_IO:
    return "io error";
  case MOE_ERROR_INTERNAL:
    return "internal error";
  case MOE_STATUS_MAX_ENUM:
    break;
  }
  return "unknown status";
}

const char *moe_runtime_version(void) { return "moe-mlir runtime 0.1.0"; }

const char *moe_dtype_name(moe_dtype_t dtype) {
  switch (dtype) {
  case MOE_DTYPE_F32:
    return "f32";
  case MOE_DTYPE_F16:
    return "f16";
  case MOE_DTYPE_BF16:
    return "bf16";
  case MOE_DTYPE_I32:
    return "i32";
  case MOE_DTYPE_MAX_ENUM:
    break;
  }
  return nullptr;
}

moe_status_t moe_dtype_from_name(const char *name, moe_dtype_t *dtype) {
  if (!name || !dtype)
    return report(nullArgument(!name ? "name" : "dtype"));
  for (moe_dtype_t candidate :
       {MOE_DTYPE_F32, MOE_DTYPE_F16, MOE_DTYPE_BF16, MOE_DTYPE_I32})
    if (std::strcmp(name, moe_dtype_name(candidate)) == 0) {
      *dtype = candidate;
      return MOE_OK;
    }
  return setLastError(MOE_ERROR_INVALID_ARGUMENT,
                      "unknown dtype '" + std::string(name) +
                          "' (expected f32, f16, bf16 or i32)");
}

size_t moe_dtype_size(moe_dtype_t dtype) { return dtypeSize(dtype); }

const char *moe_backend_name(moe_backend_t backend) {
  switch (backend) {
  case MOE_BACKEND_CPU:
    return "cpu";
  case MOE_BACKEND_EMU:
    return "emu";
  case MOE_BACKEND_CUDA:
    return "cuda";
  case MOE_BACKEND_HIP:
    return "hip";
  case MOE_BACKEND_AUTO:
    return "auto";
  case MOE_BACKEND_MAX_ENUM:
    break;
  }
  return nullptr;
}

moe_status_t moe_backend_from_name(const char *name, moe_backend_t *backend) {
  if (!name || !backend)
    return report(nullArgument(!name ? "name" : "backend"));
  for (moe_backend_t candidate : {MOE_BACKEND_CPU, MOE_BACKEND_EMU,
                                  MOE_BACKEND_CUDA, MOE_BACKEND_HIP,
                                  MOE_BACKEND_AUTO})
    if (std::strcmp(name, moe_backend_name(candidate)) == 0) {
      *backend = candidate;
      return MOE_OK;
    }
  return setLastError(MOE_ERROR_INVALID_ARGUMENT,
                      "unknown backend '" + std::string(name) +
                          "' (expected cpu, emu, cuda, hip or auto)");
}

const char *moe_cache_state_name(moe_cache_state_t state) {
  switch (state) {
  case MOE_CACHE_COMPILED:
    return "compiled";
  case MOE_CACHE_MEMORY:
    return "memory";
  case MOE_CACHE_DISK:
    return "disk";
  case MOE_CACHE_NONE:
    return "none";
  case MOE_CACHE_MAX_ENUM:
    break;
  }
  return "unknown";
}

//===----------------------------------------------------------------------===//
// Contexts
//===----------------------------------------------------------------------===//

moe_status_t moe_context_create(moe_backend_t backend, moe_context_t *context) {
  return guarded([&]() -> Error {
    if (!context)
      return nullArgument("context");
    *context = nullptr;
    moe_backend_t resolved = MOE_BACKEND_CPU;
    if (Error error = openBackend(backend, resolved))
      return error;
    auto *created = new moe_context();
    created->backend = resolved;
    *context = created;
    return Error::ok();
  });
}

void moe_context_destroy(moe_context_t context) { delete context; }

moe_status_t moe_context_backend(moe_context_t context, moe_backend_t *backend) {
  if (!context || !backend)
    return report(nullArgument(!context ? "context" : "backend"));
  *backend = context->backend;
  return MOE_OK;
}

//===----------------------------------------------------------------------===//
// Compiling and loading
//===----------------------------------------------------------------------===//

void moe_compile_options_init(moe_compile_options_t *options) {
  if (!options)
    return;
  options->checks = 1;
  options->disk_cache = 1;
  options->cache_dir = nullptr;
  options->tile_table = nullptr;
  options->chip = nullptr;
}

moe_status_t moe_compile_layer(moe_context_t context, const char *spec,
                               const moe_compile_options_t *options,
                               moe_module_t *module) {
  return guarded([&]() -> Error {
    if (!context || !spec || !module)
      return nullArgument(!context ? "context" : !spec ? "spec" : "module");
    *module = nullptr;
    std::string message;
    std::optional<moe::LayerSpec> parsed = moe::LayerSpec::parse(spec, message);
    if (!parsed) {
      const std::string prefix = "layer spec: ";
      if (message.rfind(prefix, 0) == 0)
        message.erase(0, prefix.size());
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       "invalid layer spec: " + message);
    }
    return compile(context, parsed->str(), true, options, module);
  });
}

moe_status_t moe_compile_mlir(moe_context_t context, const char *mlir,
                              const moe_compile_options_t *options,
                              moe_module_t *module) {
  return guarded([&]() -> Error {
    if (!context || !mlir || !module)
      return nullArgument(!context ? "context" : !mlir ? "mlir" : "module");
    *module = nullptr;
    return compile(context, mlir, false, options, module);
  });
}

moe_status_t moe_compile_mlir_file(moe_context_t context, const char *path,
                                   const moe_compile_options_t *options,
                                   moe_module_t *module) {
  return guarded([&]() -> Error {
    if (!context || !path || !module)
      return nullArgument(!context ? "context" : !path ? "path" : "module");
    *module = nullptr;
    std::string text;
    if (Error error = readFile(path, text))
      return error;
    return compile(context, std::move(text), false, options, module);
  });
}

moe_status_t moe_load_artifact(moe_context_t context, const char *path,
                               moe_module_t *module) {
  return guarded([&]() -> Error {
    if (!context || !path || !module)
      return nullArgument(!context ? "context" : !path ? "path" : "module");
    *module = nullptr;
    auto start = std::chrono::steady_clock::now();
    std::string bytes;
    if (Error error = readFile(path, bytes))
      return error;
    const char *target = backendTarget(context->backend);
    std::shared_ptr<const Artifact> artifact;
    if (Error error =
            Artifact::load(bytes, path, artifact, gpuDeviceForTarget(target)))
      return error;
    if (artifact->manifest().target != target)
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       "artifact " + quoted(path) + " was compiled for target " +
                           artifact->manifest().target + "; the " +
                           moe_backend_name(context->backend) +
                           " backend runs " + target + " artifacts");
    auto *result = new moe_module();
    result->artifact = std::move(artifact);
    result->cacheState = MOE_CACHE_NONE;
    result->compileTimeMs = millisecondsSince(start);
    *module = result;
    return Error::ok();
  });
}

void moe_module_release(moe_module_t module) { delete module; }

moe_status_t moe_compiler_info(const char **version, const char **path) {
  return guarded([&]() -> Error {
    const Jit *jit = nullptr;
    if (Error error = loadJit(jit))
      return error;
    if (version)
      *version = jit->version.c_str();
    if (path)
      *path = jit->path.c_str();
    return Error::ok();
  });
}

//===----------------------------------------------------------------------===//
// Introspection
//===----------------------------------------------------------------------===//

moe_status_t moe_module_info(moe_module_t module, moe_module_info_t *info) {
  if (Error error = checkModule(module))
    return report(error);
  if (!info)
    return report(nullArgument("info"));
  const Manifest &manifest = module->artifact->manifest();
  info->num_entries = manifest.entries.size();
  info->target = manifest.target.c_str();
  info->compiler = manifest.compiler.c_str();
  info->layer_spec = manifest.layerSpec ? manifest.layerSpec->c_str() : nullptr;
  info->checks = manifest.checks ? 1 : 0;
  info->manifest = manifest.json.c_str();
  info->cache_state = module->cacheState;
  info->compile_time_ms = module->compileTimeMs;
  return MOE_OK;
}

moe_status_t moe_module_cache_state(moe_module_t module,
                                    moe_cache_state_t *state) {
  if (Error error = checkModule(module))
    return report(error);
  if (!state)
    return report(nullArgument("state"));
  *state = module->cacheState;
  return MOE_OK;
}

moe_status_t moe_module_entry(moe_module_t module, size_t index,
                              moe_entry_info_t *info) {
  const EntrySignature *entry = nullptr;
  if (Error error = entryAt(module, index, entry))
    return report(error);
  if (!info)
    return report(nullArgument("info"));
  info->name = entry->name.c_str();
  info->num_args = entry->args.size();
  info->num_results = entry->results.size();
  return MOE_OK;
}

moe_status_t moe_module_find_entry(moe_module_t module, const char *name,
                                   size_t *index) {
  return guarded([&]() -> Error {
    if (Error error = checkModule(module))
      return error;
    if (!index)
      return nullArgument("index");
    return resolveEntry(*module->artifact, name, *index);
  });
}

moe_status_t moe_module_arg(moe_module_t module, size_t entry, size_t index,
                            moe_tensor_info_t *info) {
  const EntrySignature *signature = nullptr;
  if (Error error = entryAt(module, entry, signature))
    return report(error);
  if (!info)
    return report(nullArgument("info"));
  if (index >= signature->args.size())
    return setLastError(MOE_ERROR_INVALID_ARGUMENT,
                        "argument index " + std::to_string(index) +
                            " is out of range (entry " +
                            quoted(signature->name) + " has " +
                            std::to_string(signature->args.size()) +
                            " arguments)");
  fillTensorInfo(signature->args[index], info);
  return MOE_OK;
}

moe_status_t moe_module_result(moe_module_t module, size_t entry, size_t index,
                               moe_tensor_info_t *info) {
  const EntrySignature *signature = nullptr;
  if (Error error = entryAt(module, entry, signature))
    return report(error);
  if (!info)
    return report(nullArgument("info"));
  if (index >= signature->results.size())
    return setLastError(MOE_ERROR_INVALID_ARGUMENT,
                        "result index " + std::to_string(index) +
                            " is out of range (entry " +
                            quoted(signature->name) + " has " +
                            std::to_string(signature->results.size()) +
                            " results)");
  fillTensorInfo(signature->results[index], info);
  return MOE_OK;
}

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

moe_status_t moe_run(moe_module_t module, const char *entry,
                     const moe_buffer_t *inputs, size_t numInputs,
                     const moe_buffer_t *outputs, size_t numOutputs) {
  return guarded([&]() -> Error {
    if (Error error = checkModule(module))
      return error;
    const Artifact &artifact = *module->artifact;
    size_t index = 0;
    if (Error error = resolveEntry(artifact, entry, index))
      return error;
    const EntrySignature &signature = artifact.manifest().entries[index];
    if (numOutputs != signature.results.size())
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       "entry " + quoted(signature.name) + " has " +
                           std::to_string(signature.results.size()) + " result" +
                           (signature.results.size() == 1 ? "" : "s") + " but " +
                           std::to_string(numOutputs) + " output" +
                           (numOutputs == 1 ? " was" : "s were") + " given");
    if (numOutputs > 0 && !outputs)
      return nullArgument("outputs");
    for (size_t i = 0; i < numOutputs; ++i)
      if (Error error =
              checkBuffer(outputs[i], signature.results[i], "output", i))
        return error;
    return invokeEntry(
        artifact, index, inputs, numInputs,
        [&](const std::vector<ResultView> &results) -> Error {
          // Every shape is checked before any output is written.
          for (size_t i = 0; i < results.size(); ++i) {
            const moe_buffer_t &output = outputs[i];
            bool same = results[i].shape.size() ==
                        static_cast<size_t>(output.rank);
            for (size_t d = 0; same && d < results[i].shape.size(); ++d)
              same = results[i].shape[d] == output.shape[d];
            if (!same) {
              std::vector<int64_t> given(output.shape,
                                         output.shape + output.rank);
              return makeError(MOE_ERROR_INVALID_ARGUMENT,
                               "output " + quoted(signature.results[i].name) +
                                   " (#" + std::to_string(i) +
                                   ") has shape " + formatShape(given) +
                                   " but the module returned shape " +
                                   formatShape(results[i].shape));
            }
          }
          for (size_t i = 0; i < results.size(); ++i) {
            const moe_buffer_t &output = outputs[i];
            std::vector<int64_t> strides =
                output.strides
                    ? std::vector<int64_t>(output.strides,
                                           output.strides + output.rank)
                    : rowMajorStrides(output.shape, output.rank);
            if (Error error = copyResult(results[i], output.data,
                                         strides.data(), "output"))
              return error;
          }
          return Error::ok();
        });
  });
}

moe_status_t moe_run_alloc(moe_module_t module, const char *entry,
                           const moe_buffer_t *inputs, size_t numInputs,
                           moe_results_t *results) {
  return guarded([&]() -> Error {
    if (Error error = checkModule(module))
      return error;
    if (!results)
      return nullArgument("results");
    *results = nullptr;
    const Artifact &artifact = *module->artifact;
    size_t index = 0;
    if (Error error = resolveEntry(artifact, entry, index))
      return error;
    auto owned = std::make_unique<moe_results>();
    Error error = invokeEntry(
        artifact, index, inputs, numInputs,
        [&](const std::vector<ResultView> &views) -> Error {
          for (const ResultView &view : views) {
            OwnedResult result;
            result.dtype = view.signature->dtype;
            result.shape = view.shape;
            int64_t rank = static_cast<int64_t>(view.shape.size());
            // invokeEntry checked that this fits.
            result.bytes.resize(static_cast<size_t>(
                byteSize(view.shape.data(), rank, result.dtype)));
            std::vector<int64_t> strides =
                rowMajorStrides(view.shape.data(), rank);
            if (Error error = copyResult(view, result.bytes.data(),
                                         strides.data(), "result"))
              return error;
            owned->results.push_back(std::move(result));
          }
          return Error::ok();
        });
    if (error)
      return error;
    *results = owned.release();
    return Error::ok();
  });
}

size_t moe_results_count(moe_results_t results) {
  return results ? results->results.size() : 0;
}

moe_status_t moe_results_get(moe_results_t results, size_t index,
                             moe_buffer_t *view) {
  if (!results || !view)
    return report(nullArgument(!results ? "results" : "view"));
  if (index >= results->results.size())
    return setLastError(MOE_ERROR_INVALID_ARGUMENT,
                        "result index " + std::to_string(index) +
                            " is out of range (" +
                            std::to_string(results->results.size()) +
                            " results)");
  OwnedResult &result = results->results[index];
  view->data = result.bytes.empty() ? nullptr : result.bytes.data();
  view->dtype = result.dtype;
  view->rank = static_cast<int32_t>(result.shape.size());
  view->shape = result.shape.data();
  view->strides = nullptr;
  return MOE_OK;
}

void moe_results_release(moe_results_t results) { delete results; }

} // extern "C"

//===----------------------------------------------------------------------===//
// Device memory
//===----------------------------------------------------------------------===//

namespace {

/// The largest buffer moe_device_alloc accepts: what an int64 byte offset
/// (descriptors, moe_buffer_t shapes) can address.
constexpr size_t kMaxAllocation = static_cast<size_t>(INT64_MAX);

/// The device of `context`'s backend; nullptr for cpu (host memory).
GpuDevice *contextDevice(moe_context_t context) {
  return gpuDeviceForBackend(moe_backend_name(context->backend));
}

} // namespace

moe_status_t moe_device_alloc(moe_context_t context, size_t bytes,
                              void **pointer) {
  if (!context || !pointer)
    return report(nullArgument(!context ? "context" : "pointer"));
  return guarded([&]() -> Error {
    *pointer = nullptr;
    // Host blocks are whole 64-byte lines; a size whose round-up wraps
    // would give a tiny block for a huge request.
    size_t rounded;
    if (!moe::checkedRoundUp(bytes, 64, rounded) || rounded > kMaxAllocation)
      return makeError(MOE_ERROR_INVALID_ARGUMENT,
                       "moe_device_alloc: " + std::to_string(bytes) +
                           " bytes is more than any buffer can hold (at most " +
                           std::to_string(kMaxAllocation) + ")");
    std::string error;
    GpuDevice *device = contextDevice(context);
    void *memory = device ? device->allocate(bytes, error)
                          : std::aligned_alloc(64, std::max<size_t>(64, rounded));
    if (!memory)
      return makeError(MOE_ERROR_INTERNAL,
                       "allocating " + std::to_string(bytes) +
                           " bytes on the " +
                           moe_backend_name(context->backend) +
                           " backend failed" +
                           (error.empty() ? "" : ": " + error));
    *pointer = memory;
    return Error::ok();
  });
}

void moe_device_free(moe_context_t context, void *pointer) {
  if (!context || !pointer)
    return;
  if (GpuDevice *device = contextDevice(context))
    device->release(pointer);
  else
    std::free(pointer);
}

moe_status_t moe_device_copy(moe_context_t context, void *destination,
                             const void *source, size_t bytes) {
  if (!context)
    return report(nullArgument("context"));
  if (bytes && (!destination || !source))
    return report(nullArgument(!destination ? "destination" : "source"));
  return guarded([&]() -> Error {
    GpuDevice *device = contextDevice(context);
    std::string error;
    if (!device) {
      std::memmove(destination, source, bytes);
    } else if (!device->copy(destination, source, bytes, error)) {
      return makeError(MOE_ERROR_INTERNAL,
                       "copying " + std::to_string(bytes) + " bytes on the " +
                           moe_backend_name(context->backend) +
                           " backend failed: " + error);
    }
    return Error::ok();
  });
}
