//===- Emulator.cpp - GPU kernels on the CPU, a fiber per thread ----------===//
//
// A launch runs its blocks one after another on the calling thread. Inside a
// block every GPU thread is a fiber (ucontext) with its own stack; the
// scheduler resumes them in thread order, each running until it finishes or
// reaches a barrier, and releases a barrier once every fiber still running
// waits at it. The order is fixed, so emulated runs are deterministic.
// Blocks never run at the same time, so workgroup memory is one buffer per
// kernel (see moe-gpu-to-emu).
//
// What a GPU would not run correctly is an error of the launch, naming the
// kernel, block and thread: a thread that returns while others wait at a
// barrier (the block then stops), the out-of-bounds accesses that kernels
// compiled with checks report instead of making them, and workgroup-memory
// races: such kernels also tell each workgroup load and store, and two
// threads touching one element between the same two barriers, one of them
// storing, race (on a GPU their order is the schedule's; here the fixed
// order would hide it).
//
//===----------------------------------------------------------------------===//
#include "moe/Runtime/moe_emu.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <ucontext.h>
#include <vector>

namespace {

/// Fiber stacks: kernels keep their values in registers and spill little.
constexpr size_t kStackBytes = 256 * 1024;

enum class FiberState { Ready, AtBarrier, Done };

/// What a workgroup element saw in the current epoch (the span between two
/// barriers of a block): its last writer and its reader (kMany: several).
struct Shadow {
  uint64_t writeEpoch = 0, readEpoch = 0;
  int32_t writer = -1, reader = -1;
};
constexpr int32_t kManyReaders = -2;

struct Fiber {
  ucontext_t context;
  FiberState state = FiberState::Ready;
  int64_t thread[3] = {0, 0, 0};
};

struct Launch {
  const char *name;
  void (*kernel)(void **);
  void **params;
  int64_t grid[3], block[3], blockId[3];
  ucontext_t scheduler;
  std::vector<Fiber> fibers;
  std::unique_ptr<char[]> stacks;
  Fiber *running = nullptr;
  std::string error; // the first one
  // Race detection: epochs start at 1 and advance at every barrier release
  // and block, so a zeroed shadow is "never touched".
  uint64_t epoch = 1;
  std::vector<std::vector<Shadow>> workgroupShadows;
};

thread_local Launch *current = nullptr;
thread_local std::string lastError;

std::string triple(const int64_t v[3]) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
         std::to_string(v[2]) + ")";
}

/// "kernel K, block (x, y, z)" and, with a fiber, ", thread (x, y, z)".
std::string where(const Launch &launch, const Fiber *fiber) {
  std::string text = std::string("kernel ") + launch.name + ", block " +
                     triple(launch.blockId);
  if (fiber)
    text += ", thread " + triple(fiber->thread);
  return text;
}

void report(Launch &launch, std::string message) {
  if (launch.error.empty())
    launch.error = std::move(message);
}

[[noreturn]] void fail(const char *message) {
  std::fprintf(stderr, "moe emulator: %s\n", message);
  std::abort();
}

void fiberMain() {
  Launch *launch = current;
  launch->kernel(launch->params);
  launch->running->state = FiberState::Done;
  // uc_link returns to the scheduler.
}

void runBlock(Launch &launch) {
  size_t count = launch.fibers.size();
  for (size_t i = 0; i < count; ++i) {
    Fiber &fiber = launch.fibers[i];
    fiber.state = FiberState::Ready;
    fiber.thread[0] = int64_t(i) % launch.block[0];
    fiber.thread[1] = (int64_t(i) / launch.block[0]) % launch.block[1];
    fiber.thread[2] = int64_t(i) / (launch.block[0] * launch.block[1]);
    if (getcontext(&fiber.context) != 0)
      fail("getcontext failed");
    fiber.context.uc_stack.ss_sp = launch.stacks.get() + i * kStackBytes;
    fiber.context.uc_stack.ss_size = kStackBytes;
    fiber.context.uc_link = &launch.scheduler;
    makecontext(&fiber.context, fiberMain, 0);
  }
  for (;;) {
    bool anyRunning = false;
    for (Fiber &fiber : launch.fibers) {
      if (fiber.state != FiberState::Ready)
        continue;
      launch.running = &fiber;
      if (swapcontext(&launch.scheduler, &fiber.context) != 0)
        fail("swapcontext failed");
      launch.running = nullptr;
    }
    const Fiber *waiting = nullptr, *returned = nullptr;
    for (const Fiber &fiber : launch.fibers) {
      if (fiber.state == FiberState::AtBarrier && !waiting)
        waiting = &fiber;
      if (fiber.state == FiberState::Done && !returned)
        returned = &fiber;
    }
    // A barrier that some threads of the block never reach: on a GPU it
    // hangs or releases early; here the block stops.
    if (waiting && returned) {
      report(launch, "barrier divergence in " + where(launch, nullptr) +
                         ": thread " + triple(returned->thread) +
                         " returned while thread " + triple(waiting->thread) +
                         " waits at a barrier");
      return;
    }
    for (Fiber &fiber : launch.fibers)
      if (fiber.state == FiberState::AtBarrier) {
        fiber.state = FiberState::Ready;
        anyRunning = true;
      }
    ++launch.epoch;
    if (!anyRunning)
      return;
  }
}

} // namespace

