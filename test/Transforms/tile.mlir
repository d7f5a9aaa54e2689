// RUN: moe-opt %s -split-input-file --moe-tile --canonicalize --cse --verify-each | FileCheck %s

// A gated grouped GEMM with a bias and a small tile. Row tiles are counted
// at run time from the offsets (clamped into [0, M] and non-decreasing);
// the large row tiles (more than 2 rows) run in a forall over 3 column tiles
// of 16 (x gathered a row at a time: f32 rows are plain copies), the small ones in a second forall over one 48-column tile whose
// single matmul covers gate and up (96 columns: whole weight rows).
// CHECK-LABEL: func.func @gated_small(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>, %[[W:[^:]*]]: tensor<4x64x96xf32>, %[[OFF:[^:]*]]: tensor<5xi32>, %[[B:[^:]*]]: tensor<4x96xf32>)
// CHECK: %[[M:.*]] = tensor.dim %[[X]]
// CHECK: %[[Y0:.*]] = linalg.fill {{.*}} outs(%{{.*}} : tensor<?x48xf32>)
// CHECK: %[[LARGE:.*]]:2 = scf.for {{.*}} -> (index, index)
// CHECK: tensor.extract %[[OFF]]
// CHECK: arith.minsi %{{.*}}, %[[M]]
// CHECK: arith.ceildivsi %{{.*}}, %c12
// CHECK: %[[Y1:.*]] = scf.forall (%[[T:.*]], %[[C:.*]]) in (%[[LARGE]]#1, 3) shared_outs(%[[OUT:.*]] = %[[Y0]])
// CHECK: %[[COL:.*]] = arith.muli %[[C]], %c16
// CHECK: %[[TILE:.*]]:5 = scf.for
// CHECK: %[[PADDED:.*]] = arith.muli %{{.*}}, %c6
// CHECK: %[[XT:.*]] = tensor.empty() : tensor<12x64xf32>
// CHECK: %[[ROWS:.*]] = scf.for %[[R:.*]] = %c0 to %[[PADDED]] step %c1 iter_args(%[[XR:.*]] = %{{.*}}) -> (tensor<?x64xf32>)
// CHECK: %[[SRC:.*]] = tensor.extract_slice %[[X]][%{{.*}}, 0] [1, 64] [1, 1] : tensor<?x64xf32> to tensor<64xf32>
// CHECK: tensor.insert_slice %[[SRC]] into %[[XR]][%[[R]], 0] [1, 64]
// CHECK: %[[A:.*]] = tensor.insert_slice %[[ROWS]] into %[[XT]][0, 0] [%[[PADDED]], 64]
// CHECK: %[[WG:.*]] = tensor.extract_slice %[[W]][%[[TILE]]#2, 0, %[[COL]]] [1, 64, 16]
// CHECK: %[[G:.*]] = linalg.matmul {moe.micro_tile = array<i64: 6, 16, 32>} ins(%[[A]], %[[WG]] : tensor<12x64xf32>, tensor<64x16xf32>)
// CHECK: %[[UPCOL:.*]] = arith.addi %[[COL]], %c48
// CHECK: tensor.extract_slice %[[W]][%[[TILE]]#2, 0, %[[UPCOL]]] [1, 64, 16]
// CHECK: %[[U:.*]] = linalg.matmul {moe.micro_tile = array<i64: 6, 16, 32>}
// CHECK: %[[DST:.*]] = tensor.extract_slice %[[OUT]][%[[TILE]]#3, %[[COL]]] [%[[TILE]]#4, 16]
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}} outs(%[[DST]] : tensor<?x16xf32>)
// CHECK: math.exp
// CHECK: arith.mulf
// CHECK: tensor.parallel_insert_slice %[[EPI]] into %[[OUT]][%[[TILE]]#3, %[[COL]]] [%[[TILE]]#4, 16]
// CHECK: %[[SMALL:.*]]:2 = scf.for {{.*}} -> (index, index)
// CHECK: %[[Y2:.*]] = scf.forall (%{{.*}}) in (%[[SMALL]]#1) shared_outs(%{{.*}} = %[[Y1]])
// CHECK: tensor.empty() : tensor<2x64xf32>
// CHECK: %[[WROWS:.*]] = tensor.extract_slice %[[W]][%{{.*}}, 0, 0] [1, 64, 96]
// CHECK: %[[BOTH:.*]] = linalg.matmul {moe.micro_tile = array<i64: 1, 16, 1>} ins(%{{.*}}, %[[WROWS]] : tensor<2x64xf32>, tensor<64x96xf32>)
// CHECK: tensor.extract_slice %[[BOTH]][0, 0] [2, 48]
// CHECK: tensor.extract_slice %[[BOTH]][0, 48] [2, 48]
// CHECK: return %[[Y2]]
func.func @gated_small(%x: tensor<?x64xf32>, %w: tensor<4x64x96xf32>, %off: tensor<5xi32>, %b: tensor<4x96xf32>) -> tensor<?x48xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) bias(%b : tensor<4x96xf32>) activation<silu> gated {tile = #moe.tile<block_m = 12, block_n = 16, block_k = 32, thread_m = 6, thread_n = 16>, small_tile = #moe.tile<block_m = 2, block_n = 48, block_k = 1, thread_m = 1, thread_n = 16>}
    : tensor<?x64xf32>, tensor<4x64x96xf32>, tensor<5xi32>
  return %y : tensor<?x48xf32>
}

