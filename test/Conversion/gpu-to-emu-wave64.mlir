// RUN: moe-opt %s --split-input-file --moe-gpu-to-emu="checks=false subgroup-size=64" --verify-diagnostics | FileCheck %s

// On 64-lane waves (an AMD chip's kernels) the lane id is moe_emu_id(13) and
// amdgpu.mfma passes its A, B and C fragments through scratch buffers
// (allocated once, at the kernel's entry), the shape and the element types
// (bf16 = 2, f32 = 0).
// CHECK-DAG: func.func private @moe_emu_mfma(i64, i64, i64, i64, i32, i32, i32, i32, i32)
// CHECK-LABEL: func.func private @__moe_emu_kernel_mfma(
// CHECK: %[[D:.*]] = memref.alloca() : memref<4xf32>
// CHECK: %[[C13:.*]] = arith.constant 13 : i32
// CHECK: call @moe_emu_id(%[[C13]])
// CHECK: %[[C16:.*]] = arith.constant 16 : i32
// CHECK: %[[BF16:.*]] = arith.constant 2 : i32
// CHECK: %[[F32:.*]] = arith.constant 0 : i32
// CHECK: call @moe_emu_mfma(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[C16]], %{{.*}}, %{{.*}}, %[[BF16]], %[[F32]]) : (i64, i64, i64, i64, i32, i32, i32, i32, i32) -> ()
// CHECK: vector.load %[[D]][%{{.*}}] : memref<4xf32>, vector<4xf32>
// CHECK-NOT: amdgpu.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mfma(%a: vector<4xbf16>, %b: vector<4xbf16>, %c: vector<4xf32>, %out: memref<64x4xf32>) kernel {
      %lane = gpu.lane_id
      %c0 = arith.constant 0 : index
      %d = amdgpu.mfma 16x16x16 %a * %b + %c blgp = none : vector<4xbf16>, vector<4xbf16>, vector<4xf32>
      vector.store %d, %out[%lane, %c0] : memref<64x4xf32>, vector<4xf32>
      gpu.return
    }
  }
}

// -----

// The NVIDIA warp matrix ops need 32-lane warps.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @mma(%a: vector<4x2xf16>, %b: vector<2x2xf16>, %c: vector<2x2xf32>) kernel {
      // expected-error @+1 {{'nvgpu.mma.sync' op cannot run on the emulator with 64-lane warps: it runs the NVIDIA warp matrix ops on 32-lane warps}}
      %d = nvgpu.mma.sync (%a, %b, %c) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
      gpu.return
    }
  }
}

// -----

// Shuffles and reductions run on the wave: 64 lanes, a reduction's cluster
// the whole wave by default.
// CHECK-LABEL: func.func private @__moe_emu_kernel_wave_reduce(
// CHECK: %[[C64:.*]] = arith.constant 64 : i32
// CHECK: call @moe_emu_subgroup_reduce(%{{.*}}, %{{.*}}, %{{.*}}, %[[C64]], %{{.*}}, %{{.*}})
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @wave_reduce(%x: f32, %out: memref<64xf32>) kernel {
      %lane = gpu.lane_id
      %sum = gpu.subgroup_reduce add %x : (f32) -> f32
      memref.store %sum, %out[%lane] : memref<64xf32>
      gpu.return
    }
  }
}

// -----

// An MFMA the emulator does not run (4x4x4, 16 blocks) is an error.
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @blocks(%a: vector<4xf16>, %b: vector<4xf16>, %c: vector<4xf32>) kernel {
      // expected-error @+1 {{'amdgpu.mfma' op cannot run on the emulator: it runs 16x16x16 and 32x32x8 on f16 / bf16 with f32 accumulators, one block, without lane permutations}}
      %d = amdgpu.mfma 4x4x4 %a * %b + %c { blocks = 16 : i32 } blgp = none : vector<4xf16>, vector<4xf16>, vector<4xf32>
      gpu.return
    }
  }
}
