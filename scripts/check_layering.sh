#!/usr/bin/env bash
# The package layering of target/longshort.jar (issue #23): no dependency from io.longshort.graph*
# on io.longshort.compile (graph knows compilers only through graph.core's CompiledPieces,
# CompiledCalls and Execution), and no cycle between io.longshort packages. Reads what jdeps
# finds in the compiled classes; builds the jar first when it is missing or older than the sources.
#   scripts/check_layering.sh [JAR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
jar="${1:-target/longshort.jar}"
if [[ $# -eq 0 ]] && { [[ ! -f "$jar" ]] || [[ -n "$(find src/main pom.xml -newer "$jar" -print -quit)" ]]; }; then
  echo "building $jar (mvn package, no tests)..." >&2
  mvn -B -q package -DskipTests >&2
fi
jdeps -verbose:package "$jar" | python3 -c '
import re, sys
edges = {}
for line in sys.stdin:
    m = re.match(r"\s+(io\.longshort[\w.]*)\s+->\s+(io\.longshort[\w.]*)\s", line)
    if m and m.group(1) != m.group(2):
        edges.setdefault(m.group(1), set()).add(m.group(2))
bad = []
for a, bs in sorted(edges.items()):
    if a == "io.longshort.graph" or a.startswith("io.longshort.graph."):
        bad += ["%s -> %s (graph must not use compile)" % (a, b) for b in sorted(bs)
                if b == "io.longshort.compile" or b.startswith("io.longshort.compile.")]
# Tarjan: every strongly connected component of more than one package is a cycle
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: sccs.append(sorted(c))
sys.setrecursionlimit(10000)
for v in sorted(set(edges) | {b for bs in edges.values() for b in bs}):
    if v not in index: visit(v)
for c in sccs:
    members = set(c)
    inner = ["%s -> %s" % (a, b) for a in c for b in sorted(edges.get(a, ())) if b in members]
    bad.append("cycle between " + ", ".join(c) + ": " + "; ".join(inner))
if bad:
    print("layering: %d problem(s) in %s" % (len(bad), sys.argv[1]))
    print("\n".join("  " + b for b in bad))
    sys.exit(1)
print("layering: %d packages, no cycle, graph does not use compile" % len(set(edges) | {b for bs in edges.values() for b in bs}))
' "$jar"
