// The cuda backend compiles for the device it runs on, against the
// libcuda.so.1 stand-in (test/fake-cuda) whose device has the compute
// capability $MOE_FAKE_CUDA_CC: the PTX it loads targets that chip. A device
// newer than LLVM's NVPTX backend knows gets the newest chip LLVM knows below
// it (PTX runs on newer GPUs through the driver's JIT); --chip wins over the
// device. Every chip is its own cache entry. The module calls no math, so no
// CUDA toolkit is needed.
// RUN: rm -rf %t && mkdir -p %t
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/sm90.log MOE_FAKE_CUDA_CC=9.0 moe-run %s --backend cuda --tokens 3 --cache-dir %t/cache | FileCheck %s --check-prefix=COMPILED
// RUN: FileCheck %s --check-prefix=SM90 --input-file %t/sm90.log
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/sm86.log MOE_FAKE_CUDA_CC=8.6 moe-run %s --backend cuda --tokens 3 --cache-dir %t/cache | FileCheck %s --check-prefix=COMPILED
// RUN: FileCheck %s --check-prefix=SM86 --input-file %t/sm86.log
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/future.log MOE_FAKE_CUDA_CC=99.0 moe-run %s --backend cuda --tokens 3 --cache-dir %t/cache | FileCheck %s --check-prefix=COMPILED
// RUN: FileCheck %s --check-prefix=FUTURE --input-file %t/future.log
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/forced.log MOE_FAKE_CUDA_CC=9.0 moe-run %s --backend cuda --tokens 3 --cache-dir %t/cache --chip sm_80 | FileCheck %s --check-prefix=COMPILED
// RUN: FileCheck %s --check-prefix=SM80 --input-file %t/forced.log
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/again.log MOE_FAKE_CUDA_CC=9.0 moe-run %s --backend cuda --tokens 3 --cache-dir %t/cache | FileCheck %s --check-prefix=CACHED
// RUN: FileCheck %s --check-prefix=SM90 --input-file %t/again.log
// RUN: ls %t/cache | grep -c '\.so$' | FileCheck %s --check-prefix=ENTRIES
// An artifact runs where its PTX does: sm_80 PTX on an sm_90 device, but
// sm_90 PTX on an sm_80 device is refused, naming both chips.
// RUN: moe-compile %s --target nvptx --chip sm_90 --emit so -o %t/sm90.so
// RUN: moe-compile %s --target nvptx --chip sm_80 --emit so -o %t/sm80.so
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/older.log MOE_FAKE_CUDA_CC=9.0 moe-run --artifact %t/sm80.so --backend cuda --tokens 3 | FileCheck %s --check-prefix=RUNS
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/newer.log MOE_FAKE_CUDA_CC=8.0 not moe-run --artifact %t/sm90.so --backend cuda --tokens 3 2>&1 | FileCheck %s --check-prefix=NEWER
// An unknown chip asked for by name is an error, not a fallback.
// RUN: env LD_LIBRARY_PATH=%fake-cuda-dir MOE_FAKE_CUDA_LOG=%t/unknown.log not moe-run %s --backend cuda --tokens 3 --no-disk-cache --chip sm_999 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// COMPILED: cache: compiled
// CACHED: cache: disk
// SM90: cuModuleLoadData ptx=yes target=.target sm_90{{$}}
// SM86: cuModuleLoadData ptx=yes target=.target sm_86{{$}}
// SM80: cuModuleLoadData ptx=yes target=.target sm_80{{$}}
// FUTURE: cuModuleLoadData ptx=yes target=.target {{sm_1[0-9][0-9]$}}
// FUTURE-NOT: target=.target sm_99
// ENTRIES: 4
// UNKNOWN: unknown chip 'sm_999' for target nvptx
// RUNS: output
// NEWER: cannot run artifact '{{.*}}sm90.so' here: it was compiled for sm_90 and the cuda device is sm_80 (PTX runs on its chip and newer ones; compile it for sm_80)

func.func @permute(%x: tensor<?x8xf32>, %ids: tensor<?x2xi32>) -> (tensor<?x8xf32>, tensor<5xi32>, tensor<?xi32>) {
  %xp, %offsets, %rows = moe.permute %x, %ids experts(4) : tensor<?x8xf32>, tensor<?x2xi32>
  return %xp, %offsets, %rows : tensor<?x8xf32>, tensor<5xi32>, tensor<?xi32>
}
