// RUN: moe-opt %s --verify-roundtrip | FileCheck %s
// RUN: moe-opt %s --mlir-print-op-generic | moe-opt | FileCheck %s

// CHECK-LABEL: func @route_softmax
func.func @route_softmax(%logits: tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  // CHECK: moe.route %{{.*}} top_k(2) : tensor<?x8xf32>
  %ids, %w = moe.route %logits top_k(2) : tensor<?x8xf32>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}

// CHECK-LABEL: func @route_renormalize_f16
func.func @route_renormalize_f16(%logits: tensor<5x128xf16>) -> (tensor<5x8xi32>, tensor<5x8xf32>) {
  // CHECK: moe.route %{{.*}} top_k(8) renormalize : tensor<5x128xf16>
  %ids, %w = moe.route %logits top_k(8) renormalize : tensor<5x128xf16>
  return %ids, %w : tensor<5x8xi32>, tensor<5x8xf32>
}

// CHECK-LABEL: func @route_deepseek
func.func @route_deepseek(%logits: tensor<?x256xbf16>, %bias: tensor<256xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>) {
  // CHECK: moe.route %{{.*}} bias(%{{.*}} : tensor<256xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.500000e+00) : tensor<?x256xbf16>
  %ids, %w = moe.route %logits bias(%bias : tensor<256xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.5) : tensor<?x256xbf16>
  return %ids, %w : tensor<?x8xi32>, tensor<?x8xf32>
}

// CHECK-LABEL: func @route_explicit_defaults
func.func @route_explicit_defaults(%logits: tensor<?x8xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>) {
  // Default-valued attributes are elided when printed.
  // CHECK: moe.route %{{.*}} top_k(8) : tensor<?x8xf32>
  %ids, %w = moe.route %logits top_k(8) scoring<softmax> groups(1, 1) scaling(1.0) : tensor<?x8xf32>
  return %ids, %w : tensor<?x8xi32>, tensor<?x8xf32>
}

// CHECK-LABEL: func @route_dynamic_experts
func.func @route_dynamic_experts(%logits: tensor<?x?xf32>) -> (tensor<?x4xi32>, tensor<?x4xf32>) {
  // CHECK: moe.route %{{.*}} top_k(4) groups(2, 1) : tensor<?x?xf32>
  %ids, %w = moe.route %logits top_k(4) groups(2, 1) : tensor<?x?xf32>
  return %ids, %w : tensor<?x4xi32>, tensor<?x4xf32>
}

// CHECK-LABEL: func @permute
func.func @permute(%x: tensor<?x64xf16>, %ids: tensor<?x2xi32>) -> (tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>) {
  // CHECK: moe.permute %{{.*}}, %{{.*}} experts(8) : tensor<?x64xf16>, tensor<?x2xi32>
  %xp, %offsets, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf16>, tensor<?x2xi32>
  return %xp, %offsets, %rows : tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>
}

// CHECK-LABEL: func @permute_static
func.func @permute_static(%x: tensor<3x16xbf16>, %ids: tensor<3x4xi32>) -> (tensor<12x16xbf16>, tensor<61xi32>, tensor<12xi32>) {
  // CHECK: moe.permute %{{.*}}, %{{.*}} experts(60) : tensor<3x16xbf16>, tensor<3x4xi32>
  %xp, %offsets, %rows = moe.permute %x, %ids experts(60) : tensor<3x16xbf16>, tensor<3x4xi32>
  return %xp, %offsets, %rows : tensor<12x16xbf16>, tensor<61xi32>, tensor<12xi32>
}

// CHECK-LABEL: func @dispatch_static
func.func @dispatch_static(%x: tensor<?x64xf32>, %ids: tensor<?x2xi32>) -> (tensor<128x64xf32>, tensor<8xi32>, tensor<128xi32>) {
  // CHECK: moe.dispatch %{{.*}}, %{{.*}} experts(8) capacity(16) : tensor<?x64xf32>, tensor<?x2xi32>
  %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(16) : tensor<?x64xf32>, tensor<?x2xi32>
  return %xp, %counts, %rows : tensor<128x64xf32>, tensor<8xi32>, tensor<128xi32>
}

