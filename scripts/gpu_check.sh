#!/usr/bin/env bash
# The GPU check (bench/gpu/README.md): the HLO of our must-compile functions, compiled and timed by
# JAX's XLA on whatever backend JAX has.
#   scripts/gpu_check.sh dump [LENGTHS]   here (JDK): run each function once with XLA dumping its HLO,
#                                         pack the modules into bench/gpu/hlo.tar.xz
#                                         (LENGTHS: the layer's N, default 4096,8192,16384,32768,65536)
#   scripts/gpu_check.sh run [OUT] [REPS] anywhere with jax + numpy (no JDK): compile and time the
#                                         packed modules, write OUT/results.{csv,md} (default bench/gpu)
#   scripts/gpu_check.sh                  both: the CPU run committed in bench/gpu/
# PYTHON picks the interpreter (default: python3).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
pack="$root/bench/gpu/hlo.tar.xz"
tmp=""   # the dump folder, removed on exit (global: the EXIT trap runs outside dump())
trap '[[ -z "$tmp" ]] || rm -rf "$tmp"' EXIT

dump() {
  local lengths="${1:-4096,8192,16384,32768,65536}"
  "$root/scripts/longshort" --help >/dev/null   # builds target/longshort.jar and target/lib when stale
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")"
  # XLA_FLAGS: every module XLA compiles is written to $tmp/xla, as an xla.HloProto among others
  XLA_FLAGS="--xla_dump_to=$tmp/xla --xla_dump_hlo_as_proto" TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" \
    java -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -Dorg.bytedeco.javacpp.maxBytes=0 ${LONGSHORT_JAVA_OPTS:-} \
    -cp "$root/target/longshort.jar:$root/target/lib/*" io.longshort.bench.HloDumpMain "$lengths" | tee "$tmp/log"
  mkdir -p "$(dirname "$pack")"
  "$python" "$root/scripts/gpu_check.py" pack --dump "$tmp/xla" --log "$tmp/log" --out "$pack"
}

run() {
  "$python" "$root/scripts/gpu_check.py" run --pack "$pack" --out "${1:-$root/bench/gpu}" --reps "${2:-5}"
}

case "${1:-all}" in
  dump) shift; dump "$@" ;;
  run) shift; run "$@" ;;
  all) dump && run ;;
  *) echo "gpu_check.sh: first argument '$1' must be dump, run or nothing (both)" >&2; exit 2 ;;
esac
