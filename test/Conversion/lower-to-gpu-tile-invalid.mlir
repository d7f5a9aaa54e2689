// RUN: moe-opt %s --split-input-file --moe-lower-to-gpu --verify-diagnostics

// The tile comes from moe-select-tiles (or is written on the op): the
// lowering has no default of its own.
func.func @gemm_no_tile(%x: tensor<?x8xf32>, %w: tensor<2x8x8xf32>, %o: tensor<3xi32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'moe.grouped_gemm' op has no #moe.tile (run moe-select-tiles)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<2x8x8xf32>, tensor<3xi32>
  return %y : tensor<?x8xf32>
}

// -----

// A tile whose parts the kernel cannot split evenly: 64 threads cannot
// stage a 16x2 slice of x evenly.
func.func @gemm_op_tile(%x: tensor<?x8xf32>, %w: tensor<2x8x8xf32>, %o: tensor<3xi32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'moe.grouped_gemm' op has a GPU tile whose parts do not divide evenly: block 16x16x2, thread 2x2}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 16, block_n = 16, block_k = 2, thread_m = 2, thread_n = 2>} : tensor<?x8xf32>, tensor<2x8x8xf32>, tensor<3xi32>
  return %y : tensor<?x8xf32>
}

// -----

// The tensor-core kernel takes f16 or bf16 x and weights (f32 would need
// tf32, which is opt-in).
func.func @gemm_mma_f32(%x: tensor<?x32xf32>, %w: tensor<2x32x64xf32>, %o: tensor<3xi32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{'moe.grouped_gemm' op has a tensor-core tile (warp_m, warp_n) but the tensor-core kernel takes f16 or bf16 x and weights of the same type only}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 32, thread_m = 4, thread_n = 8, warp_m = 32, warp_n = 32>} : tensor<?x32xf32>, tensor<2x32x64xf32>, tensor<3xi32>
  return %y : tensor<?x64xf32>
}
