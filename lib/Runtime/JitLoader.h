//===- JitLoader.h - dlopen of the compiler library libmoe_jit --*- C++ -*-===//
//
// The compiler (libmoe_jit, which links libMLIR.so) is loaded only when a
// compile misses both caches, or to learn its version. It is looked for at
//   1. $MOE_JIT_LIBRARY when set (then nowhere else),
//   2. libmoe_jit.so in the directory of libmoe_runtime.so,
//   3. libmoe_jit.so on the default library search path.
// A loaded compiler is never unloaded (libMLIR does not support it).
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_JITLOADER_H
#define MOE_RUNTIME_JITLOADER_H

#include "Errors.h"

#include "moe/Jit/moe_jit.h"

#include <string>

namespace moe::runtime {

struct CompileRequest;

struct Jit {
  /// moe_jit_compile_request (include/moe/Jit/moe_jit.h).
  using CompileFn = int (*)(const moe_jit_request_t *request, char **error);
  using VersionFn = const char *(*)();
  using FreeFn = void (*)(void *);

  std::string path; ///< where it was loaded from
  std::string version;
  CompileFn compile = nullptr;
  FreeFn release = nullptr; ///< moe_jit_free

  /// Compiles `request` into `outPath`; MOE_ERROR_COMPILE with the
  /// compiler's message.
  Error run(const CompileRequest &request, const std::string &outPath) const;
};

/// The compiler library, loading it on first use. MOE_ERROR_UNAVAILABLE
/// with a message saying where it was looked for when it cannot be loaded.
Error loadJit(const Jit *&jit);

/// The file loadJit would load first ($MOE_JIT_LIBRARY, or libmoe_jit.so
/// next to the runtime when it exists), without loading it; empty when the
/// compiler would come from the library search path (or nowhere).
std::string jitCandidatePath();

} // namespace moe::runtime

#endif // MOE_RUNTIME_JITLOADER_H
