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
#include "WarpMatrix.h"
#include "WarpReduce.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <ucontext.h>
#include <vector>

namespace {

/// Fiber stacks: kernels keep their values in registers and spill little.
constexpr size_t kStackBytes = 256 * 1024;

enum class FiberState { Ready, AtBarrier, AtCollective, Done };

/// What a workgroup element saw in the current epoch (the span between two
/// barriers of a block): its last writer and its reader (kMany: several).
struct Shadow {
  uint64_t writeEpoch = 0, readEpoch = 0;
  int32_t writer = -1, reader = -1;
};
constexpr int32_t kManyReaders = -2;

/// A cp.async a fiber issued and has not waited for: it lands (copies and,
/// for a tracked workgroup buffer, counts as the fiber's stores) when the
/// fiber waits for its group, so a kernel that reads the destination
/// earlier reads what was there before.
struct AsyncCopy {
  void *dst;
  const void *src;
  int32_t dstBytes, srcBytes;
  int64_t group;
  int32_t buffer; // race-detector buffer number, -1: not tracked
  int64_t size, index, elements;
};

struct Fiber {
  ucontext_t context;
  FiberState state = FiberState::Ready;
  int64_t thread[3] = {0, 0, 0};
  const char *collective = nullptr; // the one it waits at
  int32_t collectiveWidth = 0;       // and the lanes of its warp
  std::vector<AsyncCopy> asyncCopies;
  int64_t committedGroups = 0; // the open group's number
};

/// The warp collective its lanes are arriving at: which operation, its
/// attributes (every lane must pass the same), and each arrived lane's
/// operands, which live on that lane's stack until the last one arrives.
/// A slot belongs to the warp's first 32 lanes; a 64-lane wave uses the slot
/// of its first half.
struct WarpSlot {
  const char *name = nullptr;
  uint64_t attributes = 0;
  int32_t arrived = 0;
  const void *lanes[moe::emu::kAmdWave] = {};
};

struct Launch {
  const char *name;
  void (*kernel)(void **);
  void **params;
  int64_t grid[3], block[3], blockId[3];
  ucontext_t scheduler;
  std::vector<Fiber> fibers;
  std::vector<WarpSlot> warps;
  std::unique_ptr<char[]> stacks;
  Fiber *running = nullptr;
  std::string error; // the first one
  bool stopped = false; // a collective stopped the block
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

void completeAsyncCopies(Launch &launch, Fiber &fiber, int64_t beforeGroup);

void fiberMain() {
  Launch *launch = current;
  launch->kernel(launch->params);
  // Copies never waited for land when the thread ends.
  completeAsyncCopies(*launch, *launch->running, INT64_MAX);
  launch->running->state = FiberState::Done;
  // uc_link returns to the scheduler.
}

/// Readies fiber `i` to run the kernel from its start. (A function of its
/// own: getcontext returns like setjmp, so the caller's loop counter must
/// not live across it.)
void startFiber(Launch &launch, size_t i) {
  Fiber &fiber = launch.fibers[i];
  fiber.state = FiberState::Ready;
  fiber.thread[0] = int64_t(i) % launch.block[0];
  fiber.thread[1] = (int64_t(i) / launch.block[0]) % launch.block[1];
  fiber.thread[2] = int64_t(i) / (launch.block[0] * launch.block[1]);
  fiber.asyncCopies.clear();
  fiber.committedGroups = 0;
  if (getcontext(&fiber.context) != 0)
    fail("getcontext failed");
  fiber.context.uc_stack.ss_sp = launch.stacks.get() + i * kStackBytes;
  fiber.context.uc_stack.ss_size = kStackBytes;
  fiber.context.uc_link = &launch.scheduler;
  makecontext(&fiber.context, fiberMain, 0);
}

void runBlock(Launch &launch) {
  for (size_t i = 0; i < launch.fibers.size(); ++i)
    startFiber(launch, i);
  for (WarpSlot &warp : launch.warps)
    warp = WarpSlot();
  for (;;) {
    // Run every ready fiber until it returns or waits; a warp collective
    // completed by its last lane makes the other lanes ready again.
    for (bool ran = true; ran && !launch.stopped;) {
      ran = false;
      for (Fiber &fiber : launch.fibers) {
        if (fiber.state != FiberState::Ready)
          continue;
        ran = true;
        launch.running = &fiber;
        if (swapcontext(&launch.scheduler, &fiber.context) != 0)
          fail("swapcontext failed");
        launch.running = nullptr;
        if (launch.stopped)
          break;
      }
    }
    if (launch.stopped)
      return; // a collective the warp's lanes disagree on
    const Fiber *waiting = nullptr, *returned = nullptr, *collective = nullptr;
    for (const Fiber &fiber : launch.fibers) {
      if (fiber.state == FiberState::AtBarrier && !waiting)
        waiting = &fiber;
      if (fiber.state == FiberState::Done && !returned)
        returned = &fiber;
      if (fiber.state == FiberState::AtCollective && !collective)
        collective = &fiber;
    }
    // A lane waits at a collective that some lane of its warp never reaches
    // (it returned, or waits at a barrier): on a GPU the warp hangs or
    // computes with garbage; here the block stops.
    if (collective) {
      const size_t width = size_t(collective->collectiveWidth);
      size_t warp = size_t(collective - launch.fibers.data()) / width;
      const Fiber *absent = nullptr;
      for (size_t i = warp * width;
           i < std::min(launch.fibers.size(), (warp + 1) * width) && !absent;
           ++i)
        if (launch.fibers[i].state != FiberState::AtCollective)
          absent = &launch.fibers[i];
      report(launch,
             std::string("lane missing from a warp collective in ") +
                 where(launch, nullptr) + ": thread " +
                 triple(collective->thread) + " waits at " +
                 collective->collective + ", which thread " +
                 (absent ? triple(absent->thread) : std::string("?")) +
                 " of its warp " +
                 (absent && absent->state == FiberState::Done
                      ? "returned without reaching"
                      : "waits at a barrier instead of"));
      return;
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
    bool anyRunning = false;
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

/// Lane `running` of its warp arrives at collective `name` with its
/// `operands`; the last lane to arrive runs `compute` on all of them, and
/// every lane goes on once it has. A warp (`width` consecutive threads of
/// the block: 32 for NVIDIA, 64 for an AMD wave) must be whole and its lanes
/// must agree on the collective and its attributes.
void warpCollective(const char *name, uint64_t attributes,
                    const void *operands,
                    void (*compute)(const void *const *lanes,
                                    uint64_t attributes),
                    size_t width = moe::emu::kNvidiaWarp) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("a warp collective called outside a kernel");
  Fiber *fiber = launch->running;
  const size_t self = size_t(fiber - launch->fibers.data());
  const size_t first = self / width * width,
               slotIndex = first / moe::emu::kNvidiaWarp;
  const size_t lanes = std::min(width, launch->fibers.size() - first);
  auto stop = [&] {
    launch->stopped = true;
    fiber->state = FiberState::AtCollective;
    fiber->collective = name;
    fiber->collectiveWidth = int32_t(width);
    if (swapcontext(&fiber->context, &launch->scheduler) != 0)
      fail("swapcontext failed");
    fail("a stopped block resumed"); // the scheduler never resumes it
  };
  if (lanes != width) {
    std::string all = std::to_string(width);
    report(*launch, std::string(name) + " in a partial warp in " +
                        where(*launch, fiber) + ": its warp has " +
                        std::to_string(lanes) +
                        " threads (the block's thread count is not a "
                        "multiple of " + all + "); the instruction needs all " +
                        all);
    stop();
  }
  if (launch->warps.size() <= slotIndex)
    launch->warps.resize(slotIndex + 1);
  WarpSlot &slot = launch->warps[slotIndex];
  if (slot.arrived == 0) {
    slot.name = name;
    slot.attributes = attributes;
  } else if (slot.name != name || slot.attributes != attributes) {
    const Fiber *other = nullptr;
    for (size_t i = first; i < first + lanes && !other; ++i)
      if (launch->fibers[i].state == FiberState::AtCollective)
        other = &launch->fibers[i];
    report(*launch,
           std::string("lanes of a warp at different collectives in ") +
               where(*launch, fiber) + ": it is at " + name +
               (slot.name == name ? " with other attributes than" : " while") +
               " thread " + (other ? triple(other->thread) : std::string("?")) +
               " waits at " + slot.name);
    stop();
  }
  slot.lanes[self - first] = operands;
  fiber->state = FiberState::AtCollective;
  fiber->collective = name;
  fiber->collectiveWidth = int32_t(width);
  if (++slot.arrived == int32_t(lanes)) {
    compute(slot.lanes, attributes);
    slot = WarpSlot();
    for (size_t i = first; i < first + lanes; ++i)
      launch->fibers[i].state = FiberState::Ready;
    return;
  }
  if (swapcontext(&fiber->context, &launch->scheduler) != 0)
    fail("swapcontext failed");
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

namespace {
/// The race detector's view of one workgroup access by the running fiber.
void trackWorkgroupAccess(Launch *launch, int32_t buffer, int64_t size,
                          int64_t index, int32_t isStore) {
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

void completeAsyncCopies(Launch &launch, Fiber &fiber, int64_t beforeGroup) {
  std::vector<AsyncCopy> pending;
  for (const AsyncCopy &copy : fiber.asyncCopies) {
    if (copy.group >= beforeGroup) {
      pending.push_back(copy);
      continue;
    }
    auto *dst = static_cast<uint8_t *>(copy.dst);
    if (copy.srcBytes > 0)
      std::memcpy(dst, copy.src, size_t(copy.srcBytes));
    std::memset(dst + copy.srcBytes, 0, size_t(copy.dstBytes - copy.srcBytes));
    for (int64_t e = 0; copy.buffer >= 0 && e < copy.elements; ++e)
      trackWorkgroupAccess(&launch, copy.buffer, copy.size, copy.index + e,
                           /*isStore=*/1);
  }
  fiber.asyncCopies = std::move(pending);
}
} // namespace

extern "C" void moe_emu_workgroup_access(int32_t buffer, int64_t size,
                                         int64_t index, int32_t isStore) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_workgroup_access called outside a kernel");
  trackWorkgroupAccess(launch, buffer, size, index, isStore);
}

extern "C" void moe_emu_async_copy(int64_t dst, int64_t src, int32_t dstBytes,
                                   int32_t srcBytes, int32_t buffer,
                                   int64_t size, int64_t index,
                                   int32_t elements) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_async_copy called outside a kernel");
  if (dstBytes != 4 && dstBytes != 8 && dstBytes != 16)
    fail("moe_emu_async_copy: a copy is 4, 8 or 16 bytes");
  if (srcBytes < 0 || srcBytes > dstBytes)
    fail("moe_emu_async_copy: the source bytes exceed the copy");
  Fiber &fiber = *launch->running;
  fiber.asyncCopies.push_back(AsyncCopy{
      reinterpret_cast<void *>(dst), reinterpret_cast<const void *>(src),
      dstBytes, srcBytes, fiber.committedGroups, buffer, size, index,
      elements});
}

extern "C" void moe_emu_async_commit(void) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_async_commit called outside a kernel");
  ++launch->running->committedGroups;
}

extern "C" void moe_emu_async_wait(int32_t groups) {
  Launch *launch = current;
  if (!launch || !launch->running)
    fail("moe_emu_async_wait called outside a kernel");
  Fiber &fiber = *launch->running;
  completeAsyncCopies(*launch, fiber,
                      fiber.committedGroups - std::max<int64_t>(groups, 0));
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
  if (which == 12 || which == 13) {
    const Fiber *fiber = launch->running;
    return int64_t(fiber - launch->fibers.data()) %
           (which == 12 ? moe::emu::kNvidiaWarp : moe::emu::kAmdWave);
  }
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

extern "C" void moe_emu_ldmatrix(int64_t row, int64_t out, int32_t numTiles,
                                 int32_t transpose) {
  moe::emu::LdMatrixLane lane;
  lane.row = reinterpret_cast<const void *>(row);
  lane.out = reinterpret_cast<void *>(out);
  if (numTiles != 1 && numTiles != 2 && numTiles != 4)
    fail("moe_emu_ldmatrix: the tile count must be 1, 2 or 4");
  uint64_t attributes = uint64_t(numTiles) | uint64_t(transpose != 0) << 8;
  warpCollective("nvgpu.ldmatrix", attributes, &lane,
                 [](const void *const *lanes, uint64_t attributes) {
                   moe::emu::LdMatrixLane all[moe::emu::kNvidiaWarp];
                   for (int i = 0; i < moe::emu::kNvidiaWarp; ++i)
                     all[i] = *static_cast<const moe::emu::LdMatrixLane *>(
                         lanes[i]);
                   moe::emu::ldmatrix(all, int32_t(attributes & 0xff),
                                      (attributes >> 8) & 1);
                 });
}

namespace {

/// The operand shape of an mma.sync or MFMA, packed into a collective's
/// attributes (every lane passes the same) and back.
uint64_t packShape(const moe::emu::MmaShape &shape) {
  return uint64_t(uint8_t(shape.m)) | uint64_t(uint8_t(shape.n)) << 8 |
         uint64_t(uint8_t(shape.k)) << 16 | uint64_t(shape.ab) << 24 |
         uint64_t(shape.cd) << 32;
}

moe::emu::MmaShape unpackShape(uint64_t attributes) {
  moe::emu::MmaShape shape;
  shape.m = int32_t(attributes & 0xff);
  shape.n = int32_t((attributes >> 8) & 0xff);
  shape.k = int32_t((attributes >> 16) & 0xff);
  shape.ab = moe::emu::MatrixType((attributes >> 24) & 0xff);
  shape.cd = moe::emu::MatrixType((attributes >> 32) & 0xff);
  return shape;
}

/// A warp matrix instruction `name` (`function` in messages) of `lanes`
/// lanes: this lane's fragments go in, the last lane to arrive runs
/// `compute` (mmaSync or mfma) on all of them.
template <int Lanes,
          void (*Compute)(const moe::emu::MmaLane *,
                          const moe::emu::MmaShape &)>
void matrixCollective(const char *name, const char *function, int64_t a,
                      int64_t b, int64_t c, int64_t d, int32_t m, int32_t n,
                      int32_t k, int32_t abType, int32_t cdType,
                      std::optional<std::string> (*unsupported)(
                          const moe::emu::MmaShape &)) {
  if (abType < 0 || abType > 3 || cdType < 0 || cdType > 3)
    fail((std::string(function) + ": unknown element type").c_str());
  moe::emu::MmaShape shape;
  shape.m = m;
  shape.n = n;
  shape.k = k;
  shape.ab = moe::emu::MatrixType(abType);
  shape.cd = moe::emu::MatrixType(cdType);
  if (std::optional<std::string> why = unsupported(shape))
    fail((std::string(function) + ": " + *why).c_str());
  moe::emu::MmaLane lane;
  lane.a = reinterpret_cast<const void *>(a);
  lane.b = reinterpret_cast<const void *>(b);
  lane.c = reinterpret_cast<const void *>(c);
  lane.d = reinterpret_cast<void *>(d);
  warpCollective(
      name, packShape(shape), &lane,
      [](const void *const *lanes, uint64_t attributes) {
        moe::emu::MmaLane all[Lanes];
        for (int i = 0; i < Lanes; ++i)
          all[i] = *static_cast<const moe::emu::MmaLane *>(lanes[i]);
        Compute(all, unpackShape(attributes));
      },
      Lanes);
}

} // namespace

extern "C" void moe_emu_mma_sync(int64_t a, int64_t b, int64_t c, int64_t d,
                                 int32_t m, int32_t n, int32_t k,
                                 int32_t abType, int32_t cdType) {
  matrixCollective<moe::emu::kNvidiaWarp, moe::emu::mmaSync>(
      "nvgpu.mma.sync", "moe_emu_mma_sync", a, b, c, d, m, n, k, abType,
      cdType, moe::emu::unsupportedMma);
}

extern "C" void moe_emu_mfma(int64_t a, int64_t b, int64_t c, int64_t d,
                             int32_t m, int32_t n, int32_t k, int32_t abType,
                             int32_t cdType) {
  matrixCollective<moe::emu::kAmdWave, moe::emu::mfma>(
      "amdgpu.mfma", "moe_emu_mfma", a, b, c, d, m, n, k, abType, cdType,
      moe::emu::unsupportedMfma);
}

namespace {
/// One lane's operands and results of a shuffle or a reduction.
struct ScalarLane {
  int64_t value = 0;
  int32_t offset = 0;
  int64_t result = 0;
  bool valid = false;
};

void gatherLanes(const void *const *lanes, int count, int64_t *values,
                 int32_t *offsets) {
  for (int i = 0; i < count; ++i) {
    const auto *lane = static_cast<const ScalarLane *>(lanes[i]);
    values[i] = lane->value;
    offsets[i] = lane->offset;
  }
}
} // namespace

namespace {
/// The warp width of a shuffle or reduction: 32, or 64 for an AMD wave.
size_t warpWidth(int32_t lanes, const char *function) {
  if (lanes != moe::emu::kNvidiaWarp && lanes != moe::emu::kAmdWave)
    fail((std::string(function) + ": a warp has 32 or 64 lanes").c_str());
  return size_t(lanes);
}
} // namespace

extern "C" void moe_emu_shuffle(int64_t value, int32_t offset, int32_t width,
                                int32_t mode, int64_t out, int32_t lanes) {
  if (mode < MOE_EMU_SHUFFLE_XOR || mode > MOE_EMU_SHUFFLE_IDX)
    fail("moe_emu_shuffle: unknown mode");
  size_t n = warpWidth(lanes, "moe_emu_shuffle");
  ScalarLane lane;
  lane.value = value;
  lane.offset = offset;
  // The lane count rides along in the attributes (every lane passes it).
  uint64_t attributes = uint64_t(uint32_t(mode)) |
                        uint64_t(uint32_t(width)) << 8 | uint64_t(n) << 40;
  warpCollective(
      "gpu.shuffle", attributes, &lane,
      [](const void *const *lanes, uint64_t attributes) {
        const int n = int(attributes >> 40);
        int64_t values[moe::emu::kAmdWave] = {}, results[moe::emu::kAmdWave] = {};
        int32_t offsets[moe::emu::kAmdWave] = {};
        bool valid[moe::emu::kAmdWave] = {};
        gatherLanes(lanes, n, values, offsets);
        moe::emu::shuffle(n, values, offsets, int32_t(attributes & 0xff),
                          int32_t((attributes >> 8) & 0xffffffff), results,
                          valid);
        for (int i = 0; i < n; ++i) {
          auto *lane = static_cast<ScalarLane *>(const_cast<void *>(lanes[i]));
          lane->result = results[i];
          lane->valid = valid[i];
        }
      },
      n);
  int64_t *written = reinterpret_cast<int64_t *>(out);
  written[0] = lane.result;
  written[1] = lane.valid;
}

extern "C" int64_t moe_emu_subgroup_reduce(int64_t value, int32_t op,
                                           int32_t scalar, int32_t clusterSize,
                                           int32_t clusterStride,
                                           int32_t lanes) {
  if (std::optional<std::string> unsupported =
          moe::emu::unsupportedReduce(op, scalar))
    fail(("moe_emu_subgroup_reduce: " + *unsupported).c_str());
  const int32_t n = int32_t(warpWidth(lanes, "moe_emu_subgroup_reduce"));
  if (clusterSize < 1 || clusterStride < 1 || clusterSize * clusterStride > n ||
      n % (clusterSize * clusterStride) != 0)
    fail("moe_emu_subgroup_reduce: clusters do not tile the warp");
  ScalarLane lane;
  lane.value = value;
  uint64_t attributes = uint64_t(uint8_t(op)) | uint64_t(uint16_t(scalar)) << 8 |
                        uint64_t(uint8_t(clusterSize)) << 24 |
                        uint64_t(uint8_t(clusterStride)) << 32 |
                        uint64_t(uint8_t(n)) << 40;
  warpCollective(
      "gpu.subgroup_reduce", attributes, &lane,
      [](const void *const *lanes, uint64_t attributes) {
        const int n = int((attributes >> 40) & 0xff);
        int64_t values[moe::emu::kAmdWave] = {}, results[moe::emu::kAmdWave] = {};
        int32_t offsets[moe::emu::kAmdWave] = {};
        gatherLanes(lanes, n, values, offsets);
        moe::emu::subgroupReduce(n, values, int32_t(attributes & 0xff),
                                 int32_t((attributes >> 8) & 0xffff),
                                 int32_t((attributes >> 24) & 0xff),
                                 int32_t((attributes >> 32) & 0xff), results);
        for (int i = 0; i < n; ++i)
          static_cast<ScalarLane *>(const_cast<void *>(lanes[i]))->result =
              results[i];
      },
      size_t(n));
  return lane.result;
}
