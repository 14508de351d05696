#!/usr/bin/env bash
# Tries distributed training on one machine: N worker processes on loopback ports, worker 0 the
# chief (runs `train` and drives the others), workers 1..N-1 `longshort worker`. Every process
# gets the same cluster as TF_CONFIG, as a real launcher (one process per machine) would set it.
#   scripts/local_cluster.sh N [train options...]
#   scripts/local_cluster.sh 2 --listops data/listops --generate 2000 --length 128 --batch 8 --steps 50 --run runs/dist
# Environment: BASE_PORT (default 23456): worker i listens on localhost:BASE_PORT+i;
# LOGS (default: a temporary folder): worker-<i>.log of each worker.
# The ports listen on every network interface, not only loopback, and run any graph sent to them:
# on a network you do not trust, firewall them (docs/distributed.md, "Close the cluster's network first").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:?usage: local_cluster.sh N [train options...]}"
shift
[[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive number of workers, got '$n'" >&2; exit 2; }
base="${BASE_PORT:-23456}"
logs="${LOGS:-$(mktemp -d)}"
mkdir -p "$logs"
hosts=""
for ((i = 0; i < n; i++)); do
  hosts+="${hosts:+,}\"localhost:$((base + i))\""
done
tf_config() { echo "{\"cluster\": {\"worker\": [$hosts]}, \"task\": {\"type\": \"worker\", \"index\": $1}}"; }

# build once before starting several JVMs on the same jar
"$root/scripts/longshort" --version >/dev/null
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
for ((i = 1; i < n; i++)); do
  TF_CONFIG="$(tf_config "$i")" "$root/scripts/longshort" worker --tf-config >"$logs/worker-$i.log" 2>&1 &
  pids+=("$!")
done
echo "workers 1..$((n - 1)) starting (logs in $logs); chief = worker 0 on localhost:$base" >&2
TF_CONFIG="$(tf_config 0)" "$root/scripts/longshort" train --tf-config "$@"
