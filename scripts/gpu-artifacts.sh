#!/usr/bin/env bash
# Prepares the CUDA execution check for a machine that has an NVIDIA driver
# and nothing else (no LLVM, no MLIR, no build): nvptx artifacts of standard
# layers, moe-run and libmoe_runtime, and run.sh, all in one directory.
#
#   bash scripts/gpu-artifacts.sh [OUT]     # default build/gpu-run; CHIP=sm_90
#   (on the GPU machine)  bash OUT/run.sh   # every layer at T = 0, 1, 7, 300
#                                           # with --check against the reference,
#                                           # then Qwen3 timings, then
#                                           # compute-sanitizer if present
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
out=${1:-$build/gpu-run}
chip=${CHIP:-sm_90}

bash "$root/scripts/build.sh" >/dev/null
rm -rf "$out" && mkdir -p "$out/bin" "$out/lib"
cp "$build/bin/moe-run" "$out/bin/"
cp "$build/lib/libmoe_runtime.so" "$out/lib/"

layers=(
  "mixtral experts=8,k=2,hidden=256,inter=128,dtype=bf16"
  "qwen3 experts=128,k=8,hidden=2048,inter=768,dtype=bf16,renormalize=1"
  "deepseek experts=256,k=8,hidden=512,inter=256,dtype=bf16,scoring=sigmoid,router_bias=1,groups=8,group_topk=4,scaling=2.5,renormalize=1,shared_inter=256"
  "capacity experts=8,k=2,hidden=64,inter=48,dtype=f32,capacity_factor=1.25"
)
for layer in "${layers[@]}"; do
  name=${layer%% *}
  spec=${layer#* }
  "$build/bin/moe-compile" --layer "$spec" --target nvptx --chip "$chip" \
    --emit so -o "$out/$name.so"
done
# The Qwen3 layer without contract checks, for timings.
mkdir -p "$out/timing"
"$build/bin/moe-compile" --layer "${layers[1]#* }" --target nvptx \
  --chip "$chip" --no-checks --emit so -o "$out/timing/qwen3-no-checks.so"

cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs every artifact beside this script on the cuda backend and checks it
# (host inputs, then inputs resident in device memory), then times the Qwen3
# layer with resident inputs, with and without contract checks.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
run() { "$here/bin/moe-run" --backend cuda "$@"; }
failed=0
for artifact in "$here"/*.so; do
  for tokens in 0 1 7 300; do
    echo "== $(basename "$artifact") T=$tokens"
    run --artifact "$artifact" --tokens "$tokens" --check --repeat 3 ||
      failed=1
  done
  echo "== $(basename "$artifact") T=33 resident"
  run --artifact "$artifact" --tokens 33 --check --resident || failed=1
done
echo "== timings (best of 20, resident inputs)"
for artifact in "$here/qwen3.so" "$here/timing/qwen3-no-checks.so"; do
  for tokens in 1 16 128 1024 4096; do
    printf '%-22s T=%-5s ' "$(basename "$artifact")" "$tokens"
    run --artifact "$artifact" --tokens "$tokens" --resident --repeat 20 |
      grep '^run time' || failed=1
  done
done
# The issue's 0 errors under compute-sanitizer, where the machine has it.
sanitizer=$(command -v compute-sanitizer ||
  ls /usr/local/cuda*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer 2>/dev/null |
  head -n 1 || true)
if [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck; do
    echo "== compute-sanitizer --tool $tool qwen3.so T=33"
    "$sanitizer" --tool "$tool" --error-exitcode 9 "$here/bin/moe-run" \
      --backend cuda --artifact "$here/qwen3.so" --tokens 33 --check ||
      failed=1
  done
else
  echo "== compute-sanitizer not found: memcheck and racecheck skipped"
fi
exit $failed
RUN
chmod +x "$out/run.sh"
echo "$out: $(ls "$out"/*.so | wc -l) artifacts for $chip; run $out/run.sh on the GPU"
