//===- SubgroupKernelTest.cpp - gpu.shuffle and gpu.subgroup_reduce kernels ===//
//
// Kernels of two warps using subgroup ops, compiled and run on the emulator,
// against sums and maxima computed here: a warp sum by gpu.subgroup_reduce
// and by a gpu.shuffle xor butterfly, a clustered signed maximum on i32, and
// a shuffle down whose lanes past the width report invalid.
//
//===----------------------------------------------------------------------===//
#include "NumericTestUtil.h"

namespace moe::numeric {
namespace {

const char *kSubgroupModule = R"(
func.func @subgroups(%x: tensor<64xf32>, %y: tensor<64xi32>)
    -> (tensor<64xf32>, tensor<64xf32>, tensor<64xi32>, tensor<64xf32>) {
  %xm = bufferization.to_buffer %x : tensor<64xf32> to memref<64xf32>
  %ym = bufferization.to_buffer %y : tensor<64xi32> to memref<64xi32>
  %reduced = memref.alloc() : memref<64xf32>
  %butterfly = memref.alloc() : memref<64xf32>
  %maxima = memref.alloc() : memref<64xi32>
  %down = memref.alloc() : memref<64xf32>
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %v = memref.load %xm[%tx] : memref<64xf32>
    %sum = gpu.subgroup_reduce add %v : (f32) -> f32
    memref.store %sum, %reduced[%tx] : memref<64xf32>
    %w32 = arith.constant 32 : i32
    %o16 = arith.constant 16 : i32
    %o8 = arith.constant 8 : i32
    %o4 = arith.constant 4 : i32
    %o2 = arith.constant 2 : i32
    %o1 = arith.constant 1 : i32
    %s16, %ok16 = gpu.shuffle xor %v, %o16, %w32 : f32
    %a16 = arith.addf %v, %s16 : f32
    %s8, %ok8 = gpu.shuffle xor %a16, %o8, %w32 : f32
    %a8 = arith.addf %a16, %s8 : f32
    %s4, %ok4 = gpu.shuffle xor %a8, %o4, %w32 : f32
    %a4 = arith.addf %a8, %s4 : f32
    %s2, %ok2 = gpu.shuffle xor %a4, %o2, %w32 : f32
    %a2 = arith.addf %a4, %s2 : f32
    %s1, %ok1 = gpu.shuffle xor %a2, %o1, %w32 : f32
    %a1 = arith.addf %a2, %s1 : f32
    memref.store %a1, %butterfly[%tx] : memref<64xf32>
    %i = memref.load %ym[%tx] : memref<64xi32>
    %m = gpu.subgroup_reduce maxsi %i cluster(size = 4) : (i32) -> i32
    memref.store %m, %maxima[%tx] : memref<64xi32>
    %w16 = arith.constant 16 : i32
    %d, %valid = gpu.shuffle down %v, %o4, %w16 : f32
    %none = arith.constant -1.0 : f32
    %kept = arith.select %valid, %d, %none : f32
    memref.store %kept, %down[%tx] : memref<64xf32>
    gpu.terminator
  }
  %r0 = bufferization.to_tensor %reduced restrict : memref<64xf32> to tensor<64xf32>
  %r1 = bufferization.to_tensor %butterfly restrict : memref<64xf32> to tensor<64xf32>
  %r2 = bufferization.to_tensor %maxima restrict : memref<64xi32> to tensor<64xi32>
  %r3 = bufferization.to_tensor %down restrict : memref<64xf32> to tensor<64xf32>
  return %r0, %r1, %r2, %r3 : tensor<64xf32>, tensor<64xf32>, tensor<64xi32>, tensor<64xf32>
}
)";

TEST(SubgroupKernel, ShufflesAndReductionsMatchTheirDefinitions) {
  if (backend() != MOE_BACKEND_EMU)
    GTEST_SKIP() << "a GPU kernel: runs on the emu backend";
  if (warpLanes() != 32)
    GTEST_SKIP() << "its expected values are those of 32-lane warps";
  Module module = compileMlir(kSubgroupModule);
  ASSERT_TRUE(module);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(-50, 50);
  HostTensor x, y;
  x.dtype = MOE_DTYPE_F32;
  x.shape = {64};
  y = intTensor({64}, std::vector<int32_t>(64));
  for (int t = 0; t < 64; ++t) {
    x.floats.push_back(float(value(rng))); // integers: every sum is exact
    y.ints[size_t(t)] = value(rng);
  }
  std::vector<HostTensor> inputs{x, y};
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  for (int t = 0; t < 64; ++t) {
    int warp = t / 32, lane = t % 32;
    float sum = 0;
    for (int i = 32 * warp; i < 32 * warp + 32; ++i)
      sum += x.floats[size_t(i)];
    EXPECT_EQ(result.outputs[0].floats[size_t(t)], sum) << "reduce, thread " << t;
    EXPECT_EQ(result.outputs[1].floats[size_t(t)], sum) << "butterfly, thread " << t;
    int32_t best = INT32_MIN;
    for (int i = (t / 4) * 4; i < (t / 4) * 4 + 4; ++i)
      best = std::max(best, y.ints[size_t(i)]);
    EXPECT_EQ(result.outputs[2].ints[size_t(t)], best) << "maxsi, thread " << t;
    float down = lane + 4 < 16 ? x.floats[size_t(t + 4)] : -1.0f;
    EXPECT_EQ(result.outputs[3].floats[size_t(t)], down) << "down, thread " << t;
  }
}

} // namespace
} // namespace moe::numeric
