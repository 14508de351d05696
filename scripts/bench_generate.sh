#!/usr/bin/env bash
# Time per generated token of the in-graph decode loop (`longshort generate`, seeded random weights)
# at capacities (contexts) 1K, 4K and 16K, for causal long-short attention and for full causal
# attention with a plain key/value cache (the baseline). The decode step has static shapes: every
# step at capacity C costs what a step at position C - 1 costs (the cache is C rows, masked), so
# the loop's time over its steps is the time per token at context C.
#   scripts/bench_generate.sh [OUT]      (default OUT: bench/generate_per_token.txt)
# Environment: BENCH_LAYERS (2), BENCH_WIDTH (256), BENCH_STEPS (128 new tokens), BENCH_REPEAT (5,
# the fastest run counts), BENCH_CONTEXTS.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bench/generate_per_token.txt}"
layers="${BENCH_LAYERS:-2}"
width="${BENCH_WIDTH:-256}"
steps="${BENCH_STEPS:-128}"
repeat="${BENCH_REPEAT:-5}"
contexts="${BENCH_CONTEXTS:-1024 4096 16384}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
spec() {  # kind -> JSON model spec: the paper's LM attention (w 512, l 16, r 1), smaller width/depth
  local attention
  if [[ "$1" == causal_long_short ]]; then
    attention="{\"kind\":\"causal_long_short\",\"width\":$width,\"heads\":4,\"window\":512,\"segment\":16,\"rank\":1}"
  else
    attention="{\"kind\":\"causal_full\",\"width\":$width,\"heads\":4}"
  fi
  echo "{\"task\":\"language_model\",\"vocabSize\":256,\"maxLength\":16384,\"width\":$width,\"layers\":$layers,
    \"hiddenWidth\":$((4 * width)),\"attention\":$attention,\"positions\":\"sinusoidal\",\"pooling\":\"none\"}"
}
{
  echo "# bench_generate $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores; $layers layers x $width wide, 4 heads; batch 1;"
  echo "# $steps new tokens after a 1-byte prompt, best of $repeat runs; ms per decode step (= per generated token)"
  printf "%-18s %8s %12s %16s\n" attention context ms_per_token cache_floats_per_layer
  for kind in causal_long_short causal_full; do
    spec "$kind" > "$work/$kind.json"
    for c in $contexts; do
      ms=$("$root/scripts/longshort" generate --spec "$work/$kind.json" --capacity "$c" --prompt x \
        --max-new "$steps" --temperature 0 --repeat "$repeat" | python3 -c 'import json,sys; print("%.3f" % json.loads(sys.stdin.readline())["ms_per_step"])')
      if [[ "$kind" == causal_long_short ]]; then
        floats=$(( (2 * 512 + 3 * 16 + 2 * (c / 16)) * width ))   # window ring, segment buffer, slots
      else
        floats=$(( 2 * c * width ))
      fi
      printf "%-18s %8d %12s %16d\n" "$kind" "$c" "$ms" "$floats"
    done
  done
} | tee "$out"
