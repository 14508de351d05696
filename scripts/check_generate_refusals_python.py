#!/usr/bin/env python3
"""Checks that a language model SavedModel's `generate` signature refuses hostile requests itself.

    python3 scripts/check_generate_refusals_python.py savedmodels/lm/1

TF Serving runs the graph with no check of its own, so the graph's input checks (Java's
GenerateChecks: Assert ops the outputs depend on) are all that stands between a request and the
loop. Starting from the example request of assets.extra/example.safetensors (which must run), each
of these must fail with tf.errors.InvalidArgumentError whose message names the input, in TF2
(tf.saved_model.load) and TF1 (tf.compat.v1 session on the signature's tensor names, TF Serving's
path):
  max_new_tokens 1e9; prompt_lengths past the ids sent, 0 and -1; a prompt id of 300 (outside the
  vocabulary). Exit status 0 when every check passes.
"""
import argparse
import os
import sys

import numpy as np
import tensorflow as tf
from safetensors.numpy import load_file


def cases(feeds, vocab):
    rows, sent = feeds["prompt_ids"].shape
    ids = feeds["prompt_ids"].copy()
    ids[0, 0] = max(300, vocab)
    return [
        ("max_new_tokens 1e9", "max_new_tokens", dict(feeds, max_new_tokens=np.full(rows, 10**9, np.int32))),
        ("prompt_lengths past the ids sent", "prompt_lengths",
         dict(feeds, prompt_lengths=np.full(rows, sent + 1, np.int32))),
        ("prompt_lengths 0", "prompt_lengths", dict(feeds, prompt_lengths=np.zeros(rows, np.int32))),
        ("prompt_lengths -1", "prompt_lengths", dict(feeds, prompt_lengths=np.full(rows, -1, np.int32))),
        ("prompt id %d (vocabulary %d)" % (ids[0, 0], vocab), "prompt_ids", dict(feeds, prompt_ids=ids)),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("savedmodel")
    args = ap.parse_args()
    ex = load_file(os.path.join(args.savedmodel, "assets.extra", "example.safetensors"))
    rows = ex["generate.input.prompt_ids"].shape[0]
    feeds = {
        "prompt_ids": ex["generate.input.prompt_ids"].astype(np.int32),
        "prompt_lengths": ex["generate.input.prompt_lengths"].astype(np.int32),
        "max_new_tokens": ex["generate.input.max_new_tokens"].astype(np.int32),
        "temperature": np.zeros(rows, np.float32),
        "top_k": np.zeros(rows, np.int32),
        "seed": np.zeros(rows, np.int64),
    }
    loaded = tf.saved_model.load(args.savedmodel)
    gen = loaded.signatures["generate"]
    vocab = loaded.signatures["serving_default"].structured_outputs["logits"].shape[-1]
    failures = 0

    def expect(loader, name, want, call):
        nonlocal failures
        try:
            call()
            ok, said = False, "ran without an error"
        except tf.errors.InvalidArgumentError as e:
            # TF2 puts "Graph execution error:" and the node's traceback before the op's message
            lines = [l.strip() for l in e.message.splitlines() if "assertion failed" in l]
            said = lines[0] if lines else e.message.splitlines()[0]
            ok = ("assertion failed: [" + want + ":") in said
        except Exception as e:  # any other error is a failure too: TF Serving would not say INVALID_ARGUMENT
            ok, said = False, "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        failures += not ok
        print("%s %s %s: InvalidArgumentError naming %s (%s)" % ("PASS" if ok else "FAIL", loader, name, want, said))

    got = gen(**{k: tf.constant(v) for k, v in feeds.items()})["new_tokens"].numpy()
    print("PASS TF2 the example request runs: new_tokens %s" % (got.shape,))
    for name, want, f in cases(feeds, vocab):
        expect("TF2", name, want, lambda f=f: gen(**{k: tf.constant(v) for k, v in f.items()}))

    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], args.savedmodel)
        sig = meta.signature_def["generate"]

        def run(f):
            return sess.run(sig.outputs["new_tokens"].name, {sig.inputs[k].name: v for k, v in f.items()})
        run(feeds)
        for name, want, f in cases(feeds, vocab):
            expect("TF1 (TF Serving's path)", name, want, lambda f=f: run(f))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