// CHECK-LABEL: func @dispatch_dynamic
func.func @dispatch_dynamic(%x: tensor<?x64xf32>, %ids: tensor<?x2xi32>, %c: index) -> (tensor<?x64xf32>, tensor<8xi32>, tensor<?xi32>) {
  // CHECK: moe.dispatch %{{.*}}, %{{.*}} experts(8) capacity(%{{.*}}) : tensor<?x64xf32>, tensor<?x2xi32>
  %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(%c) : tensor<?x64xf32>, tensor<?x2xi32>
  return %xp, %counts, %rows : tensor<?x64xf32>, tensor<8xi32>, tensor<?xi32>
}

// CHECK-LABEL: func @grouped_gemm_tile
func.func @grouped_gemm_tile(%x: tensor<?x64xf32>, %w: tensor<8x64x32xf32>, %offsets: tensor<9xi32>) -> tensor<?x32xf32> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) {tile = #moe.tile<block_m = 32, block_n = 64, block_k = 16, thread_m = 2, thread_n = 4>} : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) {tile = #moe.tile<block_m = 32, block_n = 64, block_k = 16, thread_m = 2, thread_n = 4>} : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  return %y : tensor<?x32xf32>
}

// CHECK-LABEL: func @grouped_gemm_plain
func.func @grouped_gemm_plain(%x: tensor<?x64xf32>, %w: tensor<8x64x32xf32>, %offsets: tensor<9xi32>) -> tensor<?x32xf32> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  return %y : tensor<?x32xf32>
}

// CHECK-LABEL: func @grouped_gemm_gated_silu
func.func @grouped_gemm_gated_silu(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %offsets: tensor<9xi32>) -> tensor<?x128xbf16> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}

// CHECK-LABEL: func @grouped_gemm_activations
func.func @grouped_gemm_activations(%x: tensor<?x16xf16>, %w: tensor<4x16x8xf16>, %offsets: tensor<5xi32>) {
  // CHECK: activation<relu>
  %0 = moe.grouped_gemm %x, %w, offsets(%offsets) activation<relu> : tensor<?x16xf16>, tensor<4x16x8xf16>, tensor<5xi32>
  // CHECK: activation<gelu>
  %1 = moe.grouped_gemm %x, %w, offsets(%offsets) activation<gelu> : tensor<?x16xf16>, tensor<4x16x8xf16>, tensor<5xi32>
  // CHECK: activation<gelu_tanh> gated
  %2 = moe.grouped_gemm %x, %w, offsets(%offsets) activation<gelu_tanh> gated : tensor<?x16xf16>, tensor<4x16x8xf16>, tensor<5xi32>
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) gated :
  %3 = moe.grouped_gemm %x, %w, offsets(%offsets) activation<none> gated : tensor<?x16xf16>, tensor<4x16x8xf16>, tensor<5xi32>
  return
}

// CHECK-LABEL: func @grouped_gemm_eoi_bias
func.func @grouped_gemm_eoi_bias(%x: tensor<?x64xf32>, %w: tensor<8x32x64xf32>, %offsets: tensor<9xi32>, %b: tensor<8x32xf32>) -> tensor<?x16xf32> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) bias(%{{.*}} : tensor<8x32xf32>) activation<gelu> gated layout<eoi> : tensor<?x64xf32>, tensor<8x32x64xf32>, tensor<9xi32>
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) bias(%b : tensor<8x32xf32>) activation<gelu> gated layout<eoi> : tensor<?x64xf32>, tensor<8x32x64xf32>, tensor<9xi32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func @grouped_gemm_counts
func.func @grouped_gemm_counts(%xp: tensor<32x64xf16>, %w: tensor<4x64x16xf16>, %counts: tensor<4xi32>) -> tensor<32x16xf16> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, counts(%{{.*}}) activation<relu> : tensor<32x64xf16>, tensor<4x64x16xf16>, tensor<4xi32>
  %y = moe.grouped_gemm %xp, %w, counts(%counts) activation<relu> : tensor<32x64xf16>, tensor<4x64x16xf16>, tensor<4xi32>
  return %y : tensor<32x16xf16>
}

