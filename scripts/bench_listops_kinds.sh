#!/usr/bin/env bash
# ListOps accuracy of every attention kind at one shared budget: the quickstart's data and training
# command (the authors' 2 x 64 ListOps model, 600 updates of batch 32 at length 500, lr 1e-3 with
# 60 warm-up steps, dropout 0.1), with `train --attention KIND` as the only difference; each run's
# best validation checkpoint is evaluated on the test split. Writes OUT/results.md (and the logs).
#   scripts/bench_listops_kinds.sh [OUT] [KINDS]
#     OUT    results folder (default: bench/listops_kinds)
#     KINDS  comma-separated (default: long_short,full,linformer,nystrom,performer,longformer,bigbird)
#   STEPS=N  updates (default: 600, the quickstart's)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/bench/listops_kinds}"
kinds="${2:-long_short,full,linformer,nystrom,performer,longformer,bigbird}"
steps="${STEPS:-600}"
seed=7
mkdir -p "$out"
out="$(cd "$out" && pwd)"
ls="$root/scripts/longshort"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
started="$(date -u +%Y-%m-%dT%H:%M)"
load="$(cut -d' ' -f1 /proc/loadavg)"

# the quickstart's data: 8000 / 500 / 500 expressions of 50-500 tokens
"$ls" generate-listops --out "$work/data" --train 8000 --valid 500 --test 500 --min-length 50 --max-length 500 \
  --seed "$seed" >"$out/generate.log" 2>&1

rows=""
IFS=, read -ra list <<<"$kinds"
for kind in "${list[@]}"; do
  run="$work/run-$kind"
  t0=$(date +%s)
  shape=()
  [[ "$kind" == long_short ]] && shape=(--window 16 --rank 2)   # the others take their LRA defaults
  "$ls" train --spec lra_listops --attention "$kind" "${shape[@]}" --listops "$work/data" --length 500 \
    --batch 32 --steps "$steps" --eval-every $((steps / 4)) --eval-batches 8 --checkpoint-every $((steps / 4)) \
    --lr 1e-3 --warmup $((steps / 10)) --seed "$seed" --run "$run" >"$out/train-$kind.log" 2>&1
  t1=$(date +%s)
  "$ls" eval --run "$run" --checkpoint best --listops "$work/data" --split test >"$out/eval-$kind.log" 2>&1
  best="$(python3 -c 'import json,sys; b=json.load(open(sys.argv[1])); print("%d %s %.4f" % (b["step"], b["metric"], b["value"]))' "$run/best.json")"
  test_acc="$(grep -o 'accuracy [0-9.]*' "$out/eval-$kind.log" | tail -1 | cut -d' ' -f2)"
  # "long_short attention (w=16, r=2)" from train's model line; the median of its tok/s readings
  what="$(grep -m1 '^model ' "$out/train-$kind.log" | grep -o '[a-z_]* attention ([^)]*)\|[a-z_]* attention' | head -n 1 || true)"
  tps="$(grep -o '[0-9,]* tok/s' "$out/train-$kind.log" | tr -d , | cut -d' ' -f1 | sort -n \
    | awk '{v[NR] = $1} END {if (NR) printf "%d", v[int((NR + 1) / 2)]}')"
  read -r bstep bmetric bvalue <<<"$best"
  rows+="| $kind | ${what:-$kind} | $(python3 -c "print('%.1f %%' % (100 * $test_acc))") | $bmetric $bvalue at step $bstep | ${tps:-?} | $((t1 - t0)) |"$'\n'
  echo "$kind: test accuracy $test_acc (best validation $bmetric $bvalue at step $bstep), $((t1 - t0)) s" >&2
done

majority="$(python3 - "$work/data/basic_test.tsv" <<'PY'
import collections, sys
labels = [line.rstrip("\n").split("\t")[-1] for line in open(sys.argv[1]) if line.strip()][1:]  # Source<TAB>Target
c = collections.Counter(labels)
print("%.1f %% (class %s of %d rows)" % (100 * c.most_common(1)[0][1] / len(labels), c.most_common(1)[0][0], len(labels)))
PY
)"

tmp="$out/.results.md.tmp"
cat >"$tmp" <<MD
# ListOps accuracy of every attention kind at one shared budget (issue 15)

Made by \`scripts/bench_listops_kinds.sh\` on $started UTC (load average $load at the start, 2 CPUs).

Budget: the quickstart's setting for every kind, \`train --attention KIND\` the only difference:
generated ListOps (8000 / 500 / 500 expressions of 50-500 tokens, seed $seed), the authors' 2 x 64
ListOps model at length 500, $steps updates of batch 32, AdamW lr 1e-3 with $((steps / 10)) warm-up steps
and linear decay, dropout 0.1, validation on 8 batches every $((steps / 4)) updates. Long-short
(w, r) = (16, 2); the other kinds take the authors' LRA defaults (linformer rank 256, nystrom
landmarks 128, performer 256 ReLU features, longformer window 16, bigbird blocks of 16 with 3
random). Test accuracy: \`eval --checkpoint best --split test\` (the best validation checkpoint).
A classifier that always answers the majority class gets $majority.

| kind | attention (as train prints it) | test accuracy | best validation checkpoint | median tokens/s | train s |
|---|---|---|---|---|---|
$rows
Tokens/s (the median of \`train\`'s readings) and train seconds (wall-clock, with the validation
passes and checkpoints) are for orientation only, on a machine that may be shared; speed is
measured by \`bench\` (\`bench/attention/\`).
MD
mv "$tmp" "$out/results.md"
cat "$out/results.md"
