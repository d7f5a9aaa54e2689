//===- Machine.h - the machine's FMA peak and read bandwidth ----*- C++ -*-===//
//
// The two ceilings of moe-bench's roofline, measured at start on the threads
// the benchmark uses rather than taken from a data sheet: what a VM, a power
// limit or a shared socket actually allows is what the kernels compete with.
//
//===----------------------------------------------------------------------===//
#ifndef MOE_TOOLS_MOE_BENCH_MACHINE_H
#define MOE_TOOLS_MOE_BENCH_MACHINE_H

#include <cstdint>
#include <memory>
#include <string>

namespace moe::bench {

struct MachineInfo {
  int threads = 1;
  /// f32 GFLOP/s of independent vector FMAs on every thread (an FMA is two
  /// FLOPs), and the instruction set that reached it.
  double fmaGflops = 0;
  std::string fmaIsa;
  /// GB/s (1e9 bytes) of every thread summing its part of a buffer of
  /// `bandwidthBytes` in total, the best of a few passes.
  double bandwidthGbs = 0;
  int64_t bandwidthBytes = 0;
  std::string sumIsa;
};

/// Measures both on `threads` threads (about a second). Throws
/// std::bad_alloc when the bandwidth buffer cannot be allocated.
MachineInfo measureMachine(int threads);

/// Empties the caches before a timed run (moe-bench --cold): every thread
/// sums its part of a buffer twice the size of the last-level cache, so the
/// run reads its weights from memory, as a layer does in a model whose other
/// layers ran in between. Without it, a decode step's few experts (75 MB of
/// Qwen3 bf16 weights at T = 1) stay in a large L3 across the timed runs.
class CacheEvictor {
public:
  /// Throws std::bad_alloc when the buffer cannot be allocated.
  explicit CacheEvictor(int threads);
  ~CacheEvictor();
  CacheEvictor(const CacheEvictor &) = delete;
  CacheEvictor &operator=(const CacheEvictor &) = delete;

  void evict();
  int64_t bytes() const;

private:
  struct Buffer;
  std::unique_ptr<Buffer> buffer;
};

} // namespace moe::bench

#endif // MOE_TOOLS_MOE_BENCH_MACHINE_H
