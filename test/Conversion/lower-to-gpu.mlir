// RUN: moe-opt %s --split-input-file --moe-select-tiles=target=emu --moe-lower-to-gpu | FileCheck %s

// The grouped GEMM with a SIMT tile: a zero fill of y (rows owned by no
// expert), then one tiled launch over ceil(M/64) + E row-tiles x
// ceil(width/64) column-tiles, 16x16 threads, x and both weight halves staged in workgroup memory between
// barriers, each block locating its expert in the offsets.
// CHECK-LABEL: func.func @gated_gemm(
// CHECK: %[[Y:[a-z0-9_]+]] = memref.alloc(%{{.*}}) : memref<?x128xbf16>
// CHECK: gpu.launch
// CHECK: memref.store %{{.*}}, %[[Y]]
// CHECK: %[[TILES:[a-z0-9_]+]] = arith.ceildivui %{{.*}}, %c64
// CHECK: %[[GRIDX:[a-z0-9_]+]] = arith.addi %[[TILES]], %{{.*}} : index
// CHECK: gpu.launch blocks(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %[[GRIDX]], %{{[a-z0-9]+}} = %{{[a-z0-9_]+}}, %{{[a-z0-9]+}} = %{{[a-z0-9_]+}}) threads(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}})
// CHECK-SAME: workgroup(%[[A:[a-z0-9_]+]] : memref<64x16xf32, #gpu.address_space<workgroup>>, %[[B:[a-z0-9_]+]] : memref<16x64xf32, #gpu.address_space<workgroup>>, %[[UP:[a-z0-9_]+]] : memref<16x64xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for {{.*}} iter_args
// CHECK: memref.store %{{.*}}, %[[A]][
// CHECK: memref.store %{{.*}}, %[[B]][
// CHECK: memref.store %{{.*}}, %[[UP]][
// CHECK: gpu.barrier
// CHECK: memref.load %[[A]][
// CHECK: gpu.barrier
// CHECK: math.exp
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: memref.store %{{.*}}, %[[Y]][
func.func @gated_gemm(%x: tensor<?x64xbf16>, %w: tensor<8x64x256xbf16>, %o: tensor<9xi32>) -> tensor<?x128xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) activation<silu> gated {tile = #moe.tile<block_m = 64, block_n = 64, block_k = 16, thread_m = 4, thread_n = 4>} : tensor<?x64xbf16>, tensor<8x64x256xbf16>, tensor<9xi32>
  return %y : tensor<?x128xbf16>
}

// -----

// A tile on the op wins over the selected one: 32x128 rows x columns a block, 2x8
// a thread (16x16 threads), 32 deep.
// CHECK-LABEL: func.func @tiled_gemm(
// CHECK: %[[TILES:[a-z0-9_]+]] = arith.ceildivui %{{.*}}, %c32
// CHECK: gpu.launch {{.*}} threads(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}})
// CHECK-SAME: workgroup(%{{[a-z0-9_]+}} : memref<32x32xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<32x128xf32, #gpu.address_space<workgroup>>)
func.func @tiled_gemm(%x: tensor<?x64xf32>, %w: tensor<8x64x256xf32>, %o: tensor<9xi32>) -> tensor<?x256xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) {tile = #moe.tile<block_m = 32, block_n = 128, block_k = 32, thread_m = 2, thread_n = 8>} : tensor<?x64xf32>, tensor<8x64x256xf32>, tensor<9xi32>
  return %y : tensor<?x256xf32>
}

// -----

// Without a tile on the op, moe-select-tiles gives the tile of the chip of
// the module's moe.target (set by the driver: the runtime's is the
// device's), which wins over its target= option: sm_90 takes 64x128
// columns a block, 4x8 a thread.
// CHECK-LABEL: func.func @sm90_gemm(
// CHECK: %[[TILES:[a-z0-9_]+]] = arith.ceildivui %{{.*}}, %c64
// CHECK: gpu.launch {{.*}} threads(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c16{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}})
// CHECK-SAME: workgroup(%{{[a-z0-9_]+}} : memref<64x16xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<16x128xf32, #gpu.address_space<workgroup>>)
module attributes {moe.target = #moe.target<kind = "nvptx", chip = "sm_90">} {
  func.func @sm90_gemm(%x: tensor<?x64xf32>, %w: tensor<8x64x256xf32>, %o: tensor<9xi32>) -> tensor<?x256xf32> {
    %y = moe.grouped_gemm %x, %w, offsets(%o) : tensor<?x64xf32>, tensor<8x64x256xf32>, tensor<9xi32>
    return %y : tensor<?x256xf32>
  }
}

