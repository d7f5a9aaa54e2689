//===- Cache.cpp - the compile cache (memory and disk) --------------------===//

#include "Cache.h"
#include "HostCpu.h"

#include "Files.h"
#include "Hash.h"
#include "JitLoader.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <pwd.h>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace moe::runtime {

namespace {

// Format 2 adds the key: entries of format 1 are rebuilt.
constexpr const char *kMetaHeader = "moe-mlir cache entry 2";
/// A .meta is a few lines; a larger file is not one.
constexpr uint64_t kMaxMetaBytes = 64 * 1024;

bool debugEnabled() {
  const char *value = getenv("MOE_CACHE_DEBUG");
  return value && *value && std::string(value) != "0";
}

void debug(const std::string &text) {
  if (debugEnabled())
    fprintf(stderr, "moe-runtime: cache: %s\n", text.c_str());
}

/// An exclusive flock on <dir>/<key>.lock for the lifetime of the object
/// (no lock when the file cannot be opened: then nothing is written either).
class KeyLock {
public:
  explicit KeyLock(const std::string &path) {
    // O_NONBLOCK and a regular file only: a FIFO or device planted there
    // must not block us (then there is no lock, and nothing is stored).
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) {
      debug("cannot open lock file " + path + ": " + systemError(errno));
      return;
    }
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      debug("lock file " + path + " is not a regular file");
      close(fd);
      fd = -1;
      return;
    }
    while (flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        debug("cannot lock " + path + ": " + systemError(errno));
        close(fd);
        fd = -1;
        return;
      }
    }
  }
  ~KeyLock() {
    if (fd >= 0) {
      flock(fd, LOCK_UN);
      close(fd);
    }
  }
  bool held() const { return fd >= 0; }

private:
  int fd = -1;
};

struct Meta {
  /// cacheKeyDigest() of the request the entry was built for: an entry
  /// copied or renamed over another key is not that key's module.
  std::string key;
  uint64_t size = 0;
  std::string sha256;
  std::string compiler; ///< informational: the manifest says it too
  /// fileIdentity() of the compiler library that built the entry, when
  /// known: while that file is unchanged its version is the manifest's, so
  /// a hit need not load the compiler to compare versions.
  std::string jit;
};

std::string formatMeta(const Meta &meta) {
  std::ostringstream out;
  out << kMetaHeader << "\nkey " << meta.key << "\nsize " << meta.size
      << "\nsha256 " << meta.sha256
      << "\ncompiler " << meta.compiler << "\n";
  if (!meta.jit.empty())
    out << "jit " << meta.jit << "\n";
  return out.str();
}

/// Writes `meta` for the entry `base` (temporary name, then rename).
void publishMeta(const std::string &base, const Meta &meta) {
  std::string temp = base + ".meta.tmp-" + uniqueSuffix();
  if (Error error = writeNewFile(temp, formatMeta(meta))) {
    debug("not stored: " + error.message);
    return;
  }
  if (rename(temp.c_str(), (base + ".meta").c_str()) != 0) {
    debug("not stored: " + systemError(errno));
    unlink(temp.c_str());
  }
}

bool parseMeta(const std::string &text, Meta &meta) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kMetaHeader)
    return false;
  bool haveKey = false, haveSize = false, haveHash = false;
  auto isHex64 = [](const std::string &text) {
    return text.size() == 64 &&
           text.find_first_not_of("0123456789abcdef") == std::string::npos;
  };
  while (std::getline(in, line)) {
    if (line.rfind("key ", 0) == 0) {
      meta.key = line.substr(4);
      if (!isHex64(meta.key))
        return false;
      haveKey = true;
    } else if (line.rfind("size ", 0) == 0) {
      const std::string digits = line.substr(5);
      if (digits.empty() || digits.size() > 19 ||
          digits.find_first_not_of("0123456789") != std::string::npos)
        return false;
      meta.size = std::strtoull(digits.c_str(), nullptr, 10);
      haveSize = true;
    } else if (line.rfind("sha256 ", 0) == 0) {
      meta.sha256 = line.substr(7);
      if (!isHex64(meta.sha256))
        return false;
      haveHash = true;
    } else if (line.rfind("compiler ", 0) == 0) {
      meta.compiler = line.substr(9);
    } else if (line.rfind("jit ", 0) == 0) {
      meta.jit = line.substr(4);
    }
  }
  return haveKey && haveSize && haveHash;
}

/// Whether `manifest` is what `request` asks for.
bool matches(const Manifest &manifest, const CompileRequest &request,
             std::string &reason) {
  if (manifest.target != request.target) {
    reason = "its target is " + manifest.target + ", not " + request.target;
    return false;
  }
  if (manifest.checks != request.checks) {
    reason = std::string("it was compiled with checks ") +
             (manifest.checks ? "on" : "off");
    return false;
  }
  if (request.isLayerSpec && manifest.layerSpec != request.source) {
    reason = "its layer_spec differs";
    return false;
  }
  return true;
}