// CHECK-LABEL: func @grouped_gemm_gather
func.func @grouped_gemm_gather(%x: tensor<?x64xf32>, %w: tensor<8x64x32xf32>, %offsets: tensor<9xi32>, %rows: tensor<?xi32>) -> tensor<?x16xf32> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) gather(%{{.*}} : tensor<?xi32>, k = 2) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) gather(%rows : tensor<?xi32>, k = 2) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func @grouped_gemm_combine
func.func @grouped_gemm_combine(%h: tensor<?x16xf32>, %w: tensor<8x16x64xf32>, %offsets: tensor<9xi32>, %rows: tensor<?xi32>, %rw: tensor<?x2xf32>) -> tensor<?x64xf32> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) combine(%{{.*}} : tensor<?xi32>, %{{.*}} : tensor<?x2xf32>) : tensor<?x16xf32>, tensor<8x16x64xf32>, tensor<9xi32>
  %y = moe.grouped_gemm %h, %w, offsets(%offsets) combine(%rows : tensor<?xi32>, %rw : tensor<?x2xf32>) : tensor<?x16xf32>, tensor<8x16x64xf32>, tensor<9xi32>
  return %y : tensor<?x64xf32>
}

// CHECK-LABEL: func @grouped_gemm_gather_combine_counts
func.func @grouped_gemm_gather_combine_counts(%x: tensor<?x64xbf16>, %w: tensor<4x64x64xbf16>, %counts: tensor<4xi32>, %rows: tensor<40xi32>, %rw: tensor<?x2xf32>, %b: tensor<4x64xbf16>) -> tensor<?x64xbf16> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, counts(%{{.*}}) bias(%{{.*}} : tensor<4x64xbf16>) gather(%{{.*}} : tensor<40xi32>, k = 2) combine(%{{.*}} : tensor<40xi32>, %{{.*}} : tensor<?x2xf32>) activation<gelu_tanh> layout<eoi> : tensor<?x64xbf16>, tensor<4x64x64xbf16>, tensor<4xi32>
  %y = moe.grouped_gemm %x, %w, counts(%counts) bias(%b : tensor<4x64xbf16>) gather(%rows : tensor<40xi32>, k = 2) combine(%rows : tensor<40xi32>, %rw : tensor<?x2xf32>) activation<gelu_tanh> layout<eoi> : tensor<?x64xbf16>, tensor<4x64x64xbf16>, tensor<4xi32>
  return %y : tensor<?x64xbf16>
}