// -----

// Gather and combine forms: rows read token rows[r] / K; the result is
// combined by three flat kernels, the pair claimed by an atomic min.
// CHECK-LABEL: func.func @gather_combine(
// CHECK: gpu.launch
// CHECK: gpu.launch {{.*}} workgroup(
// CHECK: arith.divui %{{.*}}, %c2
// CHECK: gpu.launch
// CHECK: gpu.launch
// CHECK: memref.atomic_rmw mins
// CHECK: gpu.launch
// CHECK: scf.for
// CHECK: arith.mulf
func.func @gather_combine(%x: tensor<?x32xf16>, %w: tensor<4x16x32xf16>, %c: tensor<4xi32>, %rows: tensor<24xi32>, %rw: tensor<?x2xf32>) -> tensor<?x16xf16> {
  %y = moe.grouped_gemm %x, %w, counts(%c) gather(%rows : tensor<24xi32>, k = 2) combine(%rows : tensor<24xi32>, %rw : tensor<?x2xf32>) activation<relu> layout<eoi> : tensor<?x32xf16>, tensor<4x16x32xf16>, tensor<4xi32>
  return %y : tensor<?x16xf16>
}

// -----

// CHECK-LABEL: func.func @unpermute(
// CHECK: memref.atomic_rmw mins
// CHECK: gpu.launch
func.func @unpermute(%y: tensor<?x8xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x8xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x8xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x8xf32>
}

// -----

// Routing with a static E: a block per token row (grid T, 256 threads for
// E = 256), scores and selection scores in workgroup memory, then for each
// of the K slots a block argmax through the reduction buffers, barriers
// between the steps; thread 0 writes ids and weights [T, K].
// CHECK-LABEL: func.func @route(
// CHECK: %[[IDS:[a-z0-9_]+]] = memref.alloc(%[[T:[a-z0-9_]+]]) : memref<?x8xi32>
// CHECK: gpu.launch blocks(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %[[T]], %{{[a-z0-9]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}}) threads(%{{[a-z0-9]+}}, %{{[a-z0-9]+}}, %{{[a-z0-9]+}}) in (%{{[a-z0-9]+}} = %c256{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}}) module(@moe_kernels) function(@route)
// CHECK-SAME: workgroup(%[[SCORES:[a-z0-9_]+]] : memref<256xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<256xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<256xi8, #gpu.address_space<workgroup>>, %[[VALUES:[a-z0-9_]+]] : memref<256xf32, #gpu.address_space<workgroup>>, %[[INDICES:[a-z0-9_]+]] : memref<256xi32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<8xf32, #gpu.address_space<workgroup>>, %{{[a-z0-9_]+}} : memref<8xi8, #gpu.address_space<workgroup>>)
// CHECK: math.exp
// CHECK: memref.store %{{.*}}, %[[SCORES]][
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %{{.*}} to %c8{{[_0-9]*}} step
// CHECK: memref.store %{{.*}}, %[[INDICES]][
// CHECK: gpu.barrier
// CHECK: memref.load %[[VALUES]][
// CHECK: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[IDS]][
func.func @route(%l: tensor<?x256xbf16>, %b: tensor<256xf32>) -> (tensor<?x8xi32>, tensor<?x8xf32>) {
  %ids, %w = moe.route %l bias(%b : tensor<256xf32>) top_k(8) scoring<sigmoid> groups(8, 4) renormalize scaling(2.5) : tensor<?x256xbf16>
  return %ids, %w : tensor<?x8xi32>, tensor<?x8xf32>
}

// -----

