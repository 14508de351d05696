#!/usr/bin/env python3
"""The image preprocessing of eval-image and train-image against Pillow, pixel by pixel.

  make DIR            writes test images into DIR: PNG (random RGB, grey (L) and RGBA images of many
                      sizes, shrunk and enlarged) and JPEG (RGB with 4:2:0 and 4:4:4 chroma, grey),
                      so that decoding is checked too (ImageIO's against Pillow's libjpeg)
  fixture DIR        writes the fixture of PreprocessingTest (src/test/resources/images): a 41 x 29
                      PNG and Pillow's results for it (raw 8-bit RGB, row-major)
  check DIR S DUMP    compares DUMP (written by io.longshort.data.images.PreprocessingDump from the
                      same DIR at side S) with the authors' evaluation transform computed here:
                      Pillow's Image.open(f).convert("RGB"), then torchvision's Resize(int(S / 0.875),
                      interpolation=BICUBIC) and CenterCrop(S) rules written out (the venv's torchvision
                      need not import), ToTensor and Normalize(ImageNet mean, std) in torch float32;
                      and train-image's squash: Pillow's resize((S, S), BILINEAR).

The 8-bit values must be equal (Pillow's fixed-point resampling reproduced exactly) and the
normalised floats equal within 1e-6. Prints PASS or FAIL lines; exits 1 on any failure.
"""
import os
import sys

import numpy as np
from PIL import Image
from safetensors.numpy import load_file

MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def make(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(25)
    # sizes around the resize target of S = 24 (int(24 / 0.875) = 27): shrunk, enlarged, equal, with
    # crop offsets (n - 24) / 2 of .5 (Python's round: half to even), very long and very flat images
    sizes = [(37, 53), (53, 37), (20, 31), (27, 27), (27, 40), (40, 27), (37, 40), (29, 100), (100, 29),
             (24, 24), (300, 201), (26, 26), (31, 31)]
    sizes += [tuple(int(v) for v in rng.integers(5, 160, size=2)) for _ in range(12)]
    for i, (w, h) in enumerate(sizes):
        if i % 5 == 3:
            img = Image.fromarray(rng.integers(0, 256, size=(h, w), dtype=np.uint8), "L")
        elif i % 5 == 4:
            img = Image.fromarray(rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8), "RGBA")
        else:
            # smooth gradients plus noise: resampling of both flat and sharp content
            yy, xx = np.mgrid[0:h, 0:w]
            base = np.stack([xx * 255 // max(1, w - 1), yy * 255 // max(1, h - 1), (xx + yy) % 256], -1)
            noise = rng.integers(-40, 41, size=(h, w, 3))
            img = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB")
        img.save(os.path.join(out, f"img{i:02d}_{w}x{h}.png"))
    jpegs = [(500, 375, 90, "4:2:0", "RGB"), (375, 500, 75, "4:4:4", "RGB"), (333, 257, 85, "4:2:0", "RGB"),
             (120, 90, 80, "4:2:0", "L")]
    for i, (w, h, quality, subsampling, mode) in enumerate(jpegs):
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255 // (w - 1), yy * 255 // (h - 1), ((xx // 7 + yy // 5) * 37) % 256], -1)
        a = np.clip(base + rng.integers(-30, 31, size=(h, w, 3)), 0, 255).astype(np.uint8)
        img = Image.fromarray(a, "RGB").convert(mode)
        img.save(os.path.join(out, f"jpg{i}_{w}x{h}.jpg"), quality=quality,
                 **({"subsampling": subsampling} if mode == "RGB" else {}))
    print(f"wrote {len(sizes)} PNG and {len(jpegs)} JPEG images into {out}")


def fixture(out):
    rng = np.random.default_rng(7)
    h, w = 29, 41
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack([xx * 255 // (w - 1), yy * 255 // (h - 1), (3 * xx + 5 * yy) % 256], -1)
    img = Image.fromarray(np.clip(base + rng.integers(-60, 61, size=(h, w, 3)), 0, 255).astype(np.uint8), "RGB")
    png = os.path.join(out, "pillow_41x29.png")
    img.save(png)
    img = Image.open(png).convert("RGB")
    for side in (24, 16):
        with open(os.path.join(out, f"pillow_41x29.authors{side}.rgb"), "wb") as f:
            f.write(authors_eval(img, side).tobytes())
        with open(os.path.join(out, f"pillow_41x29.authors{side}_bilinear.rgb"), "wb") as f:
            f.write(authors_eval(img, side, interpolation=Image.BILINEAR).tobytes())
    with open(os.path.join(out, "pillow_41x29.squash24.rgb"), "wb") as f:
        f.write(np.asarray(img.resize((24, 24), Image.BILINEAR), dtype=np.uint8).tobytes())


def authors_eval(img, side, crop_pct=0.875, interpolation=Image.BICUBIC):
    """torchvision's Resize(int(side / crop_pct)) and CenterCrop(side) on a PIL image, as rules."""
    size = int(side / crop_pct)
    w, h = img.size
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = size, int(size * long / short)
    new_w, new_h = (new_short, new_long) if w <= h else (new_long, new_short)
    if (new_w, new_h) != (w, h):
        img = img.resize((new_w, new_h), interpolation)
    top = int(round((new_h - side) / 2.0))
    left = int(round((new_w - side) / 2.0))
    return np.asarray(img.crop((left, top, left + side, top + side)), dtype=np.uint8)


def normalise(pixels):
    """torchvision's ToTensor (x / 255 in float32) then Normalize ((x - mean) / std, float32)."""
    import torch
    x = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float().div(255)
    mean = torch.tensor(MEAN, dtype=torch.float32)[:, None, None]
    std = torch.tensor(STD, dtype=torch.float32)[:, None, None]
    return x.sub(mean).div(std).permute(1, 2, 0).numpy()


def check(folder, side, dump):
    got = load_file(dump)
    files = sorted(f for f in os.listdir(folder) if f.endswith((".png", ".jpg")))
    failures = 0
    worst_float = 0.0
    for f in files:
        img = Image.open(os.path.join(folder, f)).convert("RGB")
        want = authors_eval(img, side)
        squash = np.asarray(img.resize((side, side), Image.BILINEAR), dtype=np.uint8)
        for name, expected in ((f + "/authors", want), (f + "/squash", squash)):
            actual = got[name].astype(np.int64)
            diff = np.abs(actual - expected.astype(np.int64))
            if diff.max() != 0:
                failures += 1
                y, x, c = np.unravel_index(diff.argmax(), diff.shape)
                print(f"FAIL {name}: {int((diff > 0).sum())} values differ, most at (y {y}, x {x}, c {c}):"
                      f" Java {actual[y, x, c]}, Pillow {expected[y, x, c]}")
        d = float(np.abs(got[f + "/authors_normalised"] - normalise(want)).max())
        worst_float = max(worst_float, d)
        if d > 1e-6:
            failures += 1
            print(f"FAIL {f}/authors_normalised: differs from torch's ToTensor/Normalize by {d:.3g}")
    if len(files) == 0 or len(got) != 3 * len(files):
        print(f"FAIL {dump} holds {len(got)} tensors for {len(files)} images")
        failures += 1
    if failures == 0:
        print(f"PASS image preprocessing: {len(files)} images (PNG and JPEG), decoded, resized and cropped"
              f" 8-bit values equal to Pillow's"
              f" (bicubic shorter side to {int(side / 0.875)}, centre crop {side}; bilinear squash), normalised"
              f" within {worst_float:.2g}")
    return failures == 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "fixture":
        fixture(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        sys.exit(0 if check(sys.argv[2], int(sys.argv[3]), sys.argv[4]) else 1)
    else:
        sys.exit(__doc__)
