// moe-run on the emu backend: the layer's GPU kernels run on the CPU through
// the GPU artifact path (mgpu* ABI, inputs staged into device memory) and
// match the reference; one compiled artifact serves every T.
// RUN: rm -rf %t && mkdir -p %t
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=8,k=2,hidden=64,inter=32,dtype=bf16,shared_inter=16 --backend emu --tokens 7 --check | FileCheck %s
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=8,k=2,hidden=64,inter=32,dtype=bf16,shared_inter=16 --backend emu --tokens 0 --check | FileCheck %s --check-prefix=CACHED
// RUN: moe-compile --layer experts=6,k=3,hidden=33,inter=17,dtype=f32,capacity_factor=1.25 --target emu -o %t/layer.so
// RUN: moe-run --artifact %t/layer.so --backend emu --tokens 9 --check | FileCheck %s
// RUN: not moe-run --artifact %t/layer.so --backend cpu --tokens 9 2>&1 | FileCheck %s --check-prefix=WRONGBACKEND

// CHECK: backend: emu
// CHECK: check: {{.*}}: ok
// CACHED: cache: disk
// CACHED: check: {{.*}}: ok
// WRONGBACKEND: error: cannot load '{{.*}}layer.so': it is a GPU artifact (its mgpuModuleLoad call found no GPU backend running it): load it in a context of the backend of its target (emu, cuda or hip)
