#!/usr/bin/env bash
# Long-short against full attention as N grows (time, peak memory, longest N within a budget),
# XLA off and on, one process per configuration; writes results.md, results.csv and plot.png.
#   scripts/bench.sh                          the defaults (N = 1K..16K, 16 GiB), tens of minutes
#   scripts/bench.sh --lengths 1024,2048 --no-model --out results/quick
#   scripts/bench.sh --help                   every option
# Run it on a quiet machine: other load shows up in the times (results.md records the load average).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/longshort" bench "$@"