// With a dynamic E: one thread per token row (256-thread blocks), each in its
// own row of [T, E] work buffers.
// CHECK-LABEL: func.func @route_dynamic_experts(
// CHECK: gpu.launch {{.*}}module(@moe_kernels) function(@route)
// CHECK: memref.subview %{{.*}}[%{{.*}}, 0] [1, %{{.*}}] [1, 1] : memref<?x?xf32> to memref<?xf32, strided<[1], offset: ?>>
// CHECK: math.exp
func.func @route_dynamic_experts(%logits: tensor<?x?xf32>) -> (tensor<?x4xi32>, tensor<?x4xf32>) {
  %ids, %w = moe.route %logits top_k(4) groups(2, 1) : tensor<?x?xf32>
  return %ids, %w : tensor<?x4xi32>, tensor<?x4xf32>
}

// -----

// Permute: rank (ids of a 256-pair chunk in workgroup memory, a barrier,
// counts of earlier equal ids), scan per expert, offsets, scatter, gather.
// No atomics anywhere: the order is the counting sort's.
// CHECK-LABEL: func.func @permute(
// CHECK: gpu.launch {{.*}}module(@moe_kernels) function(@permute_rank) workgroup(%[[CHUNK:[a-z0-9_]+]] : memref<256xi32, #gpu.address_space<workgroup>>)
// CHECK: memref.store %{{.*}}, %[[CHUNK]][
// CHECK: gpu.barrier
// CHECK: memref.load %[[CHUNK]][
// CHECK: function(@permute_scan)
// CHECK: function(@permute_offsets)
// CHECK: function(@permute_scatter)
// CHECK: function(@permute_gather)
// CHECK-NOT: atomic_rmw
// CHECK: return
func.func @permute(%x: tensor<?x64xf16>, %ids: tensor<?x2xi32>) -> (tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>) {
  %xp, %offsets, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf16>, tensor<?x2xi32>
  return %xp, %offsets, %rows : tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>
}

// -----

// Dispatch: the same ranking; a pair is kept when its rank is below C.
// CHECK-LABEL: func.func @dispatch(
// CHECK: function(@dispatch_rank)
// CHECK: function(@dispatch_scan)
// CHECK: function(@dispatch_counts)
// CHECK: arith.minsi
// CHECK: function(@dispatch_unfilled)
// CHECK: function(@dispatch_scatter)
// CHECK: arith.cmpi slt, %{{.*}}, %{{.*}} : i32
// CHECK: function(@dispatch_gather)
// CHECK-NOT: atomic_rmw
// CHECK: return
func.func @dispatch(%x: tensor<?x64xf32>, %ids: tensor<?x2xi32>, %c: index) -> (tensor<?x64xf32>, tensor<8xi32>, tensor<?xi32>) {
  %xp, %counts, %rows = moe.dispatch %x, %ids experts(8) capacity(%c) : tensor<?x64xf32>, tensor<?x2xi32>
  return %xp, %counts, %rows : tensor<?x64xf32>, tensor<8xi32>, tensor<?xi32>
}

// -----

// Balance loss: softmax per token, a sum over tokens per expert, then one
// thread sums the experts in order.
// CHECK-LABEL: func.func @balance_loss(
// CHECK: function(@balance_loss_softmax)
// CHECK: function(@balance_loss_experts)
// CHECK: %[[LOSS:[a-z0-9_]+]] = memref.alloc() : memref<f32>
// CHECK: gpu.launch {{.*}}in (%{{[a-z0-9]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}}, %{{[a-z0-9]+}} = %c1{{[_0-9]*}}) module(@moe_kernels) function(@balance_loss_sum)
// CHECK: memref.store %{{.*}}, %[[LOSS]][]
func.func @balance_loss(%logits: tensor<?x8xf32>, %ids: tensor<?x2xi32>) -> tensor<f32> {
  %l = moe.balance_loss %logits, %ids : tensor<?x8xf32>, tensor<?x2xi32>
  return %l : tensor<f32>
}

// -----

