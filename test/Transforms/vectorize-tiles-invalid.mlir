// RUN: moe-opt %s -split-input-file --moe-vectorize-tiles -verify-diagnostics

func.func @bad_micro_tile(%a: tensor<4x16xf32>, %w: tensor<16x8xf32>, %c: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'moe.micro_tile' must be three positive sizes [MR, NR, Kc]}}
  %r = linalg.matmul {moe.micro_tile = array<i64: 2, 0>} ins(%a, %w : tensor<4x16xf32>, tensor<16x8xf32>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

func.func @amx_micro_tile(%a: tensor<32x64xbf16>, %w: tensor<64x32xbf16>, %c: tensor<32x32xf32>) -> tensor<32x32xf32> {
  // expected-error @+1 {{an AMX tile needs 'moe.micro_tile' = [16, 16, a multiple of 32]}}
  %r = linalg.matmul {moe.amx, moe.micro_tile = array<i64: 8, 16, 32>} ins(%a, %w : tensor<32x64xbf16>, tensor<64x32xbf16>) outs(%c : tensor<32x32xf32>) -> tensor<32x32xf32>
  return %r : tensor<32x32xf32>
}

// -----

// K = 48 is no whole number of 32-deep k-blocks: the last one could not be
// packed in pairs.
func.func @amx_partial_k_block(%a: tensor<32x48xbf16>, %w: tensor<48x32xbf16>, %c: tensor<32x32xf32>) -> tensor<32x32xf32> {
  // expected-error @+1 {{AMX tile: the weights' k-blocks are not static slices (In must be a multiple of the k-block)}}
  %r = linalg.matmul {moe.amx, moe.micro_tile = array<i64: 16, 16, 32>} ins(%a, %w : tensor<32x48xbf16>, tensor<48x32xbf16>) outs(%c : tensor<32x32xf32>) -> tensor<32x32xf32>
  return %r : tensor<32x32xf32>
}
