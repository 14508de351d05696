#!/usr/bin/env python3
"""Reads a longshort run folder with TensorBoard's own reader and lists what it finds.

    python3 scripts/check_tensorboard_python.py runs/listops

Exit status 0 when the scalars (loss, learning_rate, tokens_per_second, and valid/* if the run
evaluated) and the graph are there. Needs tensorboard (pip install tensorboard).
"""
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
    acc.Reload()
    tags = acc.Tags()
    scalars = tags.get("scalars", [])
    for tag in sorted(scalars):
        events = acc.Scalars(tag)
        print(f"{tag}: {len(events)} points, steps {events[0].step}..{events[-1].step}, last {events[-1].value:.4g}")
    graph = acc.Graph() if tags.get("graph") else None
    print(f"graph: {len(graph.node)} nodes" if graph is not None else "graph: missing")
    missing = [t for t in ("loss", "learning_rate", "tokens_per_second") if t not in scalars]
    if missing or graph is None:
        sys.exit(f"missing: {missing + ([] if graph is not None else ['graph'])}")


if __name__ == "__main__":
    main()
