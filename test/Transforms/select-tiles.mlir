// RUN: moe-opt %s -split-input-file --moe-select-tiles="target=nvptx chip=sm_90" --verify-each | FileCheck %s

// AVX2 (16 registers of 8 f32): 6 x 16 register tiles (12 accumulators), a
// 256-deep k-block (a 16 KiB weight panel), row tiles of 16 register tiles;
// row tiles of at most 48 rows stream whole weight rows (k-block 8, a
// 2 x 16 register tile: f32 weights, 4 accumulators) across the whole
// width. The dense router matmul gets a tile too.
// CHECK-LABEL: func @avx2
// CHECK: moe.grouped_gemm
// CHECK-SAME: small_tile = #moe.tile<block_m = 48, block_n = 48, block_k = 8, thread_m = 2, thread_n = 16>
// CHECK-SAME: tile = #moe.tile<block_m = 96, block_n = 48, block_k = 256, thread_m = 6, thread_n = 16>
// CHECK: linalg.matmul {moe.tile = #moe.tile<block_m = 32, block_n = 8, block_k = 512, thread_m = 8, thread_n = 8>}
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx,+avx2,+fma">} {
func.func @avx2(%x: tensor<?x64xf32>, %w: tensor<8x64x96xf32>, %off: tensor<9xi32>, %r: tensor<64x8xf32>, %l: tensor<?x8xf32>) -> (tensor<?x48xf32>, tensor<?x8xf32>) {
  %y = moe.grouped_gemm %x, %w, offsets(%off) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x96xf32>, tensor<9xi32>
  %m = linalg.matmul ins(%x, %r : tensor<?x64xf32>, tensor<64x8xf32>) outs(%l : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y, %m : tensor<?x48xf32>, tensor<?x8xf32>
}
}

// -----

// AVX-512 (32 registers of 16 f32): 8-row register tiles; the width 2048
// takes two-vector (32-column) register tiles and 256-column tiles. bf16
// weights: small tiles of two rows (16 accumulators) up to 16 rows.
// CHECK-LABEL: func @avx512
// CHECK: moe.grouped_gemm
// CHECK-SAME: small_tile = #moe.tile<block_m = 16, block_n = 2048, block_k = 8, thread_m = 2, thread_n = 128>
// CHECK-SAME: tile = #moe.tile<block_m = 128, block_n = 256, block_k = 128, thread_m = 8, thread_n = 32>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "znver4", features = "+avx2,+avx512f,+fma">} {
func.func @avx512(%x: tensor<?x768xbf16>, %w: tensor<4x768x2048xbf16>, %off: tensor<5xi32>) -> tensor<?x2048xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x768xbf16>, tensor<4x768x2048xbf16>, tensor<5xi32>
  return %y : tensor<?x2048xbf16>
}
}

// -----

// AVX-512, f32 weights: an expert's last row tile of at most 2 rows streams
// whole weight rows two rows at a time (k-block 8); one of 3 to 64 rows
// takes 8 x 32 register tiles that read whole weight rows in place (k-block
// 16, no pack); larger ones the packed register tiles, 256 rows a row tile.
// CHECK-LABEL: func @avx512_f32
// CHECK: moe.grouped_gemm
// CHECK-SAME: medium_tile = #moe.tile<block_m = 64, block_n = 768, block_k = 16, thread_m = 8, thread_n = 32>
// CHECK-SAME: small_tile = #moe.tile<block_m = 2, block_n = 768, block_k = 8, thread_m = 2, thread_n = 128>
// CHECK-SAME: tile = #moe.tile<block_m = 256, block_n = 256, block_k = 128, thread_m = 8, thread_n = 32>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "skylake-avx512", features = "+avx2,+avx512f,+fma">} {
func.func @avx512_f32(%x: tensor<?x2048xf32>, %w: tensor<4x2048x1536xf32>, %off: tensor<5xi32>) -> tensor<?x768xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) activation<silu> gated : tensor<?x2048xf32>, tensor<4x2048x1536xf32>, tensor<5xi32>
  return %y : tensor<?x768xf32>
}
}

// -----

