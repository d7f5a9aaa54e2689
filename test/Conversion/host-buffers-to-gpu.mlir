// RUN: moe-opt %s --split-input-file --verify-diagnostics --moe-host-buffers-to-gpu | FileCheck %s

// Host buffers become device memory, host copies device copies and frees
// device frees (synchronous; gpu-async-region chains them later).
// CHECK-LABEL: func.func @buffers(
// CHECK-SAME: %[[N:.*]]: index, %[[IN:.*]]: memref<?xf32>
// CHECK: %[[A:.*]] = gpu.alloc  (%[[N]]) : memref<?xf32>
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK: gpu.terminator
// CHECK: %[[B:.*]] = gpu.alloc  (%[[N]]) : memref<?xf32>
// CHECK: gpu.memcpy  %[[B]], %[[A]] : memref<?xf32>, memref<?xf32>
// CHECK: gpu.dealloc  %[[A]] : memref<?xf32>
// CHECK-NOT: host_shared
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK-NOT: memref.dealloc
// CHECK: return %[[B]]
func.func @buffers(%n: index, %in: memref<?xf32>) -> memref<?xf32> {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc(%n) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %zero, %a[%bx] : memref<?xf32>
    gpu.terminator
  }
  %b = memref.alloc(%n) : memref<?xf32>
  memref.copy %a, %b : memref<?xf32> to memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  return %b : memref<?xf32>
}

// -----

// Allocations nested in host control flow move too.
// CHECK-LABEL: func.func @nested(
// CHECK: scf.if
// CHECK: gpu.alloc
// CHECK: gpu.dealloc
// CHECK-NOT: memref.alloc
func.func @nested(%n: index, %p: i1) {
  scf.if %p {
    %a = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %a : memref<?xf32>
  }
  return
}

// -----

// The host cannot dereference device memory.
func.func @host_load(%in: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op reads or writes a buffer in the host code of a GPU function ('host_load'); its buffers live in device memory, so only kernels may access them}}
  %v = memref.load %in[%c0] : memref<4xf32>
  return %v : f32
}
