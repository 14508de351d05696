#!/usr/bin/env bash
# The measurements behind bench/speed/NOTES.md: bench runs of this branch and of b4eb4aa (built in
# its own worktree, WT_BASE), then ListOps training steps of both, XLA off and on, interleaved.
#   bench/speed/measure.sh [bench|train|all]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="${WT_BASE:-/work/wt/b4eb4aa}"
raw="$here/bench/speed/raw"
mkdir -p "$raw" /tmp/listops
what="${1:-all}"
stamp() { echo "== $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg) quiet: $([[ -e /work/QUIET ]] && echo yes || echo no)"; }
lens=4096,8192,16384,32768
if [[ $what == bench || $what == all ]]; then
  stamp | tee -a "$raw/log.txt"
  (cd "$base" && scripts/longshort bench --lengths $lens --no-model --max-length 32768 --out "$raw/bench-b4eb4aa-1") \
    > "$raw/bench-b4eb4aa-1.txt" 2>&1
  for r in 1 2 3; do
    stamp | tee -a "$raw/log.txt"
    (cd "$here" && scripts/longshort bench --kinds long_short --lengths $lens --no-model --max-length 32768 \
      --out "$raw/bench-speed-$r") > "$raw/bench-speed-$r.txt" 2>&1
  done
fi
if [[ $what == train || $what == all ]]; then
  for x in "" "--xla"; do
    for tree in b4eb4aa speed; do
      stamp | tee -a "$raw/log.txt"
      if [[ $tree == b4eb4aa ]]; then dir=$base; model="--model lra_listops"; else dir=$here; model="--spec lra_listops"; fi
      rm -rf "/tmp/run-$tree$x"
      (cd "$dir" && scripts/longshort train $model --window 16 --rank 2 --length 2048 --batch 32 $x \
        --listops /tmp/listops --generate 2000 --steps 10 --eval-every 1000 --checkpoint-every 1000 \
        --run "/tmp/run-$tree$x") > "$raw/train-$tree${x:+-xla}.txt" 2>&1
    done
  done
fi
stamp | tee -a "$raw/log.txt"
