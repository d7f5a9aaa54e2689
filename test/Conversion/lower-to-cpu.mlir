// RUN: moe-opt %s --moe-lower-to-cpu | FileCheck %s
// RUN: moe-opt %s --moe-lower-to-cpu=checks=false | FileCheck %s --check-prefix=NOCHECK
// RUN: moe-opt %s --moe-lower-to-cpu | FileCheck %s --check-prefix=BF16

// Rounding to bf16 is integer code: LLVM would lower an fptrunc to bf16 to a
// call of __truncsfbf2, which the libgcc of GCC 12 lacks.
// BF16-NOT: llvm.fptrunc {{.*}} to bf16
// BF16: llvm.bitcast {{.*}} : f32 to i32
// BF16-NOT: llvm.fptrunc {{.*}} to bf16

// A whole layer reaches the LLVM dialect: no moe, tensor, memref or scf op is
// left, and the public function has a C interface taking the status buffer.
// The first contract is the layer's token bound (moe-check-shapes).
// CHECK: module attributes {moe.contracts = [{bound = "", contract = "x dim 0 <= (2^31 - 1) / k = {{[0-9]+}}", kind = "shape", op = "moe.layer", rank = 0 : i64, tensor = "x dim 0"}, {kind = "finite", op = "moe.route"
// CHECK-NOT: {{^ *(%[^ ]+ = )?moe\.}}
// Buffers come from the runtime's allocator; the grouped GEMMs' tiles run
// on OpenMP threads, their register tiles as vector FMAs.
// CHECK-LABEL: llvm.func @layer(
// CHECK: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK: llvm.intr.fmuladd{{.*}}vector<
// CHECK: llvm.call @_mlir_memref_to_llvm_free
// CHECK-LABEL: llvm.func @_mlir_ciface_layer(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr {moe.status})
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// Without value checks the shape contracts stay (they are O(1)), so the
// layer keeps its status buffer for the token bound, the only contract.
// NOCHECK: module attributes {moe.contracts = [{bound = "", contract = "x dim 0 <= (2^31 - 1) / k = {{[0-9]+}}", kind = "shape", op = "moe.layer", rank = 0 : i64, tensor = "x dim 0"}], moe.target
// NOCHECK-LABEL: llvm.func @_mlir_ciface_layer(
// NOCHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr {moe.status})
func.func @layer(%x: tensor<?x16xbf16>, %router: tensor<16x8xbf16>, %w1: tensor<8x16x16xbf16>, %w2: tensor<8x8x16xbf16>) -> tensor<?x16xbf16> {
  %out = moe.layer %x, %router, %w1, %w2 top_k(2) renormalize activation<gelu> gated : tensor<?x16xbf16>, tensor<16x8xbf16>, tensor<8x16x16xbf16>, tensor<8x8x16xbf16>
  return %out : tensor<?x16xbf16>
}
