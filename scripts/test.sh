#!/usr/bin/env bash
# Sets up, builds and runs every test: lit (IR, FileCheck) and GoogleTest.
# Then the same suite again under ASan + UBSan (scripts/sanitize.sh, clang-22,
# build-asan/) and each libFuzzer target for FUZZ_SECONDS (default 30 s,
# scripts/fuzz.sh). MOE_SANITIZE=0 skips those two stages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

stage() { echo "test.sh: $1 stage done in $(( SECONDS - $2 )) s"; }

start=$SECONDS
bash "$root/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
stage normal "$start"

if [ "${MOE_SANITIZE:-1}" != 0 ]; then
  start=$SECONDS
  bash "$root/scripts/sanitize.sh"
  stage sanitizer "$start"
  start=$SECONDS
  bash "$root/scripts/fuzz.sh"
  stage fuzz "$start"
fi
