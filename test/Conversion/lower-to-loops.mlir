// RUN: moe-opt %s -split-input-file --moe-lower-to-loops --verify-each | FileCheck %s
// RUN: moe-opt %s -split-input-file --moe-lower-to-loops=checks=false --verify-each | FileCheck %s --check-prefix=NOCHECK

// Routing: a loop over tokens, the check site for finite logits, the grouped
// selection, results built in fresh buffers handed back as tensors.
// CHECK: module attributes {moe.contracts = [{kind = "finite", op = "moe.route", rank = 2 : i64, tensor = "logits"}]}
// CHECK-LABEL: func @route
// CHECK-SAME: %[[STATUS:[a-z0-9]+]]: memref<6xi64> {moe.status}
// CHECK: %[[L:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<?x16xbf16> to memref<?x16xbf16>
// CHECK-DAG: %[[IDS:.*]] = memref.alloc(%{{.*}}) : memref<?x4xi32>
// CHECK-DAG: %[[W:.*]] = memref.alloc(%{{.*}}) : memref<?x4xf32>
// CHECK: scf.for
// CHECK: math.absf
// CHECK: arith.cmpf uge
// CHECK: memref.store %{{.*}}, %[[STATUS]]
// CHECK: math.exp
// CHECK: bufferization.to_tensor %[[IDS]] restrict writable
// CHECK: bufferization.to_tensor %[[W]] restrict writable
// CHECK-NOT: moe.route
// NOCHECK-NOT: moe.contracts
// NOCHECK-LABEL: func @route
// NOCHECK-NOT: memref<6xi64>
// NOCHECK-NOT: math.absf
func.func @route(%l: tensor<?x16xbf16>, %b: tensor<16xf32>) -> (tensor<?x4xi32>, tensor<?x4xf32>) {
  %ids, %w = moe.route %l bias(%b : tensor<16xf32>) top_k(4) scoring<sigmoid> groups(4, 2) renormalize scaling(2.5) : tensor<?x16xbf16>
  return %ids, %w : tensor<?x4xi32>, tensor<?x4xf32>
}

// -----

// Permute: count, scan into offsets, stable scatter in pair order.
// CHECK: moe.contracts = [{kind = "ids_range", op = "moe.permute", rank = 2 : i64, tensor = "ids"}]
// CHECK-LABEL: func @permute
// CHECK-DAG: %[[XP:.*]] = memref.alloc(%{{.*}}) : memref<?x32xf16>
// CHECK-DAG: %[[OFF:.*]] = memref.alloc() : memref<5xi32>
// CHECK-DAG: %[[ROWS:.*]] = memref.alloc(%{{.*}}) : memref<?xi32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.store %{{.*}}, %[[OFF]]
// CHECK: bufferization.to_tensor %[[XP]]
// CHECK: bufferization.to_tensor %[[OFF]]
// CHECK: bufferization.to_tensor %[[ROWS]]
func.func @permute(%x: tensor<?x32xf16>, %ids: tensor<?x2xi32>) -> (tensor<?x32xf16>, tensor<5xi32>, tensor<?xi32>) {
  %xp, %offsets, %rows = moe.permute %x, %ids experts(4) : tensor<?x32xf16>, tensor<?x2xi32>
  return %xp, %offsets, %rows : tensor<?x32xf16>, tensor<5xi32>, tensor<?xi32>
}

// -----

// Dispatch with a dynamic capacity: the capacity contract, padded buffers.
// CHECK: moe.contracts = [{kind = "capacity", op = "moe.dispatch", rank = 0 : i64, tensor = "capacity"}, {kind = "ids_range", op = "moe.dispatch", rank = 2 : i64, tensor = "ids"}]
// CHECK-LABEL: func @dispatch
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : index
// CHECK: %[[ROWS:.*]] = memref.alloc(%{{.*}}) : memref<?xi32>
// CHECK: linalg.fill ins(%{{.*}} : i32) outs(%[[ROWS]] : memref<?xi32>)
func.func @dispatch(%x: tensor<?x8xf32>, %ids: tensor<?x1xi32>, %c: index) -> (tensor<?x8xf32>, tensor<4xi32>, tensor<?xi32>) {
  %xp, %counts, %rows = moe.dispatch %x, %ids experts(4) capacity(%c) : tensor<?x8xf32>, tensor<?x1xi32>
  return %xp, %counts, %rows : tensor<?x8xf32>, tensor<4xi32>, tensor<?xi32>
}

