#!/usr/bin/env bash
# Recomputation (train, train-lm, train-image --recompute) against the plain training step, XLA off: the
# step's peak memory (VmHWM, one JVM per measurement) and time, in interleaved rounds (plain, recompute,
# plain, recompute, ...) so that load from other processes falls on both alike. A JVM whose resident
# memory passes BUDGET_GIB is killed and its row says so. See bench/recompute/README.md.
#   scripts/bench_recompute.sh [CONFIG] [N] [BATCH] [ROUNDS] [STEPS] [BUDGET_GIB] [LAYERS]
#     default: lra_text 4096 32 2 2 16; CONFIG a classifier config (N its length; LAYERS: that many
#     blocks instead of its own), an LM setting such as transformer_ls_enwik8_base (N the block) or a
#     vision config such as vil_ls_medium (N the image side)
#   MODES=plain,recompute,halves scripts/bench_recompute.sh ...   adds --recompute halves to each round (classifiers)
# Prints one PROBE line per JVM and a table, and writes both to bench/recompute/steps_<CONFIG>_<N>x<BATCH>[_<LAYERS>l].md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${1:-lra_text}"; n="${2:-4096}"; batch="${3:-32}"; rounds="${4:-2}"; steps="${5:-2}"; budget="${6:-16}"
layers="${7:-}"
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
out="$root/bench/recompute/steps_${config}_${n}x${batch}${layers:+_${layers}l}.md"
log="$(mktemp)"; tmp="$(mktemp "$out.XXXXXX")"
trap 'rm -f "$log" "$tmp"' EXIT
load="$(cut -d' ' -f1-3 /proc/loadavg)"; t0=$(date +%s)
TF_CPP_MIN_LOG_LEVEL=2 java ${LONGSHORT_JAVA_OPTS:-} -Drecompute.modes="${MODES:-plain,recompute}" \
  -cp "$root/target/longshort.jar:$root/target/lib/*" io.longshort.bench.RecomputeRoundsMain "$config" "$n" "$batch" "$rounds" "$steps" "$budget" $layers | tee "$log"
{
  echo "# Training step, plain against recompute: ${config}${layers:+ with $layers layers}, N $n, batch $batch, XLA off"
  echo
  echo "\`${MODES:+MODES=$MODES }scripts/bench_recompute.sh $*\` on $(date -u +%Y-%m-%d), $(nproc) cores, load average $load at the start,"
  echo "$(( $(date +%s) - t0 )) s in all; budget $budget GiB per JVM. VmHWM is each JVM's peak (JVM and TensorFlow included)."
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
