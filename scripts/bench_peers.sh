#!/usr/bin/env bash
# The authors' LM block step (their TransformerLSModel) against ours in one run, interleaved rounds,
# fastest of N each side: 2 layers, d 256, 4 heads, FFN 1024 at blocks 256, 1024, 2048, and the
# paper's size (12 layers, d 512, 8 heads, FFN 2048) at block 2048; cache 2048, fp32, 2 threads.
#   scripts/bench_peers.sh AUTHORS_CHECKOUT [OUT]     (default OUT: bench/peers/results.md)
#   scripts/bench_peers.sh --lra AUTHORS_CHECKOUT [OUT]   their LRA code instead (bench/peers/peer_lra.py:
#     the ListOps training step at their setting and the bidirectional layer; default OUT
#     bench/peers/lra-results.md)
# AUTHORS_CHECKOUT: NVIDIA/transformer-ls at 1527c5c (bench/peers/README.md); nothing is fetched.
# PYTHON (default: python3) needs torch. Extra options go to bench/peers/peer_lm.py (--rounds, ...).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
peer=peer_lm.py
results=results.md
if [[ "${1:-}" == --lra ]]; then
  peer=peer_lra.py
  results=lra-results.md
  shift
fi
if [[ $# -lt 1 ]]; then
  echo "usage: scripts/bench_peers.sh [--lra] AUTHORS_CHECKOUT [OUT] [$peer options]" >&2
  exit 2
fi
authors="$1"
out="${2:-$root/bench/peers/$results}"
shift $(( $# >= 2 ? 2 : 1 ))
"$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
exec "${PYTHON:-python3}" "$root/bench/peers/$peer" --authors "$authors" \
  --java-cp "$root/target/longshort.jar:$root/target/lib/*" --out "$out" "$@"
