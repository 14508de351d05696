#!/usr/bin/env python3
"""Converts a longshort classifier SavedModel with the TFLite converter and checks its logits.

    scripts/longshort export --bundle BUNDLE --name listops
    python3 scripts/check_tflite_python.py savedmodels/listops/1

1. tf.lite.TFLiteConverter.from_saved_model (MLIR's SavedModel V1 import, the front end of the
   TFLite converter) converts the serving_default signature: TFLite's builtin ops plus select TF
   ops (SELECT_TF_OPS) where a kind needs them; the TF ops kept (Flex...) are printed;
2. the TFLite interpreter, fed the export's example inputs (assets.extra/example.safetensors,
   input.<name>), gives the SavedModel's own logits (tf.saved_model.load, the same inputs) within
   1e-5, and the logits Java computed (output.logits) within 1e-5 too.
Needs tensorflow and safetensors. Exit status 0 when every check passes.
"""
import os
import sys

import numpy as np
import tensorflow as tf
from safetensors.numpy import load_file

TOL = 1e-5


def main(saved_model):
    example = load_file(os.path.join(saved_model, "assets.extra", "example.safetensors"))
    inputs = {k[len("input."):]: v for k, v in example.items() if k.startswith("input.")}

    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model, signature_keys=["serving_default"])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]
    flat = converter.convert()

    interpreter = tf.lite.Interpreter(model_content=flat)
    flex = sorted({op["op_name"] for op in interpreter._get_ops_details() if op["op_name"].startswith("Flex")
                   or op["op_name"] == "DELEGATE"})
    print(f"converted {saved_model}: {len(flat):,} bytes; select TF ops: {', '.join(flex) if flex else 'none'}")
    # the signature runner resizes its inputs to the example's shapes and allocates
    runner = interpreter.get_signature_runner("serving_default")
    lite = runner(**{k: v.astype(runner.get_input_details()[k]["dtype"]) for k, v in inputs.items()})["logits"]

    loaded = tf.saved_model.load(saved_model)
    reference = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in inputs.items()})["logits"].numpy()
    ok = True
    diff = float(np.max(np.abs(lite - reference)))
    good = lite.shape == reference.shape and diff <= TOL
    ok &= good
    print(f"{'PASS' if good else 'FAIL'} TFLite logits {lite.shape} vs the SavedModel's: max |diff| {diff:.3g} (<= {TOL})")
    if "output.logits" in example:
        java = example["output.logits"]
        diff = float(np.max(np.abs(lite - java)))
        good = lite.shape == java.shape and diff <= TOL
        ok &= good
        print(f"{'PASS' if good else 'FAIL'} TFLite logits vs Java's example outputs: max |diff| {diff:.3g} (<= {TOL})")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
