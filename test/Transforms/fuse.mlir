// RUN: moe-opt %s -split-input-file --moe-fuse --verify-each | FileCheck %s
// RUN: moe-opt %s -split-input-file --moe-decompose --moe-fuse --verify-each | FileCheck %s --check-prefix=LAYER

// permute -> grouped_gemm: the GEMM reads the token matrix x through the
// permute's rows, with K taken from the ids (3 here).
// CHECK-LABEL: func @gather_permute
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[IDS:.*]]: tensor<?x3xi32>, %[[W:.*]]: tensor<8x64x32xf32>)
// CHECK: %{{.*}}, %[[OFF:.*]], %[[ROWS:.*]] = moe.permute %[[X]], %[[IDS]] experts(8) : tensor<?x64xf32>, tensor<?x3xi32>
// CHECK-NEXT: %[[Y:.*]] = moe.grouped_gemm %[[X]], %[[W]], offsets(%[[OFF]]) gather(%[[ROWS]] : tensor<?xi32>, k = 3) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
// CHECK-NEXT: return %[[Y]] : tensor<?x16xf32>
func.func @gather_permute(%x: tensor<?x64xf32>, %ids: tensor<?x3xi32>, %w: tensor<8x64x32xf32>) -> tensor<?x16xf32> {
  %xp, %off, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf32>, tensor<?x3xi32>
  %y = moe.grouped_gemm %xp, %w, offsets(%off) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  return %y : tensor<?x16xf32>
}

// -----

// grouped_gemm -> unpermute: the GEMM takes the unpermute's rows and weights
// and produces the token-order [T, Out] = [6, 64] result itself; the
// unpermute is gone.
// CHECK-LABEL: func @combine_unpermute
// CHECK-SAME: (%[[H:.*]]: tensor<12x16xf32>, %[[W:.*]]: tensor<8x16x64xf32>, %[[OFF:.*]]: tensor<9xi32>, %[[ROWS:.*]]: tensor<12xi32>, %[[RW:.*]]: tensor<6x2xf32>)
// CHECK-NOT: moe.unpermute
// CHECK: %[[Y:.*]] = moe.grouped_gemm %[[H]], %[[W]], offsets(%[[OFF]]) combine(%[[ROWS]] : tensor<12xi32>, %[[RW]] : tensor<6x2xf32>) : tensor<12x16xf32>, tensor<8x16x64xf32>, tensor<9xi32>
// CHECK-NEXT: return %[[Y]] : tensor<6x64xf32>
func.func @combine_unpermute(%h: tensor<12x16xf32>, %w: tensor<8x16x64xf32>, %off: tensor<9xi32>, %rows: tensor<12xi32>, %rw: tensor<6x2xf32>) -> tensor<6x64xf32> {
  %y = moe.grouped_gemm %h, %w, offsets(%off) : tensor<12x16xf32>, tensor<8x16x64xf32>, tensor<9xi32>
  %out = moe.unpermute %y, %rows, %rw : tensor<12x64xf32>, tensor<12xi32>, tensor<6x2xf32>
  return %out : tensor<6x64xf32>
}

// -----

// One GEMM between a permute and an unpermute takes both fused forms, with
// the same rows.
// CHECK-LABEL: func @gather_and_combine
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[IDS:.*]]: tensor<?x2xi32>, %[[RW:.*]]: tensor<?x2xf32>, %[[W:.*]]: tensor<8x64x64xf32>)
// CHECK: %{{.*}}, %[[OFF:.*]], %[[ROWS:.*]] = moe.permute %[[X]], %[[IDS]] experts(8)
// CHECK-NEXT: %[[Y:.*]] = moe.grouped_gemm %[[X]], %[[W]], offsets(%[[OFF]]) gather(%[[ROWS]] : tensor<?xi32>, k = 2) combine(%[[ROWS]] : tensor<?xi32>, %[[RW]] : tensor<?x2xf32>) activation<relu> : tensor<?x64xf32>, tensor<8x64x64xf32>, tensor<9xi32>
// CHECK-NEXT: return %[[Y]] : tensor<?x64xf32>
func.func @gather_and_combine(%x: tensor<?x64xf32>, %ids: tensor<?x2xi32>, %rw: tensor<?x2xf32>, %w: tensor<8x64x64xf32>) -> tensor<?x64xf32> {
  %xp, %off, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf32>, tensor<?x2xi32>
  %y = moe.grouped_gemm %xp, %w, offsets(%off) activation<relu> : tensor<?x64xf32>, tensor<8x64x64xf32>, tensor<9xi32>
  %out = moe.unpermute %y, %rows, %rw : tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x64xf32>
}

