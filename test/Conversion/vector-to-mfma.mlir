// RUN: moe-opt %s --split-input-file --pass-pipeline="builtin.module(gpu.module(moe-vector-to-mfma))" | FileCheck %s

// The grouped GEMM's form: two 16 x 16 x 16 f16 contractions per K step into
// accumulators carried by the K loop, the weight read plainly (N x K) and
// transposed (K x N). Each lane loads its 4 consecutive K elements of a row
// of x (one vector load), of the transposed weight one by one; the loop
// carries vector<4xf32>; each lane stores rows 4 (l / 16) .. + 3 of column
// l % 16.
// CHECK-LABEL: gpu.func @loop(
// CHECK: %[[LANE:.*]] = gpu.lane_id
// CHECK: %[[MINOR:.*]] = arith.remui %[[LANE]], %c16
// CHECK: %[[DIV:.*]] = arith.divui %[[LANE]], %c16
// CHECK: %[[MAJOR:.*]] = arith.muli %[[DIV]], %c4
// CHECK: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<4xf32>
// CHECK: scf.for {{.*}} iter_args(%[[ACC0:.*]] = %[[ZERO]], %[[ACC1:.*]] = %[[ZERO]]) -> (vector<4xf32>, vector<4xf32>)
// CHECK: %[[AROW:.*]] = arith.addi %{{.*}}, %[[MINOR]]
// CHECK: %[[ACOL:.*]] = arith.addi %{{.*}}, %[[MAJOR]]
// CHECK: %[[A:.*]] = vector.load %{{.*}}[%[[AROW]], %[[ACOL]]] : memref<16x64xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// CHECK: %[[B:.*]] = vector.load %{{.*}} : memref<16x64xf16, #gpu.address_space<workgroup>>, vector<4xf16>
// CHECK: %[[D0:.*]] = amdgpu.mfma 16x16x16 %[[A]] * %[[B]] + %[[ACC0]] blgp = none : vector<4xf16>, vector<4xf16>, vector<4xf32>
// CHECK-COUNT-4: memref.load %{{.*}} : memref<64x16xf16, #gpu.address_space<workgroup>>
// CHECK: %[[BT:.*]] = vector.from_elements %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : vector<4xf16>
// CHECK: %[[D1:.*]] = amdgpu.mfma 16x16x16 %[[A]] * %[[BT]] + %[[ACC1]] blgp = none
// CHECK: scf.yield %[[D0]], %[[D1]] : vector<4xf32>, vector<4xf32>
// CHECK: %[[COLUMN:.*]] = arith.addi %c0, %[[MINOR]]
// CHECK: vector.extract %{{.*}}[0] : f32 from vector<4xf32>
// CHECK-COUNT-4: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %[[COLUMN]]] : memref<16x16xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.transfer
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
#transpose = affine_map<(d0, d1) -> (d1, d0)>
gpu.module @kernels {
  gpu.func @loop(%x: memref<16x64xf16, #gpu.address_space<workgroup>>, %w: memref<16x64xf16, #gpu.address_space<workgroup>>, %wt: memref<64x16xf16, #gpu.address_space<workgroup>>, %y: memref<16x16xf32, #gpu.address_space<workgroup>>, %yt: memref<16x16xf32, #gpu.address_space<workgroup>>) kernel {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %pad = arith.constant 0.0 : f16
    %zero = arith.constant dense<0.0> : vector<16x16xf32>
    %r:2 = scf.for %k = %c0 to %c64 step %c16 iter_args(%acc = %zero, %acct = %zero) -> (vector<16x16xf32>, vector<16x16xf32>) {
      %A = vector.transfer_read %x[%c0, %k], %pad {in_bounds = [true, true]} : memref<16x64xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
      %B = vector.transfer_read %w[%c0, %k], %pad {in_bounds = [true, true]} : memref<16x64xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
      %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %B, %acc : vector<16x16xf16>, vector<16x16xf16> into vector<16x16xf32>
      %BT = vector.transfer_read %wt[%k, %c0], %pad {in_bounds = [true, true], permutation_map = #transpose} : memref<64x16xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
      %DT = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %BT, %acct : vector<16x16xf16>, vector<16x16xf16> into vector<16x16xf32>
      scf.yield %D, %DT : vector<16x16xf32>, vector<16x16xf32>
    }
    vector.transfer_write %r#0, %y[%c0, %c0] {in_bounds = [true, true]} : vector<16x16xf32>, memref<16x16xf32, #gpu.address_space<workgroup>>
    vector.transfer_write %r#1, %yt[%c0, %c0] {in_bounds = [true, true]} : vector<16x16xf32>, memref<16x16xf32, #gpu.address_space<workgroup>>
    gpu.return
  }
}

// -----

// A contraction tagged moe.mma_element = bf16 (bf16 data as f16 bits)
// multiplies bf16 fragments; an accumulator read from memory is loaded in
// D's layout. A contraction of another shape (mma.sync's 16 x 8) is left.
// CHECK-LABEL: gpu.func @tagged(
// CHECK: %[[A:.*]] = vector.load {{.*}} vector<4xf16>
// CHECK: %[[B:.*]] = vector.load {{.*}} vector<4xf16>
// CHECK-COUNT-4: memref.load %{{.*}} : memref<16x16xf32>
// CHECK: %[[C:.*]] = vector.from_elements {{.*}} : vector<4xf32>
// CHECK-DAG: %[[A16:.*]] = arith.bitcast %[[A]] : vector<4xf16> to vector<4xbf16>
// CHECK-DAG: %[[B16:.*]] = arith.bitcast %[[B]] : vector<4xf16> to vector<4xbf16>
// CHECK: amdgpu.mfma 16x16x16 %[[A16]] * %[[B16]] + %[[C]] blgp = none : vector<4xbf16>, vector<4xbf16>, vector<4xf32>
// CHECK-LABEL: gpu.func @other_shape(
// CHECK-NOT: amdgpu.mfma
// CHECK: vector.contract
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
gpu.module @kernels {
  gpu.func @tagged(%a: memref<16x16xf16>, %b: memref<16x16xf16>, %c: memref<16x16xf32>) kernel {
    %c0 = arith.constant 0 : index
    %pad = arith.constant 0.0 : f16
    %padf = arith.constant 0.0 : f32
    %A = vector.transfer_read %a[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf16>, vector<16x16xf16>
    %B = vector.transfer_read %b[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf16>, vector<16x16xf16>
    %C = vector.transfer_read %c[%c0, %c0], %padf {in_bounds = [true, true]} : memref<16x16xf32>, vector<16x16xf32>
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %B, %C {moe.mma_element = bf16} : vector<16x16xf16>, vector<16x16xf16> into vector<16x16xf32>
    vector.transfer_write %D, %c[%c0, %c0] {in_bounds = [true, true]} : vector<16x16xf32>, memref<16x16xf32>
    gpu.return
  }
  gpu.func @other_shape(%a: vector<16x16xf16>, %b: vector<8x16xf16>, %c: vector<16x8xf32>, %out: memref<16x8xf32>) kernel {
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    %c0 = arith.constant 0 : index
    vector.store %D, %out[%c0, %c0] : memref<16x8xf32>, vector<16x8xf32>
    gpu.return
  }
}
