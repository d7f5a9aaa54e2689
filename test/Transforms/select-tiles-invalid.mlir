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
