// RUN: moe-opt %s -split-input-file --moe-hoist-amx-accumulators --canonicalize --cse --verify-each | FileCheck %s

// The k loop of one AMX tile as convert-vector-to-amx leaves it: the
// accumulator is loaded and stored around each tdpbf16ps. Unrolled, every
// store feeds the next load directly: one load before the four products,
// one store after them.
// CHECK-LABEL: func.func @k_loop(
// CHECK-SAME: %[[X:[^:]*]]: memref<16x128xbf16>, %[[W:[^:]*]]: memref<64x32xbf16>, %[[ACC:[^:]*]]: memref<16x16xf32>)
// CHECK-NOT: scf.for
// CHECK: %[[C:.*]] = amx.tile_load %{{.*}} : memref<16x16xf32, strided<[16, 1]>> into !amx.tile<16x16xf32>
// CHECK: %[[D0:.*]] = amx.tile_mulf %{{.*}}, %{{.*}}, %[[C]]
// CHECK-NOT: amx.tile_store
// CHECK-NOT: amx.tile_load %{{.*}} into !amx.tile<16x16xf32>
// CHECK: %[[D1:.*]] = amx.tile_mulf %{{.*}}, %{{.*}}, %[[D0]]
// CHECK: %[[D2:.*]] = amx.tile_mulf %{{.*}}, %{{.*}}, %[[D1]]
// CHECK: %[[D3:.*]] = amx.tile_mulf %{{.*}}, %{{.*}}, %[[D2]]
// CHECK: amx.tile_store %{{.*}}[%c0, %c0], %[[D3]]
// CHECK-NEXT: return
func.func @k_loop(%x: memref<16x128xbf16>, %w: memref<64x32xbf16>, %acc: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.for %k = %c0 to %c4 step %c1 {
    %kx = arith.muli %k, %c32 : index
    %kw = arith.muli %k, %c16 : index
    %a = amx.tile_load %x[%c0, %kx] : memref<16x128xbf16> into !amx.tile<16x32xbf16>
    %b = amx.tile_load %w[%kw, %c0] : memref<64x32xbf16> into !amx.tile<16x32xbf16>
    %view = memref.subview %acc[0, 0] [16, 16] [1, 1] : memref<16x16xf32> to memref<16x16xf32, strided<[16, 1]>>
    %c = amx.tile_load %view[%c0, %c0] : memref<16x16xf32, strided<[16, 1]>> into !amx.tile<16x16xf32>
    %d = amx.tile_mulf %a, %b, %c : !amx.tile<16x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<16x16xf32>
    %view2 = memref.subview %acc[0, 0] [16, 16] [1, 1] : memref<16x16xf32> to memref<16x16xf32, strided<[16, 1]>>
    amx.tile_store %view2[%c0, %c0], %d : memref<16x16xf32, strided<[16, 1]>>, !amx.tile<16x16xf32>
  }
  return
}

// -----

// Something else in the loop writes the accumulator's buffer: each step
// keeps its load and store.
// CHECK-LABEL: func.func @written_between(
// CHECK-COUNT-2: amx.tile_store
// CHECK-NOT: amx.tile_store
func.func @written_between(%x: memref<16x64xbf16>, %w: memref<32x32xbf16>, %acc: memref<16x16xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.for %k = %c0 to %c2 step %c1 {
    %kx = arith.muli %k, %c32 : index
    %kw = arith.muli %k, %c16 : index
    %a = amx.tile_load %x[%c0, %kx] : memref<16x64xbf16> into !amx.tile<16x32xbf16>
    %b = amx.tile_load %w[%kw, %c0] : memref<32x32xbf16> into !amx.tile<16x32xbf16>
    %c = amx.tile_load %acc[%c0, %c0] : memref<16x16xf32> into !amx.tile<16x16xf32>
    %d = amx.tile_mulf %a, %b, %c : !amx.tile<16x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<16x16xf32>
    amx.tile_store %acc[%c0, %c0], %d : memref<16x16xf32>, !amx.tile<16x16xf32>
    memref.store %v, %acc[%c0, %k] : memref<16x16xf32>
  }
  return
}

// -----

// A k loop of unknown length is left alone.
// CHECK-LABEL: func.func @dynamic_steps(
// CHECK: scf.for
// CHECK: amx.tile_load %{{.*}} into !amx.tile<16x16xf32>
// CHECK: amx.tile_store
func.func @dynamic_steps(%x: memref<16x?xbf16>, %w: memref<?x32xbf16>, %acc: memref<16x16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.for %k = %c0 to %n step %c1 {
    %kx = arith.muli %k, %c32 : index
    %kw = arith.muli %k, %c16 : index
    %a = amx.tile_load %x[%c0, %kx] : memref<16x?xbf16> into !amx.tile<16x32xbf16>
    %b = amx.tile_load %w[%kw, %c0] : memref<?x32xbf16> into !amx.tile<16x32xbf16>
    %c = amx.tile_load %acc[%c0, %c0] : memref<16x16xf32> into !amx.tile<16x16xf32>
    %d = amx.tile_mulf %a, %b, %c : !amx.tile<16x32xbf16>, !amx.tile<16x32xbf16>, !amx.tile<16x16xf32>
    amx.tile_store %acc[%c0, %c0], %d : memref<16x16xf32>, !amx.tile<16x16xf32>
  }
  return
}
