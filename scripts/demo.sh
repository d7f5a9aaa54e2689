#!/usr/bin/env bash
# The main job: build, then compile a Qwen3-MoE-shaped layer (128 experts, top-8,
# hidden 2048, expert intermediate 768, bf16) for the CPU through the JIT, run it
# on random weights, check it against the scalar reference and print the times.
# Run it twice: the second compile is a disk-cache hit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
tokens=${TOKENS:-64}

bash "$root/scripts/build.sh" >/dev/null
"$build/bin/moe-run" --backend cpu --tokens "$tokens" --check \
  --layer experts=128,k=8,hidden=2048,inter=768,dtype=bf16,renormalize=1
