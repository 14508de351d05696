"""Writes a tiny sentiment data set with string labels in the three forms `train --train-file`
reads: OUT/{train,valid}.jsonl, .csv (with a header) and .tfrecord (tf.Example), fields `review`
and `sentiment` ("neg"/"pos"). For tests/interop_python.sh: a user's own files, trained, exported
and asked in text."""
import csv
import json
import os
import random
import sys

import tensorflow as tf

GOOD = ["wonderful", "quiet", "moving", "bright", "a delight", "funny", "warm"]
BAD = ["dull", "loud", "two hours lost", "flat", "a mess", "tedious", "cold"]


def rows(n, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        pos = rnd.random() < 0.5
        words = rnd.sample(GOOD if pos else BAD, 3)
        out.append({"review": "The film was %s, %s and %s." % tuple(words), "sentiment": "pos" if pos else "neg"})
    return out


def main(out):
    os.makedirs(out, exist_ok=True)
    for split, n, seed in (("train", 64, 1), ("valid", 16, 2)):
        data = rows(n, seed)
        with open(os.path.join(out, split + ".jsonl"), "w") as f:
            for r in data:
                f.write(json.dumps(r) + "\n")
        with open(os.path.join(out, split + ".csv"), "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=["review", "sentiment"])
            w.writeheader()
            w.writerows(data)
        with tf.io.TFRecordWriter(os.path.join(out, split + ".tfrecord")) as w:
            for r in data:
                feats = {k: tf.train.Feature(bytes_list=tf.train.BytesList(value=[v.encode()])) for k, v in r.items()}
                w.write(tf.train.Example(features=tf.train.Features(feature=feats)).SerializeToString())


if __name__ == "__main__":
    main(sys.argv[1])
