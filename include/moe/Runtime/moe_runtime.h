/*===- moe_runtime.h - the moe-mlir runtime C API ------------------------===*
 *
 * libmoe_runtime compiles (through the separate compiler library libmoe_jit,
 * loaded with dlopen only when something must be compiled), caches and runs
 * moe-mlir modules. It depends on neither LLVM nor MLIR: an artifact written by
 * `moe-compile --emit so` runs with this library alone (DESIGN.md §6; the
 * artifact format is docs/abi.md).
 *
 * Conventions:
 *  - Every fallible call returns a moe_status_t. On failure,
 *    moe_last_error() gives a readable one-line message for the calling
 *    thread (it stays valid until that thread's next failing call).
 *  - Strings returned by the library are owned by the object they come from
 *    (a module's strings live as long as the module handle).
 *  - Contexts and modules may be used from several threads at once: compiles
 *    on one context are serialized per cache key, and moe_run may run
 *    concurrently on one module (each call stages its own buffers).
 *  - A module handle keeps what it needs alive: it may outlive its context.
 *
 *===---------------------------------------------------------------------===*/
#ifndef MOE_RUNTIME_MOE_RUNTIME_H
#define MOE_RUNTIME_MOE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define MOE_RUNTIME_API __attribute__((visibility("default")))
#else
#define MOE_RUNTIME_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*===-------------------------------------------------------------------===*
 * Status and errors
 *===-------------------------------------------------------------------===*/

typedef enum moe_status {
  MOE_OK = 0,
  /** A bad argument: a null pointer, a malformed spec, a buffer whose
   *  count, dtype, rank or shape does not match the module's signature. */
  MOE_ERROR_INVALID_ARGUMENT = 1,
  /** Something this build or machine does not have: a backend that is not
   *  implemented or has no driver, the compiler library libmoe_jit. */
  MOE_ERROR_UNAVAILABLE = 2,
  /** The compiler rejected the module (the message is the compiler's). */
  MOE_ERROR_COMPILE = 3,
  /** A runtime contract of the module (docs/abi.md) was violated by the
   *  inputs; the output buffers were not written. */
  MOE_ERROR_CONTRACT = 4,
  /** A file could not be read or written, or an artifact is not valid. */
  MOE_ERROR_IO = 5,
  /** A bug in moe-mlir or an out-of-memory condition. */
  MOE_ERROR_INTERNAL = 6,
  /** Not a status: makes the enum 32 bits wide for every value a C caller
   *  may pass (as Vulkan's *_MAX_ENUM). Likewise in the enums below. */
  MOE_STATUS_MAX_ENUM = 0x7fffffff,
} moe_status_t;

/** The calling thread's message for its last failing call ("" if none). */
MOE_RUNTIME_API const char *moe_last_error(void);

/** "ok", "invalid argument", "unavailable", "compile error",
 *  "contract violation", "io error", "internal error". */
MOE_RUNTIME_API const char *moe_status_string(moe_status_t status);

/** "moe-mlir runtime 0.1.0". */
MOE_RUNTIME_API const char *moe_runtime_version(void);

/*===-------------------------------------------------------------------===*
 * Element types
 *===-------------------------------------------------------------------===*/

typedef enum moe_dtype {
  MOE_DTYPE_F32 = 0,
  MOE_DTYPE_F16 = 1,  /**< IEEE binary16 bit patterns */
  MOE_DTYPE_BF16 = 2, /**< bfloat16 bit patterns */
  MOE_DTYPE_I32 = 3,
  MOE_DTYPE_MAX_ENUM = 0x7fffffff,
} moe_dtype_t;

/** "f32", "f16", "bf16", "i32" (the manifest spellings); NULL if invalid. */
MOE_RUNTIME_API const char *moe_dtype_name(moe_dtype_t dtype);
/** The dtype spelled `name`. */
MOE_RUNTIME_API moe_status_t moe_dtype_from_name(const char *name,
                                                 moe_dtype_t *dtype);
/** Bytes per element (4 or 2); 0 if invalid. */
MOE_RUNTIME_API size_t moe_dtype_size(moe_dtype_t dtype);

