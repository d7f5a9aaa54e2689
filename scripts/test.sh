#!/usr/bin/env bash
# Sets up, builds and runs every test: lit (IR, FileCheck) and GoogleTest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

bash "$root/scripts/build.sh"
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
