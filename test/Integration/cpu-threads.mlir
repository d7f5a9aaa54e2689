// Determinism of the CPU artifacts (DESIGN.md §5): their tiles run on OpenMP
// threads, and the summation order of every output element is fixed by the
// tile, never by thread scheduling, so one artifact gives identical bits with
// 1 and 2 threads and from run to run. 300 tokens (600 pairs over 8 experts)
// make many row tiles; inter = 48 leaves column tails. The first run compiles
// into a fresh cache and checks the reference; the later runs load the same
// artifact from the disk cache; a last one recompiles it (no disk cache).
// Another seed gives other bits, so equal files are not a constant output.

// f32.
// RUN: rm -rf %t.cache
// RUN: env OMP_NUM_THREADS=1 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=f32 --tokens 300 --cache-dir %t.cache --output out=@%t.f32.1.npy --check | FileCheck %s --check-prefixes=CHECK,COMPILED,F32,REF
// RUN: env OMP_NUM_THREADS=2 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=f32 --tokens 300 --cache-dir %t.cache --output out=@%t.f32.2.npy | FileCheck %s --check-prefixes=CHECK,DISK,F32
// RUN: env OMP_NUM_THREADS=1 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=f32 --tokens 300 --cache-dir %t.cache --output out=@%t.f32.3.npy | FileCheck %s --check-prefixes=CHECK,DISK,F32
// RUN: env OMP_NUM_THREADS=2 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=f32 --tokens 300 --no-disk-cache --output out=@%t.f32.4.npy | FileCheck %s --check-prefixes=CHECK,COMPILED,F32
// RUN: cmp %t.f32.1.npy %t.f32.2.npy
// RUN: cmp %t.f32.1.npy %t.f32.3.npy
// RUN: cmp %t.f32.1.npy %t.f32.4.npy
// RUN: env OMP_NUM_THREADS=2 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=f32 --tokens 300 --cache-dir %t.cache --seed 1 --output out=@%t.f32.seed1.npy
// RUN: not cmp -s %t.f32.1.npy %t.f32.seed1.npy

// bf16 (the output is written as f32).
// RUN: env OMP_NUM_THREADS=1 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=bf16 --tokens 300 --cache-dir %t.cache --output out=@%t.bf16.1.npy --check | FileCheck %s --check-prefixes=CHECK,COMPILED,BF16,REF
// RUN: env OMP_NUM_THREADS=2 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=bf16 --tokens 300 --cache-dir %t.cache --output out=@%t.bf16.2.npy | FileCheck %s --check-prefixes=CHECK,DISK,BF16
// RUN: env OMP_NUM_THREADS=1 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=bf16 --tokens 300 --cache-dir %t.cache --output out=@%t.bf16.3.npy | FileCheck %s --check-prefixes=CHECK,DISK,BF16
// RUN: env OMP_NUM_THREADS=2 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=bf16 --tokens 300 --no-disk-cache --output out=@%t.bf16.4.npy | FileCheck %s --check-prefixes=CHECK,COMPILED,BF16
// RUN: cmp %t.bf16.1.npy %t.bf16.2.npy
// RUN: cmp %t.bf16.1.npy %t.bf16.3.npy
// RUN: cmp %t.bf16.1.npy %t.bf16.4.npy
// RUN: env OMP_NUM_THREADS=2 moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=bf16 --tokens 300 --cache-dir %t.cache --seed 1 --output out=@%t.bf16.seed1.npy
// RUN: not cmp -s %t.bf16.1.npy %t.bf16.seed1.npy

// CHECK: backend: cpu
// COMPILED: cache: compiled
// DISK: cache: disk
// CHECK: entry: moe_layer
// F32: input x f32 [300, 64]
// BF16: input x bf16 [300, 64]
// F32: output out f32 [300, 64] -> {{.*}}.f32.{{[1-4]}}.npy
// BF16: output out bf16 [300, 64] -> {{.*}}.bf16.{{[1-4]}}.npy (bf16 stored as f32)
// REF: check: max abs error {{.*}}: ok