/*===-------------------------------------------------------------------===*
 * Contexts and backends
 *===-------------------------------------------------------------------===*/

typedef enum moe_backend {
  MOE_BACKEND_CPU = 0,
  MOE_BACKEND_EMU = 1,  /**< the GPU kernels emulated on the CPU */
  MOE_BACKEND_CUDA = 2,
  MOE_BACKEND_HIP = 3,
  /** A present GPU backend when one is implemented, else cpu. */
  MOE_BACKEND_AUTO = 4,
  MOE_BACKEND_MAX_ENUM = 0x7fffffff,
} moe_backend_t;

/** "cpu", "emu", "cuda", "hip", "auto"; NULL if invalid. */
MOE_RUNTIME_API const char *moe_backend_name(moe_backend_t backend);
/** The backend spelled `name` (one of the names above). */
MOE_RUNTIME_API moe_status_t moe_backend_from_name(const char *name,
                                                   moe_backend_t *backend);

typedef struct moe_context *moe_context_t;

/** Creates a context. cpu and emu (the GPU kernels run on the CPU, a fiber
 *  per GPU thread) always work; cuda and hip need a driver and a device
 *  (else MOE_ERROR_UNAVAILABLE saying which is missing). auto resolves to
 *  cuda, else hip, else cpu (see moe_context_backend). Each context has its
 *  own in-memory module cache. */
MOE_RUNTIME_API moe_status_t moe_context_create(moe_backend_t backend,
                                                moe_context_t *context);
/** Destroys a context (NULL is ignored). Modules stay valid. */
MOE_RUNTIME_API void moe_context_destroy(moe_context_t context);
/** The backend the context runs on (never MOE_BACKEND_AUTO). */
MOE_RUNTIME_API moe_status_t moe_context_backend(moe_context_t context,
                                                 moe_backend_t *backend);

/*===-------------------------------------------------------------------===*
 * Compiling and loading modules
 *===-------------------------------------------------------------------===*/

typedef struct moe_module *moe_module_t;

typedef struct moe_compile_options {
  /** 1 (default): compile the runtime-contract checks in; 0: leave them
   *  out (faster; a violated contract then gives unspecified results but
   *  never an out-of-bounds access: every kernel clamps its indices). */
  int checks;
  /** 1 (default): use the on-disk cache; 0: compile into a private temporary
   *  file (the in-memory cache of the context is always used). */
  int disk_cache;
  /** The disk cache directory; NULL (default): $MOE_CACHE_DIR, else
   *  $XDG_CACHE_HOME/moe-mlir, else $HOME/.cache/moe-mlir. */
  const char *cache_dir;
  /** CPU backend: a tuning table (JSON, written by moe-tune) replacing the
   *  built-in one; NULL (default): the built-in table. Its contents are part
   *  of the cache key. */
  const char *tile_table;
  /** cuda and hip contexts: the GPU chip to compile for ("sm_80", "gfx90a",
   *  ...). NULL (default): the context's device, from its compute capability
   *  (cuda: sm_90 on an H100) or gcnArchName (hip); a CUDA device newer than
   *  the compiler knows gets the newest chip it knows below it (PTX runs on
   *  newer GPUs). emu contexts: the chip whose kernels the emulator runs
   *  (its warp matrix instructions included: "sm_80" mma.sync, "gfx942"
   *  MFMA on 64-lane waves); NULL: the emulator's own. The chip is part of
   *  the cache key. Must be NULL on cpu contexts. */
  const char *chip;
} moe_compile_options_t;

/** Fills `options` with the defaults (checks on, disk cache on, default
 *  directory). A NULL options pointer means the defaults everywhere. */
MOE_RUNTIME_API void moe_compile_options_init(moe_compile_options_t *options);

/** Compiles a layer spec (`experts=8,k=2,hidden=64,inter=32,...`, the syntax
 *  of moe-compile --layer) for the context's backend. The spec is validated
 *  first (MOE_ERROR_INVALID_ARGUMENT naming the key). Equal specs share cache
 *  entries whatever their spelling (the key uses the canonical form). */
