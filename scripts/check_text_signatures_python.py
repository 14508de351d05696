"""Checks a SavedModel's text signatures with Python TensorFlow, against its id signatures and
Java's encoding of the same strings (CASES: the JSON test-classes' io.longshort.export.TextCasesDump
writes: the edge-case texts, base64, and Java's ids and masks for the model's length N).

  1. the signature defs as TF Serving reads them: classify's method_name is tensorflow/serving/classify,
     its one input `inputs` is DT_STRING (serialized tf.Example), its outputs `classes` DT_STRING and
     `scores` DT_FLOAT, (B, C) each, as TensorFlowClassifier (and ClassificationSignature) need; a
     vocabulary table's file is in assets/ and named by the MetaGraph's asset_file_def and TF1's
     saved_model_assets collection; labels.txt lists the classes;
  2. TF2 (tf.saved_model.load) and TF1 (tf.compat.v1.saved_model.load, what TF Serving does): the text
     signature's logits for the raw strings equal, exactly, the id signature's for Java's ids
     (classifiers, retrieval: predict_text; language models: score_text's log-probs and bits, computed
     here from serving_default's logits, or for the authors' LM from its score signature's per-token
     log-probs, in calls of its static batch, and generate_text's continuation, the generate
     signature's greedy tokens for Java's prompt ids); `truncated` is what Java cut;
  3. TF1 feeds serialized tf.Example protos (the text under --feature) to classify's `inputs` and gets
     predict_text's classes and scores.
The folder is loaded from a copy in a new place, so the asset's path must be remapped by the loaders.
"""
import argparse
import base64
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2, meta_graph_pb2


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("savedmodel")
    ap.add_argument("cases", help="JSON written by TextCasesDump")
    ap.add_argument("--feature", default="text", help="classify's tf.Example text feature (export --text-feature)")
    ap.add_argument("--labels", help="comma-separated label names the classes must be (default: class ids)")
    args = ap.parse_args()
    cases = json.load(open(args.cases))
    texts = {k: [base64.b64decode(t) for t in v] for k, v in cases["texts"].items()}
    ids = {k: np.array(v, dtype=np.int32) for k, v in cases["ids"].items()}
    lm = cases["task"] == "language_model"
    ok = True

    def report(name, passed, detail):
        nonlocal ok
        ok &= bool(passed)
        print("%s %s: %s" % ("PASS" if passed else "FAIL", name, detail))

    # a copy elsewhere: the vocabulary's path inside the graph must be remapped, not read where it was written
    d = os.path.join(tempfile.mkdtemp(), "moved")
    shutil.copytree(args.savedmodel, d, symlinks=False)
    sm = saved_model_pb2.SavedModel()
    sm.ParseFromString(open(os.path.join(d, "saved_model.pb"), "rb").read())
    meta = sm.meta_graphs[0]
    assets = sorted(os.listdir(os.path.join(d, "assets")))

    # 1. signature defs and assets
    if not lm:
        c = meta.signature_def["classify"]
        shapes = {k: [x.size for x in v.tensor_shape.dim] for k, v in c.outputs.items()}
        good = (c.method_name == "tensorflow/serving/classify" and list(c.inputs.keys()) == ["inputs"]
                and c.inputs["inputs"].dtype == tf.string.as_datatype_enum
                and sorted(c.outputs.keys()) == ["classes", "scores"]
                and c.outputs["classes"].dtype == tf.string.as_datatype_enum
                and c.outputs["scores"].dtype == tf.float32.as_datatype_enum
                and all(len(s) == 2 for s in shapes.values()))
        report("classify as TF Serving's ClassificationSignature", good,
               "method %s, inputs %s, outputs %s shapes %s" % (c.method_name, list(c.inputs.keys()),
                                                              sorted(c.outputs.keys()), shapes))
        labels = open(os.path.join(d, "assets", "labels.txt")).read().splitlines()
        want = args.labels.split(",") if args.labels else None
        report("assets/labels.txt", want is None or labels == want, "%s" % labels)
    collection = []
    if "saved_model_assets" in meta.collection_def:
        for a in meta.collection_def["saved_model_assets"].any_list.value:
            f = meta_graph_pb2.AssetFileDef()
            a.Unpack(f)
            collection.append(f.filename)
    files = sorted({a.filename for a in meta.asset_file_def})
    if "vocabulary.txt" in assets or files:
        report("vocabulary asset registered", files == ["vocabulary.txt"] and set(collection) == {"vocabulary.txt"}
               and "vocabulary.txt" in assets, "asset_file_def %s, collection %s, assets/ %s" % (files, collection, assets))

    def feed_texts(sig_inputs):
        return {k: tf.constant(texts[k], dtype=tf.string) for k in sig_inputs}

    # 2. TF2
    m = tf.saved_model.load(d)
    results = {}
    if lm:
        # the model's own scoring of Java's ids: serving_default's logits (our LMs) or score's per-token
        # log-probs (the authors' LM, whose static batch takes `rows` rows per call)
        sc = scoring(cases)
        ref_sig = m.signatures[sc["signature"]]
        want_ref = batched(lambda f: {"out": ref_sig(**{sc["input"]: tf.constant(f["ids"])})[sc["output"]].numpy()},
                           {"ids": ids["input_ids"]}, rows(cases))["out"]
        score_text = m.signatures["score_text"]
        got = batched(lambda f: {k: v.numpy() for k, v in score_text(text=tf.constant(list(f["text"]),
                                                                                       dtype=tf.string)).items()},
                      {"text": np.array(texts["text"], dtype=object)}, rows(cases))
        results["tf2"] = got
        check_score(report, "TF2", got, want_ref, ids, cases)
        # empty prompts are refused (nothing to continue): the non-empty cases
        prompts = [t for t in texts["text"] if t]
        generate_text = m.signatures["generate_text"]
        gen = batched(lambda f: {k: v.numpy() for k, v in generate_text(text=tf.constant(list(f["text"]),
                                                                                          dtype=tf.string)).items()},
                      {"text": np.array(prompts, dtype=object)}, rows(cases))
        # the prompts as generate_text keeps them: their first tokens, the cut ones dropped (bytes: id = byte)
        kept = [x[:len(x) - int(t)] for x, t in zip(prompts, gen["truncated"])]
        check_generate(report, "TF2", m, gen["continuation"], kept, rows(cases))
    else:
        id_sig = m.signatures["serving_default"]
        id_in = {k: tf.constant(ids[k]) for k in id_sig.structured_input_signature[1]}
        want_logits = id_sig(**id_in)["logits"].numpy()
        sig = m.signatures["predict_text"]
        got = sig(**feed_texts(sig.structured_input_signature[1]))
        results["tf2"] = {k: v.numpy() for k, v in got.items()}
        same = np.array_equal(results["tf2"]["logits"], want_logits)
        report("TF2 predict_text logits == serving_default logits for Java's ids", same,
               "max |diff| = %.3g over %s" % (np.max(np.abs(results["tf2"]["logits"] - want_logits)), want_logits.shape))
        trunc = all(np.array_equal(results["tf2"]["truncated" + k[len("text"):]], cases["truncated"][k]) for k in texts)
        report("TF2 truncated == Java's", trunc, "%s" % {k: v for k, v in results["tf2"].items() if k.startswith("trunc")})
        top = results["tf2"]["classes"][:, 0]
        names = open(os.path.join(d, "assets", "labels.txt")).read().splitlines()
        argmax = [names[i].encode() for i in np.argmax(want_logits, axis=1)]
        report("TF2 classes[:, 0] == label of the id logits' argmax", list(top) == argmax, "%s" % list(top))

    # 2b/3. TF1, as TF Serving
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta1 = tf.compat.v1.saved_model.load(sess, ["serve"], d)

        def run(key, feeds):
            s = meta1.signature_def[key]
            names = sorted(s.outputs.keys())
            vals = sess.run([s.outputs[k].name for k in names], {s.inputs[k].name: v for k, v in feeds.items()})
            return dict(zip(names, vals))

        if lm:
            sc = scoring(cases)
            want1 = batched(lambda f: {"out": run(sc["signature"], {sc["input"]: f["ids"]})[sc["output"]]},
                            {"ids": ids["input_ids"]}, rows(cases))["out"]
            got1 = batched(lambda f: run("score_text", {"text": f["text"]}),
                           {"text": np.array(texts["text"], dtype=object)}, rows(cases))
            check_score(report, "TF1", got1, want1, ids, cases)
        else:
            want1 = run("serving_default", {k: ids[k] for k in meta1.signature_def["serving_default"].inputs})["logits"]
            text_in = {k: np.array(texts[k], dtype=object) for k in meta1.signature_def["predict_text"].inputs}
            t1 = run("predict_text", text_in)
            report("TF1 predict_text logits == serving_default logits for Java's ids",
                   np.array_equal(t1["logits"], want1), "max |diff| = %.3g" % np.max(np.abs(t1["logits"] - want1)))
            features = [args.feature] if len(texts) == 1 else [args.feature + "_0", args.feature + "_1"]
            keys = sorted(texts.keys())
            examples = []
            for r in range(len(texts[keys[0]])):
                feats = {f: tf.train.Feature(bytes_list=tf.train.BytesList(value=[texts[k][r]]))
                         for f, k in zip(features, keys)}
                examples.append(tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString())
            c1 = run("classify", {"inputs": np.array(examples, dtype=object)})
            report("TF1 classify(tf.Example) == predict_text classes and scores",
                   np.array_equal(c1["classes"], t1["classes"]) and np.array_equal(c1["scores"], t1["scores"]),
                   "classes %s" % c1["classes"][:, 0])
    print("text signatures of %s: %s" % (args.savedmodel, "all checks passed" if ok else "FAILED"))
    return 0 if ok else 1


