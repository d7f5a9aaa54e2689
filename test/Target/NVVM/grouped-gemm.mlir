// Grouped GEMM kernels to PTX for sm_80 and sm_90: a bf16 GEMM gets the
// tensor-core kernel (bf16 tiles double-buffered in 16-byte-aligned shared
// memory by cp.async, mma.sync on bf16);
// with a CUDA toolkit, libdevice resolves exp and ptxas accepts every kernel.
// RUN: moe-opt %s --moe-lower-to-nvvm="chip=sm_90" | FileCheck %s --check-prefixes=CHECK,SM90
// RUN: moe-opt %s --moe-lower-to-nvvm="chip=sm_80" | FileCheck %s --check-prefixes=CHECK,SM80

// CHECK-LABEL: llvm.func @gemm(
// CHECK: gpu.launch_func {{.*}}@moe_kernels::@grouped_gemm_zero
// CHECK: gpu.launch_func {{.*}}@moe_kernels::@grouped_gemm
// CHECK: gpu.binary @moe_kernels
// SM90-SAME: #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// SM80-SAME: #nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">
// CHECK-SAME: .visible .entry grouped_gemm(
// CHECK-SAME: .shared .align 16 .b8
// CHECK-SAME: cp.async.cg.shared.global [%rd{{[0-9]+}}{{(\+[0-9]+)?}}], [%rd{{[0-9]+}}], 16, %r{{[0-9]+}};
// CHECK-SAME: cp.async.commit_group
// CHECK-SAME: cp.async.wait_group \091;
// CHECK-SAME: bar.sync
// CHECK-SAME: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// Results are rounded to bf16 by the hardware conversion.
// RUN: moe-opt %s --moe-lower-to-nvvm="chip=sm_80" | FileCheck %s --check-prefix=BF16
// BF16: gpu.binary @moe_kernels {{.*}}cvt.rn.bf16.f32

// RUN: %if cuda-toolkit %{ moe-opt %s --moe-lower-to-nvvm="chip=sm_90" | FileCheck %s --check-prefix=LIBDEVICE %}
// LIBDEVICE-NOT: __nv_
// LIBDEVICE: gpu.binary @moe_kernels
// LIBDEVICE-NOT: __nv_

// RUN: %if cuda-toolkit %{ rm -rf %t && moe-opt %s --moe-lower-to-nvvm="chip=sm_90" | %extract-gpu-objects -o %t/sm_90 && %ptxas -arch=sm_90 -v %t/sm_90/moe_kernels.ptx -o %t/sm_90.cubin 2>&1 | FileCheck %s --check-prefix=PTXAS %}
// RUN: %if cuda-toolkit %{ moe-opt %s --moe-lower-to-nvvm="chip=sm_80" | %extract-gpu-objects -o %t/sm_80 && %ptxas -arch=sm_80 %t/sm_80/moe_kernels.ptx -o %t/sm_80.cubin %}
// PTXAS: Compiling entry function 'grouped_gemm' for 'sm_90'
// PTXAS: 0 bytes spill stores, 0 bytes spill loads
// The tensor-core tile (64x64x32): two stages of 64x32 of x and two 32x64
// weight halves (bf16, 24 KB), which the two 64x64 f32 accumulator tiles
// (32 KB) reuse after the K loop.
// PTXAS: Used {{[0-9]+}} registers, used 1 barriers, 32768 bytes smem

func.func @gemm(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %o: tensor<9xi32>) -> tensor<?x128xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}