// -----

// A whole decomposed layer: the first (gated) GEMM gathers the tokens through
// the permute's rows, the second combines with the router's weights.
// LAYER-LABEL: func @layer_dropless
// LAYER-SAME: (%[[X:.*]]: tensor<?x64xbf16>, %[[R:.*]]: tensor<64x8xbf16>, %[[W1:.*]]: tensor<8x64x64xbf16>, %[[W2:.*]]: tensor<8x32x64xbf16>)
// LAYER: %[[IDS:.*]], %[[WTS:.*]] = moe.route %{{.*}} top_k(2) renormalize : tensor<?x8xf32>
// LAYER-NEXT: %{{.*}}, %[[OFF:.*]], %[[ROWS:.*]] = moe.permute %[[X]], %[[IDS]] experts(8) : tensor<?x64xbf16>, tensor<?x2xi32>
// LAYER-NEXT: %[[H:.*]] = moe.grouped_gemm %[[X]], %[[W1]], offsets(%[[OFF]]) gather(%[[ROWS]] : tensor<?xi32>, k = 2) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x64xbf16>, tensor<9xi32>
// LAYER-NEXT: %[[OUT:.*]] = moe.grouped_gemm %[[H]], %[[W2]], offsets(%[[OFF]]) combine(%[[ROWS]] : tensor<?xi32>, %[[WTS]] : tensor<?x2xf32>) : tensor<?x32xbf16>, tensor<8x32x64xbf16>, tensor<9xi32>
// LAYER-NEXT: return %[[OUT]] : tensor<?x64xbf16>
// Without moe-decompose, moe-fuse leaves the layer alone.
// CHECK-LABEL: func @layer_dropless
// CHECK-NEXT: moe.layer
func.func @layer_dropless(%x: tensor<?x64xbf16>, %router: tensor<64x8xbf16>, %w1: tensor<8x64x64xbf16>, %w2: tensor<8x32x64xbf16>) -> tensor<?x64xbf16> {
  %out = moe.layer %x, %router, %w1, %w2 top_k(2) renormalize activation<silu> gated : tensor<?x64xbf16>, tensor<64x8xbf16>, tensor<8x64x64xbf16>, tensor<8x32x64xbf16>
  return %out : tensor<?x64xbf16>
}

// -----

// A capacity-limited layer: both GEMMs use the dispatch's counts and rows;
// the second one produces the [T, H] = [16, 32] output.
// LAYER-LABEL: func @layer_capacity
// LAYER-SAME: (%[[X:.*]]: tensor<16x32xf16>, %[[R:.*]]: tensor<32x8xf16>, %[[W1:.*]]: tensor<8x64x32xf16>, %[[W2:.*]]: tensor<8x32x64xf16>)
// LAYER: %[[IDS:.*]], %[[WTS:.*]] = moe.route
// LAYER-NEXT: %{{.*}}, %[[COUNTS:.*]], %[[ROWS:.*]] = moe.dispatch %[[X]], %[[IDS]] experts(8) capacity(5) : tensor<16x32xf16>, tensor<16x2xi32>
// LAYER-NEXT: %[[H:.*]] = moe.grouped_gemm %[[X]], %[[W1]], counts(%[[COUNTS]]) gather(%[[ROWS]] : tensor<40xi32>, k = 2) activation<gelu> layout<eoi> : tensor<16x32xf16>, tensor<8x64x32xf16>, tensor<8xi32>
// LAYER-NEXT: %[[OUT:.*]] = moe.grouped_gemm %[[H]], %[[W2]], counts(%[[COUNTS]]) combine(%[[ROWS]] : tensor<40xi32>, %[[WTS]] : tensor<16x2xf32>) layout<eoi> : tensor<40x64xf16>, tensor<8x32x64xf16>, tensor<8xi32>
// LAYER-NEXT: return %[[OUT]] : tensor<16x32xf16>
func.func @layer_capacity(%x: tensor<16x32xf16>, %router: tensor<32x8xf16>, %w1: tensor<8x64x32xf16>, %w2: tensor<8x32x64xf16>) -> tensor<16x32xf16> {
  %out = moe.layer %x, %router, %w1, %w2 top_k(2) activation<gelu> layout<eoi> capacity_factor(1.25) : tensor<16x32xf16>, tensor<32x8xf16>, tensor<8x64x32xf16>, tensor<8x32x64xf16>
  return %out : tensor<16x32xf16>
}

