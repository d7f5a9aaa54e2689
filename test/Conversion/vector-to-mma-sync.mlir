// RUN: moe-opt %s --split-input-file --pass-pipeline="builtin.module(gpu.module(moe-vector-to-mma-sync))" | FileCheck %s

// A 16 x 8 x 16 f16 contraction between workgroup tiles becomes an ldmatrix
// per operand (A x4; B, stored K x N, x2 transposed), per-lane loads of C, one
// mma.sync and per-lane stores of D, indexed by the lane id. The scalar index
// arithmetic around it (which stops MLIR 22's convert-vector-to-gpu) stays.
// CHECK-LABEL: gpu.func @tile(
// CHECK: %[[ROW:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK: gpu.lane_id
// CHECK: %[[A:.*]] = nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<32x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// CHECK: %[[B:.*]] = nvgpu.ldmatrix %{{.*}} {numTiles = 2 : i32, transpose = true} : memref<16x8xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
// CHECK: vector.load %{{.*}} : memref<32x8xf32>, vector<2xf32>
// CHECK: vector.load %{{.*}} : memref<32x8xf32>, vector<2xf32>
// CHECK: %[[D:.*]] = nvgpu.mma.sync(%[[A]], %[[B]], %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: vector.store %{{.*}} : memref<32x8xf32>, vector<2xf32>
// CHECK: vector.store %{{.*}} : memref<32x8xf32>, vector<2xf32>
// CHECK-NOT: vector.contract
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
#transpose = affine_map<(d0, d1) -> (d1, d0)>
gpu.module @kernels {
  gpu.func @tile(%a: memref<32x16xf16, #gpu.address_space<workgroup>>, %b: memref<16x8xf16, #gpu.address_space<workgroup>>, %c: memref<32x8xf32>, %half: index) kernel {
    %c16 = arith.constant 16 : index
    %c0 = arith.constant 0 : index
    %row = arith.muli %half, %c16 : index
    %pad = arith.constant 0.0 : f16
    %padf = arith.constant 0.0 : f32
    %A = vector.transfer_read %a[%row, %c0], %pad {in_bounds = [true, true]} : memref<32x16xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
    %B = vector.transfer_read %b[%c0, %c0], %pad {in_bounds = [true, true], permutation_map = #transpose} : memref<16x8xf16, #gpu.address_space<workgroup>>, vector<8x16xf16>
    %C = vector.transfer_read %c[%row, %c0], %padf {in_bounds = [true, true]} : memref<32x8xf32>, vector<16x8xf32>
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %B, %C : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    vector.transfer_write %D, %c[%row, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<32x8xf32>
    gpu.return
  }
}

// -----

// An untagged bf16 contraction stays (MLIR 22's conversion has no bf16
// fragments), and so does a kernel without one.
// CHECK-LABEL: gpu.func @bf16(
// CHECK-NOT: nvgpu.
// CHECK: vector.contract
// CHECK-LABEL: gpu.func @scalar(
// CHECK: arith.addi
// CHECK-NOT: nvgpu.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
gpu.module @kernels {
  gpu.func @bf16(%a: memref<16x16xbf16, #gpu.address_space<workgroup>>, %b: memref<8x16xbf16, #gpu.address_space<workgroup>>, %c: memref<16x8xf32>) kernel {
    %c0 = arith.constant 0 : index
    %pad = arith.constant 0.0 : bf16
    %padf = arith.constant 0.0 : f32
    %A = vector.transfer_read %a[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xbf16, #gpu.address_space<workgroup>>, vector<16x16xbf16>
    %B = vector.transfer_read %b[%c0, %c0], %pad {in_bounds = [true, true]} : memref<8x16xbf16, #gpu.address_space<workgroup>>, vector<8x16xbf16>
    %C = vector.transfer_read %c[%c0, %c0], %padf {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %B, %C : vector<16x16xbf16>, vector<8x16xbf16> into vector<16x8xf32>
    vector.transfer_write %D, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
    gpu.return
  }
  gpu.func @scalar(%buf: memref<?xi64>, %i: index) kernel {
    %v = memref.load %buf[%i] : memref<?xi64>
    %w = arith.addi %v, %v : i64
    memref.store %w, %buf[%i] : memref<?xi64>
    gpu.return
  }
}

// -----

// A contraction tagged moe.mma_element = bf16 holds bf16 data as f16 bit
// patterns (the grouped GEMM's tensor-core kernel): it converts as f16, and
// its mma.sync multiplies bf16 fragments (a bitcast of the same bits).
// CHECK-LABEL: gpu.func @tagged(
// CHECK: %[[A:.*]] = nvgpu.ldmatrix {{.*}} -> vector<4x2xf16>
// CHECK: %[[B:.*]] = nvgpu.ldmatrix {{.*}} -> vector<2x2xf16>
// CHECK-DAG: %[[A16:.*]] = arith.bitcast %[[A]] : vector<4x2xf16> to vector<4x2xbf16>
// CHECK-DAG: %[[B16:.*]] = arith.bitcast %[[B]] : vector<2x2xf16> to vector<2x2xbf16>
// CHECK: nvgpu.mma.sync(%[[A16]], %[[B16]], %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-NOT: moe.mma_element
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
gpu.module @kernels {
  gpu.func @tagged(%a: memref<16x16xf16, #gpu.address_space<workgroup>>, %b: memref<8x16xf16, #gpu.address_space<workgroup>>, %c: memref<16x8xf32>) kernel {
    %c0 = arith.constant 0 : index
    %pad = arith.constant 0.0 : f16
    %padf = arith.constant 0.0 : f32
    %A = vector.transfer_read %a[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
    %B = vector.transfer_read %b[%c0, %c0], %pad {in_bounds = [true, true]} : memref<8x16xf16, #gpu.address_space<workgroup>>, vector<8x16xf16>
    %C = vector.transfer_read %c[%c0, %c0], %padf {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %B, %C {moe.mma_element = bf16} : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    vector.transfer_write %D, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
    gpu.return
  }
}
