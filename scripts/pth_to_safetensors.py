#!/usr/bin/env python3
"""Converts a PyTorch checkpoint of the authors' LRA models into the safetensors file that
`scripts/longshort import-lra` reads.

    python3 scripts/pth_to_safetensors.py model.pth model.safetensors \
        --config run_config.json --module ModelForSC

The state_dict is found at the top level or under "model_state_dict", "state_dict" or "model";
a "module." prefix (DataParallel) is dropped. The run configuration (their argument names:
num_layers, transformer_dim, ...) and the module name go into the file's metadata, so that
import-lra needs nothing else. Needs torch and safetensors (pip install torch safetensors).
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import save_file


def find_state_dict(checkpoint):
    if isinstance(checkpoint, dict):
        for key in ("model_state_dict", "state_dict", "model"):
            if key in checkpoint and isinstance(checkpoint[key], dict):
                return checkpoint[key]
        if all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            return checkpoint
    sys.exit("no state_dict found: expected a dict of tensors, or one under model_state_dict/state_dict/model")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help=".pth / .pt file")
    ap.add_argument("output", help=".safetensors file to write")
    ap.add_argument("--config", help="the run configuration as JSON (their argument names)")
    ap.add_argument("--module", default="ModelForSC", choices=["ModelForSC", "ModelForSCDual"])
    args = ap.parse_args()

    checkpoint = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    state = find_state_dict(checkpoint)
    tensors = {}
    for name, value in state.items():
        if not isinstance(value, torch.Tensor):
            continue
        if name.startswith("module."):
            name = name[len("module."):]
        tensors[name] = value.detach().to(torch.float32).contiguous() if value.is_floating_point() \
            else value.detach().contiguous()
    metadata = {"module": args.module, "converted_from": os.path.basename(args.checkpoint)}
    if args.config:
        with open(args.config) as f:
            config = json.load(f)
        metadata["config"] = json.dumps(config.get("model", config) if isinstance(config.get("model"), dict) else config)
    tmp = args.output + ".tmp"
    save_file(tensors, tmp, metadata=metadata)
    os.replace(tmp, args.output)
    print(f"{args.output}: {len(tensors)} tensors" + ("" if args.config else " (no --config: pass one to import-lra)"))


if __name__ == "__main__":
    main()
