// --chip is checked against LLVM's processor list of the target, on every
// machine (no toolkit needed): gfx9999 used to stop moe-compile with
// "LLVM ERROR" deep in the AMDGPU backend, and sm_999 was accepted.
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target rocdl --chip gfx9999 -o %t.x 2>&1 | FileCheck %s --check-prefix=AMD
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --chip sm_999 -o %t.x 2>&1 | FileCheck %s --check-prefix=NVIDIA
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --chip sm_90b -o %t.x 2>&1 | FileCheck %s --check-prefix=SUFFIX
// The same check guards moe-opt's GPU pipelines.
// RUN: not moe-opt %s --moe-lower-to-nvvm=chip=sm_999 2>&1 | FileCheck %s --check-prefix=NVIDIA
// RUN: not moe-opt %s --moe-lower-to-rocdl=chip=gfx9999 2>&1 | FileCheck %s --check-prefix=AMD
// Known chips pass the check (and stop later only for a missing toolkit).
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target rocdl --chip gfx90a --emit mlir -o - 2>&1 | FileCheck %s --check-prefixes=KNOWN,TARGET
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --chip sm_90a --emit mlir -o - 2>&1 | FileCheck %s --check-prefix=KNOWN

// AMD: error: unknown chip 'gfx9999' for target rocdl (LLVM's amdgcn-amd-amdhsa processors include gfx908, gfx90a, gfx942, {{.*}} in all)
// AMD-NOT: LLVM ERROR
// NVIDIA: error: unknown chip 'sm_999' for target nvptx (LLVM's nvptx64-nvidia-cuda processors include sm_70, sm_80, {{.*}}sm_90, sm_90a{{.*}} in all)
// SUFFIX: error: unknown chip 'sm_90b' for target nvptx
// KNOWN-NOT: unknown chip
// The driver records the chip once, as the module's moe.target, for every
// pass to read.
// TARGET: module attributes {{.*}}moe.target = #moe.target<kind = "rocdl", chip = "gfx90a">
