//===- RuntimeAsyncCopyTest.cpp - cp.async on the emulator ----------------===//
//
// Hand-written kernels issuing asynchronous copies into a workgroup-like
// buffer: a copy lands only when its thread waits for its group (reads
// before see the old contents), a wait leaves the newest groups pending,
// short sources are zero-filled, and a copy landing in a tracked buffer is a
// store to the race detector.
//
//===----------------------------------------------------------------------===//
#include "moe/Runtime/moe_emu.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

namespace {

int64_t address(const void *pointer) {
  return reinterpret_cast<int64_t>(pointer);
}

struct GroupsCase {
  uint16_t source[3][8];
  uint16_t tile[3][8];
  uint16_t seen[4][3]; // tile[g][0] after each step
};

/// One thread: three groups of one 16-byte copy each (the third copies 6
/// bytes and zero-fills the rest), waited for in two steps.
void groupsKernel(void **params) {
  GroupsCase &test = **static_cast<GroupsCase **>(params[0]);
  auto look = [&](int step) {
    for (int g = 0; g < 3; ++g)
      test.seen[step][g] = test.tile[g][0];
  };
  for (int g = 0; g < 3; ++g) {
    moe_emu_async_copy(address(test.tile[g]), address(test.source[g]), 16,
                       g == 2 ? 6 : 16, -1, 0, 0, 0);
    moe_emu_async_commit();
  }
  look(0);
  moe_emu_async_wait(2); // the oldest group lands
  look(1);
  moe_emu_async_wait(0); // all of them
  look(2);
}

TEST(RuntimeAsyncCopy, CopiesLandWhenTheirGroupIsWaitedFor) {
  GroupsCase test;
  for (int g = 0; g < 3; ++g)
    for (int i = 0; i < 8; ++i) {
      test.source[g][i] = uint16_t(100 * (g + 1) + i);
      test.tile[g][i] = 7;
    }
  std::memset(test.seen, 0, sizeof(test.seen));
  GroupsCase *pointer = &test;
  void *params[] = {&pointer};
  ASSERT_EQ(moe_emu_launch("groups", groupsKernel, params, 1, 1, 1, 1, 1, 1),
            0)
      << moe_emu_error();
  for (int g = 0; g < 3; ++g)
    EXPECT_EQ(test.seen[0][g], 7) << "group " << g << " before any wait";
  EXPECT_EQ(test.seen[1][0], 100);
  EXPECT_EQ(test.seen[1][1], 7) << "wait(2) leaves the newest two groups";
  EXPECT_EQ(test.seen[1][2], 7);
  EXPECT_EQ(test.seen[2][1], 200);
  EXPECT_EQ(test.seen[2][2], 300);
  // The third copy read 6 bytes (3 elements) and zero-filled 5.
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(test.tile[2][i], i < 3 ? uint16_t(300 + i) : 0) << "element " << i;
}

struct RaceCase {
  uint16_t source[64];
  uint16_t tile[64];
  bool barrier;
};

/// Thread 0 copies 8 elements into tile[0..8) and waits; thread 1 reads
/// tile[3], with or without a barrier in between.
void raceKernel(void **params) {
  RaceCase &test = **static_cast<RaceCase **>(params[0]);
  if (moe_emu_id(0) == 0) {
    moe_emu_async_copy(address(test.tile), address(test.source), 16, 16,
                       /*buffer=*/0, /*size=*/64, /*index=*/0, /*elements=*/8);
    moe_emu_async_commit();
    moe_emu_async_wait(0);
  }
  if (test.barrier)
    moe_emu_barrier();
  if (moe_emu_id(0) == 1)
    moe_emu_workgroup_access(0, 64, 3, /*is_store=*/0);
}

TEST(RuntimeAsyncCopy, ALandedCopyIsAStoreToTheRaceDetector) {
  RaceCase test{};
  RaceCase *pointer = &test;
  void *params[] = {&pointer};
  test.barrier = true;
  EXPECT_EQ(moe_emu_launch("fenced", raceKernel, params, 1, 1, 1, 2, 1, 1), 0)
      << moe_emu_error();
  test.barrier = false;
  EXPECT_EQ(moe_emu_launch("racy", raceKernel, params, 1, 1, 1, 2, 1, 1), 1);
  EXPECT_STREQ(moe_emu_error(),
               "workgroup-memory race in kernel racy, block (0, 0, 0), thread "
               "(1, 0, 0): it loads from workgroup buffer 0[3], which thread "
               "(0, 0, 0) stored to since the last barrier");
}

} // namespace
