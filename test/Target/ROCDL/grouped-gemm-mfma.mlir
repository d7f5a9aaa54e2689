// The grouped GEMM of a 16-bit layer on AMD's matrix cores: for gfx942 and
// gfx90a moe-select-tiles gives it a tile of four 64-lane waves with 32 x 32
// pieces, moe-lower-to-gpu emits vector.contract ops on 16 x 16 x 16 pieces
// of workgroup tiles, and moe-vector-to-mfma distributes them over the wave
// as amdgpu.mfma (the emulator runs the same kernel: the emu-gfx942 numeric
// suite). The eio weight is staged N x K, so each lane reads its 4 K
// elements of B as one vector load too. The assembly multiplies with v_mfma,
// reads no LDS element by element and spills nothing.
// RUN: moe-opt %s --moe-lower-to-gpu-kernels="chip=gfx942" | FileCheck %s --check-prefix=KERNEL
// RUN: moe-opt %s --moe-lower-to-rocdl="chip=gfx942" | FileCheck %s --check-prefixes=ASM,GFX942
// RUN: moe-opt %s --moe-lower-to-rocdl="chip=gfx90a" | FileCheck %s --check-prefixes=ASM,GFX90A
// RUN: moe-opt %s --moe-lower-to-rocdl="chip=gfx942" | FileCheck %s --check-prefix=VECTOR
// VECTOR: gpu.binary @moe_kernels
// VECTOR-NOT: ds_read_u16

// KERNEL-LABEL: gpu.func @grouped_gemm(
// KERNEL-SAME: workgroup(%{{.*}} : memref<64x32xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %[[W:.*]] : memref<64x32xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<64x32xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<64x64xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64}, %{{.*}} : memref<64x64xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// KERNEL-SAME: known_block_size = array<i32: 256, 1, 1>
// KERNEL: gpu.lane_id
// KERNEL: cf.br ^{{.*}} : index, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// KERNEL: vector.load %{{.*}} : memref<64x32xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// KERNEL: vector.load %[[W]]{{.*}} : memref<64x32xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// KERNEL: arith.bitcast %{{.*}} : vector<4xf16> to vector<4xbf16>
// KERNEL: amdgpu.mfma 16x16x16 %{{.*}} * %{{.*}} + %{{.*}} blgp = none : vector<4xbf16>, vector<4xbf16>, vector<4xf32>
// KERNEL-NOT: vector.contract

// ASM-LABEL: llvm.func @gemm(
// ASM: gpu.launch_func {{.*}}@moe_kernels::@grouped_gemm
// ASM: gpu.binary @moe_kernels
// GFX942-SAME: #rocdl.target<O = 3, chip = "gfx942">
// GFX90A-SAME: #rocdl.target<O = 3, chip = "gfx90a">
// ASM-SAME: {{^|\0A}}grouped_gemm:
// GFX942-SAME: v_mfma_f32_16x16x16_bf16
// GFX90A-SAME: v_mfma_f32_16x16x16bf16_1k
// ASM-SAME: .name:{{ +}}grouped_gemm\0A
// ASM-SAME: .private_segment_fixed_size: 0\0A
// ASM-SAME: .vgpr_spill_count: 0\0A
func.func @gemm(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %o: tensor<9xi32>) -> tensor<?x128xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}
