// RUN: moe-opt %s -split-input-file --moe-select-tiles="table=%S/Inputs/tiles.json" --verify-each | FileCheck %s

// The tuning table names this GEMM (avx2, f32 weights, In 64, Out 96,
// gated): its tiles replace the heuristic's (48 x 48, k 256, 6 x 16).
// CHECK-LABEL: func @named
// CHECK: moe.grouped_gemm
// CHECK-SAME: small_tile = #moe.tile<block_m = 2, block_n = 48, block_k = 4, thread_m = 1, thread_n = 8>
// CHECK-SAME: tile = #moe.tile<block_m = 24, block_n = 16, block_k = 32, thread_m = 4, thread_n = 8>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx,+avx2,+fma">} {
func.func @named(%x: tensor<?x64xf32>, %w: tensor<8x64x96xf32>, %off: tensor<9xi32>) -> tensor<?x48xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x96xf32>, tensor<9xi32>
  return %y : tensor<?x48xf32>
}
}

// -----

// Two entries with one key: the last wins. Its small tile is null: no small
// tile, register tiles serve every row tile.
// CHECK-LABEL: func @last_wins
// CHECK: moe.grouped_gemm
// CHECK-NOT: small_tile
// CHECK-SAME: tile = #moe.tile<block_m = 24, block_n = 32, block_k = 48, thread_m = 6, thread_n = 16>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx,+avx2,+fma">} {
func.func @last_wins(%x: tensor<?x48xf32>, %w: tensor<8x48x64xf32>, %off: tensor<9xi32>) -> tensor<?x64xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x48xf32>, tensor<8x48x64xf32>, tensor<9xi32>
  return %y : tensor<?x64xf32>
}
}

// -----

// Not in the table: the same shape with bf16 weights, and the same shape on
// AVX-512, get the heuristic's tiles.
// CHECK-LABEL: func @unnamed_dtype
// CHECK: moe.grouped_gemm
// CHECK-SAME: small_tile = #moe.tile<block_m = 12, block_n = 48, block_k = 8, thread_m = 2, thread_n = 16>
// CHECK-SAME: tile = #moe.tile<block_m = 96, block_n = 48, block_k = 256, thread_m = 6, thread_n = 16>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx,+avx2,+fma">} {
func.func @unnamed_dtype(%x: tensor<?x64xbf16>, %w: tensor<8x64x96xbf16>, %off: tensor<9xi32>) -> tensor<?x48xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x96xbf16>, tensor<9xi32>
  return %y : tensor<?x48xbf16>
}
}

// -----

// CHECK-LABEL: func @unnamed_isa
// CHECK: moe.grouped_gemm
// CHECK-SAME: tile = #moe.tile<block_m = 256, block_n = 48, block_k = 256, thread_m = 8, thread_n = 16>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "znver4", features = "+avx2,+avx512f,+fma">} {
func.func @unnamed_isa(%x: tensor<?x64xf32>, %w: tensor<8x64x96xf32>, %off: tensor<9xi32>) -> tensor<?x48xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x96xf32>, tensor<9xi32>
  return %y : tensor<?x48xf32>
}
}

// -----

// An entry with a medium tile (AVX-512, f32 weights): all three tiles.
// CHECK-LABEL: func @medium
// CHECK: moe.grouped_gemm
// CHECK-SAME: medium_tile = #moe.tile<block_m = 16, block_n = 64, block_k = 16, thread_m = 8, thread_n = 32>
// CHECK-SAME: small_tile = #moe.tile<block_m = 2, block_n = 64, block_k = 8, thread_m = 2, thread_n = 64>
// CHECK-SAME: tile = #moe.tile<block_m = 64, block_n = 64, block_k = 64, thread_m = 8, thread_n = 32>
module attributes {moe.target = #moe.target<kind = "cpu", chip = "skylake-avx512", features = "+avx2,+avx512f,+fma">} {
func.func @medium(%x: tensor<?x64xf32>, %w: tensor<8x64x64xf32>, %off: tensor<9xi32>) -> tensor<?x64xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x64xf32>, tensor<8x64x64xf32>, tensor<9xi32>
  return %y : tensor<?x64xf32>
}
}
