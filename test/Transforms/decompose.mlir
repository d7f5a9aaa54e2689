// RUN: moe-opt %s -split-input-file --moe-decompose --verify-each | FileCheck %s

// Qwen3-MoE shape: softmax top-8 with renormalize, gated SiLU, dynamic T.
// CHECK-LABEL: func @qwen3
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xbf16>, %[[R:.*]]: tensor<64x128xbf16>, %[[W1:.*]]: tensor<128x64x64xbf16>, %[[W2:.*]]: tensor<128x32x64xbf16>)
// CHECK: %[[T:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xbf16>
// CHECK: %[[EMPTY:.*]] = tensor.empty(%[[T]]) : tensor<?x128xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} outs(%[[EMPTY]] : tensor<?x128xf32>)
// CHECK: %[[LOGITS:.*]] = linalg.matmul ins(%[[X]], %[[R]] : tensor<?x64xbf16>, tensor<64x128xbf16>) outs(%[[ZERO]] : tensor<?x128xf32>)
// CHECK: %[[IDS:.*]], %[[WTS:.*]] = moe.route %[[LOGITS]] top_k(8) renormalize : tensor<?x128xf32>
// CHECK: %[[XP:.*]], %[[OFF:.*]], %[[ROWS:.*]] = moe.permute %[[X]], %[[IDS]] experts(128) : tensor<?x64xbf16>, tensor<?x8xi32>
// CHECK: %[[H:.*]] = moe.grouped_gemm %[[XP]], %[[W1]], offsets(%[[OFF]]) activation<silu> gated : tensor<?x64xbf16>, tensor<128x64x64xbf16>, tensor<129xi32>
// CHECK: %[[Y:.*]] = moe.grouped_gemm %[[H]], %[[W2]], offsets(%[[OFF]]) : tensor<?x32xbf16>, tensor<128x32x64xbf16>, tensor<129xi32>
// CHECK: %[[OUT:.*]] = moe.unpermute %[[Y]], %[[ROWS]], %[[WTS]] : tensor<?x64xbf16>, tensor<?xi32>, tensor<?x8xf32>
// CHECK: return %[[OUT]] : tensor<?x64xbf16>
// CHECK-NOT: moe.layer
func.func @qwen3(%x: tensor<?x64xbf16>, %router: tensor<64x128xbf16>, %w1: tensor<128x64x64xbf16>, %w2: tensor<128x32x64xbf16>) -> tensor<?x64xbf16> {
  %out = moe.layer %x, %router, %w1, %w2 top_k(8) renormalize activation<silu> gated : tensor<?x64xbf16>, tensor<64x128xbf16>, tensor<128x64x64xbf16>, tensor<128x32x64xbf16>
  return %out : tensor<?x64xbf16>
}

// -----

// DeepSeek-V3 routing with a shared expert, f32, static T.
// CHECK-LABEL: func @deepseek_shared
// CHECK-SAME: (%[[X:.*]]: tensor<4x32xf32>, %[[R:.*]]: tensor<32x256xf32>, %[[B:.*]]: tensor<256xf32>, %[[W1:.*]]: tensor<256x32x16xf32>, %[[W2:.*]]: tensor<256x8x32xf32>, %[[S1:.*]]: tensor<32x32xf32>, %[[S2:.*]]: tensor<16x32xf32>)
// CHECK: %[[LOGITS:.*]] = linalg.matmul ins(%[[X]], %[[R]] : {{.*}}) outs(%{{.*}} : tensor<4x256xf32>)
// CHECK: %[[IDS:.*]], %[[WTS:.*]] = moe.route %[[LOGITS]] bias(%[[B]] : tensor<256xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.500000e+00) : tensor<4x256xf32>
// CHECK: moe.permute %[[X]], %[[IDS]] experts(256)
// CHECK: %[[H:.*]] = moe.grouped_gemm {{.*}}, %[[W1]], offsets({{.*}}) activation<silu> gated
// CHECK: %[[Y:.*]] = moe.grouped_gemm %[[H]], %[[W2]], offsets({{.*}}) :
// CHECK: %[[ROUTED:.*]] = moe.unpermute %[[Y]], {{.*}}, %[[WTS]] : tensor<32x32xf32>, tensor<32xi32>, tensor<4x8xf32>
// CHECK: %[[SGU:.*]] = linalg.matmul ins(%[[X]], %[[S1]] : tensor<4x32xf32>, tensor<32x32xf32>) outs(%{{.*}} : tensor<4x32xf32>)
// CHECK: %[[GATE:.*]] = tensor.extract_slice %[[SGU]][0, 0] [4, 16] [1, 1]
// CHECK: %[[UP:.*]] = tensor.extract_slice %[[SGU]][0, 16] [4, 16] [1, 1]
// CHECK: %[[HS:.*]] = linalg.generic {{.*}} ins(%[[GATE]], %[[UP]] : tensor<4x16xf32>, tensor<4x16xf32>)
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: %[[SD:.*]] = linalg.matmul ins(%[[HS]], %[[S2]] : tensor<4x16xf32>, tensor<16x32xf32>)
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[ROUTED]], %[[SD]] : tensor<4x32xf32>, tensor<4x32xf32>)
// CHECK: arith.addf
// CHECK: return %[[OUT]]
func.func @deepseek_shared(%x: tensor<4x32xf32>, %router: tensor<32x256xf32>, %bias: tensor<256xf32>, %w1: tensor<256x32x16xf32>, %w2: tensor<256x8x32xf32>, %s1: tensor<32x32xf32>, %s2: tensor<16x32xf32>) -> tensor<4x32xf32> {
  %out = moe.layer %x, %router, %w1, %w2 bias(%bias : tensor<256xf32>) shared(%s1, %s2 : tensor<32x32xf32>, tensor<16x32xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.5) activation<silu> gated : tensor<4x32xf32>, tensor<32x256xf32>, tensor<256x32x16xf32>, tensor<256x8x32xf32>
  return %out : tensor<4x32xf32>
}

