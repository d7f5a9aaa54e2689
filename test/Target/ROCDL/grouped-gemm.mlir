// Grouped GEMM kernels to AMDGCN for gfx90a and gfx942 (LDS tiles and
// s_barrier), and to hsaco: AMDGPU ELFs with the kernel symbol.
// RUN: moe-opt %s --moe-lower-to-rocdl="chip=gfx942" | FileCheck %s --check-prefixes=CHECK,GFX942
// RUN: moe-opt %s --moe-lower-to-rocdl="chip=gfx90a" | FileCheck %s --check-prefixes=CHECK,GFX90A

// CHECK-LABEL: llvm.func @gemm(
// CHECK: gpu.launch_func {{.*}}@moe_kernels::@grouped_gemm
// CHECK: gpu.binary @moe_kernels
// GFX942-SAME: #rocdl.target<O = 3, chip = "gfx942">
// GFX90A-SAME: #rocdl.target<O = 3, chip = "gfx90a">
// CHECK-SAME: .amdgcn_target \22amdgcn-amd-amdhsa--
// CHECK-SAME: grouped_gemm:
// CHECK-SAME: ds_write_b32
// CHECK-SAME: s_barrier
// CHECK-SAME: ds_read
// CHECK-NOT: __ocml_

// RUN: rm -rf %t && moe-opt %s --moe-lower-to-rocdl="chip=gfx942 format=bin" | %extract-gpu-objects -o %t/gfx942
// RUN: llvm-readelf -h -s %t/gfx942/moe_kernels.hsaco | FileCheck %s --check-prefix=ELF
// RUN: moe-opt %s --moe-lower-to-rocdl="chip=gfx90a format=bin" | %extract-gpu-objects -o %t/gfx90a
// RUN: llvm-readelf -h -s %t/gfx90a/moe_kernels.hsaco | FileCheck %s --check-prefix=ELF
// ELF: Machine: EM_AMDGPU
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} grouped_gemm{{$}}
// ELF-DAG: OBJECT GLOBAL DEFAULT {{.*}} grouped_gemm.kd
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} grouped_gemm_zero{{$}}

func.func @gemm(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %o: tensor<9xi32>) -> tensor<?x128xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}
