// Whole layers on an NVIDIA GPU through the cuda backend, against the
// reference, at several token counts from one compiled artifact: Mixtral-,
// Qwen3- and DeepSeek-shaped (sigmoid, bias, groups, shared expert), and a
// capacity-limited one. Runs where a CUDA device exists; reported as
// unsupported elsewhere.
// REQUIRES: cuda-device, cuda-toolkit
// RUN: rm -rf %t && mkdir -p %t
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=8,k=2,hidden=256,inter=128,dtype=bf16 --backend cuda --tokens 0 --check | FileCheck %s
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=8,k=2,hidden=256,inter=128,dtype=bf16 --backend cuda --tokens 1 --check | FileCheck %s
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=8,k=2,hidden=256,inter=128,dtype=bf16 --backend cuda --tokens 300 --check | FileCheck %s
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16,renormalize=1 --backend cuda --tokens 64 --check | FileCheck %s
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=256,k=8,hidden=512,inter=256,dtype=bf16,scoring=sigmoid,router_bias=1,groups=8,group_topk=4,scaling=2.5,renormalize=1,shared_inter=256 --backend cuda --tokens 33 --check | FileCheck %s
// RUN: env MOE_CACHE_DIR=%t moe-run --layer experts=8,k=2,hidden=64,inter=48,dtype=f32,capacity_factor=1.25 --backend cuda --tokens 77 --check | FileCheck %s
// CHECK: backend: cuda
// CHECK: check: {{.*}}: ok
