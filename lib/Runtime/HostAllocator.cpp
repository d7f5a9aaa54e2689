//===- HostAllocator.cpp - the allocator CPU artifacts call ---------------===//
//
// CPU artifacts allocate their buffers through `_mlir_memref_to_llvm_alloc`
// and `_mlir_memref_to_llvm_free` (finalize-memref-to-llvm's generic
// functions, docs/abi.md), implemented here. A layer allocates the same
// buffers on every call, and every tile of its grouped GEMMs allocates its
// x tile and accumulators on every iteration; straight from malloc, large
// blocks come from fresh pages each time (glibc maps and trims them), and the
// page faults cost more than the arithmetic. Freed blocks are kept per thread
// and per size class instead and handed out again: after the first call no
// buffer of a layer faults a page.
//
// Blocks are 64-byte aligned (a cache line, any vector). A header before the
// block records its class. Each thread keeps at most kBlocksPerClass blocks
// of a class and kCachedBytesPerThread bytes in all; blocks beyond that go
// back to the C library. A block may be freed by another thread than the one
// that allocated it.
//
//===----------------------------------------------------------------------===//
#include "HostAllocator.h"

#include "moe/Runtime/moe_runtime.h"

#include <array>
#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <vector>

namespace {

/// Where a failed allocation of the running entry point goes (null when no
/// entry point runs on this thread).
struct AllocationFailure {
  sigjmp_buf target;
  size_t bytes = 0;
};
thread_local AllocationFailure *allocationFailure = nullptr;

/// Whether this thread is inside an OpenMP parallel region (libomp is loaded
/// with the CPU artifacts that use it, not linked here).
bool inParallelRegion() {
  static int (*query)() = [] {
    void *omp = dlopen("libomp.so.5", RTLD_LAZY | RTLD_NOLOAD);
    return omp ? reinterpret_cast<int (*)()>(dlsym(omp, "omp_in_parallel"))
               : nullptr;
  }();
  return query && query() != 0;
}

[[noreturn]] void allocationFailed(size_t bytes) {
  if (allocationFailure && !inParallelRegion()) {
    allocationFailure->bytes = bytes;
    siglongjmp(allocationFailure->target, 1);
  }
  std::fprintf(stderr,
               "moe runtime: out of memory: compiled code could not allocate "
               "%zu bytes in a parallel region\n",
               bytes);
  std::abort();
}

constexpr size_t kAlignment = 64;
constexpr size_t kHeader = kAlignment;
// Four classes per power of two from 64 bytes (64, 80, 96, 112, 128, 160,
// ...): a block wastes at most a fifth of itself.
constexpr int kClasses = 4 * 46;
constexpr size_t kBlocksPerClass = 4;
constexpr size_t kCachedBytesPerThread = size_t(1) << 30;

size_t capacityOf(int cls) {
  size_t quarter = (kAlignment << (cls / 4)) / 4;
  return quarter * (4 + cls % 4);
}

/// The smallest class whose blocks hold `bytes`.
int classOf(size_t bytes) {
  int cls = 0;
  while (capacityOf(cls) < bytes && cls + 1 < kClasses)
    ++cls;
  return cls;
}

struct ThreadCache {
  std::array<std::vector<void *>, kClasses> blocks;
  size_t cachedBytes = 0;

  ~ThreadCache() {
    for (auto &list : blocks)
      for (void *base : list)
        std::free(base);
  }
};

thread_local ThreadCache cache;

void *allocate(size_t bytes) {
  if (bytes > capacityOf(kClasses - 1))
    allocationFailed(bytes);
  int cls = classOf(bytes == 0 ? 1 : bytes);
  std::vector<void *> &list = cache.blocks[cls];
  void *base;
  if (!list.empty()) {
    base = list.back();
    list.pop_back();
    cache.cachedBytes -= capacityOf(cls);
  } else {
    // aligned_alloc wants a multiple of the alignment (C11 7.22.3.1); the
    // classes between powers of two (80, 96, 112 bytes, ...) are not.
    size_t size = (kHeader + capacityOf(cls) + kAlignment - 1) / kAlignment *
                  kAlignment;
    base = std::aligned_alloc(kAlignment, size);
    if (!base)
      allocationFailed(bytes);
  }
  *static_cast<int64_t *>(base) = cls;
  return static_cast<char *>(base) + kHeader;
}

void release(void *pointer) {
  if (!pointer)
    return;
  void *base = static_cast<char *>(pointer) - kHeader;
  int cls = static_cast<int>(*static_cast<int64_t *>(base));
  std::vector<void *> &list = cache.blocks[cls];
  size_t capacity = capacityOf(cls);
  if (list.size() >= kBlocksPerClass ||
      cache.cachedBytes + capacity > kCachedBytesPerThread) {
    std::free(base);
    return;
  }
  list.push_back(base);
  cache.cachedBytes += capacity;
}

} // namespace

bool moe::runtime::callCatchingAllocationFailure(EntryCaller caller,
                                                 void *function,
                                                 void **parameters,
                                                 size_t &failedBytes) {
  AllocationFailure failure;
  AllocationFailure *outer = allocationFailure;
  // Nothing between here and the compiled code has a destructor to skip.
  if (sigsetjmp(failure.target, 0) != 0) {
    allocationFailure = outer;
    failedBytes = failure.bytes;
    return false;
  }
  allocationFailure = &failure;
  caller(function, parameters);
  allocationFailure = outer;
  return true;
}

extern "C" {

MOE_RUNTIME_API void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  return allocate(bytes);
}

MOE_RUNTIME_API void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment,
                                                          size_t bytes) {
  // Every block is 64-byte aligned; larger alignments are not requested by
  // the pipelines (memref.alloc without an alignment attribute).
  if (alignment > kAlignment)
    return nullptr;
  return allocate(bytes);
}

MOE_RUNTIME_API void _mlir_memref_to_llvm_free(void *pointer) {
  release(pointer);
}

} // extern "C"
