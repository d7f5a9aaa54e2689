// A tuning table that cannot be read or is not a valid table is an error
// naming the file and the place in it; nothing falls back silently.
// RUN: not moe-opt %s --moe-select-tiles="table=%S/Inputs/tiles-bad-size.json" 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not moe-opt %s --moe-select-tiles="table=%S/Inputs/tiles-bad-format.json" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not moe-opt %s --moe-select-tiles="table=%S/Inputs/tiles-bad-multiple.json" 2>&1 | FileCheck %s --check-prefix=MULTIPLE
// RUN: not moe-opt %s --moe-select-tiles="table=%S/Inputs/tiles-bad-limit.json" 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not moe-opt %s --moe-select-tiles="table=%S/Inputs/tiles-bad-register.json" 2>&1 | FileCheck %s --check-prefix=REGISTER
// RUN: not moe-opt %s --moe-select-tiles="table=%S/Inputs/tiles-bad-json.json" 2>&1 | FileCheck %s --check-prefix=JSON
// RUN: not moe-opt %s --moe-select-tiles="table=%t.missing.json" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: moe-opt %s -split-input-file --moe-select-tiles="table=%S/Inputs/tiles-bad-format.json" -verify-diagnostics

// SIZE: error: tile table {{.*}}tiles-bad-size.json: expected integer at table.entries[0].tile.block_k
// FORMAT: error: tile table {{.*}}tiles-bad-format.json: format 7 is not the format 1 this build reads
// MULTIPLE: error: tile table {{.*}}tiles-bad-multiple.json: block_m and block_n must be multiples of thread_m and thread_n at table.entries[0].tile
// LIMIT: error: tile table {{.*}}tiles-bad-limit.json: block_m, block_n and block_k must be at most 65536 at table.entries[0].tile
// REGISTER: error: tile table {{.*}}tiles-bad-register.json: thread_m x thread_n must be at most 4096 at table.entries[0].tile
// JSON: error: tile table {{.*}}tiles-bad-json.json: {{.*}}
// MISSING: error: cannot read tile table '{{.*}}.missing.json': No such file or directory

// expected-error @+1 {{tile table}}
module attributes {moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+avx,+avx2,+fma">} {
func.func @f(%x: tensor<?x64xf32>, %w: tensor<8x64x96xf32>, %off: tensor<9xi32>) -> tensor<?x48xf32> {
  %y = moe.grouped_gemm %x, %w, offsets(%off) activation<silu> gated : tensor<?x64xf32>, tensor<8x64x96xf32>, tensor<9xi32>
  return %y : tensor<?x48xf32>
}
}