// A CPU with AMX (tile registers and bf16 dot products): a bf16 GEMM's large
// row tiles get 16 x 16 register tiles (AMX accumulator tiles) over 128-deep
// k-blocks and whole weight rows; its small tile keeps lone rows, streamed a
// weight row at a time. An f16 GEMM's tiles are AVX-512's.
// CHECK-LABEL: func @amx
// CHECK: moe.grouped_gemm
// CHECK-SAME: small_tile = #moe.tile<block_m = 1, block_n = 2048, block_k = 1, thread_m = 1, thread_n = 64>
// CHECK-SAME: tile = #moe.tile<block_m = 128, block_n = 2048, block_k = 128, thread_m = 16, thread_n = 16>
// CHECK: moe.grouped_gemm
// CHECK-SAME: tile = #moe.tile<block_m = 128, block_n = 256, block_k = 128, thread_m = 8, thread_n = 32>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "sapphirerapids", features = "+avx2,+avx512f,+fma,+amx-tile,+amx-bf16">} {
func.func @amx(%x: tensor<?x768xbf16>, %w: tensor<4x768x2048xbf16>, %off: tensor<5xi32>, %x16: tensor<?x768xf16>, %w16: tensor<4x768x2048xf16>) -> (tensor<?x2048xbf16>, tensor<?x2048xf16>) {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x768xbf16>, tensor<4x768x2048xbf16>, tensor<5xi32>
  %z = moe.grouped_gemm %x16, %w16, offsets(%off) : tensor<?x768xf16>, tensor<4x768x2048xf16>, tensor<5xi32>
  return %y, %z : tensor<?x2048xbf16>, tensor<?x2048xf16>
}
}

// -----

// AVX2, a bf16 GEMM of that width (not in the tuning table): two rows of 64-column register tiles would take
// every register, so row tiles of at most 3 rows stream one row at a time
// with k-block 1.
// CHECK-LABEL: func @avx2_bf16
// CHECK: moe.grouped_gemm
// CHECK-SAME: small_tile = #moe.tile<block_m = 3, block_n = 2048, block_k = 1, thread_m = 1, thread_n = 64>
// CHECK-SAME: tile = #moe.tile<block_m = 96, block_n = 256, block_k = 256, thread_m = 6, thread_n = 16>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx,+avx2,+fma">} {
func.func @avx2_bf16(%x: tensor<?x512xbf16>, %w: tensor<4x512x2048xbf16>, %off: tensor<5xi32>) -> tensor<?x2048xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x512xbf16>, tensor<4x512x2048xbf16>, tensor<5xi32>
  return %y : tensor<?x2048xbf16>
}
}

// -----

// A width that no vector divides: the register tile is its largest divisor
// below a vector, and a tile already on the op is kept.
// CHECK-LABEL: func @odd_width
// CHECK: moe.grouped_gemm
// CHECK-SAME: tile = #moe.tile<block_m = 128, block_n = 17, block_k = 4096, thread_m = 8, thread_n = 1>
// CHECK: moe.grouped_gemm
// CHECK-SAME: {tile = #moe.tile<block_m = 4, block_n = 4, block_k = 4, thread_m = 2, thread_n = 2>}
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx2,+fma">} {
func.func @odd_width(%x: tensor<?x8xf32>, %w: tensor<2x8x17xf32>, %off: tensor<3xi32>) -> (tensor<?x17xf32>, tensor<?x17xf32>) {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf32>, tensor<2x8x17xf32>, tensor<3xi32>
  %z = moe.grouped_gemm %x, %w, offsets(%off) {tile = #moe.tile<block_m = 4, block_n = 4, block_k = 4, thread_m = 2, thread_n = 2>} : tensor<?x8xf32>, tensor<2x8x17xf32>, tensor<3xi32>
  return %y, %z : tensor<?x17xf32>, tensor<?x17xf32>
}
}

// -----

