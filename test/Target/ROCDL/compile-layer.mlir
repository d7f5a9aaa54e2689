// moe-compile --target rocdl: a whole Qwen3-shaped layer (E=128, K=8,
// H=2048, I=768, bf16) to hsaco for gfx942 and gfx90a (AMDGPU ELFs with
// every kernel and its descriptor), AMDGCN assembly, and the C header's
// kernel table.
// RUN: rm -rf %t && mkdir -p %t
// RUN: moe-compile --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16 --target rocdl --chip gfx942 --emit hsaco -o %t/gfx942.hsaco
// RUN: llvm-readelf -h -s %t/gfx942.hsaco | FileCheck %s --check-prefixes=ELF,GFX942
// RUN: FileCheck %s --check-prefix=HEADER --input-file %t/gfx942.h
// RUN: moe-compile --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16 --target rocdl --chip gfx90a -o %t/gfx90a.hsaco
// RUN: llvm-readelf -h -s %t/gfx90a.hsaco | FileCheck %s --check-prefixes=ELF,GFX90A
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target rocdl --emit asm -o - | FileCheck %s --check-prefix=ASM

// ELF: Machine: EM_AMDGPU
// GFX942: Flags: {{.*}}gfx942
// GFX90A: Flags: {{.*}}gfx90a
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} dense{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} route{{$}}
// ELF-DAG: OBJECT GLOBAL DEFAULT {{.*}} route.kd
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} permute_rank{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} permute_scatter{{$}}
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} grouped_gemm{{$}}
// ELF-DAG: OBJECT GLOBAL DEFAULT {{.*}} grouped_gemm_0.kd
// ELF-DAG: FUNC GLOBAL PROTECTED {{.*}} unpermute_sum{{$}}

// HEADER: Device kernels for rocdl gfx942
// HEADER: {"moe_layer", "grouped_gemm", {"(ceildiv((T * 8), 64) + 128)", "12", "1"}, {256, 1, 1}, 45056,

// ASM: .amdgcn_target "amdgcn-amd-amdhsa--gfx942"
// ASM-NOT: __ocml_
// ASM: {{^}}grouped_gemm:
// ASM: s_barrier
// ASM-NOT: __ocml_

// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target rocdl --rocm-path %t/none -o %t/x 2>&1 | FileCheck %s --check-prefix=NOTOOLKIT
// NOTOOLKIT: error: ROCDL kernels need the AMD device-library bitcode: no amdgcn/bitcode under {{.*}}none (install Debian's rocm-device-libs and rebuild, or set ROCM_PATH / --rocm-path to a ROCm install)
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target rocdl --chip sm_90 -o %t/x 2>&1 | FileCheck %s --check-prefix=BADCHIP
// BADCHIP: error: unknown chip 'sm_90' for target rocdl (gfx90a, gfx942, ...)
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target rocdl --emit ptx -o %t/x 2>&1 | FileCheck %s --check-prefix=BADEMIT
// BADEMIT: error: --emit ptx does not apply to target rocdl (it emits mlir, llvm, asm, obj, so and hsaco)
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target rocdl --emit so -o %t/layer.so
// RUN: llvm-nm -D %t/layer.so | FileCheck %s --check-prefix=ARTIFACT
// ARTIFACT-DAG: T _mlir_ciface_moe_layer
// ARTIFACT-DAG: U mgpuModuleLoad
// ARTIFACT-DAG: U mgpuLaunchKernel