MOE_RUNTIME_API moe_status_t moe_compile_layer(moe_context_t context,
                                               const char *spec,
                                               const moe_compile_options_t *options,
                                               moe_module_t *module);
/** Compiles MLIR text (a module of func.func entries, see docs/abi.md). */
MOE_RUNTIME_API moe_status_t moe_compile_mlir(moe_context_t context,
                                              const char *mlir,
                                              const moe_compile_options_t *options,
                                              moe_module_t *module);
/** Reads `path` and compiles it like moe_compile_mlir. */
MOE_RUNTIME_API moe_status_t moe_compile_mlir_file(moe_context_t context,
                                                   const char *path,
                                                   const moe_compile_options_t *options,
                                                   moe_module_t *module);
/** Loads an artifact (`moe-compile --emit so`); needs no compiler. The
 *  artifact's target must be the context's backend. The file is read once
 *  and loaded from a private copy, so overwriting it later is harmless. */
MOE_RUNTIME_API moe_status_t moe_load_artifact(moe_context_t context,
                                               const char *path,
                                               moe_module_t *module);
/** Releases a module handle (NULL is ignored). */
MOE_RUNTIME_API void moe_module_release(moe_module_t module);

/*===-------------------------------------------------------------------===*
 * The compiler library
 *===-------------------------------------------------------------------===*/

/** Loads libmoe_jit if needed (from $MOE_JIT_LIBRARY when set, else
 *  libmoe_jit.so next to libmoe_runtime.so, else the default library search
 *  path) and reports its version and path. MOE_ERROR_UNAVAILABLE when it is
 *  not installed. Either out pointer may be NULL. */
MOE_RUNTIME_API moe_status_t moe_compiler_info(const char **version,
                                               const char **path);

/*===-------------------------------------------------------------------===*
 * Introspection
 *===-------------------------------------------------------------------===*/

typedef enum moe_cache_state {
  /** Compiled by this call (both caches missed, or disk cache off). */
  MOE_CACHE_COMPILED = 0,
  /** Found in the context's in-memory cache. */
  MOE_CACHE_MEMORY = 1,
  /** Loaded from a valid on-disk cache entry. */
  MOE_CACHE_DISK = 2,
  /** Loaded with moe_load_artifact (no cache involved). */
  MOE_CACHE_NONE = 3,
  MOE_CACHE_MAX_ENUM = 0x7fffffff,
} moe_cache_state_t;

/** "compiled", "memory", "disk", "none". */
MOE_RUNTIME_API const char *moe_cache_state_name(moe_cache_state_t state);

typedef struct moe_module_info {
  size_t num_entries;
  const char *target;     /**< "cpu", ... */
  const char *compiler;   /**< the manifest's "compiler" */
  const char *layer_spec; /**< the canonical layer spec, or NULL */
  int checks;             /**< 1 when compiled with contract checks */
  const char *manifest;   /**< the whole JSON manifest */
  moe_cache_state_t cache_state;
  /** Wall time of the call that made this handle, in milliseconds: the
   *  compile for MOE_CACHE_COMPILED, else the cache lookup and load. */
  double compile_time_ms;
} moe_module_info_t;

MOE_RUNTIME_API moe_status_t moe_module_info(moe_module_t module,
                                             moe_module_info_t *info);
/** Where the module came from (also in moe_module_info). */
MOE_RUNTIME_API moe_status_t moe_module_cache_state(moe_module_t module,
                                                    moe_cache_state_t *state);

typedef struct moe_entry_info {
  const char *name;
  size_t num_args;
  size_t num_results;
} moe_entry_info_t;

/** Entry `index` (0 <= index < num_entries). */
MOE_RUNTIME_API moe_status_t moe_module_entry(moe_module_t module, size_t index,
                                              moe_entry_info_t *info);
/** The index of the entry called `name`. */
MOE_RUNTIME_API moe_status_t moe_module_find_entry(moe_module_t module,
                                                   const char *name,
                                                   size_t *index);

typedef struct moe_tensor_info {
  const char *name;
  moe_dtype_t dtype;
  int32_t rank;
  const int64_t *shape; /**< `rank` extents, -1 for a dynamic one */
} moe_tensor_info_t;

