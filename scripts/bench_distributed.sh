#!/usr/bin/env bash
# Step time of synchronous data-parallel training with 1 and 2 workers on this machine (loopback
# gRPC), next to the plain single-process `train`, at the same combined batch. Writes a table to
# OUT (default: bench/distributed_step_time.txt). Each run trains STEPS steps of lra_listops on
# generated ListOps; the median step time skips the first 3 steps (graph set-up on the workers).
#   scripts/bench_distributed.sh            (LENGTH=512 BATCH=8 STEPS=15 by default)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
length="${LENGTH:-512}"
batch="${BATCH:-8}"
steps="${STEPS:-15}"
out="${OUT:-$root/bench/distributed_step_time.txt}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
common=(--listops "$work/listops" --generate 1000 --length "$length" --batch "$batch" --steps "$steps"
  --warmup 2 --checkpoint-every 1000 --eval-every 1000)

# median seconds per step from the progress lines ("step i/n ... 12,345 tok/s"), steps > 3
median_step() {
  grep -E '^step [0-9]+/' "$1" | sed -E 's#^step ([0-9]+)/.* ([0-9,.]+) tok/s.*#\1 \2#' | tr -d , \
    | awk -v tokens="$((batch * length))" '$1 > 3 { print tokens / $2 }' | sort -g \
    | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan" } else if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

"$root/scripts/longshort" train "${common[@]}" --run "$work/single" >"$work/single.log" 2>&1
BASE_PORT=24300 LOGS="$work/logs1" "$root/scripts/local_cluster.sh" 1 "${common[@]}" --run "$work/w1" >"$work/w1.log" 2>&1
BASE_PORT=24310 LOGS="$work/logs2" "$root/scripts/local_cluster.sh" 2 "${common[@]}" --run "$work/w2" >"$work/w2.log" 2>&1

{
  echo "# distributed step time, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# lra_listops, length $length, combined batch $batch, median of steps 4..$steps"
  printf '%-34s %s\n' "run" "seconds/step"
  printf '%-34s %s\n' "single process (train)" "$(median_step "$work/single.log")"
  printf '%-34s %s\n' "1 worker (TF gRPC runtime)" "$(median_step "$work/w1.log")"
  printf '%-34s %s\n' "2 workers, $((batch / 2)) rows each (loopback)" "$(median_step "$work/w2.log")"
} | tee "$out"
