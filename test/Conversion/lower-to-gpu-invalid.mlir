// RUN: moe-opt %s --split-input-file --moe-lower-to-gpu --verify-diagnostics

func.func @route(%l: tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  // expected-error @+1 {{'moe.route' op has no GPU lowering yet}}
  %ids, %w = moe.route %l top_k(2) : tensor<?x8xf32>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}
