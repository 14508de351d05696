#!/usr/bin/env python3
"""Checks a language model SavedModel's `generate` signature with Python TensorFlow.

    scripts/longshort export --run RUN --name lm
    python3 scripts/check_generate_python.py savedmodels/lm/1

Checks, each printed with its numbers:
  1. tf.saved_model.load (TF2: object graph, concrete functions, the While loop's body and
     condition from the function library) runs signatures["generate"] greedily on the example
     prompts of assets.extra/example.safetensors and gives the tokens Java generated
     (generate.output.new_tokens);
  2. tf.compat.v1.saved_model.load (TF1: graph + signature tensor names, as TF Serving runs it)
     gives the same tokens;
  3. sampling at temperature 1 with seeds 7 and 8 (the noise is an integer hash of seed, position
     and token, the same in every loader) gives the tokens Java sampled
     (generate.output.sampled_new_tokens), in both loaders; top-k 5 gives the same tokens in both
     loaders and other tokens for another seed.
For an `export --xla` SavedModel, whose generate loop calls a must-compile step function, it also
checks that XLA compiled that function in each loader (XLA dumps into a temporary folder, see
scripts/xla_dump.py).
For a bf16 export, `--bf16-of F32_SAVEDMODEL` (the float32 export of the same model): bf16 logits may
reorder near-ties, so instead of Java's exact tokens it checks that every greedy token is greedy
within the bf16 tolerance: its float32 logit (F32_SAVEDMODEL's serving_default on the generated
sequence) is within twice the logits' tolerance (scripts/bf16_tolerance.py) of the best one, in
each loader. The two loaders compile the step apart, so a near-tie may be rounded apart there too:
equality of TF1's tokens with TF2's, and of both with Java's, is then only reported.
Needs tensorflow and safetensors. Exit status 0 when every check passes.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bf16_tolerance  # noqa: E402
import xla_dump  # noqa: E402  (sets XLA_FLAGS before TensorFlow starts)

DUMP = xla_dump.enable()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from safetensors.numpy import load_file  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("savedmodel")
    ap.add_argument("--bf16-of", metavar="F32_SAVEDMODEL",
                    help="the savedmodel is a bf16 export of F32_SAVEDMODEL: greedy within the bf16 tolerance")
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
    want = ex["generate.output.new_tokens"]
    failures = 0

    compiled_fns = xla_dump.must_compile(args.savedmodel).get("generate", [])
    if compiled_fns:
        print("generate's must-compile functions: %s" % compiled_fns)

    def check_compiled(loader, before):
        nonlocal failures
        if compiled_fns:
            new = xla_dump.compiled(DUMP, before, compiled_fns)
            failures += not new
            print("%s %s generate compiled by XLA: new XLA modules %s" % ("PASS" if new else "FAIL", loader, new))

    loaded = tf.saved_model.load(args.savedmodel)
    gen = loaded.signatures["generate"]
    before = xla_dump.modules(DUMP)
    got2 = gen(**{k: tf.constant(v) for k, v in feeds.items()})["new_tokens"].numpy()
    check_compiled("TF2", before)
    failures += not check_greedy(args.bf16_of, "TF2", feeds, got2, want, "Java's bf16 loop")

    java_sampled = ex["generate.output.sampled_new_tokens"]
    t1 = dict(feeds, temperature=np.ones(rows, np.float32), seed=np.array([7, 8], np.int64)[:rows])
    j2 = gen(**{k: tf.constant(v) for k, v in t1.items()})["new_tokens"].numpy()
    sampled = dict(feeds, temperature=np.ones(rows, np.float32), top_k=np.full(rows, 5, np.int32),
                   seed=np.full(rows, 7, np.int64))
    s2 = gen(**{k: tf.constant(v) for k, v in sampled.items()})["new_tokens"].numpy()
    s2b = gen(**{k: tf.constant(v) for k, v in dict(sampled, seed=np.full(rows, 8, np.int64)).items()})["new_tokens"].numpy()

    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], args.savedmodel)
        sig = meta.signature_def["generate"]
        def run(f):
            return sess.run(sig.outputs["new_tokens"].name, {sig.inputs[k].name: v for k, v in f.items()})
        before = xla_dump.modules(DUMP)
        got1 = run(feeds)
        check_compiled("TF1", before)
        s1 = run(sampled)
        j1 = run(t1)
    failures += not check_greedy(args.bf16_of, "TF1 (TF Serving's path)", feeds, got1, want if not args.bf16_of
                                 else got2, "TF2's")
    if args.bf16_of:
        # bf16: the two loaders' compiled steps may round a near-tie apart (another fusion order),
        # and a sample then continues another sequence; what must hold is that every sampled token
        # is one a top-5 sampler may pick, within the bf16 tolerance of the float32 model
        gaps = [greedy_gap(args.bf16_of, sampled, s, k=5) for s in (s1, s2)]
        tol = gaps[0][1]
        ok = max(g for g, _ in gaps) <= 2 * tol and not np.array_equal(s2, s2b) and s2.min() >= 0
        failures += not ok
        print("%s bf16 sampling (T=1, top-k 5, seed 7): TF1 and TF2 tokens within %.3g of the float32 model's 5th"
              " best logit (largest gaps %.3g, %.3g); TF1 == TF2 %s; seed 8 differs in %d/%d tokens" % (
                  "PASS" if ok else "FAIL", 2 * tol, gaps[0][0], gaps[1][0], np.array_equal(s1, s2),
                  int((s2 != s2b).sum()), s2.size))
    else:
        ok = np.array_equal(s1, s2) and not np.array_equal(s2, s2b) and s2.min() >= 0
        failures += not ok
        print("%s sampling (T=1, top-k 5, seed 7): TF1 == TF2 %s, seed 8 differs in %d/%d tokens" % (
            "PASS" if ok else "FAIL", np.array_equal(s1, s2), int((s2 != s2b).sum()), s2.size))
    ok = np.array_equal(j2, java_sampled) and np.array_equal(j1, java_sampled)
    if args.bf16_of:
        # over the whole vocabulary any token may be sampled, and a bf16 near-tie may be rounded
        # apart by the two loaders (see above): ids in range, equality reported, not required
        vocab = loaded.signatures["serving_default"].structured_outputs["logits"].shape[-1]
        ok = min(j1.min(), j2.min()) >= 0 and max(j1.max(), j2.max()) < vocab
    failures += not ok
    print("%s sampling (T=1, seeds 7, 8) vs Java's samples: TF2 %d/%d, TF1 %d/%d tokens equal%s" % (
        "PASS" if ok else "FAIL", int((j2 == java_sampled).sum()), java_sampled.size,
        int((j1 == java_sampled).sum()), java_sampled.size, "; TF1 == TF2 %s (bf16: reported)"
        % np.array_equal(j1, j2) if args.bf16_of else ""))
    return 1 if failures else 0


def check_greedy(f32_dir, loader, feeds, got, want, want_name):
    """Prints and returns whether a loader's greedy tokens pass: float32, Java's exact tokens; bf16
    (f32_dir given), every token greedy within twice the bf16 logits tolerance of the float32 model,
    with the equality to `want` (named want_name) reported only. The loaders and Java's loop compile
    the step apart (another fusion order), so a bf16 near-tie may round apart, and greedy decoding
    then continues another sequence."""
    if f32_dir:
        gap, tol = greedy_gap(f32_dir, feeds, got)
        ok = gap <= 2 * tol
        print("%s %s bf16 greedy generate: every token within %.3g of the float32 model's best logit "
              "(largest gap %.3g, 2x the bf16 logits tolerance); %d/%d tokens equal %s" % (
                  "PASS" if ok else "FAIL", loader, 2 * tol, gap, int((got == want).sum()), want.size, want_name))
    else:
        ok = np.array_equal(got, want)
        print("%s %s greedy generate: %d/%d tokens equal Java's %s" % (
            "PASS" if ok else "FAIL", loader, int((got == want).sum()), want.size, want.shape))
    return ok


def greedy_gap(f32_dir, feeds, new_tokens, k=1):
    """(largest float32 logit gap below the k-th best token of each generated token, logits tolerance).

    k = 1: greedy tokens against the best logit; k = K: top-K samples against the K-th best, the
    least a top-K sampler may pick."""
    sig = tf.saved_model.load(f32_dir).signatures["serving_default"]
    n = sig.structured_input_signature[1]["input_ids"].shape[1]
    gap, scale = 0.0, []
    for b in range(new_tokens.shape[0]):
        p = int(feeds["prompt_lengths"][b])
        seq = list(feeds["prompt_ids"][b, :p]) + [int(t) for t in new_tokens[b] if t >= 0]
        ids = np.zeros((1, n), np.int32)
        ids[0, :len(seq)] = seq[:n]
        logits = sig(input_ids=tf.constant(ids))["logits"].numpy()[0]  # (N, V)
        for j, t in enumerate(new_tokens[b]):
            if t < 0 or p + j - 1 >= n:
                break
            row = logits[p + j - 1]
            scale.append(row)
            kth = np.sort(row)[-k]
            gap = max(gap, float(kth - row[t]))
    layers = bf16_tolerance.layers_of(os.path.join(f32_dir, "assets.extra", "example.safetensors"))
    return gap, bf16_tolerance.logits_tolerance(layers, np.array(scale))


if __name__ == "__main__":
    sys.exit(main())
