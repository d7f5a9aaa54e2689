// RUN: moe-opt %s -split-input-file --moe-vectorize-tiles --canonicalize --cse --verify-each | FileCheck %s

// A 6 x 16 register tile over 32-deep k-blocks: loops k-block, column, row
// (the row loop stops at the n rows the x tile holds), then k by 1 around a
// 6x1 . 1x16 vector.contract whose 6x16 accumulator is a loop-carried
// vector; the accumulator is read and written once per k-block, a row (16
// lanes) at a time.
// CHECK-LABEL: func.func @register_tile(
// CHECK-SAME: %{{.*}}: tensor<?x64xf32>, %[[W:.*]]: tensor<64x32xf32>, %[[N:.*]]: index)
// CHECK: %[[A:.*]] = tensor.insert_slice
// CHECK: scf.for %[[KB:.*]] = %c0 to %c64 step %c32
// CHECK: scf.for %[[NB:.*]] = %c0 to %c32 step %c16
// CHECK: scf.for %[[MB:.*]] = %c0 to %[[N]] step %c6
// CHECK: %[[AT:.*]] = tensor.extract_slice %[[A]][%[[MB]], %[[KB]]] [6, 32]
// CHECK: %[[CT:.*]] = tensor.extract_slice %{{.*}}[%[[MB]], %[[NB]]] [6, 16]
// CHECK-COUNT-6: vector.transfer_read %[[CT]]{{.*}} : tensor<6x16xf32>, vector<1x16xf32>
// CHECK: %[[ACC:.*]] = scf.for %{{.*}} = %c0 to %c32 step %c1 iter_args(%[[CARRIED:.*]] = %{{.*}}) -> (vector<6x16xf32>)
// CHECK: vector.contract {{.*}} %{{.*}}, %{{.*}}, %[[CARRIED]] : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// CHECK: scf.yield
// CHECK-COUNT-6: vector.transfer_write {{.*}} : vector<1x16xf32>, tensor<6x16xf32>
func.func @register_tile(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>, %n: index) -> tensor<24x32xf32> {
  %empty = tensor.empty() : tensor<24x64xf32>
  %s = tensor.extract_slice %x[0, 0] [%n, 64] [1, 1] : tensor<?x64xf32> to tensor<?x64xf32>
  %a = tensor.insert_slice %s into %empty[0, 0] [%n, 64] [1, 1] : tensor<?x64xf32> into tensor<24x64xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<24x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<24x32xf32>) -> tensor<24x32xf32>
  %r = linalg.matmul {moe.micro_tile = array<i64: 6, 16, 32>} ins(%a, %w : tensor<24x64xf32>, tensor<64x32xf32>) outs(%c : tensor<24x32xf32>) -> tensor<24x32xf32>
  return %r : tensor<24x32xf32>
}

// -----

