// RUN: moe-opt %s --split-input-file --pass-pipeline="builtin.module(gpu.module(moe-vector-to-mfma))" --verify-diagnostics

// A tagged contraction that cannot become MFMA would multiply bf16 bit
// patterns as f16.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
gpu.module @kernels {
  gpu.func @tagged_shape(%a: vector<16x16xf16>, %b: vector<8x16xf16>, %c: vector<16x8xf32>, %out: memref<16x8xf32>) kernel {
    // expected-error @+1 {{'vector.contract' op holds the bits of another type in f16 vectors but is not a 16x16x16 MFMA contraction}}
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c {moe.mma_element = bf16} : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    %c0 = arith.constant 0 : index
    vector.store %D, %out[%c0, %c0] : memref<16x8xf32>, vector<16x8xf32>
    gpu.return
  }
}

// -----

// Operands must be reads of memory the lanes can split.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
gpu.module @kernels {
  gpu.func @operand(%a: vector<16x16xf16>, %b: vector<16x16xf16>, %out: memref<16x16xf32>) kernel {
    %zero = arith.constant dense<0.0> : vector<16x16xf32>
    // expected-error @+1 {{'vector.contract' op has an operand that is not a 2-D in-bounds transfer_read of memory, which moe-vector-to-mfma cannot distribute over a wave}}
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %zero : vector<16x16xf16>, vector<16x16xf16> into vector<16x16xf32>
    %c0 = arith.constant 0 : index
    vector.transfer_write %D, %out[%c0, %c0] {in_bounds = [true, true]} : vector<16x16xf32>, memref<16x16xf32>
    gpu.return
  }
}

// -----

// An accumulator must leave through a transfer_write the lanes can split.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
gpu.module @kernels {
  gpu.func @result(%a: memref<16x16xf16>, %out: memref<16x16xf32>) kernel {
    %c0 = arith.constant 0 : index
    %pad = arith.constant 0.0 : f16
    %zero = arith.constant dense<0.0> : vector<16x16xf32>
    %A = vector.transfer_read %a[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf16>, vector<16x16xf16>
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %A, %A, %zero : vector<16x16xf16>, vector<16x16xf16> into vector<16x16xf32>
    // expected-error @+1 {{'vector.store' op uses an MFMA accumulator in a way moe-vector-to-mfma cannot distribute over a wave (a 2-D in-bounds transfer_write to memory can be)}}
    vector.store %D, %out[%c0, %c0] : memref<16x16xf32>, vector<16x16xf32>
    gpu.return
  }
}
