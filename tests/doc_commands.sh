#!/usr/bin/env bash
# Runs every shell block marked ```bash runnable in README.md, docs/*.md and bench/*/README.md, from
# the repository root, each in bash -euo pipefail with $TMP a fresh temporary folder of its own.
# DocsLinksTest (mvn test) checks that they are valid bash; this runs them (.ci/run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
passed=0
failed=0
for doc in README.md docs/*.md bench/*/README.md; do
  [[ -f "$doc" ]] || continue
  # one NUL-terminated script per runnable block
  while IFS= read -r -d '' block; do
    tmp="$(mktemp -d)"
    if TMP="$tmp" bash -euo pipefail -c "$block" >"$tmp.log" 2>&1; then
      passed=$((passed + 1))
    else
      failed=$((failed + 1))
      echo "FAIL $doc: a runnable block failed:" >&2
      printf '%s\n' "$block" >&2
      tail -n 20 "$tmp.log" >&2
    fi
    rm -rf "$tmp" "$tmp.log"
  done < <(awk '/^```bash runnable$/ {inside = 1; block = ""; next}
                inside && /^```$/ {inside = 0; printf "%s%c", block, 0; next}
                inside {block = block $0 "\n"}' "$doc")
done
echo "doc commands: $passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
