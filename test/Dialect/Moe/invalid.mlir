// RUN: moe-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// moe.route
//===----------------------------------------------------------------------===//

func.func @route_logits_rank(%l: tensor<8xf32>) {
  // expected-error @+1 {{'moe.route' op operand 'logits' must be a rank-2 tensor [T, E], got 'tensor<8xf32>'}}
  %0:2 = "moe.route"(%l) <{k = 2 : i64}> : (tensor<8xf32>) -> (tensor<2xi32>, tensor<2xf32>)
  return
}

// -----

func.func @route_logits_rank_custom(%l: tensor<8xf32>) {
  // expected-error @+1 {{operand 'logits' must be a rank-2 tensor for the result types to be inferred, got 'tensor<8xf32>'}}
  %ids, %w = moe.route %l top_k(2) : tensor<8xf32>
  return
}

// -----

func.func @route_logits_element(%l: tensor<4x8xi32>) {
  // expected-error @+1 {{operand 'logits' element type must be f32, f16 or bf16, got 'i32'}}
  %ids, %w = moe.route %l top_k(2) : tensor<4x8xi32>
  return
}

// -----

func.func @route_bias_rank(%l: tensor<4x8xf32>, %b: tensor<1x8xf32>) {
  // expected-error @+1 {{operand 'bias' must be a rank-1 tensor [E], got 'tensor<1x8xf32>'}}
  %ids, %w = moe.route %l bias(%b : tensor<1x8xf32>) top_k(2) : tensor<4x8xf32>
  return
}

// -----

func.func @route_bias_element(%l: tensor<4x8xf32>, %b: tensor<8xf16>) {
  // expected-error @+1 {{operand 'bias' element type must be 'f32', got 'f16'}}
  %ids, %w = moe.route %l bias(%b : tensor<8xf16>) top_k(2) : tensor<4x8xf32>
  return
}

// -----

func.func @route_bias_length(%l: tensor<4x8xf32>, %b: tensor<6xf32>) {
  // expected-error @+1 {{operand 'bias' dim 0 (E) is 6 but must be 8 (logits dim 1)}}
  %ids, %w = moe.route %l bias(%b : tensor<6xf32>) top_k(2) : tensor<4x8xf32>
  return
}

// -----

func.func @route_k_zero(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'k' = 0 must be at least 1}}
  %ids, %w = moe.route %l top_k(0) : tensor<4x8xf32>
  return
}

// -----

func.func @route_k_above_experts(%l: tensor<?x8xf32>) {
  // expected-error @+1 {{operand 'logits' dim 1 (E) must be at least 9 (k), got 8}}
  %ids, %w = moe.route %l top_k(9) : tensor<?x8xf32>
  return
}

// -----

func.func @route_groups_zero(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'groups' = 0 must be at least 1}}
  %ids, %w = moe.route %l top_k(2) groups(0, 1) : tensor<4x8xf32>
  return
}

// -----

func.func @route_groups_divide(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{operand 'logits' dim 1 (E) is 8 but must be a multiple of 3 (groups)}}
  %ids, %w = moe.route %l top_k(2) groups(3, 1) : tensor<4x8xf32>
  return
}

// -----

func.func @route_group_topk_above_groups(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'group_topk' = 5 must be in [1, groups = 4]}}
  %ids, %w = moe.route %l top_k(2) groups(4, 5) : tensor<4x8xf32>
  return
}

// -----

func.func @route_group_topk_zero(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'group_topk' = 0 must be in [1, groups = 4]}}
  %ids, %w = moe.route %l top_k(2) groups(4, 0) : tensor<4x8xf32>
  return
}

// -----

func.func @route_k_above_selectable(%l: tensor<4x256xf32>) {
  // expected-error @+1 {{operand 'logits' dim 1 (E) must be at least 512 (groups * ceil(k / group_topk)), got 256}}
  %ids, %w = moe.route %l top_k(8) groups(64, 1) : tensor<4x256xf32>
  return
}

// -----

func.func @route_scaling_negative(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'scaling' = -1.000000e+00 must be finite and positive}}
  %ids, %w = moe.route %l top_k(2) scaling(-1.0) : tensor<4x8xf32>
  return
}

// -----

func.func @route_ids_type(%l: tensor<4x8xf32>) {
  // expected-error @+1 {{result 'ids' must be 'tensor<4x2xi32>' (determined by the operands), got 'tensor<4x3xi32>'}}
  %0:2 = "moe.route"(%l) <{k = 2 : i64}> : (tensor<4x8xf32>) -> (tensor<4x3xi32>, tensor<4x2xf32>)
  return
}

// -----

func.func @route_weights_type(%l: tensor<?x8xf32>) {
  // expected-error @+1 {{result 'weights' must be 'tensor<?x2xf32>' (determined by the operands), got 'tensor<?x2xf16>'}}
  %0:2 = "moe.route"(%l) <{k = 2 : i64}> : (tensor<?x8xf32>) -> (tensor<?x2xi32>, tensor<?x2xf16>)
  return
}

//===----------------------------------------------------------------------===//
// moe.permute
//===----------------------------------------------------------------------===//