// With a tensor-core tile (f16 on the emulator or sm_80+), one 128-thread
// block double-buffers x and the weight (eoi: the weight tile is N x K) in
// one workgroup byte buffer with cp.async: K tile kt + 1 is copied (16 bytes
// a thread and piece, cut at the rows, In and the width) while the warps
// contract tile kt, 16 x 16 pieces of x with 8 x 16 pieces of the weight,
// into loop-carried 16 x 8 f32 accumulators; each iteration commits a group
// and waits for all but it. After the loop every copy lands before the
// bytes become the f32 accumulator tile of the epilogue. The kernel stage
// turns the contractions into mma.sync (test/Target/NVVM/grouped-gemm-mma.mlir).
// CHECK-LABEL: func.func @mma_gemm(
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c128{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) {{.*}}workgroup(%[[BYTES:.*]] : memref<16384xi8, #gpu.address_space<workgroup>>)
// CHECK: %[[X0:.*]] = memref.view %[[BYTES]][%{{.*}}][] : memref<16384xi8, #gpu.address_space<workgroup>> to memref<64x32xf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy %{{.*}}, %[[X0]][%{{.*}}, %{{.*}}], 8, %{{.*}} {bypassL1} : memref<?x32xf16> to memref<64x32xf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy %{{.*}}, %{{.*}}, 8, %{{.*}} {bypassL1} : memref<4x64x32xf16> to memref<64x32xf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_create_group
// CHECK: %[[LOOP:.*]]:8 = scf.for {{.*}} -> (vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>)
// CHECK: nvgpu.device_async_copy
// CHECK: %[[GROUP:.*]] = nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_wait %[[GROUP]] {numGroups = 1 : i32}
// CHECK: gpu.barrier
// CHECK: %[[X:.*]] = memref.view %[[BYTES]]
// CHECK: %[[W:.*]] = memref.view %[[BYTES]]
// CHECK: %[[A:.*]] = vector.transfer_read %[[X]]{{.*}} : memref<64x32xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
// CHECK: %[[B:.*]] = vector.transfer_read %[[W]]{{.*}} : memref<64x32xf16, #gpu.address_space<workgroup>>, vector<8x16xf16>
// CHECK: vector.contract {{.*}} %[[A]], %[[B]], %{{.*}} : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
// CHECK: gpu.barrier
// CHECK: %[[LAST:.*]] = nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_wait %[[LAST]] {numGroups = 0 : i32}
// CHECK: gpu.barrier
// CHECK: %[[ACC:.*]] = memref.view %[[BYTES]][%{{.*}}][] : memref<16384xi8, #gpu.address_space<workgroup>> to memref<64x64xf32, #gpu.address_space<workgroup>>
// CHECK: vector.transfer_write %[[LOOP]]#0, %[[ACC]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[ACC]]
func.func @mma_gemm(%x: tensor<?x32xf16>, %w: tensor<4x64x32xf16>, %o: tensor<5xi32>) -> tensor<?x64xf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) layout<eoi> : tensor<?x32xf16>, tensor<4x64x32xf16>, tensor<5xi32>
  return %y : tensor<?x64xf16>
}

// -----

// Rows that are not whole 16-byte pieces (In = 36) are staged through
// registers: each thread loads an element (zero outside the tile, In and the
// width) and stores it to the f16 tiles; the K loop stages, then contracts.
// CHECK-LABEL: func.func @mma_gemm_unaligned(
// CHECK: gpu.launch {{.*}}workgroup(%[[X:.*]] : memref<64x32xf16, #gpu.address_space<workgroup>>, %[[W:.*]] : memref<64x32xf16, #gpu.address_space<workgroup>>, %[[ACC:.*]] : memref<64x64xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for {{.*}} -> (vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>, vector<16x8xf32>)
// CHECK: memref.store %{{.*}}, %[[X]]
// CHECK: memref.store %{{.*}}, %[[W]]
// CHECK: gpu.barrier
// CHECK: vector.contract
// CHECK-NOT: nvgpu.device_async_copy
func.func @mma_gemm_unaligned(%x: tensor<?x36xf16>, %w: tensor<4x64x36xf16>, %o: tensor<5xi32>) -> tensor<?x64xf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%o) layout<eoi> : tensor<?x36xf16>, tensor<4x64x36xf16>, tensor<5xi32>
  return %y : tensor<?x64xf16>
}
