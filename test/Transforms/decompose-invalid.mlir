// RUN: moe-opt %s --moe-decompose -verify-diagnostics

// The layer size must be known to build the per-expert ops.
func.func @dynamic_experts(%x: tensor<?x32xf32>, %router: tensor<32x?xf32>, %w1: tensor<?x32x16xf32>, %w2: tensor<?x16x32xf32>) -> tensor<?x32xf32> {
  // expected-error @+1 {{cannot be decomposed}}
  %out = moe.layer %x, %router, %w1, %w2 top_k(1) activation<relu> : tensor<?x32xf32>, tensor<32x?xf32>, tensor<?x32x16xf32>, tensor<?x16x32xf32>
  return %out : tensor<?x32xf32>
}