// -----

// dispatch -> grouped_gemm with counts: the gather form reads the dispatch's
// rows (E·C = 40 of them, -1 for empty slots), keeping the counts segments
// and the padded [E·C, Out] result.
// CHECK-LABEL: func @gather_dispatch
// CHECK-SAME: (%[[X:.*]]: tensor<16x32xf16>, %[[IDS:.*]]: tensor<16x2xi32>, %[[W:.*]]: tensor<8x64x32xf16>)
// CHECK: %{{.*}}, %[[COUNTS:.*]], %[[ROWS:.*]] = moe.dispatch %[[X]], %[[IDS]] experts(8) capacity(5) : tensor<16x32xf16>, tensor<16x2xi32>
// CHECK-NEXT: %[[Y:.*]] = moe.grouped_gemm %[[X]], %[[W]], counts(%[[COUNTS]]) gather(%[[ROWS]] : tensor<40xi32>, k = 2) activation<gelu> layout<eoi> : tensor<16x32xf16>, tensor<8x64x32xf16>, tensor<8xi32>
// CHECK-NEXT: return %[[Y]] : tensor<40x64xf16>
func.func @gather_dispatch(%x: tensor<16x32xf16>, %ids: tensor<16x2xi32>, %w: tensor<8x64x32xf16>) -> tensor<40x64xf16> {
  %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(5) : tensor<16x32xf16>, tensor<16x2xi32>
  %y = moe.grouped_gemm %xp, %w, counts(%counts) activation<gelu> layout<eoi> : tensor<40x32xf16>, tensor<8x64x32xf16>, tensor<8xi32>
  return %y : tensor<40x64xf16>
}

// -----

// Negative: the GEMM's permuted-order result is also returned, so it must
// stay materialized; no combine fusion, the unpermute stays.
// CHECK-LABEL: func @no_combine_two_uses
// CHECK-SAME: (%[[H:.*]]: tensor<?x16xf32>, %[[W:.*]]: tensor<8x16x64xf32>, %[[OFF:.*]]: tensor<9xi32>, %[[ROWS:.*]]: tensor<?xi32>, %[[RW:.*]]: tensor<?x2xf32>)
// CHECK-NEXT: %[[Y:.*]] = moe.grouped_gemm %[[H]], %[[W]], offsets(%[[OFF]]) : tensor<?x16xf32>, tensor<8x16x64xf32>, tensor<9xi32>
// CHECK-NEXT: %[[OUT:.*]] = moe.unpermute %[[Y]], %[[ROWS]], %[[RW]] : tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>
// CHECK-NEXT: return %[[OUT]], %[[Y]] : tensor<?x64xf32>, tensor<?x64xf32>
func.func @no_combine_two_uses(%h: tensor<?x16xf32>, %w: tensor<8x16x64xf32>, %off: tensor<9xi32>, %rows: tensor<?xi32>, %rw: tensor<?x2xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %y = moe.grouped_gemm %h, %w, offsets(%off) : tensor<?x16xf32>, tensor<8x16x64xf32>, tensor<9xi32>
  %out = moe.unpermute %y, %rows, %rw : tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out, %y : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Negative: with a dynamic K the gather's `k` is unknown, so the GEMM keeps
// reading the permuted matrix.
// CHECK-LABEL: func @no_gather_dynamic_k
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[IDS:.*]]: tensor<?x?xi32>, %[[W:.*]]: tensor<8x64x32xf32>)
// CHECK-NEXT: %[[XP:.*]], %[[OFF:.*]], %{{.*}} = moe.permute %[[X]], %[[IDS]] experts(8) : tensor<?x64xf32>, tensor<?x?xi32>
// CHECK-NEXT: %[[Y:.*]] = moe.grouped_gemm %[[XP]], %[[W]], offsets(%[[OFF]]) : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
// CHECK-NEXT: return %[[Y]] : tensor<?x32xf32>
func.func @no_gather_dynamic_k(%x: tensor<?x64xf32>, %ids: tensor<?x?xi32>, %w: tensor<8x64x32xf32>) -> tensor<?x32xf32> {
  %xp, %off, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf32>, tensor<?x?xi32>
  %y = moe.grouped_gemm %xp, %w, offsets(%off) : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  return %y : tensor<?x32xf32>
}
