#!/usr/bin/env python3
"""Makes our own golden cases of the authors' LM (tests/fixtures/golden/lm/), in the layout of
../shared/golden/lm: shapes the shared cases leave out, run through THEIR TransformerLSModel.

    python3 scripts/make_golden_lm.py --authors ~/transformer-ls/autoregressive/model_lib \
        --out tests/fixtures/golden/lm

The shared cases have blocks longer than or equal to the window. A block shorter than the window
(the window then reaches back over several cached blocks) is what the recall experiment of issue
14 runs, so it is pinned here. Their code is not part of this repository: clone
NVIDIA/transformer-ls and point --authors at its autoregressive/model_lib folder (fairseq is not
needed; see make_fairseq_fixture.py).
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file

from make_fairseq_fixture import load_authors, randomise

BASE = dict(vocab_size=20, d_model=32, d_inner=64, n_head=2, n_layer=2, emb_dropout=0.0, chunk_rank=1,
            dropout=0.0, use_bias=False, pre_ln=True, use_gelu=True, grad_chk=False, clamp_len=-1,
            cpos_clamp_len=-1, probing=False)
# name: (config changes, batch, block, blocks)
CASES = {
    "lm_block16_w48_c4_mem48": (dict(window_len=48, chunk_size=4, mem_len=48), 2, 16, 5),
    "lm_block8_w24_c4_mem32_bias": (dict(window_len=24, chunk_size=4, mem_len=32, use_bias=True, n_head=4,
                                         chunk_rank=2), 2, 8, 6),
}


def make(model_class, name, changes, batch, block, blocks, seed):
    config = dict(BASE, **changes)
    torch.manual_seed(seed)
    model = model_class(**config)
    g = torch.Generator().manual_seed(seed)
    randomise(model, g, 0.2)
    tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    x = torch.randint(0, config["vocab_size"], (blocks, batch, block), generator=g)
    cache = [torch.zeros(batch, config["mem_len"], config["d_model"]) for _ in range(config["n_layer"])]
    with torch.no_grad():
        for k in range(blocks):
            out, cache, _ = model(x[k], cache)
            tensors[f"input.block_{k}"] = x[k].to(torch.int32).contiguous()
            tensors[f"output.logprobs_{k}"] = out.contiguous()
            if k == 0:
                for i, c in enumerate(cache):
                    tensors[f"output.cache_1.{i}"] = c.detach().clone().contiguous()
    return tensors, {"format": "longshort-golden-v1", "module": "autoregressive/model_lib/model.py:TransformerLSModel",
                     "blocks": str(blocks), "config": json.dumps(config),
                     "stream": "block 0 from the zero cache, block k from the cache block k-1 returned"}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authors", required=True, help="NVIDIA/transformer-ls autoregressive/model_lib folder")
    ap.add_argument("--out", default="tests/fixtures/golden/lm")
    args = ap.parse_args()
    model_class = load_authors(os.path.abspath(args.authors))
    os.makedirs(args.out, exist_ok=True)
    for seed, (name, (changes, batch, block, blocks)) in enumerate(sorted(CASES.items()), start=41):
        tensors, metadata = make(model_class, name, changes, batch, block, blocks, seed)
        path = os.path.join(args.out, name + ".safetensors")
        save_file(tensors, path + ".tmp", metadata=metadata)
        os.replace(path + ".tmp", path)
        print(f"{path}: {blocks} blocks of {batch} x {block}")


if __name__ == "__main__":
    main()