// -----

// Capacity factor with static T: C = max(1, ceil(1.25 * 16 * 2 / 8)) = 5.
// CHECK-LABEL: func @capacity_static
// CHECK: %[[XP:.*]], %[[COUNTS:.*]], %[[ROWS:.*]] = moe.dispatch %{{.*}}, %{{.*}} experts(8) capacity(5) : tensor<16x32xf16>, tensor<16x2xi32>
// CHECK: %[[H:.*]] = moe.grouped_gemm %[[XP]], %{{.*}}, counts(%[[COUNTS]]) activation<gelu> layout<eoi> : tensor<40x32xf16>, tensor<8x64x32xf16>, tensor<8xi32>
// CHECK: %[[Y:.*]] = moe.grouped_gemm %[[H]], %{{.*}}, counts(%[[COUNTS]]) layout<eoi> : tensor<40x64xf16>, tensor<8x32x64xf16>, tensor<8xi32>
// CHECK: moe.unpermute %[[Y]], %[[ROWS]], %{{.*}} : tensor<40x32xf16>, tensor<40xi32>, tensor<16x2xf32>
func.func @capacity_static(%x: tensor<16x32xf16>, %router: tensor<32x8xf16>, %w1: tensor<8x64x32xf16>, %w2: tensor<8x32x64xf16>) -> tensor<16x32xf16> {
  %out = moe.layer %x, %router, %w1, %w2 top_k(2) activation<gelu> layout<eoi> capacity_factor(1.25) : tensor<16x32xf16>, tensor<32x8xf16>, tensor<8x64x32xf16>, tensor<8x32x64xf16>
  return %out : tensor<16x32xf16>
}

// -----

// Capacity factor with dynamic T: the capacity is computed at run time in f64.
// CHECK-LABEL: func @capacity_dynamic
// CHECK: moe.route
// CHECK: %[[T:.*]] = tensor.dim %{{.*}}, %{{.*}} : tensor<?x32xf32>
// CHECK: %[[N:.*]] = arith.muli %[[T]], %{{.*}} : index
// CHECK: arith.uitofp {{.*}} : i64 to f64
// CHECK: arith.mulf
// CHECK: arith.divf
// CHECK: %[[CEIL:.*]] = math.ceil
// CHECK: %[[C:.*]] = arith.maxui
// CHECK: moe.dispatch %{{.*}}, %{{.*}} experts(4) capacity(%[[C]]) : tensor<?x32xf32>, tensor<?x1xi32>
// CHECK: moe.grouped_gemm {{.*}} counts({{.*}}) activation<relu> : tensor<?x32xf32>, tensor<4x32x16xf32>, tensor<4xi32>
func.func @capacity_dynamic(%x: tensor<?x32xf32>, %router: tensor<32x4xf32>, %w1: tensor<4x32x16xf32>, %w2: tensor<4x16x32xf32>) -> tensor<?x32xf32> {
  %out = moe.layer %x, %router, %w1, %w2 top_k(1) activation<relu> capacity_factor(2.0) : tensor<?x32xf32>, tensor<32x4xf32>, tensor<4x32x16xf32>, tensor<4x16x32xf32>
  return %out : tensor<?x32xf32>
}

// -----

// A bf16 shared expert in the eoi layout: transposed dense matmuls, the
// hidden activation rounded to bf16, the sum with the routed output in f32.
// CHECK-LABEL: func @shared_eoi_bf16
// CHECK: linalg.matmul indexing_maps = [{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<?x32xbf16>, tensor<16x32xbf16>)
// CHECK: linalg.generic
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: linalg.matmul indexing_maps = [{{.*}}] ins(%{{.*}}, %{{.*}} : tensor<?x16xbf16>, tensor<32x16xbf16>)
// CHECK: linalg.generic
// CHECK: arith.extf {{.*}} : bf16 to f32
// CHECK: arith.addf
// CHECK: arith.truncf {{.*}} : f32 to bf16
func.func @shared_eoi_bf16(%x: tensor<?x32xbf16>, %router: tensor<32x4xbf16>, %w1: tensor<4x8x32xbf16>, %w2: tensor<4x32x8xbf16>, %s1: tensor<16x32xbf16>, %s2: tensor<32x16xbf16>) -> tensor<?x32xbf16> {
  %out = moe.layer %x, %router, %w1, %w2 shared(%s1, %s2 : tensor<16x32xbf16>, tensor<32x16xbf16>) top_k(2) activation<gelu_tanh> layout<eoi> : tensor<?x32xbf16>, tensor<32x4xbf16>, tensor<4x8x32xbf16>, tensor<4x32x8xbf16>
  return %out : tensor<?x32xbf16>
}
