#!/usr/bin/env bash
# `scripts/longshort <command> --help` exits 0 for every command the launcher lists (two at a time:
# each is a JVM start). CliConsistencyTest checks the same help texts in-process; this checks the
# launcher in front of them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
commands="$(scripts/longshort --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')"
[[ -n "$commands" ]] || { echo "FAIL: scripts/longshort --help lists no commands"; exit 1; }
results="$(xargs -P 2 -I{} sh -c 'if scripts/longshort {} --help >/dev/null 2>&1; then echo "PASS {} --help"; else echo "FAIL {} --help"; fi' <<<"$commands")"
echo "$results"
fail="$(grep -c '^FAIL' <<<"$results" || true)"
echo "command help: $(wc -w <<<"$commands") commands, $fail failed"
[[ $fail -eq 0 ]]
