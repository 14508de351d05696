#!/usr/bin/env python3
"""Checks that scripts/pth_to_safetensors.py loads weights only: a plain state dict and one beside an
argparse Namespace convert; a pickle naming another class is refused with the class named, and a
pickle that would run a command does not run it; --trust-pickle loads a trusted file anyway.

    python3 tests/pth_to_safetensors_test.py     # needs torch and safetensors
"""
import argparse
import fractions
import os
import subprocess
import sys
import tempfile

import torch
from safetensors import safe_open

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "pth_to_safetensors.py")


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
    print("pth_to_safetensors: all checks passed")


if __name__ == "__main__":
    main()
