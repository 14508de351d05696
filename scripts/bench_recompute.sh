#!/usr/bin/env bash
# Recomputation (train --recompute) against the plain training step, XLA off: the step's peak
# memory (VmHWM, one JVM per measurement) and time, in interleaved rounds (plain, recompute, plain,
# recompute, ...) so that load from other processes falls on both alike. See bench/recompute/README.md.
#   scripts/bench_recompute.sh [CONFIG] [N] [BATCH] [ROUNDS] [STEPS]   (default: lra_text 4096 32 2 2)
# Prints one RECOMPUTE line per process (io.longshort.bench.RecomputeStepMain).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
config="${1:-lra_text}"; n="${2:-4096}"; batch="${3:-32}"; rounds="${4:-2}"; steps="${5:-2}"
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
for ((r = 1; r <= rounds; r++)); do
  for mode in plain recompute; do
    TF_CPP_MIN_LOG_LEVEL=2 java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0 \
      ${LONGSHORT_JAVA_OPTS:-} -cp "$root/target/longshort.jar:$root/target/lib/*" \
      io.longshort.bench.RecomputeStepMain "$config" "$n" "$batch" "$mode" "$steps" | grep '^RECOMPUTE'
  done
done
