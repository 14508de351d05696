#!/usr/bin/env python3
"""The authors' LRA code (lra/ of NVIDIA/transformer-ls) against ours, in the same run, interleaved
rounds (theirs, then ours, per case), fastest of the rounds each side:

- listops: one full training step (forward, backward, AdamW update) at their ListOps setting
  (run_listops.sh / run_tasks.py: ModelForSC, attention lsta, 2 layers, dim 64, 2 heads of 32,
  FFN 128, (w, r) = (16, 2), N 2048, batch 32, --cls_last_layer, dropout 0 and attention dropout 0,
  AdamW lr 1e-4 eps 1e-6 wd 0 with their OneCycleLR), in tokens/s. Ours: the training step
  `train --spec lra_listops --length 2048 --batch 32` builds (io.longshort.bench.PeerLraBench).
- layer: the bidirectional long-short layer alone (their AttentionLS with its projections; ours
  bench/LayerBench's long_short case), forward and forward + backward (gradients of sum(y * dy)
  with respect to x and every weight), d 256, 4 heads, w 128, r 64, N 4096, batch 1.

    python3 bench/peers/peer_lra.py --authors /work/peers/transformer-ls \\
        --java-cp 'target/longshort.jar:target/lib/*' --out bench/peers/lra-results.md

It fetches nothing: --authors is a checkout of their repository at 1527c5c (bench/peers/README.md).
Their lra/ code needs no fairseq; it is imported as is and run in fp32 on the CPU (their
mixed_precision is CUDA autocast, off on a CPU).
"""
import argparse
import os
import sys
import time
from types import SimpleNamespace

# peers_common sets OMP_WAIT_POLICY=PASSIVE before torch loads (bench/peers/README.md)
from peers_common import JavaPeer, cpu_line, interleaved, load_average, pin_threads, shown_args  # noqa: E402
import torch  # noqa: E402

LISTOPS = dict(length=2048, batch=32)
LAYER = dict(n=4096, batch=1, width=256, heads=4, window=128, rank=64)


def listops_config(vocab, length):
    """run_tasks.py's args for run_listops.sh with (w, r) = (16, 2) and their defaults for the rest."""
    return SimpleNamespace(
        model="lsta", attn_type="lsta", num_landmarks=2, window_size=16, conv_kernel_size=-1, learn_pos_emb=1,
        tied_weights=False, embedding_dim=64, transformer_dim=64, transformer_hidden_dim=128, head_dim=32,
        num_head=2, num_layers=2, vocab_size=vocab, max_seq_len=length, dropout_prob=0.0, attention_dropout=0.0,
        pooling_mode="MEAN", num_classes=10, cls_token=False, cls_last_layer=True, debug=False, fp32_attn=False,
        attention_grad_checkpointing=False, mixed_precision=False)


class TheirListOps:
    """ModelForSC, AdamW and OneCycleLR as run_tasks.py builds them; step() is their train step."""

    def __init__(self, lra, vocab, length, batch):
        from model_wrapper import ModelForSC
        torch.manual_seed(0)
        self.model = ModelForSC(listops_config(vocab, length))
        self.model.train()
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=1e-4, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.0)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(optimizer=self.opt, max_lr=1e-4, pct_start=1000 / 5000,
                                                         anneal_strategy="linear", total_steps=5000)
        g = torch.Generator().manual_seed(1)
        self.ids = torch.randint(1, 18, (batch, length), generator=g)
        self.mask = torch.ones(batch, length, dtype=torch.long)
        self.label = torch.randint(0, 10, (batch,), generator=g)
        self.run("step")

    def shapes(self):
        return {name: list(p.shape) for name, p in self.model.named_parameters()}

    def run(self, mode):
        t0 = time.perf_counter()
        self.opt.zero_grad()
        out = self.model(self.ids, self.mask, self.label)
        out["loss"].mean().backward()
        self.opt.step()
        self.sched.step()
        return (time.perf_counter() - t0) * 1e3