// -----

func.func @permute_x_rank(%x: tensor<4x2x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{operand 'x' must be a rank-2 tensor [T, H], got 'tensor<4x2x8xf32>'}}
  %0:3 = "moe.permute"(%x, %ids) <{num_experts = 4 : i64}> : (tensor<4x2x8xf32>, tensor<4x2xi32>) -> (tensor<8x8xf32>, tensor<5xi32>, tensor<8xi32>)
  return
}

// -----

func.func @permute_x_element(%x: tensor<4x8xi8>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{operand 'x' element type must be f32, f16 or bf16, got 'i8'}}
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<4x8xi8>, tensor<4x2xi32>
  return
}

// -----

func.func @permute_ids_rank(%x: tensor<4x8xf32>, %ids: tensor<8xi32>) {
  // expected-error @+1 {{operand 'ids' must be a rank-2 tensor for the result types to be inferred, got 'tensor<8xi32>'}}
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<4x8xf32>, tensor<8xi32>
  return
}

// -----

func.func @permute_ids_rank_generic(%x: tensor<4x8xf32>, %ids: tensor<8xi32>) {
  // expected-error @+1 {{operand 'ids' must be a rank-2 tensor [T, K], got 'tensor<8xi32>'}}
  %0:3 = "moe.permute"(%x, %ids) <{num_experts = 4 : i64}> : (tensor<4x8xf32>, tensor<8xi32>) -> (tensor<8x8xf32>, tensor<5xi32>, tensor<8xi32>)
  return
}

// -----

func.func @permute_ids_element(%x: tensor<4x8xf32>, %ids: tensor<4x2xi64>) {
  // expected-error @+1 {{operand 'ids' element type must be 'i32', got 'i64'}}
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<4x8xf32>, tensor<4x2xi64>
  return
}

// -----

func.func @permute_tokens_mismatch(%x: tensor<4x8xf32>, %ids: tensor<5x2xi32>) {
  // expected-error @+1 {{operand 'ids' dim 0 (T) is 5 but must be 4 (x dim 0)}}
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<4x8xf32>, tensor<5x2xi32>
  return
}

// -----

func.func @permute_k_zero(%x: tensor<4x8xf32>, %ids: tensor<4x0xi32>) {
  // expected-error @+1 {{operand 'ids' dim 1 (K) must be at least 1, got 0}}
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<4x8xf32>, tensor<4x0xi32>
  return
}

// -----

func.func @permute_experts_zero(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{attribute 'num_experts' = 0 must be at least 1}}
  %xp, %o, %r = moe.permute %x, %ids experts(0) : tensor<4x8xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @permute_xp_type(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{result 'xp' must be 'tensor<8x8xf32>' (determined by the operands), got 'tensor<4x8xf32>'}}
  %0:3 = "moe.permute"(%x, %ids) <{num_experts = 4 : i64}> : (tensor<4x8xf32>, tensor<4x2xi32>) -> (tensor<4x8xf32>, tensor<5xi32>, tensor<8xi32>)
  return
}

// -----

func.func @permute_offsets_type(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{result 'offsets' must be 'tensor<5xi32>' (determined by the operands), got 'tensor<4xi32>'}}
  %0:3 = "moe.permute"(%x, %ids) <{num_experts = 4 : i64}> : (tensor<4x8xf32>, tensor<4x2xi32>) -> (tensor<8x8xf32>, tensor<4xi32>, tensor<8xi32>)
  return
}

// -----

func.func @permute_rows_type(%x: tensor<?x8xf32>, %ids: tensor<?x2xi32>) {
  // expected-error @+1 {{result 'rows' must be 'tensor<?xi32>' (determined by the operands), got 'tensor<8xi32>'}}
  %0:3 = "moe.permute"(%x, %ids) <{num_experts = 4 : i64}> : (tensor<?x8xf32>, tensor<?x2xi32>) -> (tensor<?x8xf32>, tensor<5xi32>, tensor<8xi32>)
  return
}

//===----------------------------------------------------------------------===//
// moe.dispatch
//===----------------------------------------------------------------------===//

// -----

func.func @dispatch_x_rank(%x: tensor<8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{operand 'x' must be a rank-2 tensor for the result types to be inferred, got 'tensor<8xf32>'}}
  %xp, %c, %r = moe.dispatch %x, %ids experts(4) capacity(2) : tensor<8xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @dispatch_tokens_mismatch(%x: tensor<4x8xf32>, %ids: tensor<3x2xi32>) {
  // expected-error @+1 {{operand 'ids' dim 0 (T) is 3 but must be 4 (x dim 0)}}
  %xp, %c, %r = moe.dispatch %x, %ids experts(4) capacity(2) : tensor<4x8xf32>, tensor<3x2xi32>
  return
}

// -----

func.func @dispatch_capacity_zero(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{attribute 'capacity' = 0 must be at least 1}}
  %xp, %c, %r = moe.dispatch %x, %ids experts(4) capacity(0) : tensor<4x8xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @dispatch_no_capacity(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{needs exactly one capacity: the attribute 'capacity' or the operand 'dynamic_capacity'}}
  %0:3 = "moe.dispatch"(%x, %ids) <{num_experts = 4 : i64}> : (tensor<4x8xf32>, tensor<4x2xi32>) -> (tensor<?x8xf32>, tensor<4xi32>, tensor<?xi32>)
  return
}

