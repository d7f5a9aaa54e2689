//===- RuntimeEmulatorTest.cpp - the fiber emulator's launch semantics ----===//
//
// Kernels written by hand against the emulator's ABI (moe_emu.h): every
// thread of every block runs once with its own ids, a barrier waits for the
// whole block (a value written before it is seen after it by every thread),
// and launches with an empty grid do nothing.
//
//===----------------------------------------------------------------------===//
#include "moe/Runtime/moe_emu.h"

#include <gtest/gtest.h>

#include <vector>

namespace {


void recordIds(void **params) {
  auto *seen = *static_cast<std::vector<int64_t> **>(params[0]);
  int64_t thread = moe_emu_id(0) + moe_emu_id(6) * (moe_emu_id(1) + moe_emu_id(7) * moe_emu_id(2));
  int64_t block = moe_emu_id(3) + moe_emu_id(9) * (moe_emu_id(4) + moe_emu_id(10) * moe_emu_id(5));
  int64_t threadsPerBlock = moe_emu_id(6) * moe_emu_id(7) * moe_emu_id(8);
  (*seen)[block * threadsPerBlock + thread] += 1;
}

TEST(RuntimeEmulator, EveryThreadOfEveryBlockRunsOnceWithItsIds) {
  std::vector<int64_t> seen(3 * 2 * 4 * 2 * 1, 0);
  std::vector<int64_t> *pointer = &seen;
  void *params[] = {&pointer};
  moe_emu_launch("recordIds", recordIds, params, 3, 2, 1, 4, 2, 1);
  for (size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(seen[i], 1) << "thread slot " << i;
}

/// shared[t] = in[block * n + t]; barrier; out[...] = shared[n - 1 - t]:
/// correct only if the barrier waits for every thread of the block.
int64_t sharedSlots[64];

void reverseThroughSharedMemory(void **params) {
  const int64_t *in = *static_cast<const int64_t **>(params[0]);
  int64_t *out = *static_cast<int64_t **>(params[1]);
  int64_t t = moe_emu_id(0), n = moe_emu_id(6), block = moe_emu_id(3);
  sharedSlots[t] = in[block * n + t];
  moe_emu_barrier();
  int64_t value = sharedSlots[n - 1 - t];
  moe_emu_barrier(); // the next block may not overwrite before all read
  out[block * n + t] = value;
}

TEST(RuntimeEmulator, BarrierWaitsForTheWholeBlock) {
  const int64_t blocks = 3, threads = 64;
  std::vector<int64_t> in(blocks * threads), out(blocks * threads, -1);
  for (size_t i = 0; i < in.size(); ++i)
    in[i] = int64_t(i);
  const int64_t *inPointer = in.data();
  int64_t *outPointer = out.data();
  void *params[] = {&inPointer, &outPointer};
  moe_emu_launch("reverse", reverseThroughSharedMemory, params, blocks, 1, 1, threads, 1,
                 1);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t t = 0; t < threads; ++t)
      EXPECT_EQ(out[b * threads + t], b * threads + (threads - 1 - t));
}

void mustNotRun(void **) { ADD_FAILURE() << "a kernel of an empty grid ran"; }

TEST(RuntimeEmulator, AnEmptyGridLaunchesNothing) {
  moe_emu_launch("mustNotRun", mustNotRun, nullptr, 0, 1, 1, 256, 1, 1);
  moe_emu_launch("mustNotRun", mustNotRun, nullptr, 4, 0, 1, 16, 16, 1);
  moe_emu_launch("mustNotRun", mustNotRun, nullptr, 4, 1, 1, 0, 1, 1);
}

/// Thread 0 returns early: the others wait at a barrier it never reaches.
void divergentBarrier(void **) {
  if (moe_emu_id(0) == 0)
    return;
  moe_emu_barrier();
}

TEST(RuntimeEmulator, BarrierDivergenceIsAnErrorNamingKernelBlockAndThreads) {
  EXPECT_EQ(moe_emu_launch("divergent", divergentBarrier, nullptr, 2, 1, 1, 4,
                           1, 1),
            1);
  EXPECT_STREQ(moe_emu_error(),
               "barrier divergence in kernel divergent, block (0, 0, 0): "
               "thread (0, 0, 0) returned while thread (1, 0, 0) waits at a "
               "barrier");
  // A correct launch clears it.
  std::vector<int64_t> seen(4, 0);
  std::vector<int64_t> *pointer = &seen;
  void *params[] = {&pointer};
  EXPECT_EQ(moe_emu_launch("recordIds", recordIds, params, 1, 1, 1, 4, 1, 1),
            0);
  EXPECT_STREQ(moe_emu_error(), "");
}

/// Thread 2 of block 1 reports an out-of-bounds store; the others run on.
void reportsOutOfBounds(void **params) {
  int64_t *ran = *static_cast<int64_t **>(params[0]);
  if (moe_emu_id(0) == 2 && moe_emu_id(3) == 1)
    moe_emu_out_of_bounds(/*is_store=*/1, /*is_workgroup=*/1, 0, 64, 64);
  ++*ran;
}

TEST(RuntimeEmulator, OutOfBoundsAccessIsAnErrorNamingTheThread) {
  int64_t ran = 0;
  int64_t *pointer = &ran;
  void *params[] = {&pointer};
  EXPECT_EQ(moe_emu_launch("oob", reportsOutOfBounds, params, 2, 1, 1, 4, 1,
                           1),
            1);
  EXPECT_EQ(ran, 8); // the block that reported finished
  EXPECT_STREQ(moe_emu_error(),
               "out-of-bounds store to workgroup memory in kernel oob, block "
               "(1, 0, 0), thread (2, 0, 0): index 64 of dim 0 is outside [0, "
               "64)");
}

/// Every thread stores to element 0 of workgroup buffer 0: a race.
void everyoneStoresOneElement(void **) {
  moe_emu_workgroup_access(0, 4, 0, /*is_store=*/1);
}

/// Thread 0 loads element 1, thread 1 then stores it, with no barrier.
void loadThenStoreByAnother(void **) {
  int64_t t = moe_emu_id(0);
  if (t == 0)
    moe_emu_workgroup_access(0, 4, 1, /*is_store=*/0);
  if (t == 1)
    moe_emu_workgroup_access(0, 4, 1, /*is_store=*/1);
}

/// Thread t stores element t, then after a barrier loads element n - 1 - t
/// (and every thread loads element 0): no race. The same element stored in
/// the next block is no race either.
void storeBarrierLoad(void **) {
  int64_t t = moe_emu_id(0), n = moe_emu_id(6);
  moe_emu_workgroup_access(0, n, t, /*is_store=*/1);
  moe_emu_barrier();
  moe_emu_workgroup_access(0, n, n - 1 - t, /*is_store=*/0);
  moe_emu_workgroup_access(0, n, 0, /*is_store=*/0);
  moe_emu_barrier();
}

TEST(RuntimeEmulator, WorkgroupRacesAreErrorsNamingBothThreads) {
  EXPECT_EQ(moe_emu_launch("ww", everyoneStoresOneElement, nullptr, 1, 1, 1,
                           4, 1, 1),
            1);
  EXPECT_STREQ(moe_emu_error(),
               "workgroup-memory race in kernel ww, block (0, 0, 0), thread "
               "(1, 0, 0): it stores to workgroup buffer 0[0], which thread "
               "(0, 0, 0) stored to since the last barrier");
  EXPECT_EQ(moe_emu_launch("rw", loadThenStoreByAnother, nullptr, 1, 1, 1, 4,
                           1, 1),
            1);
  EXPECT_STREQ(moe_emu_error(),
               "workgroup-memory race in kernel rw, block (0, 0, 0), thread "
               "(1, 0, 0): it stores to workgroup buffer 0[1], which thread "
               "(0, 0, 0) loaded from since the last barrier");
  EXPECT_EQ(moe_emu_launch("ok", storeBarrierLoad, nullptr, 3, 1, 1, 8, 1, 1),
            0)
      << moe_emu_error();
}

} // namespace
