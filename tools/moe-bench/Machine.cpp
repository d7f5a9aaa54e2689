//===- Machine.cpp - the machine's FMA peak and read bandwidth ------------===//
//
// The vector loops are compiled for AVX-512 and AVX2+FMA with target
// attributes and chosen at run time, so one x86-64 binary measures what the
// machine it runs on can do; elsewhere a scalar loop stands in.
//
//===----------------------------------------------------------------------===//

#include "Machine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <thread>
#include <unistd.h>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MOE_BENCH_X86 1
#include <immintrin.h>
#endif

namespace moe::bench {

namespace {

using Clock = std::chrono::steady_clock;

/// Keeps results alive so the loops are not optimized away.
volatile float sink;

// Twelve independent accumulators: an FMA has a latency of about 4 cycles
// and most cores issue two a cycle, so at least 8 chains are needed to keep
// both pipes busy; 12 leaves room for longer latencies. a = a * b + c with
// b < 1 converges to c / (1 - b) = 1: no overflow, no denormals.
constexpr float kMul = 0.9999f, kAdd = 0.0001f;

#ifdef MOE_BENCH_X86
// The lanes summed through memory: GCC 12's _mm512_reduce_add_ps warns
// about an uninitialized variable inside its own header.
__attribute__((target("avx512f"))) float laneSum(__m512 v) {
  float lanes[16];
  _mm512_storeu_ps(lanes, v);
  float s = 0;
  for (float lane : lanes)
    s += lane;
  return s;
}

__attribute__((target("avx512f"))) float fmaLoopAvx512(int64_t iterations) {
  __m512 a0 = _mm512_set1_ps(1.00f), a1 = _mm512_set1_ps(1.01f),
         a2 = _mm512_set1_ps(1.02f), a3 = _mm512_set1_ps(1.03f),
         a4 = _mm512_set1_ps(1.04f), a5 = _mm512_set1_ps(1.05f),
         a6 = _mm512_set1_ps(1.06f), a7 = _mm512_set1_ps(1.07f),
         a8 = _mm512_set1_ps(1.08f), a9 = _mm512_set1_ps(1.09f),
         a10 = _mm512_set1_ps(1.10f), a11 = _mm512_set1_ps(1.11f);
  const __m512 b = _mm512_set1_ps(kMul), c = _mm512_set1_ps(kAdd);
  for (int64_t i = 0; i < iterations; ++i) {
    a0 = _mm512_fmadd_ps(a0, b, c);
    a1 = _mm512_fmadd_ps(a1, b, c);
    a2 = _mm512_fmadd_ps(a2, b, c);
    a3 = _mm512_fmadd_ps(a3, b, c);
    a4 = _mm512_fmadd_ps(a4, b, c);
    a5 = _mm512_fmadd_ps(a5, b, c);
    a6 = _mm512_fmadd_ps(a6, b, c);
    a7 = _mm512_fmadd_ps(a7, b, c);
    a8 = _mm512_fmadd_ps(a8, b, c);
    a9 = _mm512_fmadd_ps(a9, b, c);
    a10 = _mm512_fmadd_ps(a10, b, c);
    a11 = _mm512_fmadd_ps(a11, b, c);
  }
  __m512 s = _mm512_add_ps(
      _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
      _mm512_add_ps(
          _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),
          _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))));
  return laneSum(s);
}

__attribute__((target("avx2,fma"))) float fmaLoopAvx2(int64_t iterations) {
  __m256 a0 = _mm256_set1_ps(1.00f), a1 = _mm256_set1_ps(1.01f),
         a2 = _mm256_set1_ps(1.02f), a3 = _mm256_set1_ps(1.03f),
         a4 = _mm256_set1_ps(1.04f), a5 = _mm256_set1_ps(1.05f),
         a6 = _mm256_set1_ps(1.06f), a7 = _mm256_set1_ps(1.07f),
         a8 = _mm256_set1_ps(1.08f), a9 = _mm256_set1_ps(1.09f),
         a10 = _mm256_set1_ps(1.10f), a11 = _mm256_set1_ps(1.11f);
  const __m256 b = _mm256_set1_ps(kMul), c = _mm256_set1_ps(kAdd);
  for (int64_t i = 0; i < iterations; ++i) {
    a0 = _mm256_fmadd_ps(a0, b, c);
    a1 = _mm256_fmadd_ps(a1, b, c);
    a2 = _mm256_fmadd_ps(a2, b, c);
    a3 = _mm256_fmadd_ps(a3, b, c);
    a4 = _mm256_fmadd_ps(a4, b, c);
    a5 = _mm256_fmadd_ps(a5, b, c);
    a6 = _mm256_fmadd_ps(a6, b, c);
    a7 = _mm256_fmadd_ps(a7, b, c);
    a8 = _mm256_fmadd_ps(a8, b, c);
    a9 = _mm256_fmadd_ps(a9, b, c);
    a10 = _mm256_fmadd_ps(a10, b, c);
    a11 = _mm256_fmadd_ps(a11, b, c);
  }
  __m256 s = _mm256_add_ps(
      _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
      _mm256_add_ps(
          _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)),
          _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11))));
  float lanes[8];
  _mm256_storeu_ps(lanes, s);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] +
         lanes[6] + lanes[7];
}

