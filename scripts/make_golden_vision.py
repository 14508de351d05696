#!/usr/bin/env python3
"""Makes our own golden cases of the authors' ImageNet model (tests/fixtures/golden/vision/), in the
layout of ../shared/golden/vision: MsViT layouts the shared cases leave out, run through THEIR MsViT.

    python3 scripts/make_golden_vision.py --authors ~/transformer-ls/imagenet/models \
        --out tests/fixtures/golden/vision

Their code is not part of this repository: clone NVIDIA/transformer-ls and point --authors at its
imagenet/models folder. Their models/__init__.py (torchvision) is skipped; timm is used when
installed, else the three helpers msvit.py takes from it are stood in for below (in eval mode
without drop path only trunc_normal_'s initialisation is used, and every parameter is randomised
after it anyway).
"""
import argparse
import importlib
import json
import os
import sys
import types

import torch
from safetensors.torch import save_file

from make_fairseq_fixture import randomise

BASE = dict(img_size=32, num_classes=10, drop_rate=0.0, drop_path_rate=0.0, norm_embed=True, avg_pool=False,
            sharew=True, attn_type="ls", share_kv=True, only_glo=False, sw_exact=0, ln_eps=1e-6, mode=0)
# name: (config changes, in_chans, batch)
CASES = {
    # an s0 stage makes every later stage full attention (their shared attn_args), so the s1 of
    # stage 3 is full attention too; two global tokens in the full-attention stages (their
    # AttentionLS takes one only); absolute positions in stage 2 only
    "vil_g2_s0_sticky_mixed_ape": (dict(
        arch="l1,h2,d16,n1,s1,g1,p2,f2,a0,r1_l2,h2,d32,n1,s0,g2,p2,f2,a1,r1_l3,h4,d32,n1,s1,g2,p2,f2,a0,r2"), 3, 2),
    # absolute positions with g0 in the last stage (cls_pos_embed is (1, 0, D)), odd window 3 with
    # relative positions, one input channel, avg_pool over a last stage with a global token
    "vil_4stage_ape_g0_w3_gray_avgpool": (dict(
        img_size=48, avg_pool=True,
        arch="l1,h2,d16,n1,s1,g1,p2,f3,a0,r2_l2,h2,d16,n1,s1,g1,p2,f3,a1,r1_l3,h2,d32,n1,s0,g1,p2,f3,a0,r0"
             "_l4,h4,d32,n1,s0,g1,p1,f3,a1,r0"), 1, 2),
    "vil_4stage_ape_last_g0": (dict(
        img_size=32,
        arch="l1,h2,d16,n1,s1,g1,p4,f2,a1,r2_l2,h2,d16,n2,s1,g1,p2,f2,a1,r1_l3,h2,d32,n1,s0,g1,p1,f2,a1,r0"
             "_l4,h4,d32,n1,s0,g0,p2,f2,a1,r0"), 3, 1),
}


def timm_stand_in():
    """timm.models.layers' DropPath, trunc_normal_ and to_2tuple, as msvit.py uses them."""
    layers = types.ModuleType("timm.models.layers")

    class DropPath(torch.nn.Module):
        def __init__(self, p=0.0):
            super().__init__()

        def forward(self, x):
            return x

    layers.DropPath = DropPath
    layers.trunc_normal_ = lambda t, std=1.0: torch.nn.init.trunc_normal_(t, std=std, a=-2.0, b=2.0)
    layers.to_2tuple = lambda x: tuple(x) if isinstance(x, (tuple, list)) else (x, x)
    timm = types.ModuleType("timm")
    models = types.ModuleType("timm.models")
    timm.models, models.layers = models, layers
    sys.modules.update({"timm": timm, "timm.models": models, "timm.models.layers": layers})


def load_msvit(models_dir):
    try:
        import timm.models.layers  # noqa: F401
    except ImportError:
        timm_stand_in()
    package = types.ModuleType("authors_models")
    package.__path__ = [os.path.abspath(models_dir)]
    sys.modules["authors_models"] = package
    return importlib.import_module("authors_models.msvit").MsViT


def make(msvit, changes, in_chans, batch, seed):
    config = dict(BASE, **changes)
    torch.manual_seed(seed)
    model = msvit(in_chans=in_chans, **config)
    g = torch.Generator().manual_seed(seed)
    randomise(model, g, 0.2)
    tensors = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()
               if not k.endswith("relative_position_index")}
    images = torch.randn(batch, in_chans, config["img_size"], config["img_size"], generator=g)
    with torch.no_grad():
        logits = model(images)
    tensors["input.images"] = images.contiguous()
    tensors["output.logits"] = logits.contiguous()
    return tensors, {"format": "longshort-golden-v1", "module": "imagenet/models/msvit.py:MsViT (eval)",
                     "config": json.dumps(dict(config, in_chans=in_chans))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--authors", required=True, help="NVIDIA/transformer-ls imagenet/models folder")
    ap.add_argument("--out", default="tests/fixtures/golden/vision")
    args = ap.parse_args()
    msvit = load_msvit(args.authors)
    os.makedirs(args.out, exist_ok=True)
    for i, (name, (changes, in_chans, batch)) in enumerate(CASES.items()):
        tensors, metadata = make(msvit, changes, in_chans, batch, 100 + i)
        path = os.path.join(args.out, name + ".safetensors")
        save_file(tensors, path + ".tmp", metadata=metadata)
        os.replace(path + ".tmp", path)
        print(f"{path}: {len(tensors)} tensors, logits {tuple(tensors['output.logits'].shape)}")


if __name__ == "__main__":
    main()