// CHECK-LABEL: func @unpermute
func.func @unpermute(%y: tensor<?x64xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x64xf32> {
  // CHECK: moe.unpermute %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>
  %out = moe.unpermute %y, %rows, %w : tensor<?x64xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x64xf32>
}

// CHECK-LABEL: func @unpermute_padded_bf16
func.func @unpermute_padded_bf16(%y: tensor<32x16xbf16>, %rows: tensor<32xi32>, %w: tensor<7x4xf32>) -> tensor<7x16xbf16> {
  // CHECK: moe.unpermute %{{.*}}, %{{.*}}, %{{.*}} : tensor<32x16xbf16>, tensor<32xi32>, tensor<7x4xf32>
  %out = moe.unpermute %y, %rows, %w : tensor<32x16xbf16>, tensor<32xi32>, tensor<7x4xf32>
  return %out : tensor<7x16xbf16>
}

// CHECK-LABEL: func @layer_qwen3
func.func @layer_qwen3(%x: tensor<?x64xbf16>, %router: tensor<64x128xbf16>, %w1: tensor<128x64x64xbf16>, %w2: tensor<128x32x64xbf16>) -> tensor<?x64xbf16> {
  // CHECK: moe.layer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} top_k(8) renormalize gated : tensor<?x64xbf16>, tensor<64x128xbf16>, tensor<128x64x64xbf16>, tensor<128x32x64xbf16>
  %out = moe.layer %x, %router, %w1, %w2 top_k(8) renormalize activation<silu> gated : tensor<?x64xbf16>, tensor<64x128xbf16>, tensor<128x64x64xbf16>, tensor<128x32x64xbf16>
  return %out : tensor<?x64xbf16>
}

// CHECK-LABEL: func @layer_deepseek
func.func @layer_deepseek(%x: tensor<?x64xf32>, %router: tensor<64x256xf32>, %bias: tensor<256xf32>, %w1: tensor<256x64x32xf32>, %w2: tensor<256x16x64xf32>, %s1: tensor<64x64xf32>, %s2: tensor<32x64xf32>) -> tensor<?x64xf32> {
  // CHECK: moe.layer %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<256xf32>) shared(%{{.*}}, %{{.*}} : tensor<64x64xf32>, tensor<32x64xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.500000e+00) gated :
  %out = moe.layer %x, %router, %w1, %w2 bias(%bias : tensor<256xf32>) shared(%s1, %s2 : tensor<64x64xf32>, tensor<32x64xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.5) gated : tensor<?x64xf32>, tensor<64x256xf32>, tensor<256x64x32xf32>, tensor<256x16x64xf32>
  return %out : tensor<?x64xf32>
}

// CHECK-LABEL: func @layer_capacity_eoi_gelu
func.func @layer_capacity_eoi_gelu(%x: tensor<16x32xf16>, %router: tensor<32x8xf16>, %w1: tensor<8x64x32xf16>, %w2: tensor<8x32x64xf16>) -> tensor<16x32xf16> {
  // CHECK: moe.layer {{.*}} top_k(2) activation<gelu> layout<eoi> capacity_factor(1.250000e+00) : tensor<16x32xf16>, tensor<32x8xf16>, tensor<8x64x32xf16>, tensor<8x32x64xf16>
  %out = moe.layer %x, %router, %w1, %w2 top_k(2) activation<gelu> layout<eoi> capacity_factor(1.25) : tensor<16x32xf16>, tensor<32x8xf16>, tensor<8x64x32xf16>, tensor<8x32x64xf16>
  return %out : tensor<16x32xf16>
}

// CHECK-LABEL: func @balance_loss
func.func @balance_loss(%logits: tensor<?x8xf32>, %ids: tensor<?x2xi32>) -> tensor<f32> {
  // CHECK: moe.balance_loss %{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<?x2xi32>
  %l = moe.balance_loss %logits, %ids : tensor<?x8xf32>, tensor<?x2xi32>
  return %l : tensor<f32>
}

// CHECK-LABEL: func @generic_attributes
func.func @generic_attributes(%logits: tensor<4x8xf32>) -> (tensor<4x2xi32>, tensor<4x2xf32>) {
  // Generic form with every attribute spelled out prints in the custom form.
  // CHECK: moe.route %{{.*}} top_k(2) scoring<sigmoid> renormalize : tensor<4x8xf32>
  %0:2 = "moe.route"(%logits) <{k = 2 : i64, scoring = #moe.scoring<sigmoid>, renormalize}> : (tensor<4x8xf32>) -> (tensor<4x2xi32>, tensor<4x2xf32>)
  return %0#0, %0#1 : tensor<4x2xi32>, tensor<4x2xf32>
}

// CHECK-LABEL: func @grouped_gemm_tile_and_small_tile
func.func @grouped_gemm_tile_and_small_tile(%x: tensor<?x64xf32>, %w: tensor<8x64x32xf32>, %offsets: tensor<9xi32>) -> tensor<?x32xf32> {
  // Both tiles survive, each with its own parameters (printed in name order).
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) {small_tile = #moe.tile<block_m = 4, block_n = 32, block_k = 64, thread_m = 4, thread_n = 8>, tile = #moe.tile<block_m = 32, block_n = 64, block_k = 16, thread_m = 2, thread_n = 4>} : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) {tile = #moe.tile<block_m = 32, block_n = 64, block_k = 16, thread_m = 2, thread_n = 4>, small_tile = #moe.tile<block_m = 4, block_n = 32, block_k = 64, thread_m = 4, thread_n = 8>} : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  return %y : tensor<?x32xf32>
}

// CHECK-LABEL: func @grouped_gemm_medium_tile
func.func @grouped_gemm_medium_tile(%x: tensor<?x64xf32>, %w: tensor<8x64x32xf32>, %offsets: tensor<9xi32>) -> tensor<?x32xf32> {
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) {medium_tile = #moe.tile<block_m = 16, block_n = 32, block_k = 16, thread_m = 8, thread_n = 32>, small_tile = #moe.tile<block_m = 2, block_n = 32, block_k = 8, thread_m = 2, thread_n = 32>, tile = #moe.tile<block_m = 32, block_n = 32, block_k = 32, thread_m = 8, thread_n = 32>}
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) {tile = #moe.tile<block_m = 32, block_n = 32, block_k = 32, thread_m = 8, thread_n = 32>, small_tile = #moe.tile<block_m = 2, block_n = 32, block_k = 8, thread_m = 2, thread_n = 32>, medium_tile = #moe.tile<block_m = 16, block_n = 32, block_k = 16, thread_m = 8, thread_n = 32>} : tensor<?x64xf32>, tensor<8x64x32xf32>, tensor<9xi32>
  return %y : tensor<?x32xf32>
}

// CHECK-LABEL: func @grouped_gemm_small_tile_equal_block_m
func.func @grouped_gemm_small_tile_equal_block_m(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %offsets: tensor<9xi32>) -> tensor<?x128xbf16> {
  // small_tile's block_m may equal the tile's.
  // CHECK: moe.grouped_gemm %{{.*}}, %{{.*}}, offsets(%{{.*}}) activation<silu> gated {small_tile = #moe.tile<block_m = 16, block_n = 16, block_k = 32, thread_m = 16, thread_n = 1>, tile = #moe.tile<block_m = 16, block_n = 64, block_k = 16, thread_m = 4, thread_n = 4>} : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) activation<silu> gated {tile = #moe.tile<block_m = 16, block_n = 64, block_k = 16, thread_m = 4, thread_n = 4>, small_tile = #moe.tile<block_m = 16, block_n = 16, block_k = 32, thread_m = 16, thread_n = 1>} : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}

// The target a module is compiled for, as its moe.target attribute.
// CHECK-LABEL: module @target_cpu
// CHECK-SAME: attributes {moe.target = #moe.target<kind = "cpu", chip = "znver4", features = "+avx2,+fma">}
module @target_cpu attributes {moe.target = #moe.target<kind = "cpu", chip = "znver4", features = "+avx2,+fma">} {
}

// A GPU target has no features; the empty default is elided.
// CHECK-LABEL: module @target_nvptx
// CHECK-SAME: attributes {moe.target = #moe.target<kind = "nvptx", chip = "sm_90">}
module @target_nvptx attributes {moe.target = #moe.target<kind = "nvptx", chip = "sm_90">} {
}

// CHECK-LABEL: module @target_nvptx_empty_features
// CHECK-SAME: attributes {moe.target = #moe.target<kind = "nvptx", chip = "sm_90">}
module @target_nvptx_empty_features attributes {moe.target = #moe.target<kind = "nvptx", chip = "sm_90", features = "">} {
}

// CHECK-LABEL: module @target_rocdl
// CHECK-SAME: attributes {moe.target = #moe.target<kind = "rocdl", chip = "gfx942">}
module @target_rocdl attributes {moe.target = #moe.target<kind = "rocdl", chip = "gfx942">} {
}

// The emulator and the CPU need no chip.
// CHECK-LABEL: module @target_emu
// CHECK-SAME: attributes {moe.target = #moe.target<kind = "emu">}
module @target_emu attributes {moe.target = #moe.target<kind = "emu">} {
}

// CHECK-LABEL: func @shape_violation
// CHECK: moe.shape_violation %{{.*}}, %{{.*}} {bound_name = "x dim 0", contract = "ids dim 0 == x dim 0", origin = "moe.permute", subject = "ids dim 0"}
func.func @shape_violation(%a: index, %b: index) {
  moe.shape_violation %a, %b {origin = "moe.permute", contract = "ids dim 0 == x dim 0", subject = "ids dim 0", bound_name = "x dim 0"}
  return
}
