#!/usr/bin/env bash
# `scripts/longshort <command> --help` exits 0 for every command the launcher lists.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
commands="$(scripts/longshort --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')"
[[ -n "$commands" ]] || { echo "FAIL: scripts/longshort --help lists no commands"; exit 1; }
fail=0
for c in $commands; do
  if scripts/longshort "$c" --help >/dev/null 2>&1; then echo "PASS $c --help"; else echo "FAIL $c --help"; fail=$((fail + 1)); fi
done
echo "command help: $(wc -w <<<"$commands") commands, $fail failed"
[[ $fail -eq 0 ]]