MOE_RUNTIME_API moe_status_t moe_module_arg(moe_module_t module, size_t entry,
                                            size_t index, moe_tensor_info_t *info);
MOE_RUNTIME_API moe_status_t moe_module_result(moe_module_t module, size_t entry,
                                               size_t index,
                                               moe_tensor_info_t *info);

/*===-------------------------------------------------------------------===*
 * Running
 *===-------------------------------------------------------------------===*/

/** A caller's tensor. `data` holds elements of `dtype` at
 *  data[sum_d index[d] * strides[d]] (strides in elements, any sign; NULL
 *  strides = contiguous row-major). `data` may be NULL when the tensor has
 *  no elements. Inputs are only read: a contiguous input is passed to the
 *  compiled code in place, a strided one is packed into a staging copy. */
typedef struct moe_buffer {
  void *data;
  moe_dtype_t dtype;
  int32_t rank;
  const int64_t *shape;
  const int64_t *strides;
} moe_buffer_t;

/** Runs `entry` (NULL: the module's only entry) on `inputs` (one per
 *  argument, in order) and writes its results into `outputs` (one per
 *  result). Before the call every input and output is checked against the
 *  signature (count, dtype, rank, static extents): a mismatch is
 *  MOE_ERROR_INVALID_ARGUMENT naming the argument, e.g.
 *  "argument 'x' (#0) has dtype f16 but the module expects bf16". After the
 *  call each result's shape must equal its output buffer's shape (else
 *  MOE_ERROR_INVALID_ARGUMENT naming the output and both shapes, and no
 *  output is written). A violated runtime contract gives MOE_ERROR_CONTRACT
 *  with the message of docs/abi.md, and no output is written. */
MOE_RUNTIME_API moe_status_t moe_run(moe_module_t module, const char *entry,
                                     const moe_buffer_t *inputs, size_t num_inputs,
                                     const moe_buffer_t *outputs,
                                     size_t num_outputs);

/** Results owned by the runtime, for entries whose result shapes are only
 *  known after the call (a dynamic extent that is not the token count). */
typedef struct moe_results *moe_results_t;

/** Like moe_run, but the runtime keeps the results (contiguous row-major)
 *  in `*results`; read them with moe_results_get, free with
 *  moe_results_release. */
MOE_RUNTIME_API moe_status_t moe_run_alloc(moe_module_t module,
                                           const char *entry,
                                           const moe_buffer_t *inputs,
                                           size_t num_inputs,
                                           moe_results_t *results);
MOE_RUNTIME_API size_t moe_results_count(moe_results_t results);
/** A view of result `index` (valid until moe_results_release; strides
 *  NULL: contiguous). */
MOE_RUNTIME_API moe_status_t moe_results_get(moe_results_t results, size_t index,
                                             moe_buffer_t *view);
MOE_RUNTIME_API void moe_results_release(moe_results_t results);

/*===-------------------------------------------------------------------===*
 * Device memory
 *===-------------------------------------------------------------------===*/

/** Allocates `bytes` where the context's backend runs its kernels: device
 *  memory on cuda (cuMemAlloc) and hip (hipMalloc), the emulator's device
 *  memory on emu, host memory on cpu. The host must not dereference it on
 *  cuda and hip; use moe_device_copy. moe_run and moe_run_alloc pass
 *  contiguous buffers in such memory to the kernels without staging copies
 *  (a serving engine keeps its weights there across calls), and moe_run
 *  writes an output in such memory on the device. On cuda any device memory
 *  of the process counts (e.g. a framework's tensors). */
MOE_RUNTIME_API moe_status_t moe_device_alloc(moe_context_t context,
                                              size_t bytes, void **pointer);
/** Frees memory of moe_device_alloc (NULL is ignored). */
MOE_RUNTIME_API void moe_device_free(moe_context_t context, void *pointer);
/** Copies `bytes` between host memory and the context's device memory, in
 *  either direction (or within one), after every kernel launched so far. */
MOE_RUNTIME_API moe_status_t moe_device_copy(moe_context_t context,
                                             void *destination,
                                             const void *source, size_t bytes);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MOE_RUNTIME_MOE_RUNTIME_H */
