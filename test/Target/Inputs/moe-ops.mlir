// Every moe op in the forms the GPU targets compile; shared by the NVVM and
// ROCDL tests (not a test itself).

func.func @route_softmax(%logits: tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %ids, %w = moe.route %logits top_k(2) renormalize : tensor<?x8xf32>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}

func.func @route_deepseek(%logits: tensor<?x256xbf16>, %bias: tensor<256xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>) {
  %ids, %w = moe.route %logits bias(%bias : tensor<256xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.5) : tensor<?x256xbf16>
  return %ids, %w : tensor<?x8xi32>, tensor<?x8xf32>
}

func.func @route_dynamic_experts(%logits: tensor<?x?xf32>) -> (tensor<?x4xi32>, tensor<?x4xf32>) {
  %ids, %w = moe.route %logits top_k(4) groups(2, 1) : tensor<?x?xf32>
  return %ids, %w : tensor<?x4xi32>, tensor<?x4xf32>
}

func.func @permute(%x: tensor<?x64xf16>, %ids: tensor<?x2xi32>) -> (tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>) {
  %xp, %offsets, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf16>, tensor<?x2xi32>
  return %xp, %offsets, %rows : tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>
}

func.func @permute_many_experts(%x: tensor<?x16xbf16>, %ids: tensor<?x8xi32>) -> (tensor<?x16xbf16>, tensor<385xi32>, tensor<?xi32>) {
  %xp, %offsets, %rows = moe.permute %x, %ids experts(384) : tensor<?x16xbf16>, tensor<?x8xi32>
  return %xp, %offsets, %rows : tensor<?x16xbf16>, tensor<385xi32>, tensor<?xi32>
}

func.func @dispatch_static(%x: tensor<?x64xf32>, %ids: tensor<?x2xi32>) -> (tensor<128x64xf32>, tensor<8xi32>, tensor<128xi32>) {
  %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(16) : tensor<?x64xf32>, tensor<?x2xi32>
  return %xp, %counts, %rows : tensor<128x64xf32>, tensor<8xi32>, tensor<128xi32>
}

func.func @dispatch_dynamic(%x: tensor<?x64xf32>, %ids: tensor<?x2xi32>, %c: index) -> (tensor<?x64xf32>, tensor<8xi32>, tensor<?xi32>) {
  %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(%c) : tensor<?x64xf32>, tensor<?x2xi32>
  return %xp, %counts, %rows : tensor<?x64xf32>, tensor<8xi32>, tensor<?xi32>
}

func.func @gemm_counts_eoi_bias(%x: tensor<32x64xf16>, %w: tensor<4x16x64xf16>, %counts: tensor<4xi32>, %b: tensor<4x16xf16>) -> tensor<32x16xf16> {
  %y = moe.grouped_gemm %x, %w, counts(%counts) bias(%b : tensor<4x16xf16>) activation<gelu> layout<eoi> : tensor<32x64xf16>, tensor<4x16x64xf16>, tensor<4xi32>
  return %y : tensor<32x16xf16>
}

func.func @gemm_gather_gated(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %offsets: tensor<9xi32>, %rows: tensor<?xi32>) -> tensor<?x128xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%offsets) gather(%rows : tensor<?xi32>, k = 2) activation<silu> gated : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}

func.func @gemm_combine(%h: tensor<?x16xf32>, %w: tensor<8x16x64xf32>, %offsets: tensor<9xi32>, %rows: tensor<?xi32>, %rw: tensor<?x2xf32>) -> tensor<?x64xf32> {
  %y = moe.grouped_gemm %h, %w, offsets(%offsets) combine(%rows : tensor<?xi32>, %rw : tensor<?x2xf32>) : tensor<?x16xf32>, tensor<8x16x64xf32>, tensor<9xi32>
  return %y : tensor<?x64xf32>
}

func.func @unpermute(%y: tensor<?x64xbf16>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x64xbf16> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x64xbf16>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x64xbf16>
}

func.func @balance_loss(%logits: tensor<?x8xf32>, %ids: tensor<?x2xi32>) -> tensor<f32> {
  %l = moe.balance_loss %logits, %ids : tensor<?x8xf32>, tensor<?x2xi32>
  return %l : tensor<f32>
}

func.func @layer_deepseek(%x: tensor<?x64xbf16>, %router: tensor<64x256xbf16>, %bias: tensor<256xf32>, %w1: tensor<256x64x32xbf16>, %w2: tensor<256x16x64xbf16>, %s1: tensor<64x64xbf16>, %s2: tensor<32x64xbf16>) -> tensor<?x64xbf16> {
  %out = moe.layer %x, %router, %w1, %w2 bias(%bias : tensor<256xf32>) shared(%s1, %s2 : tensor<64x64xbf16>, tensor<32x64xbf16>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.5) activation<silu> gated : tensor<?x64xbf16>, tensor<64x256xbf16>, tensor<256x64x32xbf16>, tensor<256x16x64xbf16>
  return %out : tensor<?x64xbf16>
}

func.func @layer_capacity_eoi(%x: tensor<?x32xf16>, %router: tensor<32x8xf16>, %w1: tensor<8x64x32xf16>, %w2: tensor<8x32x64xf16>) -> tensor<?x32xf16> {
  %out = moe.layer %x, %router, %w1, %w2 top_k(2) activation<gelu> layout<eoi> capacity_factor(1.25) : tensor<?x32xf16>, tensor<32x8xf16>, tensor<8x64x32xf16>, tensor<8x32x64xf16>
  return %out : tensor<?x32xf16>
}
