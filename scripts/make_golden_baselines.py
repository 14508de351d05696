#!/usr/bin/env python3
"""Makes golden cases for the baselines taken from Hugging Face transformers
(tests/fixtures/golden_baselines/*.safetensors): LongformerSelfAttention.

Runs transformers' own module (installed beside torch; nothing of theirs is in this repository),
fp32 on CPU, every parameter randomised, followed by an output projection W_o (an nn.Linear the
script adds: their module stops before LongformerSelfOutput's dense, our layers end with W_o).

    python3 scripts/make_golden_baselines.py --out tests/fixtures/golden_baselines

Layout as ../shared/golden: parameters under their state_dict names (query, key, value,
query_global, key_global, value_global, W_o), input.x (B, N, D), input.mask (B, N) int32
(1 token, 0 padding), output.y (B, N, D); __metadata__ config (hidden_size, num_attention_heads,
attention_window, global_tokens: the first that many positions attend globally) and module.
"""
import argparse
import json
import os

import torch
from safetensors.torch import save_file

LONGFORMER_CASES = {
    # name: (attention_window, global_tokens, heads, lengths per batch row (None = full), N)
    "longformer_w4_g0": (4, 0, 2, [None, None], 16),
    "longformer_w4_g2_padded": (4, 2, 2, [None, 11, 6], 16),
    "longformer_w6_g1_h4": (6, 1, 4, [None, 17], 24),
    "longformer_w8_g3_padded": (8, 3, 2, [13, None], 32),
}


def randomise(module, generator):
    with torch.no_grad():
        for _, p in module.named_parameters():
            p.copy_(0.3 * torch.randn(p.shape, generator=generator))


def longformer_case(name, window, global_tokens, heads, lengths, n, out_dir, seed):
    from transformers import LongformerConfig
    from transformers.models.longformer.modeling_longformer import LongformerSelfAttention

    d = 32
    config = LongformerConfig(hidden_size=d, num_attention_heads=heads, attention_window=[window],
                              attention_probs_dropout_prob=0.0)
    g = torch.Generator().manual_seed(seed)
    attn = LongformerSelfAttention(config, layer_id=0).eval()
    w_o = torch.nn.Linear(d, d)
    randomise(attn, g)
    randomise(w_o, g)
    b = len(lengths)
    x = torch.randn((b, n, d), generator=g)
    mask = torch.ones((b, n), dtype=torch.int32)
    for i, length in enumerate(lengths):
        if length is not None:
            mask[i, length:] = 0
    is_global = torch.zeros((b, n), dtype=torch.int32)
    is_global[:, :global_tokens] = 1
    # as LongformerModel: 0 padding, 1 local, 2 global, then -10000 / 0 / +10000
    merged = mask * (is_global + 1)
    ext = torch.where(merged == 0, -10000.0, torch.where(merged == 2, 10000.0, 0.0))
    with torch.no_grad():
        out = attn(x, attention_mask=ext, is_index_masked=ext < 0, is_index_global_attn=ext > 0,
                   is_global_attn=bool((ext > 0).any()))[0]
        y = w_o(out)
    tensors = {k: v.contiguous() for k, v in attn.state_dict().items()}
    tensors.update({"W_o." + k: v.contiguous() for k, v in w_o.state_dict().items()})
    tensors.update({"input.x": x, "input.mask": mask, "output.y": y.contiguous()})
    meta = {"config": json.dumps({"hidden_size": d, "num_attention_heads": heads, "attention_window": window,
                                  "global_tokens": global_tokens}),
            "module": "transformers LongformerSelfAttention + W_o", "format": "longshort-golden-v1"}
    path = os.path.join(out_dir, name + ".safetensors")
    save_file(tensors, path + ".tmp", metadata=meta)
    os.replace(path + ".tmp", path)
    print(path, tuple(y.shape))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tests/fixtures/golden_baselines")
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    for i, (name, case) in enumerate(LONGFORMER_CASES.items()):
        longformer_case(name, *case, args.out, args.seed + i)


if __name__ == "__main__":
    main()