class TheirLayer:
    """AttentionLS with its projections (W_q, W_k, W_v, dconv_fc, dual LNs, W_o), no CLS, no padding."""

    def __init__(self, lra, n, batch, width, heads, window, rank):
        from attention_transformer_ls import AttentionLS
        torch.manual_seed(0)
        cfg = SimpleNamespace(pooling_mode="MEAN", cls_token=False, num_head=heads, head_dim=width // heads,
                              num_landmarks=rank, max_seq_len=n, transformer_dim=width, attention_dropout=0.0,
                              window_size=window, fp32_attn=False, conv_kernel_size=-1)
        self.layer = AttentionLS(cfg)
        g = torch.Generator().manual_seed(1)
        self.x = torch.randn(batch, n, width, generator=g)
        self.dy = torch.randn(batch, n, width, generator=g)
        self.mask = torch.ones(batch, n, dtype=torch.long)
        self.run("fwd")
        self.run("train")

    def run(self, mode):
        t0 = time.perf_counter()
        if mode == "fwd":
            self.layer.eval()
            with torch.no_grad():
                self.layer(self.x, self.mask)
        else:
            self.layer.train()
            self.layer.zero_grad(set_to_none=True)
            x = self.x.detach().requires_grad_(True)
            (self.layer(x, self.mask) * self.dy).sum().backward()
        return (time.perf_counter() - t0) * 1e3


