#!/usr/bin/env python3
"""Converts a fairseq checkpoint of the authors' autoregressive Transformer-LS (NVIDIA/transformer-ls,
`autoregressive/`, arch `transformer-ls`) into the safetensors file the Java LM reads
(`eval --block ... --weights`, `TransformerLsLm`), plus the dictionary its token ids come from.

    python3 scripts/fairseq_to_safetensors.py checkpoint_best.pt --dict data-bin/dict.txt --out enwik8_ls/

writes enwik8_ls/model.safetensors and enwik8_ls/dict.txt.

A fairseq checkpoint holds the model's state under `model` with the prefix `decoder.model.`
(TransformerLSDecoder.model), and the run's settings under `cfg` (`cfg["model"]`, fairseq >= 0.10)
or `args` (an argparse Namespace, older runs). The state goes out under the model's own names
(`in_emb.weight`, `layers.0.attn.proj_query.weight`, ...; the tied `out_emb.weight` too), the
settings as the file's `config` metadata under TransformerLSModel's constructor names, with
`vocab_size` from the embedding. Token ids are fairseq dictionary ids, not bytes: 4 special
symbols, then the order of the `dict.txt` that fairseq-preprocess wrote, so the dictionary is
checked against the vocabulary size and copied beside the weights. Files are written under a
temporary name and renamed. Needs torch and safetensors; fairseq is not needed (a checkpoint whose
`cfg` is an omegaconf object needs omegaconf to unpickle).
"""
import argparse
import json
import os
import shutil
import sys

import torch
from safetensors.torch import save_file

PREFIX = "decoder.model."
# TransformerLSModel's constructor arguments that change numbers (grad_chk and probing do not)
CONFIG_KEYS = ["d_model", "d_inner", "n_head", "n_layer", "mem_len", "window_len", "chunk_size", "chunk_rank",
               "dropout", "emb_dropout", "use_bias", "pre_ln", "use_gelu", "clamp_len", "cpos_clamp_len"]


def model_settings(checkpoint):
    cfg = checkpoint.get("cfg")
    if cfg is not None and cfg.get("model") is not None:
        model = cfg["model"]
        return {k: model[k] for k in model.keys()} if not isinstance(model, dict) else dict(model)
    args = checkpoint.get("args")
    if args is not None:
        return dict(vars(args))
    sys.exit("the checkpoint holds neither cfg['model'] nor args: is it a fairseq checkpoint?")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="the fairseq .pt file")
    ap.add_argument("--dict", required=True, help="the dict.txt of the run's data-bin folder")
    ap.add_argument("--out", required=True, help="folder to write model.safetensors and dict.txt into")
    args = ap.parse_args()

    checkpoint = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    if not isinstance(checkpoint, dict) or not isinstance(checkpoint.get("model"), dict):
        sys.exit(f"{args.checkpoint}: no 'model' state in it: is it a fairseq checkpoint?")
    state = checkpoint["model"]
    tensors = {}
    for name, value in state.items():
        if not name.startswith(PREFIX):
            continue
        if not isinstance(value, torch.Tensor):
            continue
        tensors[name[len(PREFIX):]] = value.detach().to(torch.float32).contiguous().clone()  # tied weights share memory
    if "in_emb.weight" not in tensors:
        sys.exit(f"{args.checkpoint}: no '{PREFIX}in_emb.weight': not the authors' transformer-ls arch"
                 f" (state names start with {sorted(state)[:3]})")

    settings = model_settings(checkpoint)
    missing = [k for k in CONFIG_KEYS if k not in settings]
    if missing:
        sys.exit(f"{args.checkpoint}: the run's settings lack {missing}")
    config = {k: settings[k] for k in CONFIG_KEYS}
    vocab = tensors["in_emb.weight"].shape[0]
    config["vocab_size"] = int(vocab)

    with open(args.dict, encoding="utf-8") as f:
        symbols = [line for line in f.read().split("\n") if line]
    if len(symbols) + 4 != vocab:
        sys.exit(f"{args.dict}: {len(symbols)} symbols + 4 special ones = {len(symbols) + 4}, but the model's"
                 f" vocabulary is {vocab}: is it the run's dictionary?")

    os.makedirs(args.out, exist_ok=True)
    weights = os.path.join(args.out, "model.safetensors")
    metadata = {"config": json.dumps(config), "module": "autoregressive/model_lib/model.py:TransformerLSModel",
                "converted_from": os.path.basename(args.checkpoint), "dictionary": "dict.txt"}
    save_file(tensors, weights + ".tmp", metadata=metadata)
    os.replace(weights + ".tmp", weights)
    target = os.path.join(args.out, "dict.txt")
    if os.path.abspath(target) != os.path.abspath(args.dict):
        shutil.copyfile(args.dict, target + ".tmp")
        os.replace(target + ".tmp", target)
    print(f"{weights}: {len(tensors)} tensors, vocabulary {vocab}, {config['n_layer']} layers; {target}")


if __name__ == "__main__":
    main()
