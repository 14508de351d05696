#!/usr/bin/env python3
"""Checks the example model's SavedModel (examples/java/.../MixedAttentionClassifier) in Python TF.

    java -cp ... io.longshort.examples.MixedAttentionClassifier --run /tmp/mixed --export /tmp/savedmodels
    python3 scripts/check_example_python.py /tmp/savedmodels/mixed_attention/1

Checks, each printed with its numbers:
  1. tf.saved_model.load finds the model's variables with the checkpoint's values, and
     signatures["serving_default"] gives the outputs Java computed for the example inputs
     (assets.extra/example.safetensors);
  2. a few Adam steps in Python, with gradients taken through the signature with respect to the
     loaded variables, lower the cross-entropy of a batch of the example's task (generated here:
     is token 3 more frequent than token 4?).
Needs tensorflow, numpy and safetensors. Exit status 0 when every check passes.
"""
import argparse
import os
import sys

import numpy as np
import tensorflow as tf
from safetensors.numpy import load_file

N = 32


def task(rng, rows):
    """ids, mask (rows, N) int32 and labels (rows) of the example's task, independently of Java's generator."""
    ids = np.zeros((rows, N), np.int32)
    mask = np.zeros((rows, N), np.int32)
    labels = np.zeros(rows, np.int64)
    for r in range(rows):
        n = rng.integers(12, N + 1)
        t = rng.integers(1, 7, size=n)
        ids[r, :n] = t
        mask[r, :n] = 1
        labels[r] = int((t == 3).sum() > (t == 4).sum())
    return ids, mask, labels


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("savedmodel", help="the version folder, e.g. savedmodels/mixed_attention/1")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--steps", type=int, default=5)
    # the model arrives trained: Adam moves every weight by about lr at first, so lr stays small
    ap.add_argument("--lr", type=float, default=1e-4)
    args = ap.parse_args()
    ok = True

    def report(name, passed, detail):
        nonlocal ok
        ok &= passed
        print("%s %s: %s" % ("PASS" if passed else "FAIL", name, detail))

    d = args.savedmodel
    m = tf.saved_model.load(d)
    variables = list(m.variables)
    reader = tf.train.load_checkpoint(os.path.join(d, "variables", "variables"))
    diff = 0.0
    for v in variables:
        key = v.name.split(":")[0].replace(".", "/") + "/.ATTRIBUTES/VARIABLE_VALUE"
        diff = max(diff, float(np.max(np.abs(v.numpy() - reader.get_tensor(key)))))
    report("variables", len(variables) > 0 and diff == 0.0,
           "%d variables loaded, max |variable - checkpoint| = %g" % (len(variables), diff))

    sig = m.signatures["serving_default"]
    example = load_file(os.path.join(d, "assets.extra", "example.safetensors"))
    inputs = {k[len("input."):]: v for k, v in example.items() if k.startswith("input.")}
    expected = {k[len("output."):]: v for k, v in example.items() if k.startswith("output.")}
    out = sig(**{k: tf.constant(v) for k, v in inputs.items()})
    worst = max(float(np.max(np.abs(out[k].numpy() - expected[k]))) for k in expected)
    report("serving_default vs Java", worst <= args.tolerance, "max |diff| = %.3g over %s" % (worst, sorted(expected)))

    # Adam through the signature: its function reads the loaded variables, so the tape sees them
    rng = np.random.default_rng(0)
    ids, mask, labels = task(rng, 64)
    trainable = [v for v in variables if v.dtype.is_floating]
    slots = [(tf.zeros_like(v), tf.zeros_like(v)) for v in trainable]
    b1, b2, eps = 0.9, 0.999, 1e-8

    def loss_fn():
        logits = sig(input_ids=tf.constant(ids), mask=tf.constant(mask))["logits"]
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))

    losses = []
    for step in range(1, args.steps + 1):
        with tf.GradientTape() as tape:
            for v in trainable:
                tape.watch(v)
            loss = loss_fn()
        grads = tape.gradient(loss, trainable)
        missing = [v.name for v, g in zip(trainable, grads) if g is None]
        if missing:
            report("gradients through the signature", False, "no gradient for %s" % missing[:5])
            return 1
        losses.append(float(loss))
        new_slots = []
        for v, g, (mo, ve) in zip(trainable, grads, slots):
            g = tf.convert_to_tensor(g)  # embedding gradients come as IndexedSlices
            mo = b1 * mo + (1 - b1) * g
            ve = b2 * ve + (1 - b2) * g * g
            v.assign_sub(args.lr * (mo / (1 - b1 ** step)) / (tf.sqrt(ve / (1 - b2 ** step)) + eps))
            new_slots.append((mo, ve))
        slots = new_slots
    final = float(loss_fn())
    report("Adam steps through the signature lower the loss", final < losses[0],
           "loss %s -> %.4f after %d steps" % (", ".join("%.4f" % l for l in losses), final, args.steps))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
