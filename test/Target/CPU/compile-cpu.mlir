// The CPU is set once by the driver (--cpu, else the host) and recorded as
// the module's moe.target; the tiles and the code follow it.
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --cpu haswell --emit mlir -o - | FileCheck %s --check-prefix=TARGET
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --cpu haswell --emit asm -o - | FileCheck %s --check-prefix=AVX2
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --cpu haswell --emit llvm -o - | FileCheck %s --check-prefix=MANIFEST
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --cpu skylake-avx512 --emit asm -o - | FileCheck %s --check-prefix=AVX512
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=bf16 --cpu sapphirerapids --emit asm -o - | FileCheck %s --check-prefix=AMX
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --cpu nonsense -o %t.so 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: echo '{"entries": []}' > %t.table.json
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --tile-table %t.table.json -o %t.so 2>&1 | FileCheck %s --check-prefix=BADTABLE
// RUN: not moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --target nvptx --cpu haswell -o %t.ptx 2>&1 | FileCheck %s --check-prefix=GPU

// TARGET: moe.target = #moe.target<kind = "cpu", chip = "haswell", features = "+sse4.2,+avx,+avx2,+fma,+f16c,+bmi,+bmi2">
// TARGET: omp.parallel

// The manifest names the CPU and the features the runtime checks at load.
// MANIFEST: \22cpu\22: \22haswell\22,\0A \22cpu_features\22: [\0A  \22avx\22,\0A  \22avx2\22,\0A  \22bmi\22,\0A  \22bmi2\22,\0A  \22f16c\22,\0A  \22fma\22,\0A  \22sse4.2\22\0A ],

// Haswell's register tiles are 6 x 16: FMAs on 256-bit registers only.
// AVX2: vfmadd{{.*}}ymm
// AVX2-NOT: zmm

// AVX512: vfmadd{{.*}}zmm

// Sapphire Rapids has AMX, so a bf16 layer's large row tiles multiply 16 x 32
// bf16 tiles (both GEMMs fit: K 64 and 32, widths 32 and 64).
// AMX: ldtilecfg
// AMX: tileloadd
// AMX: tdpbf16ps
// AMX: tilestored

// BAD: moe-compile: error: unknown CPU 'nonsense' for {{.*}} (an LLVM CPU name: haswell, skylake-avx512, znver4, ...)
// BAD-NOT: not a recognized processor

// GPU: --cpu applies to the cpu target only

// A pass's error is the message alone, not the module it failed on.
// BADTABLE: error: lowering the moe ops failed:
// BADTABLE-NEXT: error: tile table {{.*}}.table.json: missing value at table.format
// BADTABLE-NOT: see current operation
// BADTABLE-NOT: func.func
