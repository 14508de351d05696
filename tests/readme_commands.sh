#!/usr/bin/env bash
# Runs the README's two set-up commands in a fresh clone of this repository's HEAD.
# Needs ../shared/golden beside the clone for the golden tests, as CI has it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/main"
ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"
cd "$work/main"
mapfile -t commands < <(sed -n '/<!-- setup-commands -->/,/<!-- \/setup-commands -->/p' README.md | grep -E '^(scripts|mvn|\./)')
[[ ${#commands[@]} -eq 2 ]] || { echo "expected 2 set-up commands in README.md, found ${#commands[@]}" >&2; exit 1; }
for c in "${commands[@]}"; do
  echo "== $c"
  bash -c "$c"
done
echo "README commands: 2 passed, 0 failed"