/// Loads the disk entry `base`.so/.meta when it is valid, current and built
/// for the key whose full digest is `keyDigest`. Only regular files are
/// read (a FIFO would hang the lookup), the .so at most the size its .meta
/// vouches for.
bool loadEntry(const std::string &base, const std::string &keyDigest,
               const CompileRequest &request, bool lockHeld,
               std::shared_ptr<const Artifact> &artifact) {
  std::string metaText, bytes;
  if (access((base + ".meta").c_str(), F_OK) != 0) {
    debug("miss: no " + base + ".meta");
    return false;
  }
  if (Error error = readRegularFile(base + ".meta", metaText, kMaxMetaBytes)) {
    debug("rebuild " + base + ": " + error.message);
    return false;
  }
  Meta meta;
  if (!parseMeta(metaText, meta)) {
    debug("rebuild " + base + ": the .meta file is malformed");
    return false;
  }
  if (meta.key != keyDigest) {
    debug("rebuild " + base + ": the entry was built for another key (" +
          meta.key.substr(0, 32) + ")");
    return false;
  }
  if (Error error = readRegularFile(base + ".so", bytes, meta.size)) {
    debug("rebuild " + base + ": " + error.message);
    return false;
  }
  if (bytes.size() != meta.size) {
    debug("rebuild " + base + ": the .so has " + std::to_string(bytes.size()) +
          " bytes, the .meta says " + std::to_string(meta.size));
    return false;
  }
  if (sha256Hex(bytes) != meta.sha256) {
    debug("rebuild " + base + ": the .so does not match its SHA-256");
    return false;
  }
  std::shared_ptr<const Artifact> loaded;
  if (Error error = Artifact::load(bytes, base + ".so", loaded,
                                   gpuDeviceForTarget(request.target))) {
    debug("rebuild " + base + ": " + error.message);
    return false;
  }
  std::string reason;
  if (!matches(loaded->manifest(), request, reason)) {
    debug("rebuild " + base + ": " + reason);
    return false;
  }
  // The compiler version: unchanged when the compiler library is the very
  // file that built the entry; else ask the compiler, when there is one.
  std::string jitIdentity = fileIdentity(jitCandidatePath());
  if (jitIdentity.empty() || jitIdentity != meta.jit) {
    const Jit *jit = nullptr;
    if (!loadJit(jit)) {
      if (jit->version != loaded->manifest().compiler) {
        debug("rebuild " + base + ": built by " + loaded->manifest().compiler +
              ", the compiler is " + jit->version);
        return false;
      }
      if (!jitIdentity.empty() && lockHeld) {
        // Same version from another file (reinstalled): remember this one.
        meta.jit = jitIdentity;
        publishMeta(base, meta);
      }
    }
  }
  artifact = std::move(loaded);
  return true;
}

/// Compiles `request` into `path` and returns the file's bytes and the
/// compiler used.
Error compileTo(const CompileRequest &request, const std::string &path,
                std::string &bytes, const Jit *&jit) {
  if (Error error = loadJit(jit))
    return error;
  Error error = jit->run(request, path);
  if (!error)
    error = readFile(path, bytes);
  if (error)
    unlink(path.c_str());
  return error;
}

/// Loads freshly compiled bytes and checks the manifest is what was asked.
Error loadCompiled(const std::string &bytes, const CompileRequest &request,
                   std::shared_ptr<const Artifact> &artifact) {
  if (Error error = Artifact::load(bytes, "", artifact,
                                   gpuDeviceForTarget(request.target)))
    return makeError(MOE_ERROR_INTERNAL,
                     "the compiler wrote an artifact that does not load: " +
                         error.message);
  std::string reason;
  if (!matches(artifact->manifest(), request, reason))
    return makeError(MOE_ERROR_INTERNAL,
                     "the compiler wrote an artifact for another request: " +
                         reason);
  return Error::ok();
}

Error compileWithoutDisk(const CompileRequest &request,
                         std::shared_ptr<const Artifact> &artifact,
                         moe_cache_state_t &state);

Error compileWithDisk(const CompileRequest &request, const std::string &key,
                      std::shared_ptr<const Artifact> &artifact,
                      moe_cache_state_t &state) {
  const std::string &dir = request.cacheDirectory;
  std::string base = dir + "/" + key;
  std::string keyDigest = cacheKeyDigest(request);
  KeyLock lock(base + ".lock");
  if (loadEntry(base, keyDigest, request, lock.held(), artifact)) {
    state = MOE_CACHE_DISK;
    return Error::ok();
  }
  if (!lock.held() || access(dir.c_str(), W_OK) != 0) {
    // A directory we cannot write (read-only, someone else's): entries in it
    // are still read, but compiles go to a private temporary file.
    debug("cannot write " + dir + ": compiling without storing");
    return compileWithoutDisk(request, artifact, state);
  }
  std::string temp = base + ".so.tmp-" + uniqueSuffix();
  std::string bytes;
  const Jit *jit = nullptr;
  if (Error error = compileTo(request, temp, bytes, jit))
    return error;
  if (Error error = loadCompiled(bytes, request, artifact)) {
    unlink(temp.c_str());
    return error;
  }
  state = MOE_CACHE_COMPILED;
  // Publish: the .so, then the .meta that vouches for it. A failure here only
  // costs a later rebuild.
  if (rename(temp.c_str(), (base + ".so").c_str()) != 0) {
    debug("not stored: " + systemError(errno));
    unlink(temp.c_str());
    return Error::ok();
  }
  Meta meta;
  meta.key = keyDigest;
  meta.size = bytes.size();
  meta.sha256 = sha256Hex(bytes);
  meta.compiler = artifact->manifest().compiler;
  meta.jit = fileIdentity(jit->path);
  publishMeta(base, meta);
  return Error::ok();
}