extern "C" int moe_emu_launch(const char *name, void (*kernel)(void **),
                              void **params, int64_t gridX, int64_t gridY,
                              int64_t gridZ, int64_t blockX, int64_t blockY,
                              int64_t blockZ) {
  lastError.clear();
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 ||
      blockZ <= 0)
    return 0;
  if (current)
    fail("a kernel launched a kernel");
  Launch launch;
  launch.name = name ? name : "(unnamed)";
  launch.kernel = kernel;
  launch.params = params;
  int64_t grid[3] = {gridX, gridY, gridZ}, block[3] = {blockX, blockY, blockZ};
  for (int d = 0; d < 3; ++d) {
    launch.grid[d] = grid[d];
    launch.block[d] = block[d];
  }
  // Checked: a wrapped product would pass the limit and launch nothing.
  int64_t product;
  if (__builtin_mul_overflow(blockX, blockY, &product) ||
      __builtin_mul_overflow(product, blockZ, &product) || product > 1024)
    fail("more than 1024 threads per block");
  size_t threads = size_t(product);
  launch.fibers.resize(threads);
  launch.stacks.reset(new char[threads * kStackBytes]);
  current = &launch;
  for (int64_t z = 0; z < gridZ; ++z)
    for (int64_t y = 0; y < gridY; ++y)
      for (int64_t x = 0; x < gridX; ++x) {
        launch.blockId[0] = x;
        launch.blockId[1] = y;
        launch.blockId[2] = z;
        ++launch.epoch; // a new block shares no epoch with the last
        runBlock(launch);
        if (!launch.error.empty())
          goto stop; // a later block would only repeat it
      }
stop:
  current = nullptr;
  lastError = std::move(launch.error);
  return lastError.empty() ? 0 : 1;
}

extern "C" const char *moe_emu_error(void) { return lastError.c_str(); }

extern "C" void moe_emu_workgroup_access(int32_t buffer, int64_t size,
                                         int64_t index, int32_t isStore) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_workgroup_access called outside a kernel");
  if (buffer < 0 || size <= 0 || index < 0 || index >= size)
    return; // out of bounds is reported (and skipped) by the kernel itself
  if (size_t(buffer) >= launch->workgroupShadows.size())
    launch->workgroupShadows.resize(size_t(buffer) + 1);
  std::vector<Shadow> &shadows = launch->workgroupShadows[size_t(buffer)];
  if (shadows.size() < size_t(size))
    shadows.resize(size_t(size));
  Shadow &shadow = shadows[size_t(index)];
  int32_t self = int32_t(launch->running - launch->fibers.data());
  uint64_t epoch = launch->epoch;
  auto thread = [&](int32_t fiber) {
    return triple(launch->fibers[size_t(fiber)].thread);
  };
  auto race = [&](const std::string &other, const char *what) {
    report(*launch, "workgroup-memory race in " +
                        where(*launch, launch->running) + ": it " +
                        (isStore ? "stores to" : "loads from") +
                        " workgroup buffer " + std::to_string(buffer) + "[" +
                        std::to_string(index) + "], which " + other + " " +
                        what + " since the last barrier");
  };
  bool writtenByOther = shadow.writeEpoch == epoch && shadow.writer != self;
  if (writtenByOther)
    race("thread " + thread(shadow.writer), "stored to");
  if (isStore) {
    bool readByOther = shadow.readEpoch == epoch &&
                       (shadow.reader == kManyReaders || shadow.reader != self);
    if (readByOther && !writtenByOther)
      race(shadow.reader == kManyReaders ? std::string("other threads")
                                         : "thread " + thread(shadow.reader),
           "loaded from");
    shadow.writeEpoch = epoch;
    shadow.writer = self;
    return;
  }
  if (shadow.readEpoch != epoch) {
    shadow.readEpoch = epoch;
    shadow.reader = self;
  } else if (shadow.reader != self) {
    shadow.reader = kManyReaders;
  }
}

extern "C" void moe_emu_out_of_bounds(int32_t isStore, int32_t isWorkgroup,
                                      int64_t dim, int64_t index,
                                      int64_t size) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_out_of_bounds called outside a kernel");
  report(*launch, std::string("out-of-bounds ") +
                      (isStore ? "store to " : "load from ") +
                      (isWorkgroup ? "workgroup" : "global") + " memory in " +
                      where(*launch, launch->running) + ": index " +
                      std::to_string(index) + " of dim " +
                      std::to_string(dim) + " is outside [0, " +
                      std::to_string(size) + ")");
}

extern "C" int64_t moe_emu_id(int32_t which) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_id called outside a kernel");
  int d = which % 3;
  switch (which / 3) {
  case 0:
    return launch->running->thread[d];
  case 1:
    return launch->blockId[d];
  case 2:
    return launch->block[d];
  case 3:
    return launch->grid[d];
  }
  fail("moe_emu_id: unknown id");
}

extern "C" void moe_emu_barrier(void) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_barrier called outside a kernel");
  Fiber *fiber = launch->running;
  fiber->state = FiberState::AtBarrier;
  if (swapcontext(&fiber->context, &launch->scheduler) != 0)
    fail("swapcontext failed");
}
