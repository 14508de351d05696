#!/usr/bin/env python3
"""Makes extra golden cases for the authors' LRA models (tests/fixtures/golden/*.safetensors).

The shared golden files cover three model configurations; this covers the others the authors'
code supports (CLS pooling, tied layers, cls_token, softmax attention, ...). It runs THEIR code,
which is not part of this repository: clone NVIDIA/transformer-ls and point --authors at its LRA
folder (the one holding model.py, model_wrapper.py, attention.py, attention_transformer_ls.py).

    python3 scripts/make_golden_models.py --authors ~/transformer-ls/lra --out tests/fixtures/golden

Needs torch and safetensors. Every parameter is randomised (LayerNorm scales around 1) so that a
wrongly mapped weight shows up; inputs have padding.
"""
import argparse
import json
import os
import sys
import types

import torch
from safetensors.torch import save_file

BASE = dict(pooling_mode="MEAN", cls_token=False, num_head=2, head_dim=16, num_landmarks=3,
            max_seq_len=40, transformer_dim=32, embedding_dim=32, transformer_hidden_dim=48,
            attention_dropout=0.0, dropout_prob=0.0, window_size=4, fp32_attn=True,
            conv_kernel_size=-1, attn_type="lsta", num_layers=2, tied_weights=False,
            cls_last_layer=False, vocab_size=23, num_classes=5, mixed_precision=False, debug=False,
            learn_pos_emb=1, attention_grad_checkpointing=False)

CASES = {
    "sc_cls_pooling": ("ModelForSC", dict(pooling_mode="CLS")),
    "sc_cls_pooling_window_only": ("ModelForSC", dict(pooling_mode="CLS", num_landmarks=0, window_size=3)),
    "sc_tied_mean": ("ModelForSC", dict(tied_weights=True, num_layers=3)),
    "sc_tied_cls_last_layer": ("ModelForSC", dict(tied_weights=True, cls_last_layer=True)),
    "sc_cls_token": ("ModelForSC", dict(cls_token=True)),
    "sc_global_only_cls_last_layer": ("ModelForSC", dict(window_size=0, num_landmarks=4, cls_last_layer=True)),
    "sc_softmax_mean": ("ModelForSC", dict(attn_type="softmax")),
    "sc_softmax_cls_pooling": ("ModelForSC", dict(attn_type="softmax", pooling_mode="CLS")),
    "dual_cls_pooling": ("ModelForSCDual", dict(pooling_mode="CLS", num_classes=2)),
    "dual_mean_tied": ("ModelForSCDual", dict(tied_weights=True, num_classes=2, window_size=5)),
}


def randomise(module, generator):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if "norm" in name.split(".")[-2] or "dual_ln" in name:
                if name.endswith("weight"):
                    p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
                else:
                    p.copy_(0.2 * torch.randn(p.shape, generator=generator))
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=generator))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authors", required=True, help="the authors' LRA folder (holding model_wrapper.py)")
    ap.add_argument("--out", default="tests/fixtures/golden")
    ap.add_argument("--length", type=int, default=38,
                    help="at most this many tokens per input; their code needs a multiple of the window")
    args = ap.parse_args()
    if not os.path.isfile(os.path.join(args.authors, "model_wrapper.py")):
        sys.exit(f"--authors ({args.authors}): no model_wrapper.py there")
    sys.path.insert(0, args.authors)
    import model_wrapper  # the authors' code

    os.makedirs(args.out, exist_ok=True)
    for i, (name, (module_name, overrides)) in enumerate(sorted(CASES.items())):
        config = dict(BASE, **overrides)
        generator = torch.Generator().manual_seed(1000 + i)
        torch.manual_seed(1000 + i)
        model = getattr(model_wrapper, module_name)(types.SimpleNamespace(**config)).eval()
        randomise(model, generator)
        w = config["window_size"]
        batch, vocab = 3, config["vocab_size"]
        n = args.length - args.length % w if w > 0 else args.length
        tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
        towers = 2 if module_name == "ModelForSCDual" else 1
        ids, masks = [], []
        for t in range(towers):
            x = torch.randint(1, vocab - 1, (batch, n), generator=generator, dtype=torch.int32)
            m = torch.ones(batch, n, dtype=torch.int32)
            m[1, n - 9:] = 0  # padding at the end
            m[2, 1:] = 0      # a single real token
            x = x * m
            ids.append(x)
            masks.append(m)
            tensors[f"input.ids_{t}"] = x
            tensors[f"input.mask_{t}"] = m
        with torch.no_grad():
            if towers == 1:
                logits = model(ids[0].long(), masks[0])
            else:
                logits = model(ids[0].long(), ids[1].long(), masks[0], masks[1])
        tensors["output.logits"] = logits.float().contiguous()
        path = os.path.join(args.out, name + ".safetensors")
        save_file(tensors, path + ".tmp", metadata={
            "config": json.dumps(config), "module": "lra/model_wrapper.py:" + module_name,
            "made_by": "scripts/make_golden_models.py"})
        os.replace(path + ".tmp", path)
        print(f"{path}: {module_name} {overrides} logits {tuple(logits.shape)}")


if __name__ == "__main__":
    main()