// Without a moe.target the pass options make one and record it. A GPU
// target gives every grouped GEMM its chip's SIMT tile (sm_90: 64 x 128, 4 x
// 8 a thread), whatever its weights; a tile on the op is kept.
// CHECK: module attributes {moe.target = #moe.target<kind = "nvptx", chip = "sm_90">}
// CHECK-LABEL: func @gpu
// CHECK: moe.grouped_gemm {{.*}} {tile = #moe.tile<block_m = 64, block_n = 128, block_k = 16, thread_m = 4, thread_n = 8>}
// CHECK: moe.grouped_gemm {{.*}} {tile = #moe.tile<block_m = 64, block_n = 128, block_k = 16, thread_m = 4, thread_n = 8>}
// CHECK: moe.grouped_gemm {{.*}} {tile = #moe.tile<block_m = 32, block_n = 32, block_k = 8, thread_m = 2, thread_n = 2>}
func.func @gpu(%x: tensor<?x8xf32>, %w: tensor<2x8x16xf32>, %wd: tensor<?x8x16xf32>, %off: tensor<3xi32>) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf32>, tensor<2x8x16xf32>, tensor<3xi32>
  %d = moe.grouped_gemm %x, %wd, offsets(%off) : tensor<?x8xf32>, tensor<?x8x16xf32>, tensor<3xi32>
  %t = moe.grouped_gemm %x, %w, offsets(%off) {tile = #moe.tile<block_m = 32, block_n = 32, block_k = 8, thread_m = 2, thread_n = 2>} : tensor<?x8xf32>, tensor<2x8x16xf32>, tensor<3xi32>
  return %y, %d, %t : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// f16 or bf16 x and weights on a chip with mma.sync (sm_80 on, and the
// emulator) get a tensor-core tile: four warps of 32 x 32, K in steps of 32,
// each thread's epilogue share 4 x 8. f32 keeps the SIMT tile, as does f16 on
// an AMD chip.
// CHECK-LABEL: func @tensor_cores
// CHECK: moe.grouped_gemm {{.*}} {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 32, thread_m = 4, thread_n = 8, warp_m = 32, warp_n = 32>} : tensor<?x8xf16>
// CHECK: moe.grouped_gemm {{.*}} {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 32, thread_m = 4, thread_n = 8, warp_m = 32, warp_n = 32>} : tensor<?x8xbf16>
module attributes {moe.target = #moe.target<kind = "nvptx", chip = "sm_80">} {
func.func @tensor_cores(%x: tensor<?x8xf16>, %w: tensor<2x8x16xf16>, %xb: tensor<?x8xbf16>, %wb: tensor<2x8x16xbf16>, %off: tensor<3xi32>) -> (tensor<?x16xf16>, tensor<?x16xbf16>) {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf16>, tensor<2x8x16xf16>, tensor<3xi32>
  %yb = moe.grouped_gemm %xb, %wb, offsets(%off) : tensor<?x8xbf16>, tensor<2x8x16xbf16>, tensor<3xi32>
  return %y, %yb : tensor<?x16xf16>, tensor<?x16xbf16>
}
}

// -----

// CHECK-LABEL: func @emu_f16
// CHECK: warp_m = 32, warp_n = 32
module attributes {moe.target = #moe.target<kind = "emu">} {
func.func @emu_f16(%x: tensor<?x8xf16>, %w: tensor<2x8x16xf16>, %off: tensor<3xi32>) -> tensor<?x16xf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf16>, tensor<2x8x16xf16>, tensor<3xi32>
  return %y : tensor<?x16xf16>
}
}

// -----

// AMD's matrix cores (MFMA): four 64-lane waves, 4 x 4 of the epilogue each.
// CHECK-LABEL: func @amd_f16
// CHECK: #moe.tile<block_m = 64, block_n = 64, block_k = 32, thread_m = 4, thread_n = 4, warp_m = 32, warp_n = 32>
module attributes {moe.target = #moe.target<kind = "rocdl", chip = "gfx942">} {
func.func @amd_f16(%x: tensor<?x8xf16>, %w: tensor<2x8x16xf16>, %off: tensor<3xi32>) -> tensor<?x16xf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf16>, tensor<2x8x16xf16>, tensor<3xi32>
  return %y : tensor<?x16xf16>
}
}

// -----

// A dynamic weight dim (here Out): no tile, the loop kernel serves the op.
// CHECK-LABEL: func @dynamic_width
// CHECK: moe.grouped_gemm
// CHECK-NOT: tile =
// CHECK: return
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx2">} {
func.func @dynamic_width(%x: tensor<?x8xf32>, %w: tensor<2x8x?xf32>, %off: tensor<3xi32>) -> tensor<?x?xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf32>, tensor<2x8x?xf32>, tensor<3xi32>
  return %y : tensor<?x?xf32>
}
}
