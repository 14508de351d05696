#!/bin/bash
# The ListOps training step of this tree against an earlier commit's, XLA off and on, interleaved
# (two rounds): the median tokens/s `train` prints for steps 3-12. The earlier commit is built in
# its own worktree first, e.g.:  git worktree add ../b4eb4aa b4eb4aa
#   bench/speed/listops_step_ab.sh ../b4eb4aa [OUT]      (OUT default: /tmp/listops_step_ab.txt)
# b4eb4aa's train spells --spec as --model (the default for the base tree; BASE_SPEC_OPTION=--spec
# for a newer one). The ListOps data is generated into /tmp/listops once.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base="$(cd "$1" && pwd)"
out="${2:-/tmp/listops_step_ab.txt}"; : > "$out"
for round in 1 2; do
for xla in "" "--xla"; do
for tree in base this; do
  if [ $tree = this ]; then d=$root; opt=--spec; else d=$base; opt=${BASE_SPEC_OPTION:---model}; fi
  run=$(mktemp -d)
  r=$(cd "$d" && timeout 600 scripts/longshort train $opt lra_listops --window 16 --rank 2 --length 2048 --batch 32 \
      --listops /tmp/listops --generate 2000 --steps 12 --eval-every 1000 --checkpoint-every 1000 $xla --run "$run/r" 2>/dev/null \
      | grep -o "[0-9,]* tok/s" | tail -10 | tr -d ',' | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  rm -rf "$run"
  echo "round $round tree $tree xla ${xla:-off} median tok/s (steps 3-12) $r" | tee -a "$out"
done; done; done
