// The emu target: the GPU kernels compiled for the host as the device
// binary (a host shared object exporting each kernel under its name as
// `void K(void **params)`), embedded in host code that is the GPU targets'
// own: it loads the binary with mgpuModuleLoad and launches through
// mgpuLaunchKernel, both served by libmoe_runtime's emulator.
// RUN: moe-opt %s --moe-lower-to-emu-device -o %t.device.mlir
// RUN: FileCheck %s --input-file %t.device.mlir --check-prefix=DEVICE
// RUN: FileCheck %s --input-file %t.device.mlir --check-prefix=TRAMPOLINE
// RUN: moe-compile %s --target emu --emit llvm -o - | FileCheck %s --check-prefix=HOST
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=bf16 --target emu --emit so -o %t.so
// RUN: llvm-nm -D %t.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: FileCheck %s --check-prefix=HEADER < %t.h
// RUN: not moe-compile %s --target emu --emit ptx -o %t.x 2>&1 | FileCheck %s --check-prefix=BADEMIT
// RUN: not moe-compile %s --target emu --rocm-path /opt/rocm -o %t.x 2>&1 | FileCheck %s --check-prefix=BADPATH
// RUN: not moe-compile %s --target emu --chip gfx9999 -o %t.x 2>&1 | FileCheck %s --check-prefix=BADCHIP
// RUN: not moe-compile %s --target emu --chip znver4 -o %t.x 2>&1 | FileCheck %s --check-prefix=NOTGPU
// With a chip the emulator runs that chip's kernels: gfx942's grouped GEMMs
// on MFMA, four 64-lane waves a block.
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=bf16 --target emu --chip gfx942 --emit so -o %t.gfx942.so
// RUN: FileCheck %s --check-prefix=GFX942 < %t.gfx942.h

// DEVICE-NOT: llvm.func @unpermute(
// DEVICE-DAG: llvm.func @moe_emu_id(i32) -> i64
// DEVICE-LABEL: llvm.func internal @__moe_emu_kernel_unpermute_claim(
// DEVICE: llvm.call @moe_emu_id(
// DEVICE: llvm.atomicrmw min
// TRAMPOLINE-LABEL: llvm.func @unpermute_claim(%{{.*}}: !llvm.ptr)
// TRAMPOLINE: llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// TRAMPOLINE: llvm.call @__moe_emu_kernel_unpermute_claim(

// HOST: @moe_kernels_binary = internal constant {{.*}}c"\7FELF
// HOST-LABEL: define {{.*}} @unpermute(
// HOST: call ptr @mgpuModuleGetFunction(ptr %{{[0-9]+}}, ptr nonnull @moe_kernels_unpermute_unheld_name)
// HOST: call void @mgpuLaunchKernel(
// HOST-LABEL: define void @_mlir_ciface_unpermute(
// HOST-LABEL: define internal void @moe_kernels_load(
// HOST: call ptr @mgpuModuleLoad(ptr nonnull @moe_kernels_binary

// SYMBOLS-DAG: T _mlir_ciface_moe_layer
// SYMBOLS-DAG: T moe_artifact_manifest
// SYMBOLS-DAG: U mgpuModuleLoad
// SYMBOLS-DAG: U mgpuLaunchKernel

// HEADER: void _mlir_ciface_moe_layer(moe_memref2d *results, moe_memref2d *x, moe_memref2d *router_w, moe_memref3d *w_gate_up, moe_memref3d *w_down, moe_memref1d *status);
// HEADER: Device kernels for emu host
// HEADER: {"moe_layer", "route", {"T", "1", "1"}, {32, 1, 1},

// BADEMIT: error: --emit ptx does not apply to target emu
// BADPATH: error: --cuda-path and --rocm-path apply to GPU targets (--target nvptx or rocdl) only
// BADCHIP: error: unknown chip 'gfx9999' for target emu (LLVM's amdgcn-amd-amdhsa processors include
// NOTGPU: error: unknown chip 'znver4' for target emu (an NVIDIA or AMD chip whose kernels the emulator runs: sm_80, sm_90, gfx90a, gfx942, ...)
// GFX942: Device kernels for emu gfx942
// GFX942: {"moe_layer", "grouped_gemm", {{.*}}, {256, 1, 1},

func.func @unpermute(%y: tensor<?x16xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x16xf32>
}
