#!/usr/bin/env bash
# The cache-recall experiment of issue 14: the authors' LM trained by truncated BPTT on a generated
# corpus whose repeated blocks can only be predicted through the cache, once with the cache carried
# and once with it zeroed before every block; both recall-accuracy curves into OUT/results.csv and
# OUT/results.md. See io.longshort.bench.LmRecallBench (-Drecall.gap=2 etc. in LONGSHORT_JAVA_OPTS).
#   scripts/bench_lm_recall.sh [OUT [STEPS]]      (default OUT: bench/lm_recall, STEPS 3000)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bench/lm_recall}"
steps="${2:-3000}"
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
exec java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 ${LONGSHORT_JAVA_OPTS:-} \
  -cp "$root/target/longshort.jar:$root/target/lib/*" io.longshort.bench.LmRecallBench "$out" "$steps"
