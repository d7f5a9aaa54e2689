// RUN: moe-opt %s -split-input-file --moe-select-tiles -verify-diagnostics

// expected-error @+1 {{no target: the module has no 'moe.target' and moe-select-tiles no target= option}}
module {
func.func @no_target(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}
}

// -----

// expected-error @+1 {{'moe.target' must be a #moe.target, got "cpu"}}
module attributes {moe.target = "cpu"} {
}

// -----

module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx2">} {
func.func @dynamic_width(%x: tensor<?x8xf32>, %w: tensor<2x8x?xf32>, %off: tensor<3xi32>) -> tensor<?x?xf32> {
  // expected-error @+1 {{needs a static weight width (Out) to choose a tile}}
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x8xf32>, tensor<2x8x?xf32>, tensor<3xi32>
  return %y : tensor<?x?xf32>
}
}
