#!/usr/bin/env python3
"""Makes golden cases for the baselines taken from Hugging Face transformers
(tests/fixtures/golden_baselines/*.safetensors): LongformerSelfAttention and
BigBirdBlockSparseAttention.

Runs transformers' own module (installed beside torch; nothing of theirs is in this repository),
fp32 on CPU, every parameter randomised, followed by an output projection W_o (an nn.Linear the
script adds: their module stops before LongformerSelfOutput's dense, our layers end with W_o).

    python3 scripts/make_golden_baselines.py --out tests/fixtures/golden_baselines

Layout as ../shared/golden: parameters under their state_dict names (query, key, value,
query_global, key_global, value_global, W_o), input.x (B, N, D), input.mask (B, N) int32
(1 token, 0 padding), output.y (B, N, D); __metadata__ config (hidden_size, num_attention_heads,
attention_window, global_tokens: the first that many positions attend globally) and module.
BigBird cases run in training mode (their block-sparse attention has no dropout; in eval mode their
random blocks are all block 0) with the module's seed, and carry the random plan it drew as
attn.rand_attn (H, blocks - 2, random blocks) int32; config: block_size, num_random_blocks.
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


BIGBIRD_CASES = {
    # name: (block_size, num_random_blocks, heads, lengths per batch row (None = full), N)
    "bigbird_b4_r1": (4, 1, 2, [None, None], 40),
    "bigbird_b4_r2_padded": (4, 2, 2, [None, 37, 29], 48),
    "bigbird_b8_r1_h4_padded": (8, 1, 4, [None, 61], 64),
}


def bigbird_case(name, block, rand, heads, lengths, n, out_dir, seed):
    import numpy as np
    from transformers import BigBirdConfig, BigBirdModel
    from transformers.models.big_bird.modeling_big_bird import BigBirdBlockSparseAttention

    d = 32
    config = BigBirdConfig(hidden_size=d, num_attention_heads=heads, block_size=block, num_random_blocks=rand,
                           attention_type="block_sparse", attention_probs_dropout_prob=0.0,
                           max_position_embeddings=n)
    g = torch.Generator().manual_seed(seed)
    attn = BigBirdBlockSparseAttention(config, seed=seed)
    attn.train()  # the random plan of their training mode; no dropout in block-sparse attention
    w_o = torch.nn.Linear(d, d)
    randomise(attn, g)
    randomise(w_o, g)
    b = len(lengths)
    x = torch.randn((b, n, d), generator=g)
    mask = torch.ones((b, n), dtype=torch.int32)
    for i, length in enumerate(lengths):
        if length is not None:
            mask[i, length:] = 0
    blocked, band, from_mask, to_mask = BigBirdModel.create_masks_for_block_sparse_attn(mask.float(), block)
    with torch.no_grad():
        out = attn(x, band_mask=band, from_mask=from_mask, to_mask=to_mask, from_blocked_mask=blocked,
                   to_blocked_mask=blocked)[0]
        y = w_o(out)
    # the plan forward drew: the same seed, the same calls
    np.random.seed(seed)
    plan_from, plan_rand = attn._get_rand_attn_plan(n, block, rand)
    plan = np.stack(attn._bigbird_block_rand_mask_with_head(
        from_seq_length=n, to_seq_length=n, from_block_size=block, to_block_size=block, num_heads=heads,
        plan_from_length=plan_from, plan_num_rand_blocks=plan_rand), axis=0).astype(np.int32)
    tensors = {k: v.contiguous() for k, v in attn.state_dict().items()}
    tensors.update({"W_o." + k: v.contiguous() for k, v in w_o.state_dict().items()})
    tensors.update({"attn.rand_attn": torch.from_numpy(plan).contiguous(), "input.x": x, "input.mask": mask,
                    "output.y": y.contiguous()})
    meta = {"config": json.dumps({"hidden_size": d, "num_attention_heads": heads, "block_size": block,
                                  "num_random_blocks": rand}),
            "module": "transformers BigBirdBlockSparseAttention + W_o", "format": "longshort-golden-v1"}
    path = os.path.join(out_dir, name + ".safetensors")
    save_file(tensors, path + ".tmp", metadata=meta)
    os.replace(path + ".tmp", path)
    print(path, tuple(y.shape), "plan", plan.shape)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="tests/fixtures/golden_baselines")
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    for i, (name, case) in enumerate(LONGFORMER_CASES.items()):
        longformer_case(name, *case, args.out, args.seed + i)
    for i, (name, case) in enumerate(BIGBIRD_CASES.items()):
        bigbird_case(name, *case, args.out, args.seed + 10 + i)


if __name__ == "__main__":
    main()
