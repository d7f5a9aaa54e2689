// moe-tune on a small layer: it times the layer's two grouped GEMMs (gate/up
// and down) with candidate tiles, checks each against the reference, and
// writes both entries into the table; moe-bench then runs with that table.
// Timings vary, so only the form is checked (and that the written tiles are
// among the candidates searched).
// RUN: rm -rf %t && mkdir -p %t
// RUN: moe-tune --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --tokens 4,20 --repeat 1 --knobs tile.block_k --table %t/tiles.json | FileCheck %s
// RUN: FileCheck %s --check-prefix=TABLE < %t/tiles.json
// RUN: env MOE_CACHE_DIR=%t moe-bench --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --tokens 20 --repeat 1 --no-baseline --tile-table %t/tiles.json | FileCheck %s --check-prefix=BENCH
// A second run starts from the entries the first wrote and keeps the other
// entries of the table.
// RUN: moe-tune --shape experts=4,k=2,hidden=32,inter=16,dtype=f32 --tokens 4 --repeat 1 --knobs small_tile.block_k --table %t/tiles.json | FileCheck %s --check-prefix=SECOND
// RUN: FileCheck %s --check-prefix=BOTH < %t/tiles.json
// RUN: not moe-tune --shape experts=4,k=2,hidden=64,inter=32 --knobs tile.depth 2>&1 | FileCheck %s --check-prefix=KNOB
// RUN: not moe-tune --shape experts=4,k=2,hidden=64,inter=32 --backend cuda 2>&1 | FileCheck %s --check-prefix=BACKEND
// RUN: not moe-bench --shape experts=4,k=2,hidden=64,inter=32,dtype=f32 --tokens 1 --no-baseline --tile-table %t/missing.json 2>&1 | FileCheck %s --check-prefix=MISSING

// CHECK: moe-tune: experts=4,k=2,hidden=64,inter=32,dtype=f32{{.*}}, f32 weights, {{avx512|avx2|sse}}, {{[0-9]+}} threads, T = 4,20, best of 1
// CHECK: start: gate_up tile {{.*}}, small {{.*}}
// CHECK-NEXT: start: down tile {{.*}}, small {{.*}}
// CHECK: gate_up tile.block_k tile {{.*}} k32 {{.*}} {{[0-9.]+}} / {{[0-9.]+}} ms against {{[0-9.]+}} / {{[0-9.]+}} ms: {{[0-9.]+}}
// CHECK: down tile.block_k tile {{.*}} ms against {{.*}} ms: {{[0-9.]+}}
// CHECK: tuned: {{[0-9.]+}} / {{[0-9.]+}} ms, start {{[0-9.]+}} / {{[0-9.]+}} ms: {{[0-9.]+}}
// CHECK: wrote {{.*}}tiles.json

// TABLE: "gated": true,
// TABLE-NEXT: "in": 64,
// TABLE: "out": 64,
// TABLE-NEXT: "small_tile": {
// TABLE: "tile": {
// TABLE-NEXT: "block_k": {{32|64|128|256}},
// TABLE: "tuned": {
// TABLE: "start_ms": [
// TABLE: "tokens": [
// TABLE-NEXT: 4,
// TABLE-NEXT: 20
// TABLE: "gated": false,
// TABLE-NEXT: "in": 32,
// TABLE: "out": 64,
// TABLE: "tile": {
// TABLE-NEXT: "block_k": {{32|64|128|256}},
// TABLE: "format": 1

// BENCH: 20 {{[0-9.]+}} {{.*}} ok

// SECOND: start:
// SECOND: tuned:
// SECOND: wrote
// BOTH-COUNT-4: "gated":

// KNOB: moe-tune: error: --knobs: unknown knob 'tile.depth' (knobs: tile.block_k, tile.block_n, tile.block_m, tile.register, small_tile.block_m, small_tile.block_k, medium_tile.block_m, medium_tile.block_k, small_tile.register)
// BACKEND: moe-tune: error: --backend cuda: moe-tune tunes the cpu backend only
// MISSING: moe-bench: error: compiling the layer: tile_table: {{.*}}missing.json
