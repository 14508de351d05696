#!/usr/bin/env python3
"""Checks a longshort SavedModel with Python TensorFlow: the TF2 loader, the TF1 loader, the CLI.

    scripts/longshort export --bundle BUNDLE --name listops
    python3 scripts/check_savedmodel_python.py savedmodels/listops/1

Checks, each printed with its numbers:
  1. tf.saved_model.load (TF2, object graph + concrete functions) finds the variables, with the
     checkpoint's values, and signatures["serving_default"] gives the outputs Java computed for the
     example inputs (assets.extra/example.safetensors: input.<name>, output.<name>);
  2. tf.compat.v1.saved_model.load (TF1: graph, saver_def restore, signature tensor names, what TF
     Serving does) gives the same outputs;
  3. assets.extra/tf_serving_warmup_requests reads as TFRecords (tf.data checks the CRCs): the first
     record is serving_default's request with the example inputs, then one per text signature
     (a ClassificationRequest for classify), each of which runs (decoded here field by field,
     independently of the Java code);
  4. saved_model_cli show --all lists the signatures.
For a SavedModel whose signatures call must-compile functions (`export --xla`), it also checks that
XLA compiled serving_default's function for the TF2 call, and that TF1 running the warm-up
requests (as TF Serving does when it loads a version) compiled it again and gave Java's outputs
(XLA dumps into a temporary folder, see scripts/xla_dump.py).
Needs tensorflow and safetensors. Exit status 0 when every check passes.
"""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bf16_tolerance  # noqa: E402
import xla_dump  # noqa: E402  (sets XLA_FLAGS before TensorFlow starts)

DUMP = xla_dump.enable()

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from safetensors.numpy import load_file
from tensorflow.core.framework import tensor_pb2


def varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def fields(buf):
    """(field number, wire type, value) of a serialized message; value is bytes for wire type 2."""
    i = 0
    out = []
    while i < len(buf):
        key, i = varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(buf, i)
        elif wt == 2:
            n, i = varint(buf, i)
            v, i = bytes(buf[i:i + n]), i + n
        elif wt == 1:
            v, i = buf[i:i + 8], i + 8
        elif wt == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.append((num, wt, v))
    return out


def one(msg, num):
    vals = [v for n, _, v in fields(msg) if n == num]
    if not vals:
        raise ValueError("field %d missing" % num)
    return vals[-1]


def compare(got, expected, tol):
    """(largest |got - expected| over the expected outputs, whether each is within its tolerance)."""
    worst, fits = 0.0, True
    for k in expected:
        d = float(np.max(np.abs(got[k] - expected[k])))
        worst, fits = max(worst, d), fits and d <= tol[k]
    return worst, fits


def bf16_reference(f32_dir, inputs):
    """The float32 export's example outputs and the bf16 tolerance of each (scripts/bf16_tolerance.py)."""
    path = os.path.join(f32_dir, "assets.extra", "example.safetensors")
    ref = load_file(path)
    for k, v in inputs.items():
        if not np.array_equal(ref["input." + k], v):
            raise SystemExit("--bf16-of %s: its example input %s differs; export both with the same --seed" % (f32_dir, k))
    layers = bf16_tolerance.layers_of(path)
    logits = ref["output.logits"]
    t = bf16_tolerance.logits_tolerance(layers, logits)
    print("bf16 tolerance: %d layers, logits within %.3g, probabilities within %.3g of %s" % (layers, t, 2 * t, f32_dir))
    return {"logits": logits, "probabilities": ref["output.probabilities"]}, {"logits": t, "probabilities": 2 * t}