// -----

// Small, medium and large row tiles: an expert's rows are cut into tiles of
// 16; its last tile runs with the small tile when it holds at most 2 rows,
// with the medium tile (8 rows, 4-row register tiles) when it holds 3 to 8,
// else with the large tile. The large forall counts every tile but a last
// one of at most 8 rows; the medium one counts a last tile of 3 to 8 rows.
// The medium and small tiles' column tile is the whole width: one column.
// CHECK-LABEL: func.func @three_row_tiles(
// CHECK: %[[LARGE:.*]]:2 = scf.for
// CHECK: arith.ceildivsi %{{.*}}, %c16
// CHECK: arith.cmpi sle, %{{.*}}, %c8
// CHECK: %[[Y1:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (%[[LARGE]]#1, 2) shared_outs(%{{.*}} = %{{.*}})
// CHECK: tensor.empty() : tensor<16x64xf32>
// CHECK: linalg.matmul {moe.micro_tile = array<i64: 8, 16, 32>}
// CHECK: %[[MEDIUM:.*]]:2 = scf.for
// CHECK-DAG: arith.cmpi sle, %{{.*}}, %c8
// CHECK-DAG: arith.cmpi sgt, %{{.*}}, %c2
// CHECK: %[[Y2:.*]] = scf.forall (%{{.*}}) in (%[[MEDIUM]]#1) shared_outs(%{{.*}} = %[[Y1]])
// CHECK: tensor.empty() : tensor<8x64xf32>
// CHECK: linalg.matmul {moe.micro_tile = array<i64: 4, 32, 16>}
// CHECK: %[[SMALL:.*]]:2 = scf.for
// CHECK: arith.cmpi sle, %{{.*}}, %c2
// CHECK: %[[Y3:.*]] = scf.forall (%{{.*}}) in (%[[SMALL]]#1) shared_outs(%{{.*}} = %[[Y2]])
// CHECK: tensor.empty() : tensor<2x64xf32>
// CHECK: linalg.matmul {moe.micro_tile = array<i64: 2, 32, 8>}
// CHECK: return %[[Y3]]
func.func @three_row_tiles(%x: tensor<?x64xf32>, %w: tensor<4x64x32xf32>, %off: tensor<5xi32>) -> tensor<?x32xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) {tile = #moe.tile<block_m = 16, block_n = 16, block_k = 32, thread_m = 8, thread_n = 16>, medium_tile = #moe.tile<block_m = 8, block_n = 32, block_k = 16, thread_m = 4, thread_n = 32>, small_tile = #moe.tile<block_m = 2, block_n = 32, block_k = 8, thread_m = 2, thread_n = 32>}
    : tensor<?x64xf32>, tensor<4x64x32xf32>, tensor<5xi32>
  return %y : tensor<?x32xf32>
}

// -----

