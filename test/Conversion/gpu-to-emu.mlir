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
    gpu.func @prints(%buf: memref<?xi32>) kernel {
      // expected-error @+1 {{'gpu.printf' op cannot run on the emulator (emu target)}}
      gpu.printf "hello"
      gpu.return
    }
  }
}

// -----

// Subgroup ops are warp collectives too: a shuffle passes its value's bits,
// offset, width and mode (down = 2) and reads the source lane's bits and the
// valid flag back from scratch; a reduction passes its operation (maxnumf =
// 7), scalar type (f32 = 0x120 = 288) and cluster (size 4, stride 1), one
// call per element of a vector; both pass the warp's lanes (32).
// CHECK-DAG: func.func private @moe_emu_shuffle(i64, i32, i32, i32, i64, i32)
// CHECK-DAG: func.func private @moe_emu_subgroup_reduce(i64, i32, i32, i32, i32, i32) -> i64
// CHECK-LABEL: func.func private @__moe_emu_kernel_subgroups(
// CHECK: %[[OUT:.*]] = memref.alloca() : memref<2xi64>
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[WIDE:.*]] = arith.extui %[[BITS]] : i32 to i64
// CHECK: %[[DOWN:.*]] = arith.constant 2 : i32
// CHECK: %[[LANES:.*]] = arith.constant 32 : i32
// CHECK: call @moe_emu_shuffle(%[[WIDE]], %{{.*}}, %{{.*}}, %[[DOWN]], %{{.*}}, %[[LANES]])
// CHECK: memref.load %[[OUT]][%{{.*}}] : memref<2xi64>
// CHECK: arith.cmpi ne
// CHECK: %[[MAX:.*]] = arith.constant 7 : i32
// CHECK: %[[F32:.*]] = arith.constant 288 : i32
// CHECK: %[[SIZE:.*]] = arith.constant 4 : i32
// CHECK: call @moe_emu_subgroup_reduce(%{{.*}}, %[[MAX]], %[[F32]], %[[SIZE]], %{{.*}}, %{{.*}})
// CHECK: call @moe_emu_subgroup_reduce(
// CHECK-NOT: gpu.subgroup_reduce
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @subgroups(%buf: memref<?xf32>, %pair: memref<?xvector<2xf32>>) kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : i32
      %c32 = arith.constant 32 : i32
      %v = memref.load %buf[%c0] : memref<?xf32>
      %s, %ok = gpu.shuffle down %v, %c1, %c32 : f32
      %r = arith.select %ok, %s, %v : f32
      memref.store %r, %buf[%c0] : memref<?xf32>
      %p = memref.load %pair[%c0] : memref<?xvector<2xf32>>
      %m = gpu.subgroup_reduce maxnumf %p cluster(size = 4) : (vector<2xf32>) -> vector<2xf32>
      memref.store %m, %pair[%c0] : memref<?xvector<2xf32>>
      gpu.return
    }
  }
}

// -----

// The warp collectives become calls of the emulator's: the lane id is
// moe_emu_id(12); ldmatrix passes the address of the lane's row and a stack
// scratch buffer for its words; mma.sync passes its A, B, C fragments
// flattened into scratch buffers (allocated once, at the kernel's entry),
// the shape and the element types (bf16 = 2, f32 = 0).
// CHECK-DAG: func.func private @moe_emu_ldmatrix(i64, i64, i32, i32)
// CHECK-DAG: func.func private @moe_emu_mma_sync(i64, i64, i64, i64, i32, i32, i32, i32, i32)
// CHECK-LABEL: func.func private @__moe_emu_kernel_mma(
// CHECK: %[[D:.*]] = memref.alloca() : memref<4xf32>
// CHECK: memref.alloca() : memref<4xf32>
// CHECK: memref.alloca() : memref<4xbf16>
// CHECK: %[[A:.*]] = memref.alloca() : memref<8xbf16>
// CHECK: %[[OUT:.*]] = memref.alloca() : memref<8xbf16>
// CHECK: %[[C12:.*]] = arith.constant 12 : i32
// CHECK: call @moe_emu_id(%[[C12]])
// CHECK: memref.extract_aligned_pointer_as_index %{{.*}} : memref<16x16xbf16> -> index
// CHECK: call @moe_emu_ldmatrix(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (i64, i64, i32, i32) -> ()
// CHECK: vector.load %[[OUT]][%{{.*}}] : memref<8xbf16>, vector<8xbf16>
// CHECK: vector.shape_cast %{{.*}} : vector<8xbf16> to vector<4x2xbf16>
// CHECK: vector.store %{{.*}}, %[[A]][%{{.*}}] : memref<8xbf16>, vector<8xbf16>
// CHECK: call @moe_emu_mma_sync({{.*}}) : (i64, i64, i64, i64, i32, i32, i32, i32, i32) -> ()
// CHECK: vector.load %[[D]][%{{.*}}] : memref<4xf32>, vector<4xf32>
// CHECK-NOT: nvgpu.

