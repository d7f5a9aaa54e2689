// The ahead-of-time compiler for the host: LLVM IR with the C interface and
// the manifest, an artifact that exports them, and the C header beside it.
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=bf16,renormalize=1 --emit llvm -o - | FileCheck %s --check-prefix=LLVM
// RUN: moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=f32 --emit so -o %t.so
// RUN: llvm-nm -D %t.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: FileCheck %s --check-prefix=HEADER < %t.h
// RUN: moe-compile %s --emit asm -o - | FileCheck %s --check-prefix=ASM
// RUN: not moe-compile --layer experts=8,k=9,hidden=32,inter=16,dtype=f32 -o %t.bad 2>&1 | FileCheck %s --check-prefix=BADSPEC
// RUN: not moe-compile --layer experts=8,k=2,hidden=32,inter=16,dtype=f32 --target spirv -o %t.bad 2>&1 | FileCheck %s --check-prefix=BADTARGET

// LLVM: \22layer_spec\22: \22experts=8,k=2,hidden=32,inter=16,dtype=bf16,scoring=softmax,renormalize=1
// LLVM: define {{.*}}void @_mlir_ciface_moe_layer(ptr
// LLVM: define {{.*}}ptr @moe_artifact_manifest()

// SYMBOLS-DAG: T _mlir_ciface_moe_layer
// SYMBOLS-DAG: T moe_artifact_manifest

// HEADER: in  x [T, 32] f32
// HEADER: void _mlir_ciface_moe_layer(moe_memref2d *results, moe_memref2d *x, moe_memref2d *router_w, moe_memref3d *w_gate_up, moe_memref3d *w_down, moe_memref1d *status);

// ASM-LABEL: _mlir_ciface_unpermute:
// ASM: call{{q?}} {{.*}}unpermute

// BADSPEC: error: layer spec: k = 9 must not exceed experts = 8
// BADTARGET: error: unknown target 'spirv' (cpu, emu, nvptx, rocdl)

func.func @unpermute(%y: tensor<?x16xf32>, %rows: tensor<?xi32>, %w: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %out = moe.unpermute %y, %rows, %w : tensor<?x16xf32>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x16xf32>
}
