// RUN: moe-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(moe-split-reductions))" | FileCheck %s
// RUN: moe-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(moe-split-reductions{chunk=256}))" | FileCheck %s --check-prefix=RATIO

// The router matmul of a 2048-wide layer: partial sums over 32 chunks of 64
// (a parallel chunk dimension), then their sum, which starts from the
// original fill, moved next to it.
// CHECK-LABEL: func.func @router(
// CHECK: %[[PARTIAL:.*]] = linalg.fill {{.*}} -> tensor<?x128x32xf32>
// CHECK: %[[SPLIT:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: outs(%[[PARTIAL]] : tensor<?x128x32xf32>)
// CHECK: %[[INIT:.*]] = linalg.fill {{.*}} -> tensor<?x128xf32>
// CHECK-NEXT: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[SPLIT]] : tensor<?x128x32xf32>) outs(%[[INIT]] : tensor<?x128xf32>)
// RATIO-LABEL: func.func @router(
// RATIO: tensor<?x128x8xf32>
// RATIO: tensor.empty() : tensor<8x256xi1>
func.func @router(%x: tensor<?x2048xbf16>, %w: tensor<2048x128xbf16>) -> tensor<?x128xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x2048xbf16>
  %empty = tensor.empty(%t) : tensor<?x128xf32>
  %zero = arith.constant 0.0 : f32
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x128xf32>) -> tensor<?x128xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<2048x128xbf16>) outs(%init : tensor<?x128xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// Short reductions (a 64-wide layer) and dynamic ones stay.
// CHECK-LABEL: func.func @short(
// CHECK: linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK-LABEL: func.func @dynamic(
// CHECK: linalg.matmul
// CHECK-NOT: linalg.generic
func.func @short(%x: tensor<?x64xf32>, %w: tensor<64x8xf32>, %init: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x8xf32>) outs(%init : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
func.func @dynamic(%x: tensor<?x?xf32>, %w: tensor<?x8xf32>, %init: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = linalg.matmul ins(%x, %w : tensor<?x?xf32>, tensor<?x8xf32>) outs(%init : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