def scoring(cases):
    """Which signature scores Java's ids (TextCasesDump's "scoring"; older dumps: serving_default's logits)."""
    return cases.get("scoring", {"signature": "serving_default", "input": "input_ids", "output": "logits",
                                 "logits": True})


def rows(cases):
    """The rows a request must have: -1 for any number, else the model's static batch."""
    return int(cases.get("rows", -1))


def batched(call, feeds, n):
    """call(feeds) for any number of rows (n < 0), else in calls of n rows, the last padded with its last row
    and the padding dropped from the outputs."""
    total = len(next(iter(feeds.values())))
    if n < 0:
        return call(feeds)
    parts = []
    for start in range(0, total, n):
        idx = list(range(start, min(start + n, total)))
        out = call({k: v[idx + [idx[-1]] * (n - len(idx))] for k, v in feeds.items()})
        parts.append({k: v[:len(idx)] for k, v in out.items()})
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def check_score(report, loader, got, reference, ids, cases):
    """score_text's log-probs: the log-prob of byte t+1 given those before it, for t+1 < length; from
    serving_default's logits (log_softmax at t, of byte t+1) or the authors' score (its entry t+1)."""
    nxt = ids["input_ids"][:, 1:]
    mask = ids["mask"][:, 1:]
    if scoring(cases)["logits"]:
        x = reference.astype(np.float64)
        logp = x - x.max(axis=-1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(axis=-1, keepdims=True))
        want = np.take_along_axis(logp[:, :-1, :], nxt[..., None], axis=-1)[..., 0] * mask
    else:
        want = reference.astype(np.float64)[:, 1:] * mask
    bits = -want.sum(axis=1) / math.log(2)
    diff = float(np.max(np.abs(got["log_probs"] - want)))
    report("%s score_text log_probs == %s's for Java's ids" % (loader, scoring(cases)["signature"]), diff < 1e-5,
           "max |diff| = %.3g; bits %s" % (diff, np.round(got["bits"], 3)))
    report("%s score_text bits, scored, truncated" % loader,
           np.allclose(got["bits"], bits, rtol=1e-5, atol=1e-4) and np.array_equal(got["scored"], mask.sum(axis=1))
           and np.array_equal(got["truncated"], cases["truncated"]["text"]),
           "scored %s truncated %s" % (got["scored"], got["truncated"]))