// -----

func.func @dispatch_two_capacities(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>, %c: index) {
  // expected-error @+1 {{needs exactly one capacity}}
  %0:3 = "moe.dispatch"(%x, %ids, %c) <{num_experts = 4 : i64, capacity = 2 : i64}> : (tensor<4x8xf32>, tensor<4x2xi32>, index) -> (tensor<8x8xf32>, tensor<4xi32>, tensor<8xi32>)
  return
}

// -----

func.func @dispatch_xp_type(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{result 'xp' must be 'tensor<8x8xf32>' (determined by the operands), got 'tensor<?x8xf32>'}}
  %0:3 = "moe.dispatch"(%x, %ids) <{num_experts = 4 : i64, capacity = 2 : i64}> : (tensor<4x8xf32>, tensor<4x2xi32>) -> (tensor<?x8xf32>, tensor<4xi32>, tensor<8xi32>)
  return
}

// -----

func.func @dispatch_counts_type(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>, %c: index) {
  // expected-error @+1 {{result 'counts' must be 'tensor<4xi32>' (determined by the operands), got 'tensor<5xi32>'}}
  %0:3 = "moe.dispatch"(%x, %ids, %c) <{num_experts = 4 : i64}> : (tensor<4x8xf32>, tensor<4x2xi32>, index) -> (tensor<?x8xf32>, tensor<5xi32>, tensor<?xi32>)
  return
}

// -----

func.func @dispatch_rows_type(%x: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{result 'rows' must be 'tensor<8xi32>' (determined by the operands), got 'tensor<8xi64>'}}
  %0:3 = "moe.dispatch"(%x, %ids) <{num_experts = 4 : i64, capacity = 2 : i64}> : (tensor<4x8xf32>, tensor<4x2xi32>) -> (tensor<8x8xf32>, tensor<4xi32>, tensor<8xi64>)
  return
}

//===----------------------------------------------------------------------===//
// moe.grouped_gemm
//===----------------------------------------------------------------------===//

// -----

