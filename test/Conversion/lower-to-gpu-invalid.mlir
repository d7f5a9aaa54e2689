// RUN: moe-opt %s --split-input-file --moe-lower-to-gpu --verify-diagnostics

func.func @layer(%x: tensor<?x8xf32>, %r: tensor<8x4xf32>, %w1: tensor<4x8x8xf32>, %w2: tensor<4x4x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{must be decomposed first (run moe-decompose)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(1) gated : tensor<?x8xf32>, tensor<8x4xf32>, tensor<4x8x8xf32>, tensor<4x4x8xf32>
  return %out : tensor<?x8xf32>
}
