// The cuda backend's host side, end to end, against a libcuda.so.1
// stand-in (test/fake-cuda) that logs the driver calls and runs no kernel:
// the artifact's constructor loads the embedded sm_80 PTX, every kernel of
// the layer is looked up and launched with the grid of the kernel table
// (T = 5: route one block per token), launches with an empty grid (T = 0:
// route, the gathers, the combine) never reach the driver, inputs are
// staged in device memory and results read back with cuMemcpy, and every
// device buffer is freed.
// REQUIRES: cuda-toolkit
// RUN: rm -rf %t && mkdir -p %t
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=bf16 --target nvptx --emit so -o %t/layer.so
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/t5.log moe-run --artifact %t/layer.so --backend cuda --tokens 5
// RUN: FileCheck %s --input-file %t/t5.log
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/resident.log moe-run --artifact %t/layer.so --backend cuda --tokens 5 --resident --repeat 2
// RUN: FileCheck %s --input-file %t/resident.log --check-prefix=RESIDENT
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/t0.log moe-run --artifact %t/layer.so --backend cuda --tokens 0
// RUN: FileCheck %s --input-file %t/t0.log --check-prefix=EMPTY

// CHECK: cuInit 0
// CHECK: cuModuleLoadData ptx=yes target=.target sm_80
// Host inputs are copied into device memory (x [5, 64], router_w [64, 8],
// w_gate_up [8, 64, 64], w_down [8, 32, 64] bf16; the status, 6 x i64):
// CHECK: cuMemcpy host to device bytes 640
// CHECK: cuMemcpy host to device bytes 1024
// CHECK: cuMemcpy host to device bytes 65536
// CHECK: cuMemcpy host to device bytes 32768
// CHECK: cuMemcpy host to device bytes 48
// The router matmul and the fill it starts from: one kernel.
// CHECK: cuLaunchKernel dense grid 1 1 1 block 16 16 1 smem 0 params yes
// CHECK-NOT: dense_0
// CHECK: cuLaunchKernel route grid 5 1 1 block 32 1 1
// CHECK: cuLaunchKernel permute_rank grid 1 1 1 block 256 1 1
// CHECK: cuLaunchKernel permute_scan grid 1 1 1 block 256 1 1
// CHECK: cuLaunchKernel permute_offsets grid 1 1 1 block 1 1 1
// CHECK: cuLaunchKernel permute_scatter
// CHECK: cuLaunchKernel permute_gather
// Permute's offsets own every row: no zero kernel.
// CHECK-NOT: grouped_gemm_zero
// CHECK: cuLaunchKernel grouped_gemm grid 9 1 1 block 128 1 1
// CHECK-NOT: grouped_gemm_zero
// CHECK: cuLaunchKernel grouped_gemm_0 grid 9 1 1 block 128 1 1
// CHECK: cuLaunchKernel unpermute_unheld
// CHECK: cuLaunchKernel unpermute_claim
// CHECK: cuLaunchKernel unpermute_sum grid 2 1 1 block 256 1 1
// The status and the result out [5, 64] are read back:
// CHECK: cuMemcpy device to host bytes 48
// CHECK: cuMemcpy device to host bytes 640
// The inputs staged by the runtime, the intermediates and the result:
// CHECK: cuMemFree allocations [[N:[0-9]+]] frees [[N]]
// CHECK-NOT: cuMemFree

// EMPTY: cuModuleLoadData ptx=yes
// EMPTY: cuLaunchKernel permute_scan grid 1 1 1
// EMPTY: cuLaunchKernel permute_offsets grid 1 1 1
// EMPTY-NOT: cuLaunchKernel route
// EMPTY-NOT: cuLaunchKernel permute_gather
// The GEMM grid is ceil(0/64) + E row-tiles: E blocks that find no rows.
// EMPTY: cuLaunchKernel grouped_gemm grid 8 1 1
// EMPTY-NOT: cuLaunchKernel unpermute

// With --resident the inputs are uploaded once (moe_device_copy); each run
// then stages only its status and writes the output on the device.
// RESIDENT: cuMemcpy host to device bytes 640
// RESIDENT: cuMemcpy host to device bytes 1024
// RESIDENT: cuMemcpy host to device bytes 65536
// RESIDENT: cuMemcpy host to device bytes 32768
// RESIDENT-COUNT-2: cuMemcpy device to device bytes 640
// RESIDENT-NOT: cuMemcpy host to device bytes {{[0-9][0-9][0-9]+}}
// RESIDENT: cuMemcpy device to host bytes 640
