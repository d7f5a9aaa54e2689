//===- Cache.h - the compile cache (memory and disk) ------------*- C++ -*-===//
//
// Key: SHA-256 (first 128 bits, hex) of the source text (MLIR, or the
// canonical layer spec LayerSpec::str()), whether it is a layer spec, the
// target, the GPU chip (so an sm_80 artifact is never reused on an sm_90
// device) and the checks flag. The compiler version is deliberately not part
// of the key: learning it means loading libmoe_jit (and libMLIR, ~50 ms),
// which a cache hit should not need. Instead the artifact's manifest records
// the compiler that built it ("compiler"), and a disk entry whose compiler
// differs from the version of a loadable libmoe_jit is rebuilt (and so
// replaced). To keep hits cheap, the .meta also records the identity
// (device, inode, size, mtime) of the libmoe_jit file that built the entry:
// while the compiler library found now is that same file, its version is
// the manifest's and the compiler is not loaded. Without a compiler, entries
// are trusted as they are (artifacts run without LLVM).
//
// Memory: per context, key -> loaded artifact.
//
// Disk: <dir>/<key>.so (the artifact) and <dir>/<key>.meta (the full key
// digest, the .so's size and SHA-256, the compiler version and library
// identity). Only regular files are read (a FIFO or device is a damaged
// entry). Both are written to unique temporary names and rename()d into
// place, the .so first; a reader that finds a missing, truncated or corrupt
// entry (another key's, size or hash mismatch, not loadable, no or bad
// manifest, a manifest for another target, checks setting or layer spec)
// rebuilds it and never runs it. <dir>/<key>.lock is flock()ed around lookup
// and rebuild, so threads and processes compile one key once; the lock
// files stay.
// MOE_CACHE_DEBUG=1 prints why an entry was rebuilt to stderr.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_RUNTIME_CACHE_H
#define MOE_RUNTIME_CACHE_H

#include "Artifact.h"
#include "Context.h"
#include "Errors.h"

#include <memory>
#include <string>

namespace moe::runtime {

struct CompileRequest {
  std::string source; ///< MLIR text or canonical layer spec
  bool isLayerSpec = false;
  std::string target;
  /// The GPU chip: the caller's (moe_compile_options.chip), else the
  /// device's (GpuDevice::chip, then `chipIsDevice`); empty for cpu and emu
  /// or when unknown (the compiler's default).
  std::string chip;
  bool chipIsDevice = false;
  bool checks = true;
  std::string tileTable;       ///< a tuning table file; empty: built in
  std::string tileTableDigest; ///< SHA-256 of its contents
  bool diskCache = true;
  std::string cacheDirectory; ///< resolved; empty: no disk cache
};

/// The cache key of a request (32 hex digits).
std::string cacheKey(const CompileRequest &request);

/// The whole SHA-256 (64 hex digits) the key is the start of; a disk
/// entry's .meta records it, and a lookup trusts only an entry whose .meta
/// names the digest of the request being looked up.
std::string cacheKeyDigest(const CompileRequest &request);

/// $MOE_CACHE_DIR, else $XDG_CACHE_HOME/moe-mlir, else
/// $HOME/.cache/moe-mlir; empty when none can be determined.
std::string defaultCacheDirectory();

/// The module for `request`: from the context's memory, from disk, or
/// compiled (loading libmoe_jit); `state` says which.
Error compileCached(moe_context &context, const CompileRequest &request,
                    std::shared_ptr<const Artifact> &artifact,
                    moe_cache_state_t &state);

} // namespace moe::runtime

#endif // MOE_RUNTIME_CACHE_H