// -----

// Grouped GEMM, CSR: the three offsets checks, a per-row f32 accumulator,
// gated SiLU epilogue rounded to bf16.
// CHECK: moe.contracts = [{kind = "offsets_start", {{.*}}}, {kind = "offsets_monotone", {{.*}}}, {kind = "offsets_end", {{.*}}}]
// CHECK-LABEL: func @grouped_gemm
// CHECK: %[[Y:.*]] = memref.alloc(%{{.*}}) : memref<?x16xbf16>
// CHECK: %[[ACC:.*]] = memref.alloc() : memref<32xf32>
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: math.exp
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: bufferization.to_tensor %[[Y]]
func.func @grouped_gemm(%x: tensor<?x8xbf16>, %w: tensor<4x8x32xbf16>, %o: tensor<5xi32>) -> tensor<?x16xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) activation<silu> gated : tensor<?x8xbf16>, tensor<4x8x32xbf16>, tensor<5xi32>
  return %y : tensor<?x16xbf16>
}

// -----

// Grouped GEMM in the fused forms: gathered rows checked, counts checked,
// then the combine into token order.
// CHECK: moe.contracts = [{kind = "rows_range", op = "moe.grouped_gemm", rank = 1 : i64, tensor = "gather rows"}, {kind = "counts_range", op = "moe.grouped_gemm", rank = 1 : i64, tensor = "counts"}, {kind = "rows_range", op = "moe.grouped_gemm", rank = 1 : i64, tensor = "combine rows"}]
// CHECK-LABEL: func @grouped_gemm_fused
// CHECK: arith.divui
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: bufferization.to_tensor %[[OUT]]
func.func @grouped_gemm_fused(%x: tensor<?x8xf32>, %w: tensor<4x8x8xf32>, %c: tensor<4xi32>, %rows: tensor<16xi32>, %rw: tensor<?x2xf32>) -> tensor<?x8xf32> {
  %y = moe.grouped_gemm %x, %w, counts(%c) gather(%rows : tensor<16xi32>, k = 2) combine(%rows : tensor<16xi32>, %rw : tensor<?x2xf32>) activation<relu> : tensor<?x8xf32>, tensor<4x8x8xf32>, tensor<4xi32>
  return %y : tensor<?x8xf32>
}

// -----

// Unpermute: invert rows once, then each token sums its K slots in order.
// CHECK: moe.contracts = [{kind = "rows_range", op = "moe.unpermute", rank = 1 : i64, tensor = "rows"}]
// CHECK-LABEL: func @unpermute
// CHECK: %[[HOLDER:.*]] = memref.alloc(%{{.*}}) : memref<?xi32>
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x16xf16>
// CHECK: %[[ACC:.*]] = memref.alloc() : memref<16xf32>
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @unpermute(%y: tensor<?x16xf16>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x16xf16> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x16xf16>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x16xf16>
}

// -----

// Balance loss into a 0-d buffer.
// CHECK-LABEL: func @balance_loss
// CHECK: %[[L:.*]] = memref.alloc() : memref<f32>
// CHECK: bufferization.to_tensor %[[L]]
func.func @balance_loss(%l: tensor<?x8xf32>, %ids: tensor<?x2xi32>) -> tensor<f32> {
  %0 = moe.balance_loss %l, %ids : tensor<?x8xf32>, tensor<?x2xi32>
  return %0 : tensor<f32>
}
