// RUN: moe-opt %s --split-input-file --moe-promote-loop-accumulators | FileCheck %s

// The reduction of a matmul lowered to loops: the output element rides in an
// iter_arg, loaded once before the k loop and stored once after it.
// CHECK-LABEL: func.func @matmul_row(
// CHECK: %[[C:.*]] = memref.alloc
// CHECK: scf.parallel (%[[I:.*]], %[[J:.*]]) =
// CHECK: %[[INIT:.*]] = memref.load %[[C]][%[[I]], %[[J]]]
// CHECK: %[[SUM:.*]] = scf.for %{{.*}} = {{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32)
// CHECK-NOT: memref.load %[[C]]
// CHECK-NOT: memref.store
// CHECK: %[[NEW:.*]] = arith.addf %[[ACC]]
// CHECK: scf.yield %[[NEW]] : f32
// CHECK: memref.store %[[SUM]], %[[C]][%[[I]], %[[J]]]
func.func @matmul_row(%a: memref<4x8xf32>, %b: memref<8x4xf32>) -> memref<4x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c = memref.alloc() : memref<4x4xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%c4, %c4) step (%c1, %c1) {
    scf.for %k = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %k] : memref<4x8xf32>
      %y = memref.load %b[%k, %j] : memref<8x4xf32>
      %acc = memref.load %c[%i, %j] : memref<4x4xf32>
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      memref.store %s, %c[%i, %j] : memref<4x4xf32>
    }
    scf.reduce
  }
  return %c : memref<4x4xf32>
}

// -----

// A function argument may alias another argument the loop reads: unchanged.
// CHECK-LABEL: func.func @argument_output(
// CHECK: scf.for
// CHECK-NEXT: memref.load %arg0
// CHECK: memref.store
// CHECK-NOT: iter_args
func.func @argument_output(%out: memref<4xf32>, %in: memref<4xf32>, %i: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %k = %c0 to %c4 step %c1 {
    %acc = memref.load %out[%i] : memref<4xf32>
    %x = memref.load %in[%k] : memref<4xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %out[%i] : memref<4xf32>
  }
  return
}

// -----

// The stored element moves with the loop (or the loop reads another element
// of the buffer): unchanged.
// CHECK-LABEL: func.func @not_invariant(
// CHECK-NOT: iter_args
func.func @not_invariant(%in: memref<4xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %out = memref.alloc() : memref<4xf32>
  scf.for %k = %c0 to %c4 step %c1 {
    %acc = memref.load %out[%k] : memref<4xf32>
    %x = memref.load %in[%k] : memref<4xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %out[%k] : memref<4xf32>
  }
  scf.for %k = %c0 to %c4 step %c1 {
    %acc = memref.load %out[%c0] : memref<4xf32>
    %other = memref.load %out[%c3] : memref<4xf32>
    %s = arith.addf %acc, %other : f32
    memref.store %s, %out[%c0] : memref<4xf32>
  }
  return %out : memref<4xf32>
}