// bf16 operands accumulate in f32: each register vector is widened
// (arith.extf) and the contract is f32.
// CHECK-LABEL: func.func @bf16(
// CHECK-DAG: %[[A:.*]] = arith.extf {{.*}} : vector<2x1xbf16> to vector<2x1xf32>
// CHECK-DAG: %[[W:.*]] = arith.extf {{.*}} : vector<1x8xbf16> to vector<1x8xf32>
// CHECK: vector.contract {{.*}} %[[A]], %[[W]], {{.*}} : vector<2x1xf32>, vector<1x8xf32> into vector<2x8xf32>
func.func @bf16(%a: tensor<4x16xbf16>, %w: tensor<16x8xbf16>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<4x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = linalg.matmul {moe.micro_tile = array<i64: 2, 8, 16>} ins(%a, %w : tensor<4x16xbf16>, tensor<16x8xbf16>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// The grouped GEMM's tiles: x already f32 (moe-tile widens it in the
// gather), bf16 weights. Only the weights are widened; linalg::vectorize
// alone would build a contract of mixed operand types, which does not verify.
// CHECK-LABEL: func.func @f32_x_bf16_w(
// CHECK-NOT: arith.extf {{.*}} : vector<2x1xbf16>
// CHECK: %[[W:.*]] = arith.extf {{.*}} : vector<1x8xbf16> to vector<1x8xf32>
// CHECK: vector.contract {{.*}}, %[[W]], {{.*}} : vector<2x1xf32>, vector<1x8xf32> into vector<2x8xf32>
func.func @f32_x_bf16_w(%a: tensor<4x16xf32>, %w: tensor<16x8xbf16>) -> tensor<4x8xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<4x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %r = linalg.matmul {moe.micro_tile = array<i64: 2, 8, 16>} ins(%a, %w : tensor<4x16xf32>, tensor<16x8xbf16>) outs(%c : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// A deep k-block (Kc >= 32): each k-block's [Kc, BN] weights are packed
// into [BN / NR, Kc, NR] f32 before the column loop, whole weight rows at a
// time (rows outer, NR-wide pieces inner; bf16 widened once here), and the
// register tiles read their contiguous Kc x NR panel from the pack.
// CHECK-LABEL: func.func @packed_panels(
// CHECK-SAME: %[[X:[^:]*]]: tensor<12x64xf32>, %[[W:[^:]*]]: tensor<64x32xbf16>)
// CHECK: scf.for %[[K:.*]] = %c0 to %c64 step %c32
// CHECK: %[[BLOCK:.*]] = tensor.extract_slice %[[W]][%[[K]], 0] [32, 32] [1, 1] : tensor<64x32xbf16> to tensor<32x32xbf16>
// CHECK: %[[SPLIT:.*]] = tensor.expand_shape %[[BLOCK]] {{\[}}[0], [1, 2]] output_shape [32, 2, 16]
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<2x32x16xf32>
// CHECK: %[[PACK:.*]] = scf.for %[[ROW:.*]] = %c0 to %c32 step %c1 iter_args(%{{.*}} = %[[EMPTY]])
// CHECK: scf.for %[[P:.*]] = %c0 to %c2 step %c1
// CHECK: vector.transfer_read {{.*}} : tensor<1x1x16xbf16>, vector<1x1x16xbf16>
// CHECK: arith.extf %{{.*}} : vector<1x1x16xbf16> to vector<1x1x16xf32>
// CHECK: vector.transfer_write
// CHECK: scf.for %[[N:.*]] = %c0 to %c32 step %c16
// CHECK: %[[INDEX:.*]] = arith.divui %[[N]], %c16
// CHECK: %[[PANEL:.*]] = tensor.extract_slice %[[PACK]][%[[INDEX]], 0, 0] [1, 32, 16] [1, 1, 1] : tensor<2x32x16xf32> to tensor<32x16xf32>
// CHECK: scf.for
// CHECK: scf.for
// CHECK: tensor.extract_slice %[[PANEL]][%{{.*}}, 0] [1, 16] [1, 1] : tensor<32x16xf32> to tensor<1x16xf32>
// CHECK: vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
func.func @packed_panels(%a: tensor<12x64xf32>, %w: tensor<64x32xbf16>) -> tensor<12x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = tensor.empty() : tensor<12x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<12x32xf32>) -> tensor<12x32xf32>
  %r = linalg.matmul {moe.micro_tile = array<i64: 6, 16, 32>} ins(%a, %w : tensor<12x64xf32>, tensor<64x32xbf16>) outs(%c : tensor<12x32xf32>) -> tensor<12x32xf32>
  return %r : tensor<12x32xf32>
}

// -----

// An AMX tile (moe.amx, 16 x 16, 32-deep k-blocks): each k-block's bf16
// weights are packed in row pairs, [BN / 16, Kc / 2, 32], both rows' 16
// columns interleaved (the VNNI layout of AMX's B operand); the row loop
// stops at the written rows; each 32-deep k step is one contraction in the
// pairs layout, [16, 16, 2] x [16, 16, 2] into the 16 x 16 f32 accumulator
// tile, read and written around it (convert-vector-to-amx makes it tile
// loads, tdpbf16ps and a tile store).
// CHECK-LABEL: func.func @amx(
// CHECK-SAME: %{{.*}}: tensor<?x64xbf16>, %[[W:.*]]: tensor<64x32xbf16>, %[[N:.*]]: index)
// CHECK: scf.for %[[KB:.*]] = %c0 to %c64 step %c32
// CHECK: scf.for %[[PAIR:.*]] = %c0 to %c16 step %c1
// CHECK: %[[EVEN:.*]] = arith.addi %[[KB]], %{{.*}} : index
// CHECK: %[[ODD:.*]] = arith.addi %[[EVEN]], %c1 : index
// CHECK: scf.for %[[P:.*]] = %c0 to %c2 step %c1
// CHECK-DAG: %[[R1:.*]] = vector.transfer_read %[[W]][%[[ODD]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<64x32xbf16>, vector<16xbf16>
// CHECK-DAG: %[[R0:.*]] = vector.transfer_read %[[W]][%[[EVEN]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<64x32xbf16>, vector<16xbf16>
// CHECK: %[[BOTH:.*]] = vector.interleave %[[R0]], %[[R1]] : vector<16xbf16> -> vector<32xbf16>
// CHECK: vector.transfer_write %[[BOTH]], %{{.*}}[%[[P]], %[[PAIR]], %c0] {in_bounds = [true]} : vector<32xbf16>, tensor<2x16x32xbf16>
// CHECK: %[[VNNI:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1], [2, 3]] output_shape [2, 16, 16, 2]
// CHECK: scf.for %[[NB:.*]] = %c0 to %c32 step %c16
// CHECK: %[[PANEL:.*]] = tensor.extract_slice %[[VNNI]][%{{.*}}, 0, 0, 0] [1, 16, 16, 2] [1, 1, 1, 1] : tensor<2x16x16x2xbf16> to tensor<16x16x2xbf16>
// CHECK: scf.for %{{.*}} = %c0 to %[[N]] step %c16
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [16, 16, 2] : tensor<16x32xbf16> into tensor<16x16x2xbf16>
// CHECK: %[[A:.*]] = vector.transfer_read {{.*}} : tensor<16x16x2xbf16>, vector<16x16x2xbf16>
// CHECK: %[[B:.*]] = vector.transfer_read %[[PANEL]]{{.*}} : tensor<16x16x2xbf16>, vector<16x16x2xbf16>
// CHECK: %[[C:.*]] = vector.transfer_read {{.*}} : tensor<16x16xf32>, vector<16x16xf32>
// CHECK: %[[D:.*]] = vector.contract {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]{{.*}} %[[A]], %[[B]], %[[C]] : vector<16x16x2xbf16>, vector<16x16x2xbf16> into vector<16x16xf32>
// CHECK: vector.transfer_write %[[D]]
func.func @amx(%rows: tensor<?x64xbf16>, %w: tensor<64x32xbf16>, %n: index) -> tensor<32x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<32x64xbf16>
  %a = tensor.insert_slice %rows into %e[0, 0] [%n, 64] [1, 1] : tensor<?x64xbf16> into tensor<32x64xbf16>
  %c0 = tensor.empty() : tensor<32x32xf32>
  %c = linalg.fill ins(%zero : f32) outs(%c0 : tensor<32x32xf32>) -> tensor<32x32xf32>
  %r = linalg.matmul {moe.amx, moe.micro_tile = array<i64: 16, 16, 32>} ins(%a, %w : tensor<32x64xbf16>, tensor<64x32xbf16>) outs(%c : tensor<32x32xf32>) -> tensor<32x32xf32>
  return %r : tensor<32x32xf32>
}

