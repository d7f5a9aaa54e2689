#!/usr/bin/env bash
# The sanitizer build: everything compiled by clang-22 with AddressSanitizer
# and UndefinedBehaviorSanitizer (and libFuzzer's coverage instrumentation, for
# the fuzz targets in test/fuzz) into ${ASAN_BUILD_DIR:-build-asan}, then the
# whole test suite (lit, GoogleTest, numeric on cpu and emu) run under them.
# Any sanitizer report fails the test that made it. LLVM/MLIR (libMLIR.so),
# libomp and the compiled artifacts are not instrumented; leak detection is
# on, with no suppressions (scripts/lsan.supp).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}

bash "$root/scripts/setup.sh"
# The ASan runtime is linked as a shared library (-shared-libasan): libmoe_jit
# and libmoe_runtime are linked with -z defs / --no-undefined, and the runtime
# dlopens instrumented libraries (libmoe_jit, test artifacts).
rtdir=$(clang-22 -print-runtime-dir)
san="-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer"
link="$san -shared-libasan -Wl,-rpath,$rtdir"
# Configured every time (a few seconds), so that an older build-asan gets
# these flags and the fuzz targets.
cmake -G Ninja -S "$root" -B "$build" \
  -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
  -DCMAKE_C_FLAGS="$san" -DCMAKE_CXX_FLAGS="$san" \
  -DCMAKE_EXE_LINKER_FLAGS="$link" -DCMAKE_SHARED_LINKER_FLAGS="$link" \
  -DCMAKE_MODULE_LINKER_FLAGS="$link" \
  -DMOE_FUZZ=ON \
  -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit
ninja -C "$build" ${NINJA_JOBS:+-j "$NINJA_JOBS"}

source "$root/scripts/sanitizer-env.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
