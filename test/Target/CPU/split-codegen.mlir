// A CPU artifact's functions are optimized and compiled in parts, on several
// threads, then linked into one library (lib/Jit/SplitCodegen.cpp). The
// number of parts is a constant, so the artifact's bytes do not depend on
// the threads or the machine; the tile functions that one part calls in
// another stay local to the library; and the layer still computes the
// reference's result.
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --cpu skylake-avx512 -o %t.a.so
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --cpu skylake-avx512 -o %t.b.so
// RUN: cmp %t.a.so %t.b.so
// RUN: llvm-readelf -s %t.a.so | FileCheck %s --check-prefix=PARTS
// RUN: llvm-nm %t.a.so | FileCheck %s --check-prefix=SYMBOLS
// RUN: llvm-nm -D --defined-only %t.a.so | FileCheck %s --check-prefix=EXPORTS
// An object file is one part.
// RUN: moe-compile --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --emit obj -o %t.o
// RUN: llvm-readelf -s %t.o | FileCheck %s --check-prefix=OBJECT
// RUN: moe-run --layer experts=8,k=2,hidden=64,inter=32,dtype=f32 --tokens 37 --check --no-disk-cache | FileCheck %s --check-prefix=CHECKED

// Four parts, four objects: each names its source file.
// PARTS-COUNT-4: FILE {{.*}} moe{{$}}
// PARTS-NOT: FILE

// SYMBOLS-DAG: T moe_layer
// SYMBOLS-DAG: t moe_layer..omp_par
// SYMBOLS-DAG: t moe_layer..omp_par.1

// OBJECT-COUNT-1: FILE {{.*}} moe{{$}}
// OBJECT-NOT: FILE

// EXPORTS-NOT: omp_par
// EXPORTS: T _mlir_ciface_moe_layer
// EXPORTS-NOT: omp_par

// CHECKED: check:{{.*}}: ok
