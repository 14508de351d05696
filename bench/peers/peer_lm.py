#!/usr/bin/env python3
"""The authors' LM block step (THEIR TransformerLSModel, autoregressive/model_lib of
NVIDIA/transformer-ls) against ours (io.longshort.bench.PeerLmBench, a Java process driven over a
pipe) on the same shapes, in the same run: rounds interleave the two sides (theirs, ours, per case
and mode), and each figure is the fastest of the rounds. fp32, batch 1, window 512, chunk 16,
rank 1, vocab 256, the cache (NL, 1, L, D) fed in as random hidden states; forward (theirs in
eval mode under no_grad, ours the inference graph) and forward + backward (loss and every
parameter's gradient, dropout 0).

    python3 bench/peers/peer_lm.py --authors /work/peers/transformer-ls --java-cp 'target/longshort.jar:target/lib/*' \
        --out bench/peers/results.md

It fetches nothing: --authors is a checkout of their repository (bench/peers/README.md). Their
code imports two fairseq modules; they are stubbed by scripts/make_fairseq_fixture.load_authors
with torch's own (fairseq's LayerNorm is torch.nn.LayerNorm, its gelu the erf GELU). Their math is
not changed.
"""
import argparse
import os
import sys
import time

# peers_common sets OMP_WAIT_POLICY=PASSIVE before torch loads: with spinning (ACTIVE) OpenMP threads,
# theirs ran 5-10x slower on a loaded machine (2 cores, load 10). Set it yourself to compare.
from peers_common import JavaPeer, cpu_line, interleaved, load_average, pin_threads, shown_args  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from make_fairseq_fixture import load_authors  # noqa: E402

SMALL = dict(layers=2, width=256, heads=4, inner=1024)
PAPER = dict(layers=12, width=512, heads=8, inner=2048)
VOCAB = 256


class Theirs:
    """Their model at one shape, a random cache and ids; one run per call, in ms."""

    def __init__(self, model_cls, layers, width, heads, inner, block, mem_len):
        torch.manual_seed(0)
        self.model = model_cls(vocab_size=VOCAB, d_model=width, d_inner=inner, n_head=heads, n_layer=layers,
                               mem_len=mem_len, emb_dropout=0.0, chunk_rank=1, chunk_size=16, window_len=512,
                               dropout=0.0, use_bias=False, pre_ln=True, use_gelu=True, grad_chk=False,
                               clamp_len=-1, cpos_clamp_len=-1)
        g = torch.Generator().manual_seed(1)
        self.cache = [torch.randn(1, mem_len, width, generator=g) for _ in range(layers)]
        self.ids = torch.randint(0, VOCAB, (1, block), generator=g)
        self.run("fwd")
        self.run("train")

    def run(self, mode):
        t0 = time.perf_counter()
        if mode == "fwd":
            self.model.eval()
            with torch.no_grad():
                self.model(self.ids, self.cache)
        else:
            self.model.train()
            self.model.zero_grad(set_to_none=True)
            out, _, _ = self.model(self.ids, self.cache)
            F.nll_loss(out.reshape(-1, VOCAB), self.ids.reshape(-1)).backward()
        return (time.perf_counter() - t0) * 1e3

    def flops(self):
        """Matrix-product FLOPs of their forward + backward (torch's FlopCounterMode: 2 per multiply-add)."""
        self.model.train()
        self.model.zero_grad(set_to_none=True)
        with FlopCounterMode(display=False) as counter:
            out, _, _ = self.model(self.ids, self.cache)
            F.nll_loss(out.reshape(-1, VOCAB), self.ids.reshape(-1)).backward()
        return counter.get_total_flops()


def torch_matmul_ms(n, runs=5):
    """Their matmul line: the fastest of `runs` (n, n) float32 products after one warm-up."""
    a = torch.randn(n, n)
    a @ a
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


class Ours(JavaPeer):
    """PeerLmBench over a pipe."""

    def __init__(self, java, cp, pin):
        super().__init__("PeerLmBench", java, cp, pin)

    def build(self, name, layers, width, heads, inner, block, mem_len):
        self.ask(f"build {name} {layers} {width} {heads} {inner} {block} {mem_len}")

    def matmul_ms(self, n):
        """Our matmul line (MatmulReference, XLA off): the fastest of 5 (n, n) float32 products."""
        return float(self.ask(f"matmul {n}")[0][1])

    def close(self, name):
        self.ask(f"close {name}")


