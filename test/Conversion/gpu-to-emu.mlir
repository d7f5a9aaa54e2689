// RUN: moe-opt %s --split-input-file --moe-gpu-to-emu=checks=false --verify-diagnostics | FileCheck %s
// RUN: moe-opt %s --split-input-file --moe-gpu-to-emu --verify-diagnostics | FileCheck %s --check-prefix=BOUNDS

// The module becomes the emu device module: the host code is dropped, each
// kernel becomes a private host function whose ids are moe_emu_id calls
// (0-2 thread, 3-5 block, 6-8 block dim, 9-11 grid dim), whose barrier is a
// moe_emu_barrier call and whose workgroup buffer is a private global.
// CHECK-NOT: gpu.container_module
// CHECK-NOT: func.func @host
// CHECK-DAG: func.func private @moe_emu_id(i32) -> i64
// CHECK-DAG: func.func private @moe_emu_barrier()
// CHECK: memref.global "private" @__moe_emu_kernel_scale_workgroup0 : memref<64xf32>
// CHECK-LABEL: func.func private @__moe_emu_kernel_scale(
// CHECK: %[[WG:[a-z0-9_]+]] = memref.get_global @__moe_emu_kernel_scale_workgroup0 : memref<64xf32>
// CHECK: %[[C0:[a-z0-9_]+]] = arith.constant 0 : i32
// CHECK: call @moe_emu_id(%[[C0]]) : (i32) -> i64
// CHECK: %[[C3:[a-z0-9_]+]] = arith.constant 3 : i32
// CHECK: call @moe_emu_id(%[[C3]]) : (i32) -> i64
// CHECK: %[[C6:[a-z0-9_]+]] = arith.constant 6 : i32
// CHECK: call @moe_emu_id(%[[C6]]) : (i32) -> i64
// CHECK: memref.store %{{.*}}, %[[WG]][%{{.*}}] : memref<64xf32>
// CHECK: call @moe_emu_barrier() : () -> ()
// CHECK: memref.load %[[WG]][%{{.*}}] : memref<64xf32>
// CHECK: return
// CHECK-NOT: gpu.module

// With checks, each access tests its indices against the buffer's dims and,
// out of bounds, reports instead (workgroup: 1) and a load gives 0; an
// in-bounds workgroup access is told to the race detector first.
// BOUNDS-DAG: func.func private @moe_emu_out_of_bounds(i32, i32, i64, i64, i64)
// BOUNDS-LABEL: func.func private @__moe_emu_kernel_scale(
// BOUNDS: %[[N:.*]] = memref.dim %[[BUF:.*]], %{{.*}} : memref<?xf32>
// BOUNDS: %[[OK:.*]] = arith.cmpi ult, %[[I:.*]], %[[N]] : index
// BOUNDS: %[[V:.*]] = scf.if %[[OK]] -> (f32) {
// BOUNDS:   memref.load %[[BUF]][%[[I]]] : memref<?xf32>
// BOUNDS: } else {
// BOUNDS:   %[[LOAD:.*]] = arith.constant 0 : i32
// BOUNDS:   %[[GLOBAL:.*]] = arith.constant 0 : i32
// BOUNDS:   func.call @moe_emu_out_of_bounds(%[[LOAD]], %[[GLOBAL]], {{.*}}) : (i32, i32, i64, i64, i64) -> ()
// BOUNDS:   scf.yield %{{.*}} : f32
// BOUNDS: %[[WGN:.*]] = memref.dim %{{.*}} : memref<64xf32>
// BOUNDS: arith.cmpi ult, %{{.*}}, %[[WGN]]
// BOUNDS: scf.if
// BOUNDS:   func.call @moe_emu_workgroup_access(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i32, i64, i64, i32) -> ()
// BOUNDS:   memref.store
// BOUNDS: } else {
// BOUNDS:   %[[STORE:.*]] = arith.constant 1 : i32
// BOUNDS:   %[[WORKGROUP:.*]] = arith.constant 1 : i32
// BOUNDS:   func.call @moe_emu_out_of_bounds(%[[STORE]], %[[WORKGROUP]], {{.*}})
module attributes {gpu.container_module} {
  func.func @host(%buf: memref<?xf32>, %n: index) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @kernels::@scale blocks in (%n, %c1, %c1) threads in (%c64, %c1, %c1) args(%buf : memref<?xf32>, %n : index)
    return
  }
  gpu.module @kernels {
    gpu.func @scale(%buf: memref<?xf32>, %n: index) workgroup(%wg : memref<64xf32, #gpu.address_space<workgroup>>) kernel {
      %t = gpu.thread_id x
      %b = gpu.block_id x
      %d = gpu.block_dim x
      %base = arith.muli %b, %d : index
      %i = arith.addi %base, %t : index
      %v = memref.load %buf[%i] : memref<?xf32>
      memref.store %v, %wg[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %c63 = arith.constant 63 : index
      %r = arith.subi %c63, %t : index
      %w = memref.load %wg[%r] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %w, %buf[%i] : memref<?xf32>
      gpu.return
    }
  }
}

// -----

// A gpu op the emulator has no mapping for is an error naming it.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @lanes(%buf: memref<?xi32>) kernel {
      // expected-error @+1 {{'gpu.lane_id' op cannot run on the emulator (emu target)}}
      %l = gpu.lane_id
      %c0 = arith.constant 0 : index
      %v = arith.index_cast %l : index to i32
      memref.store %v, %buf[%c0] : memref<?xi32>
      gpu.return
    }
  }
}

// -----

// One device binary holds one gpu.module.
module attributes {gpu.container_module} {
  gpu.module @first {
  }
  // expected-error @+1 {{'gpu.module' op is a second gpu.module; an emulator device binary holds one}}
  gpu.module @second {
  }
}
