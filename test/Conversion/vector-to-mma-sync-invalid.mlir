// RUN: moe-opt %s --pass-pipeline="builtin.module(gpu.module(moe-vector-to-mma-sync))" --verify-diagnostics

// A tagged contraction that does not become mma.sync (here its result leaves
// through a store of the whole vector, which the conversion does not take)
// would multiply bf16 bit patterns as f16: it is an error.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
gpu.module @kernels {
  gpu.func @left(%a: vector<16x16xf16>, %b: vector<8x16xf16>, %c: vector<16x8xf32>, %out: memref<16x8xf32>) kernel {
    // expected-error @+1 {{'vector.contract' op holds the bits of 'bf16' values in f16 vectors but did not become nvgpu.mma.sync}}
    %D = vector.contract {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c {moe.mma_element = bf16} : vector<16x16xf16>, vector<8x16xf16> into vector<16x8xf32>
    %c0 = arith.constant 0 : index
    vector.store %D, %out[%c0, %c0] : memref<16x8xf32>, vector<16x8xf32>
    gpu.return
  }
}