def target(size, block, theirs_ms):
    """#26's target for our forward + backward: 0.8x theirs at block 256, 0.6x at 2048 (the small size)."""
    factor = {256: 0.8, 2048: 0.6}.get(block) if size == SMALL else None
    return f"{factor}x = {factor * theirs_ms:.1f}" if factor else "-"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--authors", required=True, help="checkout of NVIDIA/transformer-ls (commit 1527c5c)")
    p.add_argument("--java-cp", required=True)
    p.add_argument("--java", default="java")
    p.add_argument("--out", required=True)
    p.add_argument("--blocks", default="256,1024,2048")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--paper-rounds", type=int, default=3, help="rounds at the paper's size (0: skip it)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mem-len", type=int, default=2048)
    p.add_argument("--matmul", type=int, default=2048, help="size of the square products timed as the matmul line")
    a = p.parse_args()
    folder = os.path.join(a.authors, "autoregressive", "model_lib")
    if not os.path.isfile(os.path.join(folder, "model.py")):
        sys.exit(f"--authors: {a.authors} has no autoregressive/model_lib/model.py; see bench/peers/README.md")
    model_cls = load_authors(folder)
    pin = pin_threads(torch, a.threads)
    ours = Ours(a.java, a.java_cp, pin)
    load_start = load_average()
    started = time.time()
    rows = []
    # the matmul lines, each side's fastest square float32 product in GFLOP/s, timed before and
    # after the cases (the faster of the two), so the floors below use this run's machine state
    line = {"theirs": 2.0 * a.matmul ** 3 / torch_matmul_ms(a.matmul) / 1e6,
            "ours": 2.0 * a.matmul ** 3 / ours.matmul_ms(a.matmul) / 1e6}
    cases = [(dict(SMALL), int(b), a.rounds) for b in a.blocks.split(",")]
    if a.paper_rounds > 0:
        cases.append((dict(PAPER), 2048, a.paper_rounds))
    for size, block, rounds in cases:
        name = f"L{size['layers']}_D{size['width']}_M{block}"
        print(f"building {name}", file=sys.stderr, flush=True)
        theirs = Theirs(model_cls, block=block, mem_len=a.mem_len, **size)
        ours.build(name, size["layers"], size["width"], size["heads"], size["inner"], block, a.mem_len)
        best = interleaved(theirs, ours, name, rounds, ("fwd", "train"))
        flops = theirs.flops()
        ours.close(name)
        del theirs
        row = (size, block, rounds, best, flops)
        rows.append(row)
        print(name, {f"{k[0]} {k[1]}": round(v, 1) for k, v in best.items()}, file=sys.stderr, flush=True)
    line["theirs"] = max(line["theirs"], 2.0 * a.matmul ** 3 / torch_matmul_ms(a.matmul) / 1e6)
    line["ours"] = max(line["ours"], 2.0 * a.matmul ** 3 / ours.matmul_ms(a.matmul) / 1e6)
    ours.quit()
    lines = [
        "# The authors' LM block step: theirs against ours, same run",
        "",
        "Command: `scripts/bench_peers.sh AUTHORS OUT` = `" + " ".join(["peer_lm.py"] + shown_args()) + "`",
        f"Load average (1 min) at the start: {load_start}, at the end: {load_average()}; {os.cpu_count()} CPUs;"
        f" {a.threads} threads each side{' (both pinned to CPUs ' + pin[2] + ')' if pin else ''};"
        f" torch {torch.__version__}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; {time.time() - started:.0f} s.",
        cpu_line(),
        "",
        "fp32, batch 1, window 512, chunk 16, rank 1, vocab 256, cache (mem_len) " + str(a.mem_len) + ", random cache"
        " fed in. fwd: theirs eval + no_grad, ours the inference graph; fwd+bwd: loss and every parameter's"
        " gradient (dropout 0), ours XLA off with compiled LayerNorm/GELU/dropout pieces as `train` builds it."
        " Fastest of the rounds; a round runs theirs then ours, forward then forward+backward.",
        "",
        "| layers | d | heads | FFN | block | rounds | theirs fwd ms | ours fwd ms | ours/theirs fwd"
        " | theirs fwd+bwd ms | ours fwd+bwd ms | ours/theirs fwd+bwd |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    floors = [
        "",
        f"The FLOP floor: matrix-product GFLOP of their forward + backward (torch's FlopCounterMode, 2 per"
        f" multiply-add; ours does the same products but for its narrower window tiles, bench/peers/README.md),"
        f" and the time they take at each side's matmul line: the fastest ({a.matmul}, {a.matmul}) float32 product"
        f" of this run, torch {line['theirs']:.1f} GFLOP/s, TF (MatmulReference, oneDNN) {line['ours']:.1f} GFLOP/s.",
        "",
        "| layers | d | block | GFLOP fwd+bwd | floor at torch's line ms | theirs / that floor"
        " | floor at TF's line ms | ours / that floor | #26's target ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size, block, rounds, best, flops in rows:
        torch_floor = flops / line["theirs"] / 1e6
        tf_floor = flops / line["ours"] / 1e6
        floors.append(f"| {size['layers']} | {size['width']} | {block} | {flops / 1e9:.1f} | {torch_floor:.1f}"
                      f" | {best[('theirs', 'train')] / torch_floor:.2f} | {tf_floor:.1f}"
                      f" | {best[('ours', 'train')] / tf_floor:.2f} | {target(size, block, best[('theirs', 'train')])} |")
    for size, block, rounds, best, flops in rows:
        tf_, of_ = best[("theirs", "fwd")], best[("ours", "fwd")]
        tt, ot = best[("theirs", "train")], best[("ours", "train")]
        lines.append(f"| {size['layers']} | {size['width']} | {size['heads']} | {size['inner']} | {block} | {rounds}"
                     f" | {tf_:.1f} | {of_:.1f} | {of_ / tf_:.2f}x | {tt:.1f} | {ot:.1f} | {ot / tt:.2f}x |")
    text = "\n".join(lines + floors) + "\n"
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, a.out)
    print(text)


if __name__ == "__main__":
    main()