// Four accumulators: loads, not adds, should be the limit.
__attribute__((target("avx512f"))) float sumAvx512(const float *p,
                                                    int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    s0 = _mm512_add_ps(s0, _mm512_loadu_ps(p + i));
    s1 = _mm512_add_ps(s1, _mm512_loadu_ps(p + i + 16));
    s2 = _mm512_add_ps(s2, _mm512_loadu_ps(p + i + 32));
    s3 = _mm512_add_ps(s3, _mm512_loadu_ps(p + i + 48));
  }
  float tail = 0;
  for (; i < n; ++i)
    tail += p[i];
  return laneSum(_mm512_add_ps(_mm512_add_ps(s0, s1),
                               _mm512_add_ps(s2, s3))) +
         tail;
}

__attribute__((target("avx2"))) float sumAvx2(const float *p, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm256_add_ps(s0, _mm256_loadu_ps(p + i));
    s1 = _mm256_add_ps(s1, _mm256_loadu_ps(p + i + 8));
    s2 = _mm256_add_ps(s2, _mm256_loadu_ps(p + i + 16));
    s3 = _mm256_add_ps(s3, _mm256_loadu_ps(p + i + 24));
  }
  float lanes[8];
  _mm256_storeu_ps(lanes, _mm256_add_ps(_mm256_add_ps(s0, s1),
                                        _mm256_add_ps(s2, s3)));
  float tail = 0;
  for (; i < n; ++i)
    tail += p[i];
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] +
         lanes[6] + lanes[7] + tail;
}
#endif

float fmaLoopScalar(int64_t iterations) {
  float a[12];
  for (int j = 0; j < 12; ++j)
    a[j] = 1.0f + 0.01f * static_cast<float>(j);
  for (int64_t i = 0; i < iterations; ++i)
    for (float &v : a)
      v = v * kMul + kAdd;
  float s = 0;
  for (float v : a)
    s += v;
  return s;
}

float sumScalar(const float *p, int64_t n) {
  float s[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; ++j)
      s[j] += p[i + j];
  for (; i < n; ++i)
    s[0] += p[i];
  return s[0] + s[1] + s[2] + s[3];
}

struct FmaKernel {
  const char *isa;
  float (*loop)(int64_t);
  int64_t flopsPerIteration; // 12 FMAs of `lanes` floats, 2 FLOPs each
};

struct SumKernel {
  const char *isa;
  float (*sum)(const float *, int64_t);
};

FmaKernel fmaKernel() {
#ifdef MOE_BENCH_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {"avx512f", fmaLoopAvx512, 12 * 16 * 2};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return {"avx2+fma", fmaLoopAvx2, 12 * 8 * 2};
#endif
  return {"scalar", fmaLoopScalar, 12 * 2};
}

SumKernel sumKernel() {
#ifdef MOE_BENCH_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    return {"avx512f", sumAvx512};
  if (__builtin_cpu_supports("avx2"))
    return {"avx2", sumAvx2};
#endif
  return {"scalar", sumScalar};
}

/// Runs body(i) on `threads` threads released together and returns the
/// seconds from the release to the last one's end: thread start-up is not
/// timed, and the slowest thread bounds what "all threads" achieve.
double timeTogether(int threads, const std::function<void(int)> &body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<Clock::time_point> ends(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire))
        std::this_thread::yield();
      body(i);
      ends[static_cast<size_t>(i)] = Clock::now();
    });
  while (ready.load() < threads)
    std::this_thread::yield();
  Clock::time_point start = Clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread &t : pool)
    t.join();
  Clock::time_point last = *std::max_element(ends.begin(), ends.end());
  return std::chrono::duration<double>(last - start).count();
}

