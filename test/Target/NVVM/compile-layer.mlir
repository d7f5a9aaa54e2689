// moe-compile --target nvptx: a whole Qwen3-shaped layer (E=128, K=8,
// H=2048, I=768, bf16) to PTX for sm_90 and sm_80 that ptxas accepts with
// no unresolved libdevice call and no spills, a cubin, and the C header's
// kernel table with launch grids as formulas of T.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16 --target nvptx --chip sm_90 --emit ptx -o %t/sm_90.ptx %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=PTX --input-file %t/sm_90.ptx %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=HEADER --input-file %t/sm_90.h %}
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_90 -v %t/sm_90.ptx -o %t/sm_90.cubin > %t/ptxas.txt 2>&1 %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=NOSPILL --input-file %t/ptxas.txt %}
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16 --target nvptx --chip sm_80 -o %t/sm_80.ptx %}
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_80 %t/sm_80.ptx -o %t/sm_80.cubin %}
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f16 --target nvptx --emit cubin -o %t/small.cubin %}
// RUN: %if cuda-toolkit %{ llvm-readelf -h %t/small.cubin | FileCheck %s --check-prefix=CUBIN %}
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f16 --target nvptx --emit so -o %t/small.so %}
// RUN: %if cuda-toolkit %{ llvm-objdump -d %t/small.so | FileCheck %s --check-prefix=PORTABLE %}

// PTX: .target sm_90
// PTX-NOT: __nv_
// PTX: .visible .entry route(
// PTX: .visible .entry grouped_gemm(
// PTX: .visible .entry unpermute_sum(
// PTX-NOT: __nv_

// HEADER: Device kernels for nvptx sm_90
// HEADER: in  x [T, 2048] bf16
// HEADER: out out [T, 2048] bf16
// HEADER: {"moe_layer", "dense_0", {"8", "ceildiv(T, 16)", "1"}, {16, 16, 1}, 0,
// HEADER: {"moe_layer", "route", {"T", "1", "1"}, {128, 1, 1}, 2181,
// HEADER: {"moe_layer", "permute_rank", {"ceildiv((T * 8), 256)", "1", "1"}, {256, 1, 1}, 1024,
// HEADER: {"moe_layer", "grouped_gemm", {"(ceildiv((T * 8), 64) + 128)", "12", "1"}, {128, 1, 1}, 32768,
// HEADER: {"moe_layer", "grouped_gemm_0", {"(ceildiv((T * 8), 64) + 128)", "32", "1"}, {128, 1, 1}, 16384,
// HEADER: {"moe_layer", "unpermute_sum", {"ceildiv((T * 2048), 256)", "1", "1"}, {256, 1, 1}, 0,
// Contract checks (the default) add a check and a report kernel per site;
// in a layer only the router logits have one (the other contracts hold by
// construction: route's ids, permute's offsets and rows), and the shape
// relations one more kernel.
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=CHECKKERNELS --input-file %t/sm_90.h %}
// CHECKKERNELS: {"moe_layer", "shape_violation",
// CHECKKERNELS: {"moe_layer", "route_logits_check", {"ceildiv((T * 128), 256)", "1", "1"}, {256, 1, 1}, 0,
// CHECKKERNELS: {"moe_layer", "route_logits_report",
// CHECKKERNELS-NOT: _check"
// CHECKKERNELS: #define MOE_NUM_KERNELS 16
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16 --target nvptx --chip sm_90 --no-checks -o %t/nochecks.ptx %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=NOCHECKS --input-file %t/nochecks.h %}
// NOCHECKS-NOT: _check"
// NOCHECKS: #define MOE_NUM_KERNELS 14

// NOSPILL: Compiling entry function
// NOSPILL-NOT: {{[1-9][0-9]*}} bytes spill

// CUBIN: Machine: NVIDIA CUDA architecture

// Errors name what is missing or wrong, on every machine.
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --cuda-path %t/none -o %t/x.ptx 2>&1 | FileCheck %s --check-prefix=NOTOOLKIT
// NOTOOLKIT: error: the kernels call math functions, which need libdevice from a CUDA toolkit: none at {{.*}}none (install the CUDA toolkit, or set CUDA_HOME / --cuda-path)
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --chip gfx942 -o %t/x.ptx 2>&1 | FileCheck %s --check-prefix=BADCHIP
// BADCHIP: error: unknown chip 'gfx942' for target nvptx (sm_80, sm_90, ...)
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --emit hsaco -o %t/x 2>&1 | FileCheck %s --check-prefix=BADEMIT
// BADEMIT: error: --emit hsaco does not apply to target nvptx (it emits mlir, llvm, asm, obj, so and ptx, cubin)
// The artifact: host code with the PTX embedded, loaded by the driver's JIT.
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --emit so -o %t/layer.so %}
// RUN: %if cuda-toolkit %{ llvm-nm -D %t/layer.so | FileCheck %s --check-prefix=ARTIFACT %}
// ARTIFACT-DAG: T _mlir_ciface_moe_layer
// ARTIFACT-DAG: T moe_artifact_manifest
// ARTIFACT-DAG: U mgpuModuleLoadJIT
// ARTIFACT-DAG: U mgpuLaunchKernel
// ARTIFACT-DAG: U mgpuMemAlloc
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --emit ptx -o %t/x 2>&1 | FileCheck %s --check-prefix=CPUPTX
// CPUPTX: error: --emit ptx, cubin and hsaco need a GPU target (--target nvptx or rocdl)

// The host module launches the kernels of the one embedded binary.
// RUN: moe-compile %s --target nvptx --emit mlir -o - | FileCheck %s --check-prefix=HOST
// HOST-LABEL: llvm.func @unpermute(
// HOST: gpu.launch_func {{.*}}@moe_kernels::@unpermute_unheld
// HOST: gpu.launch_func {{.*}}@moe_kernels::@unpermute_claim
// HOST: gpu.launch_func {{.*}}@moe_kernels::@unpermute_sum
// HOST: gpu.binary @moe_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">
// RUN: moe-compile %s --target nvptx --emit llvm -o - | FileCheck %s --check-prefix=LLVM
// LLVM: @moe_kernels_binary = internal constant {{.*}}.target sm_80
// LLVM: @llvm.global_ctors = {{.*}} @moe_kernels_load
// LLVM-LABEL: define {{.*}} @unpermute(
// Device memory (isHostShared = 0): the host never dereferences it.
// LLVM: call ptr @mgpuMemAlloc(i64 %{{.*}}, ptr %{{.*}}, i8 0)
// LLVM: call ptr @mgpuModuleGetFunction(ptr %{{[0-9]+}}, ptr nonnull @moe_kernels_unpermute_unheld_name)
// LLVM: call void @mgpuLaunchKernel(
// LLVM-LABEL: define internal void @moe_kernels_load(
// LLVM: call ptr @mgpuModuleLoadJIT(ptr nonnull @moe_kernels_binary

func.func @unpermute(%y: tensor<?x16xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x16xf32>
}

// The host code only launches the kernels, on whichever machine holds the
// GPU: plain x86-64, no AVX registers (the manifest lists no CPU features).
// PORTABLE: <_mlir_ciface_moe_layer>:
// PORTABLE-NOT: {{%[yz]mm}}
