// RUN: moe-opt %s --moe-vectorize-tiles -verify-diagnostics

func.func @bad_micro_tile(%a: tensor<4x16xf32>, %w: tensor<16x8xf32>, %c: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'moe.micro_tile' must be three positive sizes [MR, NR, Kc]}}
  %r = linalg.matmul {moe.micro_tile = array<i64: 2, 0>} ins(%a, %w : tensor<4x16xf32>, tensor<16x8xf32>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
