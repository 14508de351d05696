#!/usr/bin/env bash
# The longest N (batch 1) whose training step fits a memory budget, plain against recompute (train
# --recompute), XLA off: doubling N from START, then BISECT coarse halvings; each probe is its own JVM,
# killed once its resident memory passes the budget. See bench/recompute/README.md.
#   scripts/bench_recompute_longest.sh BUDGET_GIB [CONFIG] [START] [BISECT]   (default: lra_text 16384 3)
# Prints one PROBE line per JVM and a table, and writes both to bench/recompute/longest_n_<BUDGET>gib.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
budget="${1:?usage: $0 BUDGET_GIB [CONFIG] [START] [BISECT]}"; config="${2:-lra_text}"; start="${3:-16384}"
bisect="${4:-3}"
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
out="$root/bench/recompute/longest_n_${budget}gib.md"
log="$(mktemp)"; tmp="$(mktemp "$out.XXXXXX")"
trap 'rm -f "$log" "$tmp"' EXIT
load="$(cut -d' ' -f1-3 /proc/loadavg)"; t0=$(date +%s)
TF_CPP_MIN_LOG_LEVEL=2 java ${LONGSHORT_JAVA_OPTS:-} -cp "$root/target/longshort.jar:$root/target/lib/*" \
  io.longshort.bench.RecomputeLongestMain "$config" "$budget" "$start" "$bisect" | tee "$log"
{
  echo "# Longest N whose training step fits ${budget} GiB: ${config}, batch 1, XLA off"
  echo
  echo "\`scripts/bench_recompute_longest.sh $budget $config $start $bisect\` on $(date -u +%Y-%m-%d), $(nproc) cores,"
  echo "load average $load at the start, $(( $(date +%s) - t0 )) s in all. One JVM per probe, one training step"
  echo "each (forward, backward, AdamW update); a probe fits when it finishes and its VmHWM is within the budget."
  echo
  grep -v '^PROBE' "$log"
  echo
  echo '```'
  grep '^PROBE' "$log"
  echo '```'
} > "$tmp"
mv "$tmp" "$out"
echo "wrote $out"
