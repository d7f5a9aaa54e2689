// RUN: moe-opt %s -split-input-file --moe-tile -verify-diagnostics

func.func @no_tile(%x: tensor<?x8xf32>, %w: tensor<2x8x16xf32>, %off: tensor<3xi32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{has no #moe.tile (run moe-select-tiles)}}
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf32>, tensor<2x8x16xf32>, tensor<3xi32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @dynamic_weights(%x: tensor<?x8xf32>, %w: tensor<?x8x16xf32>, %off: tensor<?xi32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{operand 'w' must have a static shape to be tiled, got 'tensor<?x8x16xf32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%off) {tile = #moe.tile<block_m = 4, block_n = 16, block_k = 8, thread_m = 2, thread_n = 8>} : tensor<?x8xf32>, tensor<?x8x16xf32>, tensor<?xi32>
  return %y : tensor<?x16xf32>
}

// -----

func.func @bad_dense_tile(%x: tensor<?x32xf32>, %r: tensor<32x8xf32>, %l: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'moe.tile' must be a #moe.tile}}
  %m = linalg.matmul {moe.tile = 8 : i64} ins(%x, %r : tensor<?x32xf32>, tensor<32x8xf32>) outs(%l : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %m : tensor<?x8xf32>
}
