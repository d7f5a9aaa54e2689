// moe-bench on a small layer: one artifact serves every T, each T is checked
// against the reference and timed against the OpenBLAS baseline, and the
// roofline comes from the machine measured at start. The second run finds
// the artifact in the disk cache. Timings vary, so only their form is checked.
// RUN: rm -rf %t && mkdir -p %t
// RUN: env MOE_CACHE_DIR=%t moe-bench --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --tokens 1,7 --repeat 1 --backend cpu | FileCheck %s
// RUN: env MOE_CACHE_DIR=%t moe-bench --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --tokens 1,7 --repeat 1 --backend cpu --json | FileCheck %s --check-prefix=JSON
// RUN: env MOE_CACHE_DIR=%t moe-bench --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --tokens 3 --repeat 1 --backend cpu --cold | FileCheck %s --check-prefix=COLD
// RUN: env MOE_CACHE_DIR=%t moe-bench --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --tokens 3 --repeat 1 --backend cpu --cold --json | FileCheck %s --check-prefix=COLDJSON
// RUN: not moe-bench --tokens x 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not moe-bench --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --dtype bf16 2>&1 | FileCheck %s --check-prefix=DTYPE

// CHECK: layer: experts=4,k=2,hidden=64,inter=32,dtype=f32,
// CHECK: backend: cpu, {{[0-9]+}} thread
// CHECK: machine: FMA peak {{[0-9.]+}} GFLOP/s (f32, {{.*}}); read bandwidth {{[0-9.]+}} GB/s
// CHECK: compile: {{[0-9.]+}} ms (compiled: cache miss)
// CHECK: openblas: OpenBLAS {{.*}}; f32 weights
// CHECK: T ms GFLOP/s GB/s roofline check openblas ms ratio torch ms ratio
// CHECK-NEXT: {{^1 [0-9.]+ [0-9.]+ [0-9.]+ [0-9.e+-]+% ok [0-9.]+ [0-9.]+ - -$}}
// CHECK-NEXT: {{^7 [0-9.]+ [0-9.]+ [0-9.]+ [0-9.e+-]+% ok [0-9.]+ [0-9.]+ - -$}}
// CHECK-NOT: FAILED
// CHECK-NOT: warning

// --cold empties the caches before each timed run (a buffer past the last
// level, at least 64 MiB) and says so.
// COLD: caches: emptied before each timed run (every thread sums its part of {{[0-9]+}} MiB)
// COLD: {{^3 [0-9.]+ [0-9.]+ [0-9.]+ [0-9.e+-]+% ok [0-9.]+ [0-9.]+ - -$}}
// COLD: ms: best of 1 run after one warm-up, caches emptied before each.
// COLDJSON: "cold": true,
// COLDJSON: "evict_bytes": {{[1-9][0-9]+}},

// JSON: "backend": "cpu",
// JSON: "compile": {
// JSON-NEXT: "cache": "disk",
// JSON-NEXT: "cache_hit": true,
// JSON-NEXT: "checks": true,
// JSON: "dtype": "f32",
// JSON: "machine": {
// JSON-NEXT: "bandwidth_bytes": {{[0-9]+}},
// JSON-NEXT: "bandwidth_gbs": {{[0-9.e+-]+}},
// JSON-NEXT: "fma_isa": "{{.+}}",
// JSON-NEXT: "fma_peak_gflops": {{[0-9.e+-]+}},
// JSON: "openblas": {
// JSON: "status": "ran",
// JSON: "peer_torch": {
// JSON-NEXT: "status": "not requested"
// JSON: "results": [
// JSON: "bytes": {{[0-9.e+-]+}},
// JSON-NEXT: "check": {
// JSON: "status": "ok",
// JSON-NEXT: "tokens": 1,
// JSON: "experts_hit": {{[1-4]}},
// JSON-NEXT: "flops": {{[0-9.e+-]+}},
// JSON-NEXT: "gbs": {{[0-9.e+-]+}},
// JSON-NEXT: "gflops": {{[0-9.e+-]+}},
// JSON-NEXT: "ms": {{[0-9.e+-]+}},
// JSON-NEXT: "openblas": {
// JSON: "ms": {{[0-9.e+-]+}},
// JSON-NEXT: "ratio": {{[0-9.e+-]+}}
// JSON: "roofline_ms": {{[0-9.e+-]+}},
// JSON-NEXT: "roofline_pct": {{[0-9.e+-]+}},
// JSON-NEXT: "tokens": 1,
// JSON-NEXT: "torch": null
// JSON: "status": "ok",
// JSON-NEXT: "tokens": 7,
// JSON: "roofline_pct": {{[0-9.e+-]+}},
// JSON-NEXT: "tokens": 7,
// JSON: "spec": "experts=4,k=2,hidden=64,inter=32,dtype=f32,

// BAD: moe-bench: error: --tokens: 'x' is not a positive integer (expected a list such as 1,32,128,512,2048)
// DTYPE: moe-bench: error: --shape says dtype=f32 but --dtype says bf16 (give one of them)