func.func @gemm_tile_zero(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile sizes must be positive, got block_m = 64, block_n = 64, block_k = 0, thread_m = 4, thread_n = 4}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 0, thread_m = 4, thread_n = 4>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_rows(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile block_m = 64 is not a multiple of thread_m = 3}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 16, thread_m = 3, thread_n = 4>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_columns(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile block_n = 64 is not a multiple of thread_n = 5}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 16, thread_m = 4, thread_n = 5>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_extent(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile block_n = 131072 is above the limit of 65536}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 131072, block_k = 16, thread_m = 64, thread_n = 131072>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_register(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile thread_m x thread_n = 64 x 128 is above the limit of 4096 accumulators (a register tile or a GPU thread's results)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 128, block_k = 16, thread_m = 64, thread_n = 128>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_threads(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile has 4096 threads per block; a GPU block has at most 1024}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 16, thread_m = 1, thread_n = 1>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_warp_shape(%x: tensor<?x8xf16>, %w: tensor<4x8x16xf16>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile warp_m = 24, warp_n = 32, block_k = 32: a tensor-core tile needs warp_m a multiple of 16, warp_n of 8 and block_k of 16}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 48, block_n = 64, block_k = 32, thread_m = 4, thread_n = 8, warp_m = 24, warp_n = 32>} : tensor<?x8xf16>, tensor<4x8x16xf16>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_warp_pieces(%x: tensor<?x8xf16>, %w: tensor<4x8x16xf16>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile block 64x64 is not made of whole 48x32 warp pieces}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 32, thread_m = 4, thread_n = 8, warp_m = 48, warp_n = 32>} : tensor<?x8xf16>, tensor<4x8x16xf16>, tensor<5xi32>
  return
}

// -----

func.func @gemm_tile_warp_threads(%x: tensor<?x8xf16>, %w: tensor<4x8x16xf16>, %o: tensor<5xi32>) {
  // expected-error @+1 {{tile has 512 threads (thread_m, thread_n) but its 4 warp pieces need 128 (32 per warp) or 256 (64 per AMD wave)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 32, thread_m = 2, thread_n = 4, warp_m = 32, warp_n = 32>} : tensor<?x8xf16>, tensor<4x8x16xf16>, tensor<5xi32>
  return
}

// -----

func.func @gemm_x_rank(%x: tensor<8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'x' must be a rank-2 tensor for the result types to be inferred, got 'tensor<8xf32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_x_rank_generic(%x: tensor<8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'x' must be a rank-2 tensor [M, In], got 'tensor<8xf32>'}}
  %y = "moe.grouped_gemm"(%x, %w, %o) <{segment_kind = #moe.segments<offsets>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>}> : (tensor<8xf32>, tensor<4x8x16xf32>, tensor<5xi32>) -> tensor<8x16xf32>
  return
}

// -----

func.func @gemm_x_element(%x: tensor<?x8xf64>, %w: tensor<4x8x16xf64>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'x' element type must be f32, f16 or bf16, got 'f64'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf64>, tensor<4x8x16xf64>, tensor<5xi32>
  return
}

// -----

func.func @gemm_w_rank(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'w' must be a rank-3 tensor for the result types to be inferred, got 'tensor<8x16xf32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_w_rank_generic(%x: tensor<?x8xf32>, %w: tensor<8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'w' must be a rank-3 tensor [E, Out, In], got 'tensor<8x16xf32>'}}
  %y = "moe.grouped_gemm"(%x, %w, %o) <{segment_kind = #moe.segments<offsets>, weight_layout = #moe.weight_layout<eoi>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>}> : (tensor<?x8xf32>, tensor<8x16xf32>, tensor<5xi32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @gemm_w_element(%x: tensor<?x8xf32>, %w: tensor<4x8x16xbf16>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'w' element type 'bf16' must match operand 'x' element type 'f32'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<4x8x16xbf16>, tensor<5xi32>
  return
}

// -----

func.func @gemm_no_experts(%x: tensor<?x8xf32>, %w: tensor<0x8x16xf32>, %o: tensor<1xi32>) {
  // expected-error @+1 {{operand 'w' dim 0 (E) must be at least 1, got 0}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<0x8x16xf32>, tensor<1xi32>
  return
}

// -----

func.func @gemm_in_mismatch(%x: tensor<?x8xf32>, %w: tensor<4x16x8xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'w' dim 1 (In) is 16 but must be 8 (x dim 1)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<4x16x8xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_in_mismatch_eoi(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'w' dim 2 (In) is 16 but must be 8 (x dim 1)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) layout<eoi> : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_segments_keyword(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{expected 'offsets' or 'counts' before the segments operand}}
  %y = moe.grouped_gemm %x, %w, csr(%o) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_segments_rank(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<1x5xi32>) {
  // expected-error @+1 {{operand 'offsets' must be a rank-1 tensor [E+1], got 'tensor<1x5xi32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<1x5xi32>
  return
}

// -----

func.func @gemm_segments_element(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xindex>) {
  // expected-error @+1 {{operand 'offsets' element type must be 'i32', got 'index'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xindex>
  return
}

// -----

func.func @gemm_offsets_length(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<4xi32>) {
  // expected-error @+1 {{operand 'offsets' dim 0 (E + 1) is 4 but must be 5 (w dim 0 + 1)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<4xi32>
  return
}

// -----

func.func @gemm_counts_length(%x: tensor<8x8xf32>, %w: tensor<4x8x16xf32>, %c: tensor<5xi32>) {
  // expected-error @+1 {{operand 'counts' dim 0 (E) is 5 but must be 4 (w dim 0)}}
  %y = moe.grouped_gemm %x, %w, counts(%c) : tensor<8x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_gated_odd(%x: tensor<?x8xf32>, %w: tensor<4x8x15xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{operand 'w' dim 2 (Out) is 15 but must be a multiple of 2}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) gated : tensor<?x8xf32>, tensor<4x8x15xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_bias_rank(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %b: tensor<16xf32>) {
  // expected-error @+1 {{operand 'bias' must be a rank-2 tensor [E, Out], got 'tensor<16xf32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) bias(%b : tensor<16xf32>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_bias_element(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %b: tensor<4x16xi32>) {
  // expected-error @+1 {{operand 'bias' element type must be f32, f16 or bf16, got 'i32'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) bias(%b : tensor<4x16xi32>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_bias_experts(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %b: tensor<3x16xf32>) {
  // expected-error @+1 {{operand 'bias' dim 0 (E) is 3 but must be 4 (w dim 0)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) bias(%b : tensor<3x16xf32>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_bias_out(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %b: tensor<4x8xf32>) {
  // expected-error @+1 {{operand 'bias' dim 1 (Out) is 8 but must be 16 (w dim 2)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) bias(%b : tensor<4x8xf32>) gated : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_gather_rank(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<2x4xi32>) {
  // expected-error @+1 {{operand 'gather rows' must be a rank-1 tensor for the result types to be inferred, got 'tensor<2x4xi32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) gather(%r : tensor<2x4xi32>, k = 2) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_gather_rank_generic(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<2x4xi32>) {
  // expected-error @+1 {{operand 'gather rows' must be a rank-1 tensor [M], got 'tensor<2x4xi32>'}}
  %y = "moe.grouped_gemm"(%x, %w, %o, %r) <{segment_kind = #moe.segments<offsets>, gather_k = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0>}> : (tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>, tensor<2x4xi32>) -> tensor<2x16xf32>
  return
}

// -----

func.func @gemm_gather_element(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi64>) {
  // expected-error @+1 {{operand 'gather rows' element type must be 'i32', got 'i64'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) gather(%r : tensor<?xi64>, k = 2) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_gather_no_k(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>) {
  // expected-error @+1 {{gather form needs the attribute 'gather_k' (K, to map a pair to its token)}}
  %y = "moe.grouped_gemm"(%x, %w, %o, %r) <{segment_kind = #moe.segments<offsets>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0>}> : (tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>, tensor<?xi32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @gemm_gather_k_zero(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>) {
  // expected-error @+1 {{attribute 'gather_k' = 0 must be at least 1}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) gather(%r : tensor<?xi32>, k = 0) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_gather_k_without_rows(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{attribute 'gather_k' is only valid with the gather rows operand}}
  %y = "moe.grouped_gemm"(%x, %w, %o) <{segment_kind = #moe.segments<offsets>, gather_k = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>}> : (tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @gemm_counts_not_multiple(%x: tensor<10x8xf32>, %w: tensor<4x8x16xf32>, %c: tensor<4xi32>) {
  // expected-error @+1 {{operand 'x' dim 0 (M) is 10 but must be a multiple of 4 (w dim 0)}}
  %y = moe.grouped_gemm %x, %w, counts(%c) : tensor<10x8xf32>, tensor<4x8x16xf32>, tensor<4xi32>
  return
}

// -----

func.func @gemm_counts_gather_not_multiple(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %c: tensor<4xi32>, %r: tensor<10xi32>) {
  // expected-error @+1 {{operand 'gather rows' dim 0 (M) is 10 but must be a multiple of 4 (w dim 0)}}
  %y = moe.grouped_gemm %x, %w, counts(%c) gather(%r : tensor<10xi32>, k = 2) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<4xi32>
  return
}

// -----

func.func @gemm_combine_half(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>) {
  // expected-error @+1 {{combine form needs both the combine rows and the combine weights operands}}
  %y = "moe.grouped_gemm"(%x, %w, %o, %r) <{segment_kind = #moe.segments<offsets>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 0>}> : (tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>, tensor<?xi32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @gemm_combine_rows_rank(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?x1xi32>, %rw: tensor<?x2xf32>) {
  // expected-error @+1 {{operand 'combine rows' must be a rank-1 tensor [M], got 'tensor<?x1xi32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) combine(%r : tensor<?x1xi32>, %rw : tensor<?x2xf32>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_combine_rows_element(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xf32>, %rw: tensor<?x2xf32>) {
  // expected-error @+1 {{operand 'combine rows' element type must be 'i32', got 'f32'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) combine(%r : tensor<?xf32>, %rw : tensor<?x2xf32>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_combine_rows_length(%x: tensor<6x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<7xi32>, %rw: tensor<3x2xf32>) {
  // expected-error @+1 {{operand 'combine rows' dim 0 (M) is 7 but must be 6 (x dim 0)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) combine(%r : tensor<7xi32>, %rw : tensor<3x2xf32>) : tensor<6x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_combine_weights_rank(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>, %rw: tensor<?xf32>) {
  // expected-error @+1 {{operand 'combine weights' must be a rank-2 tensor for the result types to be inferred, got 'tensor<?xf32>'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) combine(%r : tensor<?xi32>, %rw : tensor<?xf32>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_combine_weights_rank_generic(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>, %rw: tensor<?xf32>) {
  // expected-error @+1 {{operand 'combine weights' must be a rank-2 tensor [T, K], got 'tensor<?xf32>'}}
  %y = "moe.grouped_gemm"(%x, %w, %o, %r, %rw) <{segment_kind = #moe.segments<offsets>, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 1>}> : (tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>, tensor<?xi32>, tensor<?xf32>) -> tensor<?x16xf32>
  return
}

// -----

func.func @gemm_combine_weights_element(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>, %rw: tensor<?x2xbf16>) {
  // expected-error @+1 {{operand 'combine weights' element type must be 'f32', got 'bf16'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) combine(%r : tensor<?xi32>, %rw : tensor<?x2xbf16>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_gather_combine_tokens(%x: tensor<5x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>, %rw: tensor<6x2xf32>) {
  // expected-error @+1 {{operand 'x' dim 0 (T) is 5 but must be 6 (combine weights dim 0)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) gather(%r : tensor<?xi32>, k = 2) combine(%r : tensor<?xi32>, %rw : tensor<6x2xf32>) : tensor<5x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_gather_combine_k(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>, %r: tensor<?xi32>, %rw: tensor<?x3xf32>) {
  // expected-error @+1 {{operand 'combine weights' dim 1 (K) is 3 but must be 2 (gather_k)}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) gather(%r : tensor<?xi32>, k = 2) combine(%r : tensor<?xi32>, %rw : tensor<?x3xf32>) : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_result_type(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{result 'y' must be 'tensor<?x8xf32>' (determined by the operands), got 'tensor<?x16xf32>'}}
  %y = "moe.grouped_gemm"(%x, %w, %o) <{segment_kind = #moe.segments<offsets>, gated, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>}> : (tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>) -> tensor<?x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// moe.unpermute
//===----------------------------------------------------------------------===//

// -----

func.func @unpermute_y_rank(%y: tensor<8xf32>, %r: tensor<8xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{operand 'y' must be a rank-2 tensor for the result types to be inferred, got 'tensor<8xf32>'}}
  %out = moe.unpermute %y, %r, %w : tensor<8xf32>, tensor<8xi32>, tensor<4x2xf32>
  return
}

// -----

func.func @unpermute_y_rank_generic(%y: tensor<8xf32>, %r: tensor<8xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{operand 'y' must be a rank-2 tensor [M, H], got 'tensor<8xf32>'}}
  %out = "moe.unpermute"(%y, %r, %w) : (tensor<8xf32>, tensor<8xi32>, tensor<4x2xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @unpermute_y_element(%y: tensor<8x4xi32>, %r: tensor<8xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{operand 'y' element type must be f32, f16 or bf16, got 'i32'}}
  %out = moe.unpermute %y, %r, %w : tensor<8x4xi32>, tensor<8xi32>, tensor<4x2xf32>
  return
}

// -----

func.func @unpermute_rows_rank(%y: tensor<8x4xf32>, %r: tensor<8x1xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{operand 'rows' must be a rank-1 tensor [M], got 'tensor<8x1xi32>'}}
  %out = moe.unpermute %y, %r, %w : tensor<8x4xf32>, tensor<8x1xi32>, tensor<4x2xf32>
  return
}

// -----

func.func @unpermute_rows_element(%y: tensor<8x4xf32>, %r: tensor<8xi16>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{operand 'rows' element type must be 'i32', got 'i16'}}
  %out = moe.unpermute %y, %r, %w : tensor<8x4xf32>, tensor<8xi16>, tensor<4x2xf32>
  return
}

// -----

func.func @unpermute_rows_length(%y: tensor<8x4xf32>, %r: tensor<6xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{operand 'rows' dim 0 (M) is 6 but must be 8 (y dim 0)}}
  %out = moe.unpermute %y, %r, %w : tensor<8x4xf32>, tensor<6xi32>, tensor<4x2xf32>
  return
}

// -----

func.func @unpermute_weights_rank(%y: tensor<8x4xf32>, %r: tensor<8xi32>, %w: tensor<8xf32>) {
  // expected-error @+1 {{operand 'weights' must be a rank-2 tensor [T, K], got 'tensor<8xf32>'}}
  %out = "moe.unpermute"(%y, %r, %w) : (tensor<8x4xf32>, tensor<8xi32>, tensor<8xf32>) -> tensor<4x4xf32>
  return
}

// -----

func.func @unpermute_weights_element(%y: tensor<8x4xf32>, %r: tensor<8xi32>, %w: tensor<4x2xf16>) {
  // expected-error @+1 {{operand 'weights' element type must be 'f32', got 'f16'}}
  %out = moe.unpermute %y, %r, %w : tensor<8x4xf32>, tensor<8xi32>, tensor<4x2xf16>
  return
}

// -----

func.func @unpermute_result(%y: tensor<8x4xf32>, %r: tensor<8xi32>, %w: tensor<4x2xf32>) {
  // expected-error @+1 {{result 'out' must be 'tensor<4x4xf32>' (determined by the operands), got 'tensor<8x4xf32>'}}
  %out = "moe.unpermute"(%y, %r, %w) : (tensor<8x4xf32>, tensor<8xi32>, tensor<4x2xf32>) -> tensor<8x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// moe.layer
//===----------------------------------------------------------------------===//

// -----

func.func @layer_x_rank(%x: tensor<64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'x' must be a rank-2 tensor [T, H], got 'tensor<64xf32>'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_x_element(%x: tensor<?x64xi8>, %r: tensor<64x8xi8>, %w1: tensor<8x64x32xi8>, %w2: tensor<8x16x64xi8>) {
  // expected-error @+1 {{operand 'x' element type must be f32, f16 or bf16, got 'i8'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xi8>, tensor<64x8xi8>, tensor<8x64x32xi8>, tensor<8x16x64xi8>
  return
}

// -----

func.func @layer_router_rank(%x: tensor<?x64xf32>, %r: tensor<8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'router_w' must be a rank-2 tensor [H, E], got 'tensor<8xf32>'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_router_element(%x: tensor<?x64xf32>, %r: tensor<64x8xi32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'router_w' element type must be f32, f16 or bf16, got 'i32'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xi32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_router_hidden(%x: tensor<?x64xf32>, %r: tensor<32x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'router_w' dim 0 (H) is 32 but must be 64 (x dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<32x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_router_bias_rank(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %b: tensor<8x1xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'router_bias' must be a rank-1 tensor [E], got 'tensor<8x1xf32>'}}
  %out = moe.layer %x, %r, %w1, %w2 bias(%b : tensor<8x1xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_router_bias_element(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %b: tensor<8xbf16>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'router_bias' element type must be 'f32', got 'bf16'}}
  %out = moe.layer %x, %r, %w1, %w2 bias(%b : tensor<8xbf16>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_router_bias_length(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %b: tensor<7xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'router_bias' dim 0 (E) is 7 but must be 8 (router_w dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 bias(%b : tensor<7xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_k_above_experts(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'router_w' dim 1 (E) must be at least 9 (k), got 8}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(9) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_down_rank(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<16x64xf32>) {
  // expected-error @+1 {{operand 'w_down' must be a rank-3 tensor [E, I, H], got 'tensor<16x64xf32>'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<16x64xf32>
  return
}

// -----

func.func @layer_down_element(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf16>) {
  // expected-error @+1 {{operand 'w_down' element type 'f16' must match operand 'x' element type 'f32'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf16>
  return
}

// -----

func.func @layer_down_experts(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<4x16x64xf32>) {
  // expected-error @+1 {{operand 'w_down' dim 0 (E) is 4 but must be 8 (router_w dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<4x16x64xf32>
  return
}

// -----

func.func @layer_down_hidden(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x32x64xf32>, %w2: tensor<8x16x16xf32>) {
  // expected-error @+1 {{operand 'w_down' dim 1 (H) is 16 but must be 64 (x dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated layout<eoi> : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x32x64xf32>, tensor<8x16x16xf32>
  return
}

// -----

func.func @layer_gate_up_rank(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'w_gate_up' must be a rank-3 tensor [E, H, 2I], got 'tensor<64x32xf32>'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_gate_up_element(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xbf16>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'w_gate_up' element type 'bf16' must match operand 'x' element type 'f32'}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xbf16>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_gate_up_experts(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<7x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'w_gate_up' dim 0 (E) is 7 but must be 8 (router_w dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<7x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_gate_up_hidden(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x32x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'w_gate_up' dim 1 (H) is 32 but must be 64 (x dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x32x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_gate_up_width_gated(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x16xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'w_gate_up' dim 2 (2 * I) is 16 but must be 32 (2 * w_down dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x16xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_gate_up_width(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{operand 'w_gate_up' dim 2 (I) is 32 but must be 16 (w_down dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) activation<gelu> : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_half(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<64x32xf32>) {
  // expected-error @+1 {{the shared expert needs both operands 'shared_gate_up' and 'shared_down'}}
  %out = "moe.layer"(%x, %r, %w1, %w2, %s1) <{k = 2 : i64, gated, operandSegmentSizes = array<i32: 1, 1, 0, 1, 1, 1, 0>}> : (tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>, tensor<64x32xf32>) -> tensor<?x64xf32>
  return
}

// -----

func.func @layer_shared_down_rank(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<64x32xf32>, %s2: tensor<1x16x64xf32>) {
  // expected-error @+1 {{operand 'shared_down' must be a rank-2 tensor [SI, H], got 'tensor<1x16x64xf32>'}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<64x32xf32>, tensor<1x16x64xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_down_element(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<64x32xf32>, %s2: tensor<16x64xf16>) {
  // expected-error @+1 {{operand 'shared_down' element type 'f16' must match operand 'x' element type 'f32'}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<64x32xf32>, tensor<16x64xf16>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_down_hidden(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<64x32xf32>, %s2: tensor<16x32xf32>) {
  // expected-error @+1 {{operand 'shared_down' dim 1 (H) is 32 but must be 64 (x dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<64x32xf32>, tensor<16x32xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_gate_up_rank(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<32xf32>, %s2: tensor<16x64xf32>) {
  // expected-error @+1 {{operand 'shared_gate_up' must be a rank-2 tensor [H, 2SI], got 'tensor<32xf32>'}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<32xf32>, tensor<16x64xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_gate_up_element(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<64x32xbf16>, %s2: tensor<16x64xf32>) {
  // expected-error @+1 {{operand 'shared_gate_up' element type 'bf16' must match operand 'x' element type 'f32'}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<64x32xbf16>, tensor<16x64xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_gate_up_hidden(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<32x32xf32>, %s2: tensor<16x64xf32>) {
  // expected-error @+1 {{operand 'shared_gate_up' dim 0 (H) is 32 but must be 64 (x dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<32x32xf32>, tensor<16x64xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_gate_up_width(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>, %s1: tensor<64x48xf32>, %s2: tensor<16x64xf32>) {
  // expected-error @+1 {{operand 'shared_gate_up' dim 1 (2 * SI) is 48 but must be 32 (2 * shared_down dim 0)}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<64x48xf32>, tensor<16x64xf32>) top_k(2) gated : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_shared_up_width(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x16x64xf32>, %w2: tensor<8x64x16xf32>, %s1: tensor<32x64xf32>, %s2: tensor<64x16xf32>) {
  // expected-error @+1 {{operand 'shared_gate_up' dim 0 (SI) is 32 but must be 16 (shared_down dim 1)}}
  %out = moe.layer %x, %r, %w1, %w2 shared(%s1, %s2 : tensor<32x64xf32>, tensor<64x16xf32>) top_k(2) activation<relu> layout<eoi> : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x16x64xf32>, tensor<8x64x16xf32>
  return
}

// -----

func.func @layer_capacity_factor(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{attribute 'capacity_factor' = 0.000000e+00 must be finite and positive}}
  %out = moe.layer %x, %r, %w1, %w2 top_k(2) gated capacity_factor(0.0) : tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>
  return
}

// -----

func.func @layer_result_type(%x: tensor<?x64xf32>, %r: tensor<64x8xf32>, %w1: tensor<8x64x32xf32>, %w2: tensor<8x16x64xf32>) {
  // expected-error @+1 {{failed to verify that all of {x, out} have same type}}
  %out = "moe.layer"(%x, %r, %w1, %w2) <{k = 2 : i64, gated, operandSegmentSizes = array<i32: 1, 1, 0, 1, 1, 0, 0>}> : (tensor<?x64xf32>, tensor<64x8xf32>, tensor<8x64x32xf32>, tensor<8x16x64xf32>) -> tensor<4x64xf32>
  return
}

//===----------------------------------------------------------------------===//
// moe.balance_loss
//===----------------------------------------------------------------------===//

// -----

func.func @balance_logits_rank(%l: tensor<8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{operand 'logits' must be a rank-2 tensor [T, E], got 'tensor<8xf32>'}}
  %0 = moe.balance_loss %l, %ids : tensor<8xf32>, tensor<4x2xi32>
  return
}

// -----

func.func @balance_logits_element(%l: tensor<4x8xi32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{operand 'logits' element type must be f32, f16 or bf16, got 'i32'}}
  %0 = moe.balance_loss %l, %ids : tensor<4x8xi32>, tensor<4x2xi32>
  return
}

// -----

func.func @balance_ids_rank(%l: tensor<4x8xf32>, %ids: tensor<8xi32>) {
  // expected-error @+1 {{operand 'ids' must be a rank-2 tensor [T, K], got 'tensor<8xi32>'}}
  %0 = moe.balance_loss %l, %ids : tensor<4x8xf32>, tensor<8xi32>
  return
}

// -----

func.func @balance_ids_element(%l: tensor<4x8xf32>, %ids: tensor<4x2xi8>) {
  // expected-error @+1 {{operand 'ids' element type must be 'i32', got 'i8'}}
  %0 = moe.balance_loss %l, %ids : tensor<4x8xf32>, tensor<4x2xi8>
  return
}

// -----

func.func @balance_tokens(%l: tensor<4x8xf32>, %ids: tensor<3x2xi32>) {
  // expected-error @+1 {{operand 'ids' dim 0 (T) is 3 but must be 4 (logits dim 0)}}
  %0 = moe.balance_loss %l, %ids : tensor<4x8xf32>, tensor<3x2xi32>
  return
}

// -----

func.func @balance_result(%l: tensor<4x8xf32>, %ids: tensor<4x2xi32>) {
  // expected-error @+1 {{result #0 must be 0-d tensor of f32}}
  %0 = "moe.balance_loss"(%l, %ids) : (tensor<4x8xf32>, tensor<4x2xi32>) -> tensor<1xf32>
  return
}

//===----------------------------------------------------------------------===//
// moe.grouped_gemm: small_tile
//===----------------------------------------------------------------------===//

// -----

func.func @gemm_small_tile_without_tile(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{'moe.grouped_gemm' op attribute 'small_tile' needs a 'tile'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {small_tile = #moe.tile<block_m = 4, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_small_tile_rows(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{'moe.grouped_gemm' op attribute 'small_tile' block_m = 32 must be at most the tile's block_m = 16}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 16, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>, small_tile = #moe.tile<block_m = 32, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_medium_tile_without_tile(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{'moe.grouped_gemm' op attribute 'medium_tile' needs a 'tile'}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {medium_tile = #moe.tile<block_m = 4, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_medium_tile_rows(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{'moe.grouped_gemm' op attribute 'medium_tile' block_m = 32 must be at most the tile's block_m = 16}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 16, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>, medium_tile = #moe.tile<block_m = 32, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

// -----

func.func @gemm_medium_tile_not_above_small(%x: tensor<?x8xf32>, %w: tensor<4x8x16xf32>, %o: tensor<5xi32>) {
  // expected-error @+1 {{'moe.grouped_gemm' op attribute 'medium_tile' block_m = 4 must exceed small_tile's block_m = 4}}
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 16, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>, medium_tile = #moe.tile<block_m = 4, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>, small_tile = #moe.tile<block_m = 4, block_n = 16, block_k = 8, thread_m = 4, thread_n = 4>} : tensor<?x8xf32>, tensor<4x8x16xf32>, tensor<5xi32>
  return
}

//===----------------------------------------------------------------------===//
// #moe.target
//===----------------------------------------------------------------------===//

// -----

// The attribute's verifier reports at the attribute.
// expected-error @+1 {{target kind must be cpu, nvptx, rocdl or emu, got 'cuda'}}
module attributes {moe.target = #moe.target<kind = "cuda", chip = "sm_90">} {
}

// -----

// expected-error @+1 {{a nvptx target needs a chip}}
module attributes {moe.target = #moe.target<kind = "nvptx", chip = "">} {
}

// -----

// expected-error @+1 {{a rocdl target needs a chip}}
module attributes {moe.target = #moe.target<kind = "rocdl", chip = "", features = "">} {
}

// -----

func.func @dispatch_capacity_beyond_i32_rows(%x: tensor<?x4xf32>, %ids: tensor<?x2xi32>) {
  // expected-error @+1 {{attribute 'capacity' = 300000000 makes num_experts * capacity = 8 * 300000000 rows, more than i32 row indices address}}
  %xp, %c, %r = moe.dispatch %x, %ids experts(8) capacity(300000000) : tensor<?x4xf32>, tensor<?x2xi32>
  return
}
