#!/usr/bin/env bash
# Runs every libFuzzer target of build-asan (scripts/sanitize.sh builds them)
# for FUZZ_SECONDS (default 30) each, starting from the seed corpus in
# test/fuzz/corpus/<target>. New inputs go to a scratch copy of the corpus
# (${FUZZ_WORK:-build-asan/fuzz}/<target>), never into the repository. Any
# crash, sanitizer report, leak, timeout or out-of-memory fails the run; the
# reproducer is left in $FUZZ_WORK/crashes/.
#
#   bash scripts/fuzz.sh                 # all targets, 30 s each
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh npy mlir   # some targets, longer
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ASAN_BUILD_DIR:-$root/build-asan}
work=${FUZZ_WORK:-$build/fuzz}
seconds=${FUZZ_SECONDS:-30}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(npy layer-spec manifest mlir); fi

source "$root/scripts/sanitizer-env.sh"
mkdir -p "$work/crashes"
failed=()
for target in "${targets[@]}"; do
  binary=$build/bin/moe-fuzz-$target
  seeds=$root/test/fuzz/corpus/$target
  if [ ! -x "$binary" ] || [ ! -d "$seeds" ]; then
    echo "fuzz: no target '$target' ($binary, $seeds)" >&2
    exit 2
  fi
  mkdir -p "$work/$target"
  dict=()
  if [ -f "$root/test/fuzz/$target.dict" ]; then
    dict=(-dict="$root/test/fuzz/$target.dict")
  fi
  echo "fuzz: $target for ${seconds}s"
  # -timeout: one input taking 25 s is a hang; -rss_limit_mb: LLVM/MLIR's
  # context plus ASan's shadow stays well under it.
  if ! (cd "$work" && "$binary" -max_total_time="$seconds" -timeout=25 \
          -rss_limit_mb=4096 -print_final_stats=1 \
          -artifact_prefix="$work/crashes/$target-" "${dict[@]}" \
          "$work/$target" "$seeds" > "$work/$target.log" 2>&1); then
    failed+=("$target")
    tail -n 60 "$work/$target.log" >&2
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|(INITED|DONE) +cov:" \
    "$work/$target.log" | sed "s/^/fuzz: $target: /" || true
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (reproducers in $work/crashes)" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a finding"
