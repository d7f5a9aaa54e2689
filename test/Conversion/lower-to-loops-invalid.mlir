// RUN: moe-opt %s -split-input-file --moe-lower-to-loops -verify-diagnostics

func.func @layer(%x: tensor<?x8xf32>, %r: tensor<8x4xf32>, %w1: tensor<4x8x8xf32>, %w2: tensor<4x4x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{must be decomposed first (run moe-decompose)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(1) gated : tensor<?x8xf32>, tensor<8x4xf32>, tensor<4x8x8xf32>, tensor<4x4x8xf32>
  return %out : tensor<?x8xf32>
}

// -----

// expected-error @+1 {{is called inside the module; checks need an entry function}}
func.func private @inner(%x: tensor<?x8xf32>, %ids: tensor<?x1xi32>) -> tensor<?x8xf32> {
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<?x8xf32>, tensor<?x1xi32>
  return %xp : tensor<?x8xf32>
}
func.func @outer(%x: tensor<?x8xf32>, %ids: tensor<?x1xi32>) -> tensor<?x8xf32> {
  %0 = func.call @inner(%x, %ids) : (tensor<?x8xf32>, tensor<?x1xi32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