Error compileWithoutDisk(const CompileRequest &request,
                         std::shared_ptr<const Artifact> &artifact,
                         moe_cache_state_t &state) {
  std::string temp = tempDirectory() + "/moe-compile-" + uniqueSuffix() + ".so";
  std::string bytes;
  const Jit *jit = nullptr;
  if (Error error = compileTo(request, temp, bytes, jit))
    return error;
  unlink(temp.c_str());
  if (Error error = loadCompiled(bytes, request, artifact))
    return error;
  state = MOE_CACHE_COMPILED;
  return Error::ok();
}

} // namespace

std::string cacheKeyDigest(const CompileRequest &request) {
  Sha256 hash;
  // Key 2 adds the chip, key 3 this CPU's features: entries of older keys
  // are other keys, compiled again.
  hash.update("moe-mlir cache key 3\n");
  hash.update(request.isLayerSpec ? "layer\n" : "mlir\n");
  hash.update("target=" + request.target + "\n");
  hash.update("chip=" + request.chip + "\n");
  // cpu and emu code is compiled for this CPU, so a cache directory shared
  // by several machines keeps one entry per kind of CPU.
  if (request.target == "cpu" || request.target == "emu") {
    std::string features;
    for (const std::string &feature : hostCpuFeatures())
      features += feature + ",";
    hash.update("cpu_features=" + features + "\n");
  }
  hash.update(request.checks ? "checks=1\n" : "checks=0\n");
  // The built-in table is part of the compiler, keyed through its version;
  // a table file by its contents.
  if (!request.tileTable.empty())
    hash.update("tile_table=" + request.tileTableDigest + "\n");
  hash.update(request.source);
  return hash.hexDigest();
}

std::string cacheKey(const CompileRequest &request) {
  return cacheKeyDigest(request).substr(0, 32);
}

std::string defaultCacheDirectory() {
  const char *dir = getenv("MOE_CACHE_DIR");
  if (dir && *dir)
    return dir;
  const char *xdg = getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/')
    return std::string(xdg) + "/moe-mlir";
  const char *home = getenv("HOME");
  if (home && *home)
    return std::string(home) + "/.cache/moe-mlir";
  struct passwd entry, *found = nullptr;
  char buffer[4096];
  if (getpwuid_r(getuid(), &entry, buffer, sizeof(buffer), &found) == 0 &&
      found && found->pw_dir && found->pw_dir[0])
    return std::string(found->pw_dir) + "/.cache/moe-mlir";
  return {};
}

Error compileCached(moe_context &context, const CompileRequest &request,
                    std::shared_ptr<const Artifact> &artifact,
                    moe_cache_state_t &state) {
  std::string key = cacheKey(request);
  std::shared_ptr<std::mutex> keyMutex;
  {
    std::lock_guard<std::mutex> lock(context.mutex);
    auto found = context.memory.find(key);
    if (found != context.memory.end()) {
      artifact = found->second;
      state = MOE_CACHE_MEMORY;
      return Error::ok();
    }
    std::shared_ptr<std::mutex> &slot = context.compiling[key];
    if (!slot)
      slot = std::make_shared<std::mutex>();
    keyMutex = slot;
  }
  std::lock_guard<std::mutex> compileLock(*keyMutex);
  {
    std::lock_guard<std::mutex> lock(context.mutex);
    auto found = context.memory.find(key);
    if (found != context.memory.end()) {
      artifact = found->second;
      state = MOE_CACHE_MEMORY;
      return Error::ok();
    }
  }

  bool useDisk = request.diskCache && !request.cacheDirectory.empty();
  if (useDisk) {
    if (Error error = makeDirectories(request.cacheDirectory)) {
      debug("disk cache off: " + error.message);
      useDisk = false;
    }
  }
  Error error = useDisk ? compileWithDisk(request, key, artifact, state)
                        : compileWithoutDisk(request, artifact, state);
  if (error)
    return error;
  std::lock_guard<std::mutex> lock(context.mutex);
  context.memory[key] = artifact;
  return Error::ok();
}

} // namespace moe::runtime