class Ours(JavaPeer):
    """PeerLraBench over a pipe."""

    def __init__(self, java, cp, pin):
        super().__init__("PeerLraBench", java, cp, pin)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--authors", required=True, help="checkout of NVIDIA/transformer-ls (commit 1527c5c)")
    p.add_argument("--java-cp", required=True)
    p.add_argument("--java", default="java")
    p.add_argument("--out", required=True)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cases", default="listops,layer")
    p.add_argument("--their-vocab", type=int, default=18,
                   help="their embedding rows: 18 = our lra_listops vocabulary, so that every shape matches;"
                        " run_tasks.py's default is 512 (unused rows, same compute apart from their AdamW update)")
    a = p.parse_args()
    lra = os.path.join(a.authors, "lra")
    if not os.path.isfile(os.path.join(lra, "attention_transformer_ls.py")):
        sys.exit(f"--authors: {a.authors} has no lra/attention_transformer_ls.py; see bench/peers/README.md")
    sys.path.insert(0, lra)
    pin = pin_threads(torch, a.threads)
    ours = Ours(a.java, a.java_cp, pin)
    load_start = load_average()
    started = time.time()
    cases = a.cases.split(",")
    lines_out = []
    shape_note = ""
    if "listops" in cases:
        theirs = TheirListOps(lra, a.their_vocab, **LISTOPS)
        reply, before = ours.ask(f"listops listops {LISTOPS['length']} {LISTOPS['batch']}")
        our_shapes = {}
        for ln in before:
            f = ln.split()
            if f and f[0] == "param":
                our_shapes[f[1]] = [int(v) for v in f[2].strip("[]").split(",")]
        their_shapes = theirs.shapes()
        their_count = sum(int(torch.tensor(s).prod()) for s in their_shapes.values())
        diff = sorted(k for k in set(our_shapes) | set(their_shapes) if our_shapes.get(k) != their_shapes.get(k))
        shape_note = (f"Parameters: theirs {their_count} in {len(their_shapes)} tensors, ours {reply[2]} in"
                      f" {len(our_shapes)}; " + ("every name and shape the same." if not diff else
                                                 "differing: " + ", ".join(
                                                     f"{k} theirs {their_shapes.get(k)} ours {our_shapes.get(k)}"
                                                     for k in diff)))
        print(shape_note, file=sys.stderr, flush=True)
        best = interleaved(theirs, ours, "listops", a.rounds, ("step",))
        del theirs
        tokens = LISTOPS["length"] * LISTOPS["batch"]
        t, o = best[("theirs", "step")], best[("ours", "step")]
        flops = float(ours.ask(f"flops listops {LISTOPS['length']} {LISTOPS['batch']}")[0][1])
        lines_out.append((f"| ListOps training step (N {LISTOPS['length']}, batch {LISTOPS['batch']}) | {a.rounds}"
                          f" | {t:.1f} | {o:.1f} | {o / t:.2f}x | {tokens / t * 1e3:,.0f} | {tokens / o * 1e3:,.0f}"
                          f" | {t / o:.2f}x", flops))
        print(lines_out[-1][0], file=sys.stderr, flush=True)
    if "layer" in cases:
        theirs = TheirLayer(lra, **LAYER)
        ours.ask("layer layer {n} {batch} {width} {heads} {window} {rank}".format(**LAYER))
        best = interleaved(theirs, ours, "layer", a.rounds, ("fwd", "train"))
        del theirs
        tokens = LAYER["n"] * LAYER["batch"]
        train_flops = float(ours.ask("flops layer {n} {batch} {width} {heads} {window} {rank}".format(**LAYER))[0][1])
        for m, label, flops in (("fwd", "forward", train_flops / 3), ("train", "forward + backward", train_flops)):
            t, o = best[("theirs", m)], best[("ours", m)]
            lines_out.append((f"| layer {label} (N {LAYER['n']}, batch {LAYER['batch']}) | {a.rounds} | {t:.1f}"
                              f" | {o:.1f} | {o / t:.2f}x | {tokens / t * 1e3:,.0f} | {tokens / o * 1e3:,.0f}"
                              f" | {t / o:.2f}x", flops))
            print(lines_out[-1][0], file=sys.stderr, flush=True)
    # the matmul line, measured after the cases (same process, same pinning)
    gflops = float(ours.ask("floor")[0][1])
    ours.quit()
    lines = [
        "# The authors' LRA code: theirs against ours, same run",
        "",
        "Command: `scripts/bench_peers.sh --lra AUTHORS OUT` = `" + " ".join(["peer_lra.py"] + shown_args()) + "`",
        f"Load average (1 min) at the start: {load_start}, at the end: {load_average()}; {os.cpu_count()} CPUs;"
        f" {a.threads} threads each side{' (both pinned to CPUs ' + pin[2] + ')' if pin else ''};"
        f" torch {torch.__version__}, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}; {time.time() - started:.0f} s.",
        cpu_line(),
        "",
        "fp32, no padding, dropout 0. ListOps: their ModelForSC (lsta, 2 x 64, 2 heads, FFN 128, w 16, r 2,"
        " cls_last_layer) with AdamW + OneCycleLR against `train --spec lra_listops --length 2048 --batch 32`'s"
        " step (XLA off), each a full step: forward, backward, update. Layer: their AttentionLS against our"
        " long_short layer, d 256, 4 heads, w 128, r 64; forward + backward = gradients of sum(y * dy) for x and"
        " every weight. Fastest of the rounds; a round runs theirs then ours.",
        f"Floor: the case's matrix-product FLOPs (io.longshort.bench.Flops; backward = 2x forward) at this"
        f" machine's matmul line, {gflops:.1f} GFLOP/s (a 2048 x 2048 float32 product, XLA off, ours), measured in"
        f" the same run.",
        "",
    ]
    if max(float(load_start), float(load_average())) > a.threads:
        lines += [f"**Measured under load** (more runnable threads than the {a.threads} CPUs used): the ratios"
                  " are indicative only; rerun on a quiet machine for final numbers.", ""]
    if shape_note:
        lines += [shape_note, ""]
    lines += ["| case | rounds | theirs ms | ours ms | ours/theirs time | theirs tokens/s | ours tokens/s"
              " | ours/theirs tokens/s | GFLOP | floor ms |", "|---|---|---|---|---|---|---|---|---|---|"]
    lines += [f"{row} | {flops / 1e9:.2f} | {flops / gflops / 1e6:.1f} |" for row, flops in lines_out]
    text = "\n".join(lines) + "\n"
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, a.out)
    print(text)


if __name__ == "__main__":
    main()