// With checks, the row is tested (its 8 elements inside the buffer) and told
// to the race detector element by element; out of bounds it is reported and
// the lane passes address 0 (zeros) but still arrives.
// BOUNDS-LABEL: func.func private @__moe_emu_kernel_mma(
// BOUNDS: %[[ROW:.*]] = scf.if %{{.*}} -> (i64) {
// BOUNDS-COUNT-8: func.call @moe_emu_workgroup_access
// BOUNDS: memref.extract_aligned_pointer_as_index
// BOUNDS: } else {
// BOUNDS: func.call @moe_emu_out_of_bounds
// BOUNDS: %[[NULL:.*]] = arith.constant 0 : i64
// BOUNDS: scf.yield %[[NULL]] : i64
// BOUNDS: call @moe_emu_ldmatrix(%[[ROW]],
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mma(%b: vector<2x2xbf16>, %c: vector<2x2xf32>, %out: memref<32x4xf32>) workgroup(%tile : memref<16x16xbf16, #gpu.address_space<workgroup>>) kernel {
      %lane = gpu.lane_id
      %c0 = arith.constant 0 : index
      %c16 = arith.constant 16 : index
      %row = arith.remui %lane, %c16 : index
      %a = nvgpu.ldmatrix %tile[%row, %c0] {numTiles = 4 : i32, transpose = false} : memref<16x16xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
      %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
      %flat = vector.shape_cast %d : vector<2x2xf32> to vector<4xf32>
      vector.store %flat, %out[%lane, %c0] : memref<32x4xf32>, vector<4xf32>
      gpu.return
    }
  }
}

// -----

// An mma.sync the emulator does not run (integers) is an error.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @int8(%a: vector<4x4xi8>, %b: vector<2x4xi8>, %c: vector<2x2xi32>, %out: memref<4xi32>) kernel {
      // expected-error @+1 {{'nvgpu.mma.sync' op cannot run on the emulator: it runs m16n8k8 and m16n8k16 on f16 / bf16, m16n8k4 and m16n8k8 on tf32, with f32 accumulators (or f16 ones for f16 inputs)}}
      %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 32]} : (vector<4x4xi8>, vector<2x4xi8>, vector<2x2xi32>) -> vector<2x2xi32>
      gpu.return
    }
  }
}

// -----

// Asynchronous copies are per-thread calls: a copy passes the addresses,
// its 16 bytes, the source's bytes (srcElements x 2), and, its destination
// being a workgroup buffer (number 0, 256 elements), where it lands for the
// race detector; a group is a commit, a wait its group count.
// CHECK-DAG: func.func private @moe_emu_async_copy(i64, i64, i32, i32, i32, i64, i64, i32)
// CHECK-DAG: func.func private @moe_emu_async_commit()
// CHECK-DAG: func.func private @moe_emu_async_wait(i32)
// CHECK-LABEL: func.func private @__moe_emu_kernel_staged(
// CHECK: %[[C16:.*]] = arith.constant 16 : i32
// CHECK: %[[BUFFER:.*]] = arith.constant 0 : i32
// CHECK: %[[EIGHT:.*]] = arith.constant 8 : i32
// CHECK: call @moe_emu_async_copy(%{{.*}}, %{{.*}}, %[[C16]], %{{.*}}, %[[BUFFER]], %{{.*}}, %{{.*}}, %[[EIGHT]])
// CHECK: call @moe_emu_async_commit()
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: call @moe_emu_async_wait(%[[ONE]])
// CHECK-NOT: nvgpu.

// With checks the destination's 8 elements and the source's first and last
// are tested; out of bounds, the copy is skipped and reported.
// BOUNDS-LABEL: func.func private @__moe_emu_kernel_staged(
// BOUNDS: scf.if
// BOUNDS: scf.if
// BOUNDS: call @moe_emu_async_copy(
// BOUNDS: } else {
// BOUNDS: func.call @moe_emu_out_of_bounds(
// BOUNDS: } else {
// BOUNDS: func.call @moe_emu_out_of_bounds(
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @staged(%x: memref<32x8xf16>, %n: index) workgroup(%tile : memref<32x8xf16, #gpu.address_space<workgroup>>) kernel {
      %tx = gpu.thread_id x
      %c0 = arith.constant 0 : index
      %t = nvgpu.device_async_copy %x[%tx, %c0], %tile[%tx, %c0], 8, %n : memref<32x8xf16> to memref<32x8xf16, #gpu.address_space<workgroup>>
      %g = nvgpu.device_async_create_group %t
      nvgpu.device_async_wait %g {numGroups = 1 : i32}
      gpu.return
    }
  }
}

// -----

// amdgpu.mfma needs 64-lane waves (subgroup-size=64, an AMD chip's kernels).
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mfma(%a: vector<4xf16>, %b: vector<4xf16>, %c: vector<4xf32>) kernel {
      // expected-error @+1 {{'amdgpu.mfma' op cannot run on the emulator with 32-lane warps: it runs amdgpu.mfma on 64-lane AMD waves}}
      %d = amdgpu.mfma 16x16x16 %a * %b + %c blgp = none : vector<4xf16>, vector<4xf16>, vector<4xf32>
      gpu.return
    }
  }
}

// -----

// So is any other vendor op.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @wait() kernel {
      // expected-error @+1 {{'amdgpu.lds_barrier' op cannot run on the emulator (emu target)}}
      amdgpu.lds_barrier
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
