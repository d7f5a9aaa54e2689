// RUN: moe-opt %s -split-input-file --moe-copies-to-linalg | FileCheck %s

// A copy between strided views becomes a linalg.copy of the same source and
// target (plain loops, no call to the runner utilities' memrefCopy).
// CHECK-LABEL: func @strided_subviews
// CHECK-SAME: (%[[A:.*]]: memref<16x32xf32>, %[[B:.*]]: memref<8x64xf32>)
// CHECK: %[[SA:.*]] = memref.subview %[[A]][2, 4] [4, 8] [1, 2]
// CHECK: %[[SB:.*]] = memref.subview %[[B]][1, 0] [4, 8] [2, 1]
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[SA]] : memref<4x8xf32, strided<[32, 2], offset: 68>>) outs(%[[SB]] : memref<4x8xf32, strided<[128, 1], offset: 64>>)
// CHECK-NOT: memref.copy
// CHECK: return
func.func @strided_subviews(%a: memref<16x32xf32>, %b: memref<8x64xf32>) {
  %sa = memref.subview %a[2, 4] [4, 8] [1, 2] : memref<16x32xf32> to memref<4x8xf32, strided<[32, 2], offset: 68>>
  %sb = memref.subview %b[1, 0] [4, 8] [2, 1] : memref<8x64xf32> to memref<4x8xf32, strided<[128, 1], offset: 64>>
  memref.copy %sa, %sb : memref<4x8xf32, strided<[32, 2], offset: 68>> to memref<4x8xf32, strided<[128, 1], offset: 64>>
  return
}

// -----

// The direction is kept: the source stays the input, the target the output.
// CHECK-LABEL: func @direction
// CHECK-SAME: (%[[A:.*]]: memref<?x8xf16>, %[[B:.*]]: memref<?x8xf16>)
// CHECK-NEXT: linalg.copy ins(%[[B]] : memref<?x8xf16>) outs(%[[A]] : memref<?x8xf16>)
// CHECK-NEXT: return
func.func @direction(%a: memref<?x8xf16>, %b: memref<?x8xf16>) {
  memref.copy %b, %a : memref<?x8xf16> to memref<?x8xf16>
  return
}

// -----

// A copy of a view onto itself is dropped (the view, now unused, goes too).
// CHECK-LABEL: func @self_copy
// CHECK-NOT: memref.copy
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @self_copy(%a: memref<16x32xf32>, %i: index) {
  %sa = memref.subview %a[%i, 0] [4, 32] [1, 1] : memref<16x32xf32> to memref<4x32xf32, strided<[32, 1], offset: ?>>
  memref.copy %sa, %sa : memref<4x32xf32, strided<[32, 1], offset: ?>> to memref<4x32xf32, strided<[32, 1], offset: ?>>
  return
}

// -----

// Only the self-copy goes; a real copy next to it stays, as a linalg.copy.
// CHECK-LABEL: func @self_copy_and_copy
// CHECK-SAME: (%[[A:.*]]: memref<4x4xf32>, %[[B:.*]]: memref<4x4xf32>)
// CHECK-NEXT: linalg.copy ins(%[[B]] : memref<4x4xf32>) outs(%[[A]] : memref<4x4xf32>)
// CHECK-NEXT: return
func.func @self_copy_and_copy(%a: memref<4x4xf32>, %b: memref<4x4xf32>) {
  memref.copy %a, %a : memref<4x4xf32> to memref<4x4xf32>
  memref.copy %b, %a : memref<4x4xf32> to memref<4x4xf32>
  return
}