// -----

// moe-tile's copy of one x row into an x tile (moe.gather_row), 96 bf16
// widened to f32 unless the row is invalid: pieces of 48 (the largest
// divisor of 96 up to 64), each one vector read, widen, select and write.
// CHECK-LABEL: func.func @gather_row(
// CHECK-SAME: %[[SRC:[^:]*]]: tensor<96xbf16>, %[[DST:[^:]*]]: tensor<96xf32>, %[[VALID:[^:]*]]: i1)
// CHECK: scf.for %[[I:.*]] = %c0 to %c96 step %c48
// CHECK: %[[PIECE:.*]] = tensor.extract_slice %[[SRC]][%[[I]]] [48] [1] : tensor<96xbf16> to tensor<48xbf16>
// CHECK: %[[V:.*]] = vector.transfer_read %[[PIECE]][%c0], %{{.*}} {in_bounds = [true]} : tensor<48xbf16>, vector<48xbf16>
// CHECK: %[[W:.*]] = arith.extf %[[V]] : vector<48xbf16> to vector<48xf32>
// CHECK: %[[MASK:.*]] = vector.broadcast %[[VALID]] : i1 to vector<48xi1>
// CHECK: %[[S:.*]] = arith.select %[[MASK]], %[[W]], %{{.*}} : vector<48xi1>, vector<48xf32>
// CHECK: vector.transfer_write %[[S]], %{{.*}}[%c0] {in_bounds = [true]} : vector<48xf32>, tensor<48xf32>
func.func @gather_row(%src: tensor<96xbf16>, %dst: tensor<96xf32>, %valid: i1) -> tensor<96xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%src : tensor<96xbf16>) outs(%dst : tensor<96xf32>) attrs = {moe.gather_row} {
  ^bb0(%in: bf16, %out: f32):
    %w = arith.extf %in : bf16 to f32
    %s = arith.select %valid, %w, %zero : f32
    linalg.yield %s : f32
  } -> tensor<96xf32>
  return %r : tensor<96xf32>
}
