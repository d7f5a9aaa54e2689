//===- AsyncCopyKernelTest.cpp - a cp.async kernel on the emulator --------===//
//
// A kernel staging rows of x in workgroup memory with asynchronous copies
// (nvgpu.device_async_copy, 16 bytes a thread, each thread's source cut to
// its own element count: the rest zero-filled), waiting for them, and
// reading another thread's row after a barrier: compiled and run on the
// emulator, against the rows expected here.
//
//===----------------------------------------------------------------------===//
#include "NumericTestUtil.h"

namespace moe::numeric {
namespace {

const char *kAsyncCopyModule = R"(
func.func @staged(%x: tensor<32x8xf16>, %n: tensor<32xi32>) -> tensor<32x8xf16> {
  %xm = bufferization.to_buffer %x : tensor<32x8xf16> to memref<32x8xf16>
  %nm = bufferization.to_buffer %n : tensor<32xi32> to memref<32xi32>
  %out = memref.alloc() : memref<32x8xf16>
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%tile : memref<32x8xf16, #gpu.address_space<workgroup>>) {
    %c0 = arith.constant 0 : index
    %count32 = memref.load %nm[%tx] : memref<32xi32>
    %count = arith.index_cast %count32 : i32 to index
    %token = nvgpu.device_async_copy %xm[%tx, %c0], %tile[%tx, %c0], 8, %count
        : memref<32x8xf16> to memref<32x8xf16, #gpu.address_space<workgroup>>
    %group = nvgpu.device_async_create_group %token
    nvgpu.device_async_wait %group {numGroups = 0 : i32}
    gpu.barrier
    %c31 = arith.constant 31 : index
    %row = arith.subi %c31, %tx : index
    %v = vector.load %tile[%row, %c0] : memref<32x8xf16, #gpu.address_space<workgroup>>, vector<8xf16>
    vector.store %v, %out[%tx, %c0] : memref<32x8xf16>, vector<8xf16>
    gpu.terminator
  }
  %r = bufferization.to_tensor %out restrict : memref<32x8xf16> to tensor<32x8xf16>
  return %r : tensor<32x8xf16>
}
)";

/// x of the kernel: 32 rows of 8 f16, element i `value(i)`.
HostTensor rows(float (*value)(int)) {
  HostTensor x;
  x.dtype = MOE_DTYPE_F16;
  x.shape = {32, 8};
  for (int i = 0; i < 32 * 8; ++i)
    x.floats.push_back(value(i));
  return x;
}

TEST(AsyncCopyKernel, RowsLandWithTheirTailsZeroed) {
  if (backend() != MOE_BACKEND_EMU)
    GTEST_SKIP() << "a GPU kernel: runs on the emu backend";
  Module module = compileMlir(kAsyncCopyModule);
  ASSERT_TRUE(module);
  HostTensor x = rows([](int i) { return float(i % 97) - 40.0f; });
  std::vector<int32_t> counts(32);
  for (int t = 0; t < 32; ++t)
    counts[size_t(t)] = t % 9;
  std::vector<HostTensor> inputs{x, intTensor({32}, counts)};
  RunResult result = run(module.get(), inputs);
  ASSERT_EQ(result.status, MOE_OK) << result.error;
  for (int t = 0; t < 32; ++t) {
    int row = 31 - t;
    for (int i = 0; i < 8; ++i) {
      float expected = i < counts[size_t(row)] ? x.floats[size_t(row * 8 + i)]
                                               : 0.0f;
      EXPECT_EQ(result.outputs[0].floats[size_t(t * 8 + i)], expected)
          << "thread " << t << ", element " << i;
    }
  }
}

TEST(AsyncCopyKernel, ASourcePastItsBufferIsAnError) {
  if (backend() != MOE_BACKEND_EMU)
    GTEST_SKIP() << "a GPU kernel: runs on the emu backend";
  Module module = compileMlir(kAsyncCopyModule);
  ASSERT_TRUE(module);
  HostTensor x = rows([](int) { return 1.0f; });
  std::vector<int32_t> counts(32, 8);
  counts[5] = 9; // thread 5 reads one element past its row's end
  std::vector<HostTensor> inputs{x, intTensor({32}, counts)};
  RunResult result = run(module.get(), inputs);
  EXPECT_NE(result.status, MOE_OK);
  EXPECT_NE(result.error.find("thread (5, 0, 0)"), std::string::npos)
      << result.error;
}

} // namespace
} // namespace moe::numeric