def check_generate(report, loader, m, continuation, prompts, n):
    """generate_text == the generate signature's greedy tokens for the prompts' bytes (byte LMs: id = byte)."""
    gen = m.signatures["generate"]
    p = max(1, max(len(x) for x in prompts))
    ids = np.zeros((len(prompts), p), dtype=np.int32)
    for r, x in enumerate(prompts):
        ids[r, :len(x)] = list(x)

    def call(f):
        b = len(f["ids"])
        return {"new_tokens": gen(prompt_ids=tf.constant(f["ids"]), prompt_lengths=tf.constant(f["lengths"]),
                                  max_new_tokens=tf.constant(f["new"]), temperature=tf.zeros([b]),
                                  top_k=tf.zeros([b], dtype=tf.int32),
                                  seed=tf.zeros([b], dtype=tf.int64))["new_tokens"].numpy()}

    out = batched(call, {"ids": ids, "lengths": np.array([len(x) for x in prompts], dtype=np.int32),
                         "new": np.array([len(c) for c in continuation], dtype=np.int32)}, n)["new_tokens"]
    expect = [bytes(int(t) for t in row if t >= 0) for row in out]
    report("%s generate_text == generate's greedy bytes" % loader, list(continuation) == expect,
           "%d prompts, %s new bytes each" % (len(prompts), [len(c) for c in continuation]))


if __name__ == "__main__":
    sys.exit(main())
