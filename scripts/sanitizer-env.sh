# Sourced: the sanitizer options for running binaries of build-asan (tests,
# tools, fuzzers). A report stops the process with SIGABRT (abort_on_error),
# so that a test expecting failure (`not moe-opt ...`) does not pass on it.
# allow_user_poisoning=0: LLVM's allocators poison and unpoison their slabs
# in inline header code when compiled with ASan; our (instrumented) copies of
# that code and libMLIR's (uninstrumented) ones share the same slabs, so the
# manual poisoning would be reported as use-after-poison inside LLVM/MLIR.
_moe_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-22/bin/llvm-symbolizer
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:detect_leaks=1:allow_user_poisoning=0:check_initialization_order=1:strict_init_order=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$_moe_root/scripts/lsan.supp:print_suppressions=0
unset _moe_root