void measureFma(int threads, MachineInfo &info) {
  FmaKernel kernel = fmaKernel();
  info.fmaIsa = kernel.isa;
  // Calibrate on one thread to about 0.2 s a pass, so clock ramp-up and
  // timer resolution do not matter and the probe stays short.
  int64_t iterations = 1 << 16;
  while (true) {
    Clock::time_point start = Clock::now();
    sink = kernel.loop(iterations);
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    if (seconds > 0.02 || iterations > (int64_t(1) << 40)) {
      iterations = std::max<int64_t>(
          1, static_cast<int64_t>(static_cast<double>(iterations) * 0.2 /
                                  std::max(seconds, 1e-9)));
      break;
    }
    iterations *= 4;
  }
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    double seconds = timeTogether(
        threads, [&](int) { sink = kernel.loop(iterations); });
    double flops = static_cast<double>(iterations) *
                   static_cast<double>(kernel.flopsPerIteration) * threads;
    best = std::max(best, flops / seconds / 1e9);
  }
  info.fmaGflops = best;
}

struct FreeDeleter {
  void operator()(float *p) const { std::free(p); }
};

void measureBandwidth(int threads, MachineInfo &info) {
  SumKernel kernel = sumKernel();
  info.sumIsa = kernel.isa;
  // 1 GiB in all: far past every cache, so the sum streams from memory.
  const int64_t total = int64_t(1) << 28; // floats
  const int64_t chunk = (total / threads + 63) / 64 * 64;
  const int64_t floats = chunk * threads;
  std::unique_ptr<float, FreeDeleter> buffer(static_cast<float *>(
      std::aligned_alloc(64, static_cast<size_t>(floats) * sizeof(float))));
  if (!buffer)
    throw std::bad_alloc();
  float *data = buffer.get();
  // Each thread writes its own part first: the pages are then really mapped
  // (an untouched page reads the shared zero page, from cache) and sit on
  // the NUMA node of the thread that reads them.
  timeTogether(threads, [&](int i) {
    float *p = data + i * chunk;
    for (int64_t j = 0; j < chunk; ++j)
      p[j] = 1.0f;
  });
  double best = 0;
  for (int pass = 0; pass < 4; ++pass) {
    double seconds = timeTogether(threads, [&](int i) {
      sink = kernel.sum(data + i * chunk, chunk);
    });
    best = std::max(best, static_cast<double>(floats) * sizeof(float) /
                              seconds / 1e9);
  }
  info.bandwidthGbs = best;
  info.bandwidthBytes = floats * static_cast<int64_t>(sizeof(float));
}

} // namespace

struct CacheEvictor::Buffer {
  int threads = 1;
  int64_t chunk = 0; // floats a thread
  std::unique_ptr<float, FreeDeleter> data;
  SumKernel kernel = sumKernel();
};

CacheEvictor::CacheEvictor(int threads) : buffer(new Buffer) {
  buffer->threads = std::max(threads, 1);
  long lastLevel = sysconf(_SC_LEVEL3_CACHE_SIZE);
  if (lastLevel <= 0)
    lastLevel = sysconf(_SC_LEVEL2_CACHE_SIZE);
  int64_t bytes = std::max<int64_t>(int64_t(2) * std::max(lastLevel, 0L),
                                    int64_t(64) << 20);
  int64_t floats = bytes / static_cast<int64_t>(sizeof(float));
  buffer->chunk = (floats / buffer->threads + 63) / 64 * 64;
  size_t total = static_cast<size_t>(buffer->chunk * buffer->threads) *
                 sizeof(float);
  buffer->data.reset(static_cast<float *>(std::aligned_alloc(64, total)));
  if (!buffer->data)
    throw std::bad_alloc();
  float *data = buffer->data.get();
  int64_t chunk = buffer->chunk;
  timeTogether(buffer->threads, [&](int i) {
    float *p = data + i * chunk;
    for (int64_t j = 0; j < chunk; ++j)
      p[j] = 1.0f;
  });
}

CacheEvictor::~CacheEvictor() = default;

void CacheEvictor::evict() {
  float *data = buffer->data.get();
  int64_t chunk = buffer->chunk;
  SumKernel kernel = buffer->kernel;
  timeTogether(buffer->threads,
               [&](int i) { sink = kernel.sum(data + i * chunk, chunk); });
}

int64_t CacheEvictor::bytes() const {
  return buffer->chunk * buffer->threads * static_cast<int64_t>(sizeof(float));
}

MachineInfo measureMachine(int threads) {
  MachineInfo info;
  info.threads = std::max(threads, 1);
  measureFma(info.threads, info);
  measureBandwidth(info.threads, info);
  return info;
}

} // namespace moe::bench