// Gather form, counts segments (C = M / E), eoi weights, bf16: rows read x
// through rows[r] / K (an invalid pair reads zeros), a row at a time, and are
// widened to f32 once, in the gather; the [BN, In] weight slice is packed to [In, BN]; the
// result is rounded to bf16. The width 40
// is not a multiple of the 16-column tile: a second forall takes the last 8
// columns with an 8-column register tile.
// CHECK-LABEL: func.func @gather_counts_eoi_tail(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x32xbf16>, %[[W:[^:]*]]: tensor<2x40x32xbf16>, %[[CNT:[^:]*]]: tensor<2xi32>, %[[ROWS:[^:]*]]: tensor<?xi32>)
// CHECK: %[[M:.*]] = tensor.dim %[[ROWS]]
// CHECK: arith.divui %[[M]], %c2
// CHECK: scf.forall ({{.*}}) in (%{{.*}}, 2)
// CHECK: scf.for
// CHECK: tensor.extract %[[ROWS]]
// CHECK: %[[TOKEN:.*]] = arith.divui %{{.*}}, %c4
// CHECK: tensor.extract_slice %[[X]][%[[TOKEN]], 0] [1, 32] [1, 1] : tensor<?x32xbf16> to tensor<32xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<32xbf16>) outs(%{{.*}} : tensor<32xf32>) attrs = {moe.gather_row}
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.select
// CHECK: linalg.transpose ins(%{{.*}} : tensor<16x32xbf16>) outs(%{{.*}} : tensor<32x16xbf16>) permutation = [1, 0]
// CHECK: linalg.matmul {moe.micro_tile = array<i64: 2, 16, 8>} ins(%{{.*}}, %{{.*}} : tensor<{{[0-9]+}}x32xf32>, tensor<32x16xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: scf.forall ({{.*}}) in (%{{.*}})
// CHECK: tensor.extract_slice %[[W]][%{{.*}}, 32, 0] [1, 8, 32]
// CHECK: linalg.matmul {moe.micro_tile = array<i64: 2, 8, 8>}
func.func @gather_counts_eoi_tail(%x: tensor<?x32xbf16>, %w: tensor<2x40x32xbf16>, %counts: tensor<2xi32>, %rows: tensor<?xi32>) -> tensor<?x40xbf16> {
  %y = moe.grouped_gemm %x, %w, counts(%counts) gather(%rows : tensor<?xi32>, k = 4) activation<relu> layout<eoi> {tile = #moe.tile<block_m = 4, block_n = 16, block_k = 8, thread_m = 2, thread_n = 16>}
    : tensor<?x32xbf16>, tensor<2x40x32xbf16>, tensor<2xi32>
  return %y : tensor<?x40xbf16>
}

// -----

// The combine form: the tiled GEMM, then the combine as moe.unpermute.
// CHECK-LABEL: func.func @combine(
// CHECK-SAME: %[[ROWS:[^:]*]]: tensor<?xi32>, %[[WTS:[^:]*]]: tensor<?x2xf32>)
// CHECK: %[[Y:.*]] = scf.forall
// CHECK: %[[OUT:.*]] = moe.unpermute %[[Y]], %[[ROWS]], %[[WTS]] : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32>
// CHECK: return %[[OUT]]
func.func @combine(%x: tensor<?x8xf32>, %w: tensor<2x8x16xf32>, %off: tensor<3xi32>, %rows: tensor<?xi32>, %wts: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) combine(%rows : tensor<?xi32>, %wts : tensor<?x2xf32>) {tile = #moe.tile<block_m = 4, block_n = 16, block_k = 8, thread_m = 2, thread_n = 8>}
    : tensor<?x8xf32>, tensor<2x8x16xf32>, tensor<3xi32>
  return %y : tensor<?x16xf32>
}

// -----

// A dense matmul tagged by moe-select-tiles (the router): a forall of
// 8-row tiles, each padded to its static size for the register tiles.
// CHECK-LABEL: func.func @router(
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (8) shared_outs
// CHECK: tensor.pad %{{.*}} low[0, 0] high[%{{.*}}, 0]
// CHECK: linalg.matmul {moe.micro_tile = array<i64: 4, 8, 16>} ins(%{{.*}}, %{{.*}} : tensor<8x32xbf16>, tensor<32x8xbf16>) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK: tensor.parallel_insert_slice
func.func @router(%x: tensor<?x32xbf16>, %r: tensor<32x8xbf16>, %l: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %m = linalg.matmul {moe.tile = #moe.tile<block_m = 8, block_n = 8, block_k = 16, thread_m = 4, thread_n = 8>} ins(%x, %r : tensor<?x32xbf16>, tensor<32x8xbf16>) outs(%l : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %m : tensor<?x8xf32>
}

// -----

// On a target with AMX, a bf16 GEMM whose register tile is 16 x 16: the x
// tile keeps bf16 (AMX multiplies it as it is) and the large row tiles'
// matmul is tagged moe.amx; the small row tiles keep f32 x and FMAs.
// CHECK-LABEL: func.func @amx(
// CHECK: scf.forall
// CHECK: tensor.empty() : tensor<32x64xbf16>
// CHECK: linalg.matmul {moe.amx, moe.micro_tile = array<i64: 16, 16, 32>} ins(%{{.*}}, %{{.*}} : tensor<32x64xbf16>, tensor<64x32xbf16>) outs(%{{.*}} : tensor<32x32xf32>)
// CHECK: scf.forall
// CHECK: tensor.empty() : tensor<4x64xf32>
// CHECK: linalg.matmul {moe.micro_tile = array<i64: 2, 32, 8>} ins(%{{.*}}, %{{.*}} : tensor<4x64xf32>, tensor<64x32xbf16>)
module attributes {moe.target = #moe.target<kind = "cpu", chip = "sapphirerapids", features = "+avx512f,+amx-tile,+amx-bf16">} {
func.func @amx(%x: tensor<?x64xbf16>, %w: tensor<4x64x32xbf16>, %off: tensor<5xi32>) -> tensor<?x32xbf16> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) {tile = #moe.tile<block_m = 32, block_n = 32, block_k = 32, thread_m = 16, thread_n = 16>, small_tile = #moe.tile<block_m = 4, block_n = 32, block_k = 8, thread_m = 2, thread_n = 32>} : tensor<?x64xbf16>, tensor<4x64x32xbf16>, tensor<5xi32>
  return %y : tensor<?x32xbf16>
}
}
