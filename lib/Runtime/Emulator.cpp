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
//===----------------------------------------------------------------------===//
#include "moe/Runtime/moe_emu.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <ucontext.h>
#include <vector>

namespace {

/// Fiber stacks: kernels keep their values in registers and spill little.
constexpr size_t kStackBytes = 256 * 1024;

enum class FiberState { Ready, AtBarrier, Done };

struct Fiber {
  ucontext_t context;
  FiberState state = FiberState::Ready;
  int64_t thread[3] = {0, 0, 0};
};

struct Launch {
  void (*kernel)(void **);
  void **params;
  int64_t grid[3], block[3], blockId[3];
  ucontext_t scheduler;
  std::vector<Fiber> fibers;
  std::unique_ptr<char[]> stacks;
  Fiber *running = nullptr;
};

thread_local Launch *current = nullptr;

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
    for (Fiber &fiber : launch.fibers)
      if (fiber.state == FiberState::AtBarrier) {
        fiber.state = FiberState::Ready;
        anyRunning = true;
      }
    if (!anyRunning)
      return;
  }
}

} // namespace

extern "C" void moe_emu_launch(void (*kernel)(void **), void **params,
                               int64_t gridX, int64_t gridY, int64_t gridZ,
                               int64_t blockX, int64_t blockY,
                               int64_t blockZ) {
  if (gridX <= 0 || gridY <= 0 || gridZ <= 0 || blockX <= 0 || blockY <= 0 ||
      blockZ <= 0)
    return;
  if (current)
    fail("a kernel launched a kernel");
  Launch launch;
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
        runBlock(launch);
      }
  current = nullptr;
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
