#!/usr/bin/env python3
"""Interleaved A/B rounds of our LM block step from two builds (e.g. the jar before a change and
after it), each a PeerLmBench process: per round A then B (B then A in every other round), forward
then forward + backward; prints the fastest of the rounds per side and B/A. Ratios only on a loaded
machine.

    python3 bench/peers/ab_lm.py --a 'OLD.jar:target/lib/*' --b 'target/longshort.jar:target/lib/*' \
        --case 2,256,4,1024,2048 --rounds 5
"""
import argparse
import sys

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from peer_lm import Ours, load_average  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--a", required=True, help="classpath of build A")
    p.add_argument("--b", required=True, help="classpath of build B")
    p.add_argument("--case", action="append", required=True, help="layers,width,heads,inner,block (repeatable)")
    p.add_argument("--mem-len", type=int, default=2048)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--modes", default="fwd,train")
    a = p.parse_args()
    sides = {"A": Ours("java", a.a, None), "B": Ours("java", a.b, None)}
    modes = a.modes.split(",")
    print(f"load at the start {load_average()}", flush=True)
    for case in a.case:
        layers, width, heads, inner, block = (int(x) for x in case.split(","))
        name = f"L{layers}_D{width}_M{block}"
        for side in sides.values():
            side.build(name, layers, width, heads, inner, block, a.mem_len)
        best = {(s, m): float("inf") for s in sides for m in modes}
        for i in range(a.rounds):
            # the order alternates, as in ab_ours.py: under load the second process of a round runs
            # slower whatever its build, which a fixed order would put on B alone
            order = list(sides.items()) if i % 2 == 0 else list(reversed(sides.items()))
            for m in modes:
                for s, side in order:
                    best[(s, m)] = min(best[(s, m)], side.run(name, m))
        for side in sides.values():
            side.close(name)
        for m in modes:
            print(f"{name} {m}: A {best[('A', m)]:.1f} ms, B {best[('B', m)]:.1f} ms,"
                  f" B/A {best[('B', m)] / best[('A', m)]:.3f}", flush=True)
    print(f"load at the end {load_average()}", flush=True)
    for side in sides.values():
        side.quit()


if __name__ == "__main__":
    main()
