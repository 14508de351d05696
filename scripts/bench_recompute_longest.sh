#!/usr/bin/env bash
# The longest N (batch 1) whose training step fits a memory budget, plain against recompute (train
# --recompute), XLA off: doubling N from START, then BISECT coarse halvings; each probe is its own JVM,
# killed once its resident memory passes the budget. See bench/recompute/README.md.
#   scripts/bench_recompute_longest.sh BUDGET_GIB [CONFIG] [START] [BISECT]   (default: lra_text 16384 3)
#     prints one PROBE line per JVM and a table, and writes both to bench/recompute/longest_n_<BUDGET>gib.md
#   scripts/bench_recompute_longest.sh --probe N[,N...] BUDGET_GIB [CONFIG] [MODE]   (default: lra_text, both modes)
#     only those N, no search (e.g. --probe 1966080 16 lra_text recompute: one JVM, 5-15 min);
#     writes bench/recompute/longest_n_<BUDGET>gib_probe.md
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage="usage: $0 BUDGET_GIB [CONFIG] [START] [BISECT], or $0 --probe N[,N...] BUDGET_GIB [CONFIG] [plain|recompute]"
probe=""
if [[ "${1:-}" == "--probe" ]]; then
  probe="${2:?$usage}"; shift 2
fi
budget="${1:?$usage}"; config="${2:-lra_text}"
if [[ -n "$probe" ]]; then
  mode="${3:-}"
  args=("$config" "$budget" --probe "$probe" ${mode:+"$mode"})
  out="$root/bench/recompute/longest_n_${budget}gib_probe.md"
  title="Training steps probed against ${budget} GiB: ${config}, batch 1, XLA off"
  shown="--probe $probe $budget $config${mode:+ $mode}"
else
  start="${3:-16384}"; bisect="${4:-3}"
  args=("$config" "$budget" "$start" "$bisect")
  out="$root/bench/recompute/longest_n_${budget}gib.md"
  title="Longest N whose training step fits ${budget} GiB: ${config}, batch 1, XLA off"
  shown="$budget $config $start $bisect"
fi
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
log="$(mktemp)"; tmp="$(mktemp "$out.XXXXXX")"
trap 'rm -f "$log" "$tmp"' EXIT
load="$(cut -d' ' -f1-3 /proc/loadavg)"; t0=$(date +%s)
TF_CPP_MIN_LOG_LEVEL=2 java ${LONGSHORT_JAVA_OPTS:-} -cp "$root/target/longshort.jar:$root/target/lib/*" \
  io.longshort.bench.RecomputeLongestMain "${args[@]}" | tee "$log"
{
  echo "# $title"
  echo
  echo "\`scripts/bench_recompute_longest.sh $shown\` on $(date -u +%Y-%m-%d) at $(git -C "$root" rev-parse --short HEAD), $(nproc) cores,"
  echo "load average $load at the start, $(( $(date +%s) - t0 )) s in all. One JVM per probe, one training step"
  echo "each (forward, backward, AdamW update); a probe fits when it finishes and its VmHWM is within the budget."
  "$root/scripts/tf_cpu_line"
  echo
  grep -v '^PROBE' "$log"
  echo
  echo '```'
  grep '^PROBE' "$log"
  echo '```'
} > "$tmp"
mv "$tmp" "$out"
echo "wrote $out"
