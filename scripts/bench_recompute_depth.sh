#!/usr/bin/env bash
# Peak memory (VmHWM) of one training step, plain against recompute, with depth: CONFIG with 1, 2, 3
# blocks (or the given LAYERS), N, batch, XLA off, one JVM per row (RecomputeStepMain, the step `train`
# builds). The per-block slope of each mode separates what a recomputed block keeps from the fixed part.
# Environment passes through, so malloc's retention can be taken out of VmHWM, e.g.
#   MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 scripts/bench_recompute_depth.sh lra_text 32768 1 arena2
# (glibc then maps every block of 128 KiB or more on its own and unmaps it when freed).
#   scripts/bench_recompute_depth.sh [CONFIG] [N] [BATCH] [TAG] [LAYERS...]
#     default: lra_text 32768 1 default 1 2 3; writes bench/recompute/depth_<CONFIG>_<N>x<BATCH>_<TAG>.md
# About 2-4 minutes on a quiet 2-core machine at the defaults (6 JVMs, each under 2.5 GiB).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${1:-lra_text}"; n="${2:-32768}"; batch="${3:-1}"; tag="${4:-default}"
shift $(( $# < 4 ? $# : 4 )); layers=("$@"); [[ ${#layers[@]} -gt 0 ]] || layers=(1 2 3)
if [[ ! "$tag" =~ ^[A-Za-z0-9_-]+$ ]]; then
  echo "TAG must match [A-Za-z0-9_-]+, got '$tag'" >&2; exit 2
fi
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
out="$root/bench/recompute/depth_${config}_${n}x${batch}_${tag}.md"
log="$(mktemp)"; tmp="$(mktemp "$out.XXXXXX")"
trap 'rm -f "$log" "$tmp"' EXIT
load="$(cut -d' ' -f1-3 /proc/loadavg)"
for l in "${layers[@]}"; do
  for mode in plain recompute; do
    TF_CPP_MIN_LOG_LEVEL=2 java -Xmx1g -XX:+UseSerialGC -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
      -Dorg.bytedeco.javacpp.maxBytes=0 ${LONGSHORT_JAVA_OPTS:-} -cp "$root/target/longshort.jar:$root/target/lib/*" \
      io.longshort.bench.RecomputeStepMain "$config" "$n" "$batch" "$mode" 0 "$l" | grep '^RECOMPUTE' | tee -a "$log"
  done
done
peak() { grep "RECOMPUTE $1 .*layers=$2 " "$log" | sed 's/.*vmhwm_mib=\([0-9]*\).*/\1/'; }
{
  echo "# Peak memory with depth: $config, N $n, batch $batch, one training step, XLA off ($tag)"
  echo
  echo "\`$(env | grep -E '^MALLOC_' | tr '\n' ' ')scripts/bench_recompute_depth.sh $config $n $batch $tag ${layers[*]}\`"
  echo "on $(date -u +%Y-%m-%d), $(nproc) cores, load average $load at the start. VmHWM includes the JVM and TensorFlow."
  echo
  echo "| layers | plain VmHWM MiB | recompute VmHWM MiB | recompute / plain |"
  echo "|---|---|---|---|"
  for l in "${layers[@]}"; do
    p="$(peak plain "$l")"; r="$(peak recompute "$l")"
    echo "| $l | $p | $r | $(awk -v p="$p" -v r="$r" 'BEGIN { printf "%.2fx", r / p }') |"
  done
  echo
  echo '```'
  cat "$log"
  echo '```'
} > "$tmp"
mv "$tmp" "$out"
echo "wrote $out"
