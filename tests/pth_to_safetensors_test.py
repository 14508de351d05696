#!/usr/bin/env python3
"""Checks that scripts/pth_to_safetensors.py loads weights only: a plain state dict and one beside an
argparse Namespace convert; a pickle naming another class is refused with the class named, and a
pickle that would run a command does not run it; --trust-pickle loads a trusted file anyway.

The authors' ImageNet checkpoint layout ({"net": state_dict, "arch": "msvit", ...}, the golden
../shared/golden/vision/vil_ls_4stage_w2_r2.pth, and the same under DataParallel's "module." prefix)
converts to the golden case's parameters exactly; and, through the command line, `train-image
--spec <the case's MsViT arguments> --weights <converted> --steps 0 --export` gives a SavedModel
whose logits for the case's images (NCHW there, NHWC ours) are the case's within 1e-4.

    python3 tests/pth_to_safetensors_test.py     # needs torch and safetensors; the CLI part tensorflow
"""
import argparse
import fractions
import os
import subprocess
import sys
import tempfile

import torch
from safetensors import safe_open

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SCRIPT = os.path.join(ROOT, "scripts", "pth_to_safetensors.py")
GOLDEN = os.environ.get("LONGSHORT_GOLDEN", os.path.join(ROOT, "..", "shared", "golden"))
CASE = "vil_ls_4stage_w2_r2"


class RunsACommand:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, ("touch " + self.marker,))


def convert(src, dst, *extra):
    return subprocess.run([sys.executable, SCRIPT, src, dst, *extra], capture_output=True, text=True)


def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)
    print("ok: " + what)


def main():
    with tempfile.TemporaryDirectory() as d:
        state = {"model.norm.weight": torch.arange(4, dtype=torch.float16), "model.norm.bias": torch.ones(4),
                 "steps": torch.tensor(3)}
        plain = os.path.join(d, "plain.pth")
        torch.save({"model_state_dict": state, "epoch": 2}, plain)
        r = convert(plain, os.path.join(d, "plain.safetensors"))
        check(r.returncode == 0, "a plain state dict converts: " + r.stderr.strip())
        with safe_open(os.path.join(d, "plain.safetensors"), "pt") as f:
            check(sorted(f.keys()) == ["model.norm.bias", "model.norm.weight", "steps"], "every tensor kept")
            check(torch.equal(f.get_tensor("model.norm.weight"), torch.arange(4, dtype=torch.float32)),
                  "values kept (float16 widened to float32)")

        fairseq = os.path.join(d, "fairseq.pt")
        torch.save({"model": state, "args": argparse.Namespace(encoder_layers=2, arch="ls")}, fairseq)
        r = convert(fairseq, os.path.join(d, "fairseq.safetensors"))
        check(r.returncode == 0, "a checkpoint with an argparse Namespace converts: " + r.stderr.strip())

        other = os.path.join(d, "other.pt")
        torch.save({"model": state, "best": fractions.Fraction(1, 3)}, other)
        r = convert(other, os.path.join(d, "other.safetensors"))
        check(r.returncode != 0 and "refused: its pickle names fractions.Fraction" in r.stderr
              and "--trust-pickle" in r.stderr, "another class is refused by name: " + r.stderr.strip())
        check(not os.path.exists(os.path.join(d, "other.safetensors")), "nothing written for a refused file")
        r = convert(other, os.path.join(d, "other.safetensors"), "--trust-pickle")
        check(r.returncode == 0 and "WARNING: --trust-pickle" in r.stderr, "--trust-pickle loads it, loudly")

        marker = os.path.join(d, "ran")
        evil = os.path.join(d, "evil.pt")
        torch.save({"model": state, "payload": RunsACommand(marker)}, evil)
        r = convert(evil, os.path.join(d, "evil.safetensors"))
        check(r.returncode != 0 and "refused: its pickle names posix.system" in r.stderr,
              "a pickle that calls os.system is refused by name: " + r.stderr.strip())
        check(not os.path.exists(marker), "and its command did not run")

        legacy = os.path.join(d, "legacy.pt")
        torch.save({"payload": RunsACommand(marker)}, legacy, _use_new_zipfile_serialization=False)
        r = convert(legacy, os.path.join(d, "legacy.safetensors"))
        check(r.returncode != 0 and "refused" in r.stderr and not os.path.exists(marker),
              "the legacy (non-zip) format is refused too: " + r.stderr.strip())
        authors_checkpoint(d)
    print("pth_to_safetensors: all checks passed")


