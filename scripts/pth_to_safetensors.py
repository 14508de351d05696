#!/usr/bin/env python3
"""Converts a PyTorch checkpoint of the authors' models into a safetensors file: their LRA models
for `scripts/longshort import-lra`, their ImageNet MsViT (ViL-LS) for `train-image --weights`.

    python3 scripts/pth_to_safetensors.py model.pth model.safetensors \
        --config run_config.json --module ModelForSC
    python3 scripts/pth_to_safetensors.py model_best.pth vil_ls_medium.safetensors

The state_dict is found at the top level or under "net" (the authors' ImageNet checkpoints,
imagenet/utils/checkpoint.py: {"net": state_dict, "arch": "msvit", "epoch": ...}),
"model_state_dict", "state_dict" or "model"; a "module." prefix (DataParallel) is dropped. The run
configuration (their argument names: num_layers, transformer_dim, ..., or MsViT's arch, img_size,
...) and the module name go into the file's metadata, so that import-lra needs nothing else; the
module is MsViT for a checkpoint whose "arch" is "msvit", else ModelForSC unless --module says.
Needs torch and safetensors (pip install torch safetensors).

Loading is safe for untrusted files: torch.load(..., weights_only=True), which unpickles tensors
and plain containers only, plus the config types fairseq checkpoints hold (argparse.Namespace,
omegaconf's DictConfig/ListConfig and their nodes). A file whose pickle names any other class is
refused with the class named, since unpickling it could run arbitrary code; --trust-pickle loads
it anyway (weights_only=False), with a warning, for files you trust.
"""
import argparse
import json
import os
import pickle
import re
import sys

import torch
from safetensors.torch import save_file


def config_types():
    """The config classes fairseq checkpoints pickle beside the tensors: argparse's Namespace (old
    "args") and omegaconf's containers (new "cfg"), when omegaconf is installed. Nothing else."""
    allowed = [argparse.Namespace]
    try:
        import typing
        from omegaconf import DictConfig, ListConfig
        from omegaconf.base import ContainerMetadata, Metadata
        from omegaconf.nodes import AnyNode, BooleanNode, EnumNode, FloatNode, IntegerNode, StringNode, ValueNode
        allowed += [DictConfig, ListConfig, ContainerMetadata, Metadata, AnyNode, BooleanNode, EnumNode, FloatNode,
                    IntegerNode, StringNode, ValueNode, typing.Any]
    except ImportError:
        pass
    return allowed


def qualified(t):
    return f"{t.__module__}.{t.__qualname__}" if hasattr(t, "__qualname__") else str(t)


def refuse(path, classes):
    sys.exit(f"{path}: refused: its pickle names {', '.join(classes)}, which is neither a tensor, a plain container "
             f"nor an allow-listed config type ({', '.join(qualified(t) for t in config_types())}); unpickling it "
             "would run whatever code that name leads to. If you trust the file and where it came from, pass "
             "--trust-pickle.")


def load(path, trust_pickle):
    """torch.load with weights_only=True (tensors, plain containers, numbers, strings) plus the config
    types above; anything else refused by name. --trust-pickle loads everything: a pickle is a program."""
    if trust_pickle:
        print("WARNING: --trust-pickle: unpickling " + path + " with weights_only=False runs any code the file "
              "holds. Use it only for files you made or trust.", file=sys.stderr)
        return torch.load(path, map_location="cpu", weights_only=False)
    allowed = config_types()
    names = {qualified(t) for t in allowed}
    try:
        unsafe = [g for g in torch.serialization.get_unsafe_globals_in_checkpoint(path) if g not in names]
    except Exception:
        unsafe = []  # not a zip checkpoint (the legacy format): the loader below still refuses by name
    if unsafe:
        refuse(path, sorted(unsafe))
    try:
        with torch.serialization.safe_globals(allowed):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.findall(r"GLOBAL ([\w.]+)", str(e))
        if found:
            refuse(path, sorted(set(found)))
        sys.exit(f"{path}: refused: not loadable as weights only ({str(e).splitlines()[0]}). If you trust the file, "
                 "pass --trust-pickle.")


STATE_DICT_KEYS = ("net", "model_state_dict", "state_dict", "model")


def find_state_dict(checkpoint):
    if isinstance(checkpoint, dict):
        for key in STATE_DICT_KEYS:
            if key in checkpoint and isinstance(checkpoint[key], dict):
                return checkpoint[key]
        if all(isinstance(v, torch.Tensor) for v in checkpoint.values()):
            return checkpoint
    sys.exit("no state_dict found: expected a dict of tensors, or one under " + "/".join(STATE_DICT_KEYS))


def module_name(checkpoint, chosen):
    """--module, else MsViT for the authors' ImageNet checkpoints (their "arch" names the model), else ModelForSC."""
    if chosen:
        return chosen
    if isinstance(checkpoint, dict) and checkpoint.get("arch") == "msvit":
        return "MsViT"
    return "ModelForSC"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help=".pth / .pt file")
    ap.add_argument("output", help=".safetensors file to write")
    ap.add_argument("--config", help="the run configuration as JSON (their argument names)")
    ap.add_argument("--module", choices=["ModelForSC", "ModelForSCDual", "MsViT"],
                    help="the authors' module (default: MsViT for a checkpoint whose arch is msvit, else ModelForSC)")
    ap.add_argument("--trust-pickle", action="store_true",
                    help="load with weights_only=False: runs any code the file's pickle holds; only for trusted files")
    args = ap.parse_args()

    checkpoint = load(args.checkpoint, args.trust_pickle)
    state = find_state_dict(checkpoint)
    tensors = {}
    for name, value in state.items():
        if not isinstance(value, torch.Tensor):
            continue
        if name.startswith("module."):
            name = name[len("module."):]
        tensors[name] = value.detach().to(torch.float32).contiguous() if value.is_floating_point() \
            else value.detach().contiguous()
    module = module_name(checkpoint, args.module)
    metadata = {"module": module, "converted_from": os.path.basename(args.checkpoint)}
    if args.config:
        with open(args.config) as f:
            config = json.load(f)
        metadata["config"] = json.dumps(config.get("model", config) if isinstance(config.get("model"), dict) else config)
    tmp = args.output + ".tmp"
    save_file(tensors, tmp, metadata=metadata)
    os.replace(tmp, args.output)
    hint = "" if args.config or module == "MsViT" else " (no --config: pass one to import-lra)"
    print(f"{args.output}: {len(tensors)} tensors" + hint)


if __name__ == "__main__":
    main()
