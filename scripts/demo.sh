#!/usr/bin/env bash
# The main job for now: build moe-opt, then decompose a Qwen3-MoE-shaped layer
# (examples/qwen3_moe_layer.mlir) into the primitive moe ops and print it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

bash "$root/scripts/build.sh" >/dev/null
"$build/bin/moe-opt" --moe-decompose --verify-each "$root/examples/qwen3_moe_layer.mlir"
