// RUN: moe-opt %s --split-input-file --moe-free-host-buffers | FileCheck %s

// Buffers the function allocates at top level are freed before it returns,
// except the one it returns (seen through a cast and a subview).
// CHECK-LABEL: func.func @host(
// CHECK: %[[A:[a-z0-9_]+]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[B:[a-z0-9_]+]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[C:[a-z0-9_]+]] = memref.alloc() : memref<16xi32>
// CHECK: scf.if
// CHECK: memref.alloc() : memref<4xf32>
// CHECK-NOT: memref.dealloc
// CHECK: }
// CHECK-DAG: memref.dealloc %[[A]] : memref<?x8xf32>
// CHECK-DAG: memref.dealloc %[[C]] : memref<16xi32>
// CHECK-NOT: memref.dealloc %[[B]]
// CHECK: return
func.func @host(%n: index, %flag: i1) -> memref<?x4xf32, strided<[8, 1]>> {
  %a = memref.alloc(%n) : memref<?x8xf32>
  %b = memref.alloc(%n) : memref<?x8xf32>
  %c = memref.alloc() : memref<16xi32>
  scf.if %flag {
    %nested = memref.alloc() : memref<4xf32>
  }
  %cast = memref.cast %b : memref<?x8xf32> to memref<?x8xf32>
  %view = memref.subview %cast[0, 0] [%n, 4] [1, 1] : memref<?x8xf32> to memref<?x4xf32, strided<[8, 1]>>
  return %view : memref<?x4xf32, strided<[8, 1]>>
}

// -----

// More than one block (unstructured control flow): left alone.
// CHECK-LABEL: func.func @branches(
// CHECK-NOT: memref.dealloc
func.func @branches(%flag: i1) {
  %a = memref.alloc() : memref<4xf32>
  cf.cond_br %flag, ^bb1, ^bb2
^bb1:
  return
^bb2:
  return
}
