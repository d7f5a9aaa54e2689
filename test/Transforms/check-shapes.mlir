// RUN: moe-opt %s -split-input-file --moe-check-shapes | FileCheck %s

// A dynamic T shared by two operands, and T·K pairs that must fit i32:
// tested before the op, which moves into the else branch; the then branch
// records the violations and yields empty results (dynamic dims 0).
// CHECK-LABEL: func.func @permute
// CHECK-SAME: (%[[X:.*]]: tensor<?x3xf32>, %[[IDS:.*]]: tensor<?x2xi32>)
// CHECK: %[[TIDS:.*]] = tensor.dim %[[IDS]], %{{.*}} : tensor<?x2xi32>
// CHECK: %[[TX:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3xf32>
// CHECK: %[[BAD:.*]] = arith.cmpi ne, %[[TIDS]], %[[TX]] : index
// CHECK: %[[K:.*]] = arith.constant 2 : index
// CHECK: %[[KPOS:.*]] = arith.maxsi %[[K]], %{{.*}} : index
// CHECK: %[[LIMIT:.*]] = arith.divsi %{{.*}}, %[[KPOS]] : index
// CHECK: %[[MANY:.*]] = arith.cmpi sgt, %{{.*}}, %[[LIMIT]] : index
// CHECK: %[[ANY:.*]] = arith.ori %[[BAD]], %[[MANY]] : i1
// CHECK: %[[R:.*]]:3 = scf.if %[[ANY]] -> (tensor<?x3xf32>, tensor<5xi32>, tensor<?xi32>) {
// CHECK:   scf.if %[[BAD]] {
// CHECK:     moe.shape_violation %[[TIDS]], %[[TX]] {bound_name = "x dim 0", contract = "ids dim 0 == x dim 0", origin = "moe.permute", subject = "ids dim 0"}
// CHECK:   scf.if %[[MANY]] {
// CHECK:     moe.shape_violation %{{.*}}, %[[LIMIT]] {bound_name = "(2^31 - 1) / ids dim 1", contract = "ids dim 0 <= (2^31 - 1) / ids dim 1", origin = "moe.permute", subject = "ids dim 0"}
// CHECK:   tensor.empty(%{{.*}}) : tensor<?x3xf32>
// CHECK:   tensor.empty() : tensor<5xi32>
// CHECK:   scf.yield
// CHECK: } else {
// CHECK:   moe.permute %[[X]], %[[IDS]]
// CHECK:   scf.yield
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @permute(%x: tensor<?x3xf32>, %ids: tensor<?x2xi32>) -> (tensor<?x3xf32>, tensor<5xi32>, tensor<?xi32>) {
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<?x3xf32>, tensor<?x2xi32>
  return %xp, %o, %r : tensor<?x3xf32>, tensor<5xi32>, tensor<?xi32>
}

// -----

// Relations that hold statically emit nothing.
// CHECK-LABEL: func.func @static_shapes
// CHECK-NOT: scf.if
// CHECK-NOT: moe.shape_violation
// CHECK: moe.permute
func.func @static_shapes(%x: tensor<4x3xf32>, %ids: tensor<4x2xi32>) -> tensor<8xi32> {
  %xp, %o, %r = moe.permute %x, %ids experts(4) : tensor<4x3xf32>, tensor<4x2xi32>
  return %r : tensor<8xi32>
}

// -----

// A dynamic divisor: a bound below 1 is a violation and never reaches the
// remainder. The second op is guarded inside the first op's else branch.
// CHECK-LABEL: func.func @counts_then_unpermute
// CHECK: %[[E:.*]] = tensor.dim %{{.*}}, %c0{{.*}} : tensor<?x8x16xf32>
// CHECK: arith.cmpi slt, %[[E]], %c1
// CHECK: arith.maxsi
// CHECK: arith.remsi
// CHECK: scf.if
// CHECK: moe.shape_violation {{.*}}contract = "w dim 0 >= 1"
// CHECK: moe.shape_violation {{.*}}contract = "counts dim 0 == w dim 0"
// CHECK: moe.shape_violation {{.*}}contract = "x dim 0 is a multiple of w dim 0"
// CHECK: } else {
// CHECK: %[[Y:.*]] = moe.grouped_gemm
// CHECK: scf.if
// CHECK: moe.shape_violation {{.*}}contract = "rows dim 0 == y dim 0"
// CHECK: } else {
// CHECK: moe.unpermute %[[Y]]
func.func @counts_then_unpermute(%x: tensor<?x8xf32>, %w: tensor<?x8x16xf32>, %c: tensor<?xi32>, %rows: tensor<?xi32>, %rw: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %y = moe.grouped_gemm %x, %w, counts(%c) : tensor<?x8xf32>, tensor<?x8x16xf32>, tensor<?xi32>
  %out = moe.unpermute %y, %rows, %rw : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x16xf32>
}

// -----

// A dynamic capacity: E * C rows must stay i32 row indices.
// CHECK-LABEL: func.func @dispatch_capacity
// CHECK: %[[LIMIT:.*]] = arith.constant 268435455 : index
// CHECK: arith.cmpi sgt, %{{.*}}, %[[LIMIT]]
// CHECK: moe.shape_violation {{.*}}contract = "dynamic_capacity <= (2^31 - 1) / num_experts = 268435455"
func.func @dispatch_capacity(%x: tensor<4x3xf32>, %ids: tensor<4x2xi32>, %cap: index) -> tensor<?xi32> {
  %xp, %c, %r = moe.dispatch %x, %ids experts(8) capacity(%cap) : tensor<4x3xf32>, tensor<4x2xi32>
  return %r : tensor<?xi32>
}

// -----

// A layer is checked against its own operands, before it is decomposed.
// CHECK-LABEL: func.func @layer
// CHECK: moe.shape_violation {{.*}}contract = "router_w dim 0 == x dim 1"
// CHECK: moe.shape_violation {{.*}}contract = "w_gate_up dim 2 == 2 * w_down dim 1"
// CHECK: } else {
// CHECK: moe.layer
func.func @layer(%x: tensor<?x?xf32>, %r: tensor<?x4xf32>, %gu: tensor<4x?x?xf32>, %d: tensor<4x?x?xf32>) -> tensor<?x?xf32> {
  %out = moe.layer %x, %r, %gu, %d top_k(2) activation<silu> gated : tensor<?x?xf32>, tensor<?x4xf32>, tensor<4x?x?xf32>, tensor<4x?x?xf32>
  return %out : tensor<?x?xf32>
}

// -----

// A capacity factor: the capacity computed from T must keep E * C rows i32,
// a bound on T found at compile time (here T <= 1).
// CHECK-LABEL: func.func @layer_capacity
// CHECK: %[[MAX:.*]] = arith.constant 1 : index
// CHECK: arith.cmpi sgt, %{{.*}}, %[[MAX]] : index
// CHECK: moe.shape_violation {{.*}}contract = "x dim 0 <= max T with E * C < 2^31 = 1"
func.func @layer_capacity(%x: tensor<?x16xf32>, %r: tensor<16x8xf32>, %gu: tensor<8x16x16xf32>, %d: tensor<8x8x16xf32>) -> tensor<?x16xf32> {
  %out = moe.layer %x, %r, %gu, %d top_k(2) activation<silu> gated capacity_factor(1.0e9) : tensor<?x16xf32>, tensor<16x8xf32>, tensor<8x16x16xf32>, tensor<8x8x16xf32>
  return %out : tensor<?x16xf32>
}
