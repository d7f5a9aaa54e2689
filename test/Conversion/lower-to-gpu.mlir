// RUN: moe-opt %s --split-input-file --moe-lower-to-gpu | FileCheck %s

// The grouped GEMM: a zero fill of y (rows owned by no expert), then one
// tiled launch over ceil(M/64) + E row-tiles x ceil(width/64) column-tiles,
// 16x16 threads, x and both weight halves staged in workgroup memory between
// barriers, each block locating its expert in the offsets.
// CHECK-LABEL: func.func @gated_gemm(
// CHECK: %[[Y:[a-z0-9_]+]] = memref.alloc(%{{.*}}) : memref<?x128xbf16>
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[Y]]
// CHECK: %[[TILES:[a-z0-9_]+]] = arith.ceildivui %{{.*}}, %c64
// CHECK: %[[GRIDX:[a-z0-9_]+]] = arith.addi %[[TILES]], %{{.*}} : index
// CHECK: gpu.launch blocks(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %[[GRIDX]], %{{[a-z0-9]+}} = %{{[a-z0-9_]+}}, %{{[a-z0-9]+}} = %{{[a-z0-9_]+}}) threads(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}})
// CHECK-SAME: workgroup(%[[A:[a-z0-9_]+]] : memref<64x16xf32, #gpu.address_space<workgroup>>, %[[B:[a-z0-9_]+]] : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[UP:[a-z0-9_]+]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for {{.*}} iter_args
// CHECK: memref.store %{{.*}}, %[[A]][
// CHECK: memref.store %{{.*}}, %[[B]][
// CHECK: memref.store %{{.*}}, %[[UP]][
// CHECK: gpu.barrier
// CHECK: memref.load %[[A]][
// CHECK: gpu.barrier
// CHECK: math.exp
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: memref.store %{{.*}}, %[[Y]][
func.func @gated_gemm(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %o: tensor<9xi32>) -> tensor<?x128xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}

// -----

// Gather and combine forms: rows read token rows[r] / K; the result is
// combined by three flat kernels, the pair claimed by an atomic min.
// CHECK-LABEL: func.func @gather_combine(
// CHECK: gpu.launch
// CHECK: gpu.launch {{.*}} workgroup(
// CHECK: arith.divui %{{.*}}, %c2
// CHECK: gpu.launch
// CHECK: gpu.launch
// CHECK: memref.atomic_rmw mins
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: arith.mulf
func.func @gather_combine(%x: tensor<?x32xf16>, %w: tensor<4x16x32xf16>, %c: tensor<4xi32>, %rows: tensor<24xi32>, %rw: tensor<?x2xf32>) -> tensor<?x16xf16> {
  %y = moe.grouped_gemm %x, %w, counts(%c) gather(%rows : tensor<24xi32>, k = 2) combine(%rows : tensor<24xi32>, %rw : tensor<?x2xf32>) activation<relu> layout<eoi> : tensor<?x32xf16>, tensor<4x16x32xf16>, tensor<4xi32>
  return %y : tensor<?x16xf16>
}

// -----

// CHECK-LABEL: func.func @unpermute(
// CHECK: memref.atomic_rmw mins
// CHECK: gpu.launch
func.func @unpermute(%y: tensor<?x8xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x8xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x8xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x8xf32>
}
