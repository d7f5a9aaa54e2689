// The emu target: the GPU kernels compiled for the host. Each launch is a
// launcher that passes the arguments as cuLaunchKernel does (an array of
// pointers) to moe_emu_launch with a trampoline that calls the kernel; the
// artifact imports the emulator from libmoe_runtime.
// RUN: moe-opt %s --moe-lower-to-emu -o %t.mlir
// RUN: FileCheck %s --input-file %t.mlir
// RUN: FileCheck %s --input-file %t.mlir --check-prefix=KERNEL
// RUN: FileCheck %s --input-file %t.mlir --check-prefix=TRAMPOLINE
// RUN: FileCheck %s --input-file %t.mlir --check-prefix=LAUNCHER
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=bf16 --target emu --emit so -o %t.so
// RUN: llvm-nm -D %t.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: FileCheck %s --check-prefix=HEADER < %t.h

// CHECK-DAG: llvm.func @moe_emu_launch(!llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i64, i64)
// CHECK-DAG: llvm.func @moe_emu_id(i32) -> i64
// CHECK-LABEL: llvm.func @unpermute(
// CHECK: llvm.call @__moe_emu_launch_moe_kernels_unpermute_unheld(
// CHECK: llvm.call @__moe_emu_launch_moe_kernels_unpermute_claim(
// CHECK: llvm.call @__moe_emu_launch_moe_kernels_unpermute_sum(
// KERNEL-LABEL: llvm.func internal @__moe_emu_moe_kernels_unpermute_claim(
// KERNEL: llvm.call @moe_emu_id(
// KERNEL: llvm.atomicrmw min
// TRAMPOLINE-LABEL: llvm.func internal @__moe_emu_trampoline_moe_kernels_unpermute_claim(%{{.*}}: !llvm.ptr)
// TRAMPOLINE: llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// TRAMPOLINE: llvm.call @__moe_emu_moe_kernels_unpermute_claim(
// LAUNCHER-LABEL: llvm.func internal @__moe_emu_launch_moe_kernels_unpermute_claim(
// LAUNCHER: %[[PARAMS:[0-9]+]] = llvm.alloca %{{.*}} x !llvm.ptr
// LAUNCHER: %[[FN:[0-9]+]] = llvm.mlir.addressof @__moe_emu_trampoline_moe_kernels_unpermute_claim
// LAUNCHER: llvm.call @moe_emu_launch(%[[FN]], %[[PARAMS]],

// SYMBOLS-DAG: T _mlir_ciface_moe_layer
// SYMBOLS-DAG: T moe_artifact_manifest
// SYMBOLS-DAG: U moe_emu_launch
// SYMBOLS-DAG: U moe_emu_id
// SYMBOLS-DAG: U moe_emu_barrier

// HEADER: void _mlir_ciface_moe_layer(moe_memref2d *results, moe_memref2d *x, moe_memref2d *router_w, moe_memref3d *w_gate_up, moe_memref3d *w_down);

func.func @unpermute(%y: tensor<?x16xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x16xf32>
}