def warmup_request(record):
    """(signature name, {input: array}) of one PredictionLog record, decoded field by field: a
    predict_log (field 6) request's tensors, or a classify_log (field 2) request's tf.Example protos
    as the serialized strings TF Serving's classifier feeds to the signature's `inputs`."""
    if any(n == 2 for n, _, _ in fields(record)):
        request = one(one(record, 2), 1)
        examples = [v for n, _, v in fields(one(one(request, 2), 1)) if n == 1]
        return one(one(request, 1), 3).decode(), {"inputs": np.array(examples, dtype=object)}
    request = one(one(record, 6), 1)
    spec = one(request, 1)
    sig_name = one(spec, 3).decode()
    tensors = {}
    for entry in [v for n, _, v in fields(request) if n == 2]:
        t = tensor_pb2.TensorProto()
        t.ParseFromString(one(entry, 2))
        tensors[one(entry, 1).decode()] = tf.make_ndarray(t)
    return sig_name, tensors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("savedmodel", help="a SavedModel version folder, e.g. savedmodels/listops/1")
    ap.add_argument("--tolerance", type=float, default=1e-5)
    ap.add_argument("--bf16-of", metavar="F32_SAVEDMODEL",
                    help="the savedmodel is a bf16 export (export --bf16) of the float32 export F32_SAVEDMODEL "
                         "(same bundle, same --seed): compare with its outputs within the bf16 tolerance")
    args = ap.parse_args()
    d = args.savedmodel
    example = load_file(os.path.join(d, "assets.extra", "example.safetensors"))
    inputs = {k[len("input."):]: v for k, v in example.items() if k.startswith("input.")}
    expected = {k[len("output."):]: v for k, v in example.items() if k.startswith("output.")}
    tol = {k: args.tolerance for k in expected}
    if args.bf16_of:
        expected, tol = bf16_reference(args.bf16_of, inputs)
    ok = True

    def report(name, passed, detail):
        nonlocal ok
        ok &= passed
        print("%s %s: %s" % ("PASS" if passed else "FAIL", name, detail))

    compiled_fns = xla_dump.must_compile(d)
    xla = any(compiled_fns.values())
    if xla:
        print("must-compile functions per signature: %s" % compiled_fns)

    # 1. TF2
    m = tf.saved_model.load(d)
    variables = list(m.variables)
    reader = tf.train.load_checkpoint(os.path.join(d, "variables", "variables"))
    keys = reader.get_variable_to_shape_map()
    report("tf.saved_model.load variables", len(variables) > 0 and len(variables) == len(keys) - 1,
           "%d variables (%s ...), %d checkpoint keys incl. _CHECKPOINTABLE_OBJECT_GRAPH: %s"
           % (len(variables), variables[0].name if variables else "-", len(keys),
              "_CHECKPOINTABLE_OBJECT_GRAPH" in keys))
    diff = 0.0
    for v in variables:
        key = v.name.split(":")[0].replace(".", "/") + "/.ATTRIBUTES/VARIABLE_VALUE"
        diff = max(diff, float(np.max(np.abs(v.numpy() - reader.get_tensor(key)))) if v.numpy().size else 0.0)
    report("restored variable values", diff == 0.0, "max |variable - checkpoint| = %g" % diff)
    sig = m.signatures["serving_default"]
    before = xla_dump.modules(DUMP)
    out = sig(**{k: tf.constant(v) for k, v in inputs.items()})
    if xla:
        new = xla_dump.compiled(DUMP, before, compiled_fns["serving_default"])
        report("TF2 serving_default compiled by XLA", len(new) > 0, "new XLA modules %s" % new)
    worst, fits = compare({k: out[k].numpy() for k in expected}, expected, tol)
    report("TF2 signatures['serving_default'] vs Java", fits,
           "signatures %s; outputs %s; max |diff| = %.3g over %s"
           % (sorted(m.signatures.keys()), sorted(out.keys()), worst, {k: v.shape for k, v in expected.items()}))

    # 2. TF1 (what TF Serving does: graph, saver restore, signature tensor names)
    warm = os.path.join(d, "assets.extra", "tf_serving_warmup_requests")
    records = list(tf.data.TFRecordDataset(warm).as_numpy_iterator())
    requests = [warmup_request(r) for r in records]
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        meta = tf.compat.v1.saved_model.load(sess, ["serve"], d)
        # the warm-up requests first, as TF Serving replays them when it loads a version
        worst_w, fits_w = 0.0, True
        new = []
        text_ran = 0
        id_requests = 0
        for sig_name, tensors in requests:
            ws = meta.signature_def[sig_name]
            before = xla_dump.modules(DUMP)
            wnames = sorted(ws.outputs.keys())
            wvals = sess.run([ws.outputs[k].name for k in wnames], {ws.inputs[k].name: v for k, v in tensors.items()})
            if any(ws.inputs[k].dtype == tf.string.as_datatype_enum for k in ws.inputs):
                # a text signature's request (strings or tf.Example in): it must run; its outputs are
                # checked against the id signature's by check_text_signatures_python.py
                text_ran += all(v.shape[0] == len(next(iter(tensors.values()))) for v in wvals)
                continue
            id_requests += 1
            new += xla_dump.compiled(DUMP, before, compiled_fns.get(sig_name, []))
            w, f = compare(dict(zip(wnames, wvals)), expected, tol)
            worst_w, fits_w = max(worst_w, w), fits_w and f
        report("TF1 warm-up requests vs Java", id_requests > 0 and fits_w and id_requests + text_ran == len(requests),
               "%d id requests; max |diff| = %.3g; %d text requests ran" % (id_requests, worst_w, text_ran))
        if xla:
            report("TF1 warm-up requests compiled by XLA", len(new) >= id_requests, "new XLA modules %s" % new)
        s = meta.signature_def["serving_default"]
        feed = {s.inputs[k].name: v for k, v in inputs.items()}
        names = sorted(s.outputs.keys())
        vals = sess.run([s.outputs[k].name for k in names], feed)
        worst1, fits1 = compare(dict(zip(names, vals)), expected, tol)
        report("TF1 loader (saver_def restore) vs Java", fits1,
               "method %s; max |diff| = %.3g" % (s.method_name, worst1))

    # 3. warm-up requests
    good = 0
    for sig_name, tensors in requests[:1]:
        same = sig_name == "serving_default" and tensors.keys() == inputs.keys() and all(
            np.array_equal(tensors[k], inputs[k]) for k in inputs)
        good += same
    text_sigs = sorted(k for k in m.signatures.keys() if any(
        spec.dtype == tf.string for spec in m.signatures[k].structured_input_signature[1].values()))
    warmed = sorted(name for name, _ in requests[1:])
    report("warm-up TFRecord of PredictionLogs", len(records) > 0 and good == 1 and warmed == text_sigs,
           "%d records (CRCs checked by tf.data): the first a serving_default request with the example inputs (%s),"
           " then the text signatures %s (expected %s)" % (len(records), bool(good), warmed, text_sigs))

    # 4. saved_model_cli
    cli = shutil.which("saved_model_cli")
    cmd = [cli] if cli else [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli"]
    res = subprocess.run(cmd + ["show", "--dir", d, "--all"], capture_output=True, text=True)
    listed = [line.split("'")[1] for line in res.stdout.splitlines() if line.startswith("signature_def[")]
    report("saved_model_cli show --all", res.returncode == 0 and "serving_default" in listed,
           "signature_defs %s" % listed)
    if not ok:
        print(res.stdout[-2000:], res.stderr[-2000:])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
