// RUN: moe-opt %s --moe-name-gpu-kernels | FileCheck %s
// RUN: moe-opt %s --moe-name-gpu-kernels --gpu-kernel-outlining | FileCheck %s --check-prefix=OUTLINED

// Every launch goes to moe_kernels; a named launch keeps its name, an
// unnamed one (dense linalg work) becomes `dense`.
// CHECK-LABEL: func.func @f(
// CHECK: gpu.launch {{.*}} module(@moe_kernels) function(@route)
// CHECK: gpu.launch {{.*}} module(@moe_kernels) function(@dense)
// CHECK: gpu.launch {{.*}} module(@moe_kernels) function(@dense)

// One gpu.module, so one device binary; names made unique by outlining.
// OUTLINED: gpu.launch_func {{.*}}@moe_kernels::@route
// OUTLINED: gpu.launch_func {{.*}}@moe_kernels::@dense
// OUTLINED: gpu.launch_func {{.*}}@moe_kernels::@dense_0
// OUTLINED: gpu.module @moe_kernels
// OUTLINED-NOT: gpu.module
func.func @f(%m: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%a, %b, %c) in (%x = %c1, %y = %c1, %z = %c1) threads(%d, %e, %g) in (%xx = %c1, %yy = %c1, %zz = %c1) {
    memref.store %f, %m[%c0] : memref<4xf32>
    gpu.terminator
  } {module = @other, function = @route}
  gpu.launch blocks(%a, %b, %c) in (%x = %c1, %y = %c1, %z = %c1) threads(%d, %e, %g) in (%xx = %c1, %yy = %c1, %zz = %c1) {
    memref.store %f, %m[%c1] : memref<4xf32>
    gpu.terminator
  }
  gpu.launch blocks(%a, %b, %c) in (%x = %c1, %y = %c1, %z = %c1) threads(%d, %e, %g) in (%xx = %c1, %yy = %c1, %zz = %c1) {
    memref.store %f, %m[%c0] : memref<4xf32>
    gpu.terminator
  }
  return
}
