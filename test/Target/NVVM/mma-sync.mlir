// A kernel's vector.contract on a 16 x 8 x 16 f16 tile becomes tensor-core
// code through upstream MLIR: convert-vector-to-gpu{use-nvgpu} in the GPU
// kernel stage gives nvgpu.ldmatrix (x4 for A; x2 .trans for B, stored K x N)
// and nvgpu.mma.sync, for NVIDIA chips from sm_80 on and for the emulator
// (no chip), which runs them as warp collectives (numeric test:
// TensorCoreKernel.*). An AMD chip keeps the vector.contract (no MFMA yet).
// The PTX for sm_80 and sm_90 holds mma.sync and ldmatrix, and ptxas accepts
// it without spills.
// RUN: moe-opt %s --moe-lower-to-gpu-kernels | FileCheck %s --check-prefix=KERNEL
// RUN: moe-opt %s --moe-lower-to-gpu-kernels="chip=sm_80" | FileCheck %s --check-prefix=KERNEL
// RUN: moe-opt %s --moe-lower-to-gpu-kernels="chip=gfx942" | FileCheck %s --check-prefix=AMD
// RUN: rm -rf %t && mkdir -p %t
// RUN: moe-opt %s --moe-lower-to-nvvm="chip=sm_80" | FileCheck %s --check-prefix=PTX
// RUN: %if cuda-toolkit %{ moe-compile %s --target nvptx --chip sm_80 --emit ptx -o %t/sm_80.ptx %}
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_80 -v %t/sm_80.ptx -o %t/sm_80.cubin > %t/sm_80.txt 2>&1 %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=NOSPILL --input-file %t/sm_80.txt %}
// RUN: %if cuda-toolkit %{ moe-compile %s --target nvptx --chip sm_90 --emit ptx -o %t/sm_90.ptx %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=PTX --input-file %t/sm_90.ptx %}
// RUN: %if cuda-toolkit %{ %ptxas -arch=sm_90 -v %t/sm_90.ptx -o %t/sm_90.cubin > %t/sm_90.txt 2>&1 %}
// RUN: %if cuda-toolkit %{ FileCheck %s --check-prefix=NOSPILL --input-file %t/sm_90.txt %}

// KERNEL-LABEL: gpu.func @dense(
// KERNEL: gpu.lane_id
// KERNEL: nvgpu.ldmatrix %{{.*}} {numTiles = 4 : i32, transpose = false} : memref<16x16xf16, #gpu.address_space<workgroup>> -> vector<4x2xf16>
// KERNEL: nvgpu.ldmatrix %{{.*}} {numTiles = 2 : i32, transpose = true} : memref<16x8xf16, #gpu.address_space<workgroup>> -> vector<2x2xf16>
// KERNEL: vector.load %{{.*}} : memref<16x8xf32>, vector<2xf32>
// KERNEL: nvgpu.mma.sync(%{{.*}}, %{{.*}}, %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// KERNEL: vector.store %{{.*}} : memref<16x8xf32>, vector<2xf32>
// KERNEL-NOT: vector.contract

// AMD-LABEL: gpu.func @dense(
// AMD-NOT: nvgpu.
// AMD: vector.contract

// PTX-DAG: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX-DAG: ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

// NOSPILL: 0 bytes spill stores, 0 bytes spill loads
// NOSPILL-NOT: {{[1-9][0-9]*}} bytes spill

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
#transpose = affine_map<(d0, d1) -> (d1, d0)>
func.func @mma(%a: tensor<16x16xf16>, %b: tensor<16x8xf16>, %c: tensor<16x8xf32>) -> tensor<16x8xf32> {
  %am = bufferization.to_buffer %a : tensor<16x16xf16> to memref<16x16xf16>
  %bm = bufferization.to_buffer %b : tensor<16x8xf16> to memref<16x8xf16>
  %cm = bufferization.to_buffer %c : tensor<16x8xf32> to memref<16x8xf32>
  %out = memref.alloc() : memref<16x8xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%sa : memref<16x16xf16, #gpu.address_space<workgroup>>,
                       %sb : memref<16x8xf16, #gpu.address_space<workgroup>>) {
    // Thread t stages rows t / 2 of A and B (half a row each).
    scf.for %i = %c0 to %c16 step %c1 {
      %row = arith.remui %tx, %c16 : index
      %v = memref.load %am[%row, %i] : memref<16x16xf16>
      %isFirst = arith.cmpi ult, %tx, %c16 : index
      scf.if %isFirst {
        memref.store %v, %sa[%row, %i] : memref<16x16xf16, #gpu.address_space<workgroup>>
      }
    }
    scf.for %j = %c0 to %c8 step %c1 {
      %row = arith.remui %tx, %c16 : index
      %v = memref.load %bm[%row, %j] : memref<16x8xf16>
      %isSecond = arith.cmpi uge, %tx, %c16 : index
      scf.if %isSecond {
        memref.store %v, %sb[%row, %j] : memref<16x8xf16, #gpu.address_space<workgroup>>
      }
    }
    gpu.barrier
    %pad = arith.constant 0.0 : f16
    %padf = arith.constant 0.0 : f32
    %A = vector.transfer_read %sa[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf16, #gpu.address_space<workgroup>>, vector<16x16xf16>
    %B = vector.transfer_read %sb[%c0, %c0], %pad {in_bounds = [true, true], permutation_map = #transpose} : memref<16x8xf16, #gpu.address_space<workgroup>>, vector<8x16xf16>
    %C = vector.transfer_read %cm[%c0, %c0], %padf {in_bounds = [true, true]} : memref<16x8xf32>, vector<16x8xf32>
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %B, %C : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    vector.transfer_write %D, %out[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x8xf32>
    gpu.terminator
  }
  %r = bufferization.to_tensor %out restrict : memref<16x8xf32> to tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}
