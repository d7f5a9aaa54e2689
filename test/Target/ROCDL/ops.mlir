// Every moe op (test/Target/Inputs/moe-ops.mlir, the layer forms included)
// in one AMDGCN module for gfx942 and gfx90a: each op's kernels by name, LDS
// and s_barrier in the ranking kernels, no unresolved device-lib call; the
// hsaco is an AMDGPU ELF exporting every kernel and its descriptor.
// RUN: rm -rf %t && moe-opt %S/../Inputs/moe-ops.mlir --moe-lower-to-rocdl="chip=gfx942" | %extract-gpu-objects -o %t/gfx942 > /dev/null
// RUN: FileCheck %s --check-prefixes=CHECK,GFX942 --input-file %t/gfx942/moe_kernels.s
// RUN: moe-opt %S/../Inputs/moe-ops.mlir --moe-lower-to-rocdl="chip=gfx90a" | %extract-gpu-objects -o %t/gfx90a > /dev/null
// RUN: FileCheck %s --check-prefixes=CHECK,GFX90A --input-file %t/gfx90a/moe_kernels.s

// GFX942: .amdgcn_target "amdgcn-amd-amdhsa--gfx942"
// GFX90A: .amdgcn_target "amdgcn-amd-amdhsa--gfx90a"
// CHECK-NOT: __ocml_
// CHECK-LABEL: {{^}}route:
// CHECK-LABEL: {{^}}permute_rank:
// CHECK: ds_write_b32
// CHECK: s_barrier
// CHECK: ds_read_b32
// CHECK-LABEL: {{^}}dispatch_rank:
// CHECK: s_barrier
// CHECK-LABEL: {{^}}grouped_gemm:
// CHECK: s_barrier
// CHECK-LABEL: {{^}}unpermute_sum:
// CHECK-LABEL: {{^}}balance_loss_sum:
// CHECK-LABEL: {{^}}dense:
// CHECK-NOT: __ocml_

// RUN: moe-opt %S/../Inputs/moe-ops.mlir --moe-lower-to-rocdl="chip=gfx942 format=bin" | %extract-gpu-objects -o %t/bin > /dev/null
// RUN: llvm-readelf -h -s %t/bin/moe_kernels.hsaco | FileCheck %s --check-prefix=ELF
// ELF: Machine: EM_AMDGPU
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} route{{$}}
// ELF-DAG: OBJECT GLOBAL DEFAULT {{.*}} route.kd
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} permute_rank{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} dispatch_scatter{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} grouped_gemm{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} unpermute_sum{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} balance_loss_sum{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} dense_5{{$}}
