// RUN: moe-opt %s --split-input-file --moe-free-host-buffers | FileCheck %s

// Buffers the function allocates are freed before its block (or the nested
// block that allocates them) ends, except the one it returns (seen through a
// cast and a subview).
// CHECK-LABEL: func.func @host(
// CHECK: %[[A:[a-z0-9_]+]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[B:[a-z0-9_]+]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[C:[a-z0-9_]+]] = memref.alloc() : memref<16xi32>
// CHECK: scf.if
// CHECK: %[[N:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.dealloc %[[N]] : memref<4xf32>
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

// -----

// The shape of moe-check-shapes: an scf.if whose branches each pass on a
// buffer they allocate. Returned, the if's result is not freed; the
// intermediate one is, and so is a buffer a branch makes and drops.
// CHECK-LABEL: func.func @guarded(
// CHECK: %[[R:.*]] = scf.if
// CHECK: memref.alloc() : memref<0xf32>
// CHECK-NOT: memref.dealloc
// CHECK: scf.yield
// CHECK: } else {
// CHECK: %[[S:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: %[[O:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: %[[T:.*]] = scf.if
// CHECK: } else {
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[S]] : memref<?xf32>
// CHECK-NEXT: memref.dealloc %[[T]] : memref<?xf32>
// CHECK-NEXT: scf.yield %[[O]]
// CHECK: return %[[R]]
func.func @guarded(%n: index, %bad: i1) -> memref<?xf32> {
  %r = scf.if %bad -> memref<?xf32> {
    %empty = memref.alloc() : memref<0xf32>
    %cast = memref.cast %empty : memref<0xf32> to memref<?xf32>
    scf.yield %cast : memref<?xf32>
  } else {
    %scratch = memref.alloc(%n) : memref<?xf32>
    %out = memref.alloc(%n) : memref<?xf32>
    %t = scf.if %bad -> memref<?xf32> {
      %a = memref.alloc(%n) : memref<?xf32>
      scf.yield %a : memref<?xf32>
    } else {
      %b = memref.alloc(%n) : memref<?xf32>
      scf.yield %b : memref<?xf32>
    }
    scf.yield %out : memref<?xf32>
  }
  return %r : memref<?xf32>
}

// -----

// A branch that passes on an argument: the if's result is not the
// function's to free.
// CHECK-LABEL: func.func @argument_through_if(
// CHECK: scf.if
// CHECK: } else {
// CHECK: }
// CHECK-NOT: memref.dealloc
// CHECK: return
func.func @argument_through_if(%x: memref<4xf32>, %bad: i1) {
  %r = scf.if %bad -> memref<4xf32> {
    %empty = memref.alloc() : memref<4xf32>
    scf.yield %empty : memref<4xf32>
  } else {
    scf.yield %x : memref<4xf32>
  }
  return
}
