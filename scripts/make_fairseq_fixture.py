#!/usr/bin/env python3
"""Makes the fairseq-checkpoint fixture of the authors' LM (tests/fixtures/fairseq/): a checkpoint
that the authors' own model class writes, in fairseq's layout, its dictionary, and the model's
log-probs on a text, for FairseqImportTest.

    python3 scripts/make_fairseq_fixture.py --authors ~/transformer-ls/autoregressive/model_lib \
        --out tests/fixtures/fairseq

It runs THEIR TransformerLSModel (model.py, layer.py), which is not part of this repository: clone
NVIDIA/transformer-ls and point --authors at its autoregressive/model_lib folder. fairseq is not
needed: the two fairseq modules their code imports are torch's own (fairseq's LayerNorm is
torch.nn.LayerNorm, its gelu the erf GELU), and the fairseq layouts are written here by hand: the
state under model["decoder.model.*"] as TransformerLSDecoder holds it, the settings under
cfg["model"], and a dict.txt as fairseq-preprocess writes it (one "<symbol> <count>" per line,
most frequent first, enwik8's byte numbers, padded with madeupwordNNNN to a multiple of 8 with
the 4 special symbols). Two bytes of the text are left out of the dictionary (they read as <unk>).
"""
import argparse
import collections
import importlib.util
import json
import math
import os
import sys
import types

import torch
from safetensors.torch import save_file

CONFIG = dict(d_model=32, d_inner=64, n_head=2, n_layer=2, mem_len=16, emb_dropout=0.0, chunk_rank=1,
              chunk_size=4, window_len=8, dropout=0.0, use_bias=True, pre_ln=True, use_gelu=True,
              grad_chk=False, clamp_len=-1, cpos_clamp_len=-1, probing=False)
TEXT = b"the quick brown fox\njumps over the lazy dog\nthe end, at last!\n"
LEFT_OUT = {ord("!"), ord(",")}
BLOCK = 16


def load_authors(folder):
    """Their model.py and layer.py as package model_lib, with fairseq's two modules stubbed."""
    fairseq = types.ModuleType("fairseq")
    modules = types.ModuleType("fairseq.modules")
    layer_norm = types.ModuleType("fairseq.modules.layer_norm")
    gelu_mod = types.ModuleType("fairseq.modules.gelu")

    def LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, export=False):
        return torch.nn.LayerNorm(normalized_shape, eps, elementwise_affine)

    layer_norm.LayerNorm = LayerNorm
    gelu_mod.gelu = lambda x: torch.nn.functional.gelu(x.float()).type_as(x)
    for name, m in [("fairseq", fairseq), ("fairseq.modules", modules), ("fairseq.modules.layer_norm", layer_norm),
                    ("fairseq.modules.gelu", gelu_mod)]:
        sys.modules[name] = m
    pkg = types.ModuleType("model_lib")
    pkg.__path__ = [folder]
    sys.modules["model_lib"] = pkg
    for name in ("layer", "model"):
        spec = importlib.util.spec_from_file_location("model_lib." + name, os.path.join(folder, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules["model_lib." + name] = mod
        spec.loader.exec_module(mod)
    return sys.modules["model_lib.model"].TransformerLSModel


def randomise(model, g, scale):
    """Every parameter random (norms around 1, the rest N(0, scale^2)), so no path hides behind an init; eval mode."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or "dual_ln" in name:
                p.copy_((1 if name.endswith("weight") else 0) + 0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(scale * torch.randn(p.shape, generator=g))
    model.eval()


def fairseq_ids(text, index):
    """What fairseq-preprocess makes of enwik8-style text: per line its byte numbers, then </s>."""
    ids = []
    for line in text.split(b"\n")[:-1]:
        ids += [index.get(str(b), 3) for b in line]
        ids.append(2)
    return ids


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authors", required=True, help="NVIDIA/transformer-ls autoregressive/model_lib folder")
    ap.add_argument("--out", default="tests/fixtures/fairseq")
    args = ap.parse_args()
    model_class = load_authors(os.path.abspath(args.authors))

    counts = collections.Counter(b for b in TEXT if b != ord("\n") and b not in LEFT_OUT)
    symbols = [str(b) for b, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    lines = [f"{s} {counts[int(s)]}" for s in symbols]
    while (len(lines) + 4) % 8:
        lines.append(f"madeupword{len(lines) + 4 - len(symbols) - 4:04d} 0")
    index = {s: 4 + i for i, s in enumerate(symbols)}
    vocab = 4 + len(lines)

    torch.manual_seed(14)
    model = model_class(vocab_size=vocab, **CONFIG)
    randomise(model, torch.Generator().manual_seed(14), 0.3)

    ids = fairseq_ids(TEXT, index)
    blocks = len(ids) // BLOCK
    x = torch.tensor(ids[:blocks * BLOCK]).view(blocks, BLOCK)
    cache = [torch.zeros(1, CONFIG["mem_len"], CONFIG["d_model"]) for _ in range(CONFIG["n_layer"])]
    reference = {"input.text": torch.tensor(list(TEXT), dtype=torch.int32),
                 "input.ids": torch.tensor(ids, dtype=torch.int32)}
    with torch.no_grad():
        for k in range(blocks):
            out, cache, _ = model(x[k:k + 1], cache)
            reference[f"output.logprobs_{k}"] = out.contiguous()

    os.makedirs(args.out, exist_ok=True)
    state = {"decoder.model." + k: v for k, v in model.state_dict().items()}
    checkpoint = {
        "args": None,
        "cfg": {"_name": None, "common": {"seed": 2, "fp16": True},
                "model": dict(_name="transformer-ls", vocab_size=50, **CONFIG),
                "task": {"_name": "truncated_bptt_lm", "data": "data-bin", "tokens_per_sample": BLOCK}},
        "model": state,
        "criterion": None,
        "optimizer_history": [{"criterion_name": "CharLevelLMLoss", "optimizer_name": "FairseqAdam",
                               "lr_scheduler_state": {"best": 1.0}, "num_updates": 100}],
        "extra_state": {"epoch": 1},
        "last_optimizer_state": None,
    }
    torch.save(checkpoint, os.path.join(args.out, "ls_tiny.pt"))
    with open(os.path.join(args.out, "dict.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    save_file(reference, os.path.join(args.out, "reference.safetensors"),
              metadata={"block": str(BLOCK), "blocks": str(blocks), "mem_len": str(CONFIG["mem_len"]),
                        "stream": "block 0 from the zero cache, block k from the cache block k-1 returned"})
    print(f"{args.out}: vocabulary {vocab}, {blocks} blocks of {BLOCK}")


if __name__ == "__main__":
    main()
