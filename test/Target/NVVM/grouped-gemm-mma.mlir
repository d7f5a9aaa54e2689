// The grouped GEMM of an f16 layer on the tensor cores: moe-select-tiles
// gives it a tile with warp pieces, moe-lower-to-gpu emits vector.contract
// ops on 16 x 16 x 8 pieces of workgroup tiles, and the kernel stage turns
// them into ldmatrix + mma.sync (sm_80 on; the emulator runs the same
// kernel: the emu numeric suite's f16 layers). ptxas accepts the PTX for
// sm_80 and sm_90 without spills. bf16 and f32 layers keep the SIMT kernel.
// RUN: moe-opt %s --moe-lower-to-gpu-kernels="chip=sm_80" | FileCheck %s --check-prefix=KERNEL
// RUN: rm -rf %t && mkdir -p %t
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f16 --target nvptx --chip sm_80 --emit ptx -o %t/sm_80.ptx %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=PTX --input-file %t/sm_80.ptx %}
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_80 -v %t/sm_80.ptx -o %t/sm_80.cubin > %t/sm_80.txt 2>&1 %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=NOSPILL --input-file %t/sm_80.txt %}
// RUN: %if cuda-toolkit %{ moe-compile --layer experts=128,k=8,hidden=2048,inter=768,dtype=f16 --target nvptx --chip sm_90 --emit ptx -o %t/sm_90.ptx %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=PTX --input-file %t/sm_90.ptx %}
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_90 -v %t/sm_90.ptx -o %t/sm_90.cubin > %t/sm_90.txt 2>&1 %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=NOSPILL --input-file %t/sm_90.txt %}
// RUN: moe-opt %s --moe-lower-to-gpu-kernels="chip=sm_80" --mlir-print-op-generic 2>&1 | FileCheck %s --check-prefix=GENERIC

// KERNEL-LABEL: gpu.func @grouped_gemm(
// KERNEL-SAME: workgroup(%{{.*}} : memref<32768xi8, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// KERNEL-SAME: known_block_size = array<i32: 128, 1, 1>
// KERNEL: nvgpu.device_async_copy
// KERNEL: nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// KERNEL: gpu.barrier
// KERNEL: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<64x32xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// KERNEL: nvgpu.ldmatrix %{{.*}} {numTiles = 2 : i32, transpose = true} : memref<32x64xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
// KERNEL: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// KERNEL: vector.store %{{.*}} : memref<64x64xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// KERNEL-NOT: vector.contract
// KERNEL-LABEL: gpu.func @grouped_gemm_0(

// A warp's 32 x 32 piece is 2 x 4 mma.sync steps of 16 x 8, twice for a
// gated GEMM, at each of the two K steps of 16 in a K tile of 32: 32 in the
// gate_up kernel, 16 in the down kernel.
// GENERIC-COUNT-48: "nvgpu.mma.sync"
// GENERIC-NOT: "nvgpu.mma.sync"

// PTX-DAG: cp.async.cg.shared.global
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

// NOSPILL: 0 bytes spill stores, 0 bytes spill loads
// NOSPILL-NOT: {{[1-9][0-9]*}} bytes spill

func.func @experts(%x: tensor<?x64xf16>, %ids: tensor<?x2xi32>, %weights: tensor<?x2xf32>, %gate_up: tensor<8x64x64xf16>, %down: tensor<8x32x64xf16>) -> tensor<?x64xf16> {
  %xp, %offsets, %rows = moe.permute %x, %ids experts(8) : tensor<?x64xf16>, tensor<?x2xi32>
  %h = moe.grouped_gemm %xp, %gate_up, offsets(%offsets) activation<silu> gated : tensor<?x64xf16>, tensor<8x64x64xf16>, tensor<9xi32>
  %y = moe.grouped_gemm %h, %down, offsets(%offsets) : tensor<?x32xf16>, tensor<8x32x64xf16>, tensor<9xi32>
  %out = moe.unpermute %y, %rows, %weights : tensor<?x64xf16>, tensor<?xi32>, tensor<?x2xf32>
  return %out : tensor<?x64xf16>
}