def authors_checkpoint(d):
    """The golden MsViT checkpoint: converted (plain and DataParallel-prefixed), then through the CLI."""
    pth = os.path.join(GOLDEN, "vision", CASE + ".pth")
    with safe_open(os.path.join(GOLDEN, "vision", CASE + ".safetensors"), "pt") as f:
        golden = {k: f.get_tensor(k) for k in f.keys()}
        config = f.metadata()["config"]
    params = {k: v for k, v in golden.items() if not k.startswith(("input.", "output."))}

    converted = os.path.join(d, CASE + ".safetensors")
    r = convert(pth, converted)
    check(r.returncode == 0, "the authors' checkpoint ({'net': ..., 'arch': 'msvit'}) converts: " + r.stderr.strip())
    with safe_open(converted, "pt") as f:
        names = set(f.keys())
        check(f.metadata()["module"] == "MsViT", "its module is recorded as MsViT")
        buffers = {n for n in names if n.endswith("relative_position_index")}
        check(names - buffers == set(params), "its tensors are the golden case's parameters (and index buffers): "
              + str(sorted(names.symmetric_difference(params))[:5]))
        check(all(torch.equal(f.get_tensor(n), params[n]) for n in params), "every parameter equals the golden one")

    # DataParallel's checkpoints carry "module." in front of every name
    state = torch.load(pth, map_location="cpu", weights_only=True)
    wrapped = os.path.join(d, "dataparallel.pth")
    torch.save(dict(state, net={"module." + k: v for k, v in state["net"].items()}), wrapped)
    r = convert(wrapped, os.path.join(d, "dataparallel.safetensors"))
    with safe_open(os.path.join(d, "dataparallel.safetensors"), "pt") as f:
        check(r.returncode == 0 and set(f.keys()) == names, "the module. prefix (DataParallel) is dropped")

    # the evil pickle again, in the authors' layout: still refused, nothing run
    marker = os.path.join(d, "ran_net")
    evil = os.path.join(d, "evil_net.pth")
    torch.save(dict(state, payload=RunsACommand(marker)), evil)
    r = convert(evil, os.path.join(d, "evil_net.safetensors"))
    check(r.returncode != 0 and "refused" in r.stderr and not os.path.exists(marker)
          and not os.path.exists(os.path.join(d, "evil_net.safetensors")),
          "an authors' checkpoint holding a pickle that runs a command is refused: " + r.stderr.strip())

    # the command line: the case's MsViT arguments as the model, the converted weights, exported
    spec = os.path.join(d, "msvit.json")
    with open(spec, "w") as f:
        f.write(config)
    images = golden["input.images"]
    import tensorflow as tf
    # --steps 0 evaluates on some image folder before exporting: one grey PNG per class (10 classes,
    # more than the synthetic data has)
    folder = os.path.join(d, "images")
    side = images.shape[-1]
    for c in range(golden["output.logits"].shape[1]):
        os.makedirs(os.path.join(folder, f"class{c}"))
        png = tf.io.encode_png(tf.fill([side, side, 3], tf.constant(20 * c, tf.uint8))).numpy()
        with open(os.path.join(folder, f"class{c}", "a.png"), "wb") as f:
            f.write(png)
    export = os.path.join(d, "exported")
    r = subprocess.run([os.path.join(ROOT, "scripts", "longshort"), "train-image", "--spec", spec, "--weights", converted,
                        "--steps", "0", "--data", "folder:" + folder, "--eval-data", "folder:" + folder,
                        "--batch", "2", "--export", export], capture_output=True, text=True)
    check(r.returncode == 0, "train-image --weights (converted) --steps 0 --export: " + (r.stdout + r.stderr)[-800:])
    serve = tf.saved_model.load(export).signatures["serving_default"]
    nhwc = tf.constant(images.permute(0, 2, 3, 1).contiguous().numpy())
    logits = serve(images=nhwc)["logits"].numpy()
    err = float(abs(logits - golden["output.logits"].numpy()).max())
    check(err <= 1e-4, f"converted + loaded + exported, the case's logits: max abs error {err:.3g} <= 1e-4")


if __name__ == "__main__":
    main()
