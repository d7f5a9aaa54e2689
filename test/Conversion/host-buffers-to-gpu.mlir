// RUN: moe-opt %s --split-input-file --verify-diagnostics --moe-host-buffers-to-gpu | FileCheck %s

// Host buffers become device memory; host copies become device copies and
// frees device frees, each on a stream that is waited for.
// CHECK-LABEL: func.func @buffers(
// CHECK-SAME: %[[N:.*]]: index, %[[IN:.*]]: memref<?xf32>
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: %[[A:.*]], %[[T0:.*]] = gpu.alloc async [%[[S0]]] (%[[N]]) : memref<?xf32>
// CHECK: gpu.wait [%[[T0]]]
// CHECK-NOT: host_shared
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK: gpu.terminator
// CHECK: %[[B:.*]], %{{.*}} = gpu.alloc async
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: %[[T1:.*]] = gpu.memcpy async [%[[S1]]] %[[B]], %[[A]] : memref<?xf32>, memref<?xf32>
// CHECK: gpu.wait [%[[T1]]]
// CHECK: %[[S2:.*]] = gpu.wait async
// CHECK: %[[T2:.*]] = gpu.dealloc async [%[[S2]]] %[[A]] : memref<?xf32>
// CHECK: gpu.wait [%[[T2]]]
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
// CHECK: gpu.alloc async
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
