// Every moe op (test/Target/Inputs/moe-ops.mlir, the layer forms included)
// in one PTX module for sm_90 and sm_80: each op's kernels by name, the
// ranking kernels' shared-memory chunk and barrier, the combine's atomic
// claim; with a CUDA toolkit, no unresolved libdevice call and ptxas accepts
// every kernel with no spills.
// RUN: rm -rf %t && moe-opt %S/../Inputs/moe-ops.mlir --moe-lower-to-nvvm="chip=sm_90" | %extract-gpu-objects -o %t/sm_90 > /dev/null
// RUN: FileCheck %s --check-prefixes=CHECK,SM90 --input-file %t/sm_90/moe_kernels.ptx
// RUN: moe-opt %S/../Inputs/moe-ops.mlir --moe-lower-to-nvvm="chip=sm_80" | %extract-gpu-objects -o %t/sm_80 > /dev/null
// RUN: FileCheck %s --check-prefixes=CHECK,SM80 --input-file %t/sm_80/moe_kernels.ptx
// Chips above sm_90 need a newer PTX ISA than 8.0 (LLVM stopped with "PTX
// version 8.0 does not support target 'sm_100'"): they get the first that
// has them.
// RUN: moe-opt %S/../Inputs/moe-ops.mlir --moe-lower-to-nvvm="chip=sm_100" | %extract-gpu-objects -o %t/sm_100 > /dev/null
// RUN: FileCheck %s --check-prefix=SM100 --input-file %t/sm_100/moe_kernels.ptx

// SM90: .version 8.0
// SM90: .target sm_90
// SM80: .version 8.0
// SM80: .target sm_80
// SM100: .version 8.6
// SM100: .target sm_100
// SM100: .visible .entry grouped_gemm(
// CHECK-LABEL: .visible .entry route(
// CHECK-LABEL: .visible .entry route_0(
// CHECK-LABEL: .visible .entry route_1(
// CHECK-LABEL: .visible .entry permute_rank(
// CHECK: .shared .align 16 .b8 {{[a-z0-9_]+}}[1024];
// CHECK: st.shared.b32
// CHECK: bar.sync 0;
// CHECK: ld.shared.b32
// CHECK-LABEL: .visible .entry permute_scan(
// CHECK-LABEL: .visible .entry permute_offsets(
// CHECK-LABEL: .visible .entry permute_scatter(
// CHECK-LABEL: .visible .entry permute_gather(
// CHECK-LABEL: .visible .entry dispatch_rank(
// CHECK: bar.sync 0;
// CHECK-LABEL: .visible .entry dispatch_counts(
// CHECK-LABEL: .visible .entry dispatch_unfilled(
// CHECK-LABEL: .visible .entry dispatch_scatter(
// CHECK-LABEL: .visible .entry dispatch_gather(
// CHECK-LABEL: .visible .entry grouped_gemm(
// CHECK: bar.sync 0;
// CHECK-LABEL: .visible .entry grouped_gemm_combine_claim(
// CHECK: atom.global.min.s32
// CHECK-LABEL: .visible .entry grouped_gemm_combine_sum(
// CHECK-LABEL: .visible .entry unpermute_sum(
// CHECK-LABEL: .visible .entry balance_loss_softmax(
// CHECK-LABEL: .visible .entry balance_loss_experts(
// CHECK-LABEL: .visible .entry balance_loss_sum(
// The layers: router matmul and shared expert are the dense kernels.
// CHECK-LABEL: .visible .entry dense(
// CHECK-LABEL: .visible .entry route_2(
// CHECK-LABEL: .visible .entry dense_5(
// CHECK-LABEL: .visible .entry dispatch_rank_1(

// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=LIBDEVICE --input-file %t/sm_90/moe_kernels.ptx %}
// LIBDEVICE-NOT: __nv_
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_90 -v %t/sm_90/moe_kernels.ptx -o %t/sm_90.cubin > %t/ptxas.txt 2>&1 %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=PTXAS --input-file %t/ptxas.txt %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=NOSPILL --input-file %t/ptxas.txt %}
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_80 %t/sm_80/moe_kernels.ptx -o %t/sm_80.cubin %}
// PTXAS-DAG: Compiling entry function 'route' for 'sm_90'
// PTXAS-DAG: Compiling entry function 'grouped_gemm' for 'sm_90'
// PTXAS-DAG: Compiling entry function 'unpermute_unheld_1' for 'sm_90'
// NOSPILL-NOT: error
// NOSPILL-NOT: {{[1-9][0-9]*}} bytes spill
