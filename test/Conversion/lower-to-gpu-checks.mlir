// RUN: moe-opt %s --moe-lower-to-gpu | FileCheck %s
// RUN: moe-opt %s --moe-lower-to-gpu=checks=false | FileCheck %s --check-prefix=NOCHECKS

// With checks (the default) the function takes the status buffer last, the
// module lists its contract sites in order, and each site is two kernels
// before the op's own: the check raises status[5] to the violation's
// priority with an atomic max, the report lets the winner write status[0-4].
// CHECK: module attributes {moe.contracts = [{kind = "ids_range", op = "moe.permute", rank = 2 : i64, tensor = "ids"}]}
// CHECK-LABEL: func.func @permute(
// CHECK-SAME: %[[STATUS:[a-z0-9_]+]]: memref<6xi64> {moe.status}
// CHECK: gpu.launch {{.*}}function(@permute_ids_check)
// CHECK: memref.atomic_rmw maxs %{{.*}}, %[[STATUS]][%c5{{[_0-9]*}}] : (i64, memref<6xi64>) -> i64
// CHECK: gpu.launch {{.*}}function(@permute_ids_report)
// CHECK: memref.load %[[STATUS]][%c5{{[_0-9]*}}] : memref<6xi64>
// CHECK: memref.store %{{.*}}, %[[STATUS]][%c0{{[_0-9]*}}] : memref<6xi64>
// CHECK: gpu.launch {{.*}}function(@permute_rank)

// NOCHECKS-NOT: moe.contracts
// NOCHECKS-LABEL: func.func @permute(
// NOCHECKS-NOT: memref<6xi64>
// NOCHECKS-NOT: _check
// NOCHECKS: function(@permute_rank)
func.func @permute(%x: tensor<?x64xf16>, %ids: tensor<?x2xi32>) -> (tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>) {
  %xp, %offsets, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf16>, tensor<?x2xi32>
  return %xp, %offsets, %rows : tensor<?x64xf16>, tensor<9xi32>, tensor<?xi32>
}
