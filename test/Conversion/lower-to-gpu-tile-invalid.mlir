// RUN: moe-opt %s --split-input-file --moe-lower-to-gpu="thread-m=3" --verify-diagnostics

func.func @gemm(%x: tensor<?x8xf32>, %w: tensor<2x8x8xf32>, %o: tensor<3xi32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'moe.grouped_gemm' op has a GPU tile whose parts do not divide evenly: block 64x64x16, thread 3x4}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<2x8x8xf32>, tensor<3xi32>
  return %y : tensor<?x8xf32>
}

// -----

// A tile on the op is checked the same way: 64 threads cannot stage a
// 16x2 slice of x evenly.
func.func @gemm_op_tile(%x: tensor<?x8xf32>, %w: tensor<2x8x8xf32>, %o: tensor<3xi32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'moe.grouped_gemm' op has a GPU tile whose parts do not divide evenly: block 16x16x2, thread 2x2}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 16, block_n = 16, block_k = 2, thread_m = 2, thread_n = 2>} : tensor<?x8xf32>, tensor<2x8x8xf32>, tensor<3xi32>
  return %y : tensor<?x8xf32>
}
