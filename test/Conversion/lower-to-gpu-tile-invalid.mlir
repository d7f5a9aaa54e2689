// RUN: moe-opt %s --moe-lower-to-gpu="thread-m=3" --verify-diagnostics

func.func @gemm(%x: tensor<?x8xf32>, %w: tensor<2x8x8xf32>, %o: tensor<3xi32>) -> tensor<?x8xf32> {
  // expected-error @+1 {{'moe.grouped_gemm' op has a GPU tile whose parts do not divide evenly}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<2x8x8xf32>, tensor<3xi32>
  return %y : tensor<?x8xf32>
}
