// RUN: moe-opt %s -split-input-file --moe-check-shapes -verify-diagnostics

// The rest of a block can be skipped only when what it yields has an empty
// value: a memref result has none.
func.func @memref_result(%x: tensor<?x3xf32>, %ids: tensor<?x2xi32>, %m: memref<4xf32>) -> (tensor<?xi32>, memref<4xf32>) {
  // expected-error @+1 {{'moe.permute' op has a shape relation that holds only at run time, in a block that yields 'memref<4xf32>', which cannot be skipped when the relation fails}}
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<?x3xf32>, tensor<?x2xi32>
  return %r, %m : tensor<?xi32>, memref<4xf32>
}
