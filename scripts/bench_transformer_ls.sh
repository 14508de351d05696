#!/usr/bin/env bash
# The authors' LM (TransformerLsLm / TransformerLsDecoder, seeded random weights, window 512, chunk 16,
# rank 1): time per decoded token at cache lengths (contexts) 1K, 8K and 32K, and the block step's
# forward time against the block length. See io.longshort.bench.TransformerLsBench for the knobs
# (BENCH_LAYERS, BENCH_WIDTH, BENCH_TOKENS, BENCH_REPEAT, BENCH_CONTEXTS, BENCH_BLOCKS).
#   scripts/bench_transformer_ls.sh [OUT]      (default OUT: bench/transformer_ls.txt)
# Run it on a quiet machine: the figures are wall-clock times.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bench/transformer_ls.txt}"
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
exec java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0 ${LONGSHORT_JAVA_OPTS:-} \
  -cp "$root/target/longshort.jar:$root/target/lib/*" io.longshort.bench.TransformerLsBench "$out"
