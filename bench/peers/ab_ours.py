#!/usr/bin/env python3
"""Interleaved A/B rounds of two builds of our side (PeerLraBench from two jars) on one case, for
measuring a change on a loaded machine: rounds run A then B and B then A in turn; prints the
fastest of the rounds and the ratio B/A. Example (A: a jar copied before the change):

    python3 bench/peers/ab_ours.py --a /tmp/A.jar --b target/longshort.jar --lib 'target/lib/*' \\
        --case 'listops c 2048 32' --mode step --rounds 5
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peer_lra import Ours  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", required=True, help="jar before the change")
    p.add_argument("--b", required=True, help="jar after the change")
    p.add_argument("--lib", required=True, help="the dependencies' classpath (target/lib/*)")
    p.add_argument("--case", required=True, help="PeerLraBench build line: 'listops NAME N B' or 'layer NAME N B D H W R'")
    p.add_argument("--mode", default="step", help="step (listops), fwd or train (layer); comma-separated")
    p.add_argument("--rounds", type=int, default=5)
    a = p.parse_args()
    pin = None
    if len(os.sched_getaffinity(0)) > 2:
        pin = ["taskset", "-c", ",".join(map(str, sorted(os.sched_getaffinity(0))[:2]))]
    sides = {k: Ours("java", jar + ":" + a.lib, pin) for k, jar in (("A", a.a), ("B", a.b))}
    name = a.case.split()[1]
    for s in sides.values():
        s.ask(a.case)
    modes = a.mode.split(",")
    best = {(k, m): float("inf") for k in sides for m in modes}
    for i in range(a.rounds):
        # the order alternates: under load the second process of a round runs slower whatever its
        # build (an A/A run of one jar: 1.056), which a fixed order puts on B alone
        order = list(sides.items()) if i % 2 == 0 else list(reversed(sides.items()))
        for m in modes:
            for k, s in order:
                best[(k, m)] = min(best[(k, m)], s.run(name, m))
    for s in sides.values():
        s.quit()
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    for m in modes:
        print(f"{a.case} {m}: A {best[('A', m)]:.1f} ms, B {best[('B', m)]:.1f} ms, B/A {best[('B', m)] / best[('A', m)]:.3f}"
              f" (fastest of {a.rounds}, load {load})")


if __name__ == "__main__":
    main()
