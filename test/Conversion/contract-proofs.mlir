// RUN: moe-opt %s --split-input-file --moe-select-tiles=target=emu --moe-lower-to-gpu | FileCheck %s

// A layer's chain: route's ids are in range for permute, permute's offsets
// own the grouped GEMM's rows, its rows are unpermute's. Those contracts
// hold by construction, so only the router logits are checked (two
// launches), and no zero kernel clears rows no expert owns.
// CHECK: moe.contracts = [{kind = "finite", op = "moe.route", rank = 2 : i64, tensor = "logits"}]
// CHECK-LABEL: func.func @layer(
// CHECK: function(@route_logits_check)
// CHECK: function(@route_logits_report)
// CHECK-NOT: _check)
// CHECK-NOT: grouped_gemm_zero
// CHECK: function(@grouped_gemm)
// CHECK-NOT: _check)
// CHECK: function(@unpermute_sum)
func.func @layer(%x: tensor<?x64xbf16>, %l: tensor<?x8xf32>, %w1: tensor<8x64x64xbf16>, %w2: tensor<8x64x64xbf16>) -> tensor<?x64xbf16> {
  %ids, %wts = moe.route %l top_k(2) : tensor<?x8xf32>
  %xp, %off, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xbf16>, tensor<?x2xi32>
  %h = moe.grouped_gemm %xp, %w1, offsets(%off) activation<silu> : tensor<?x64xbf16>, tensor<8x64x64xbf16>, tensor<9xi32>
  %y = moe.grouped_gemm %h, %w2, offsets(%off) : tensor<?x64xbf16>, tensor<8x64x64xbf16>, tensor<9xi32>
  %out = moe.unpermute %y, %rows, %wts : tensor<?x64xbf16>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x64xbf16>
}

// -----

// Offsets the caller passes, or a permute's offsets with rows of another
// tensor (its row count need not be offsets[E]), are checked; ids that are
// not route's are checked too.
// CHECK: moe.contracts = [{kind = "offsets_start", op = "moe.grouped_gemm"
// CHECK-SAME: {kind = "ids_range", op = "moe.permute"
// CHECK-SAME: {kind = "offsets_start", op = "moe.grouped_gemm"
// CHECK-LABEL: func.func @caller_offsets(
// CHECK: function(@grouped_gemm_offsets_start_check)
// CHECK: function(@grouped_gemm_zero)
// CHECK-LABEL: func.func @other_rows(
// CHECK: function(@permute_ids_check)
// CHECK: function(@grouped_gemm_offsets_end_check)
// CHECK: function(@grouped_gemm_zero)
func.func @caller_offsets(%x: tensor<?x64xbf16>, %w: tensor<8x64x64xbf16>, %off: tensor<9xi32>) -> tensor<?x64xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) : tensor<?x64xbf16>, tensor<8x64x64xbf16>, tensor<9xi32>
  return %y : tensor<?x64xbf16>
}
func.func @other_rows(%x: tensor<?x64xbf16>, %ids: tensor<?x2xi32>, %other: tensor<?x64xbf16>, %w: tensor<8x64x64xbf16>) -> tensor<?x64xbf16> {
  %xp, %off, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xbf16>, tensor<?x2xi32>
  %y = moe.grouped_gemm %other, %w, offsets(%off) : tensor<?x64xbf16>, tensor<8x64x64xbf16>, tensor<9xi32>
  return %y : tensor<?x64xbf16>
}
