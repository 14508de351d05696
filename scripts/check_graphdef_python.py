#!/usr/bin/env python3
"""Imports a longshort GraphDef into Python TensorFlow and checks it computes what Java computed.

    scripts/longshort export-graphs --spec lra_listops --batch 2 --examples
    python3 scripts/check_graphdef_python.py graphs/lra_listops.pb graphs/lra_listops.example.safetensors

The .pb holds resource variables and the NoOp 'Init' running their seeded initializers; the example
file holds the inputs (input.<placeholder>) and the logits Java computed (output.logits). Needs
tensorflow (pip install tensorflow-cpu) and safetensors. Exit status 0 when the largest difference
is within --tolerance.
"""
import argparse
import sys

import numpy as np
import tensorflow as tf
from safetensors.numpy import load_file


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("graph", help="binary GraphDef (.pb)")
    ap.add_argument("example", help="example inputs and Java's logits (.example.safetensors)")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    args = ap.parse_args()

    graph_def = tf.compat.v1.GraphDef()
    with open(args.graph, "rb") as f:
        graph_def.ParseFromString(f.read())
    example = load_file(args.example)
    with tf.Graph().as_default() as graph:
        tf.compat.v1.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            session.run("Init")  # TensorFlow Java exports its initializers under this NoOp
            feeds = {name[len("input."):] + ":0": value for name, value in example.items() if name.startswith("input.")}
            logits = session.run("logits:0", feed_dict=feeds)
    expected = example["output.logits"]
    if logits.shape != expected.shape:
        sys.exit(f"logits shape {logits.shape} != Java's {expected.shape}")
    diff = float(np.max(np.abs(logits - expected)))
    print(f"{args.graph}: TensorFlow {tf.__version__} imported {len(graph_def.node)} nodes, "
          f"ran Init and logits {logits.shape}; max abs difference to Java: {diff:.3g}")
    if not diff <= args.tolerance:
        sys.exit(f"difference {diff} exceeds --tolerance {args.tolerance}")


if __name__ == "__main__":
    main()
