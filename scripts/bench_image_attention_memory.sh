#!/usr/bin/env bash
# Peak memory of 2-D long-short attention vs full attention at growing patch counts.
# One JVM per configuration (peaks are per process): io.longshort.bench.ImageAttentionMemoryBench
# builds one attention layer (width 64, 2 heads, w 7, r 8, 1 global token) on a side x side grid,
# runs forward + backward twice and reports VmHWM before/after. Long-short should grow linearly in
# the patches, full attention quadratically.
#
#   mvn -o -q package -DskipTests
#   scripts/bench_image_attention_memory.sh [results.tsv] [ls sides] [full sides]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/image_attention_memory.tsv}
ls_sides=${2:-"14 28 56 84 112"}
full_sides=${3:-"14 28 42 56 70"}
mkdir -p "$(dirname "$out")"
tmp="$out.tmp.$$"
echo -e "kind\tside\tpatches\tbaseline_kib\tpeak_kib\tpeak_minus_baseline_kib\tseconds_per_fwd_bwd" > "$tmp"
run() {
  nice -n 10 java -Xmx4g -cp "target/longshort.jar:target/lib/*" io.longshort.bench.ImageAttentionMemoryBench "$1" "$2" \
    2>/dev/null | tail -1 | tee -a "$tmp"
}
for s in $ls_sides; do run long_short "$s"; done
for s in $full_sides; do run full "$s"; done
mv "$tmp" "$out"
echo "wrote $out"
