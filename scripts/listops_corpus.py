#!/usr/bin/env python3
"""Writes a ListOps text corpus for byte-level LMs: one expression per line, LRA's parentheses dropped.

    scripts/longshort generate-listops --out /tmp/lo --train 30000 --valid 100 --test 100 --min-length 10 --max-length 80
    python3 scripts/listops_corpus.py /tmp/lo/basic_train.tsv /tmp/listops_corpus.txt

"( ( [SM 4 ) ( ( [MAX 7 ) 0 ) ] ) 8 ) ]" (LRA's tokens) becomes "[SM 4 [MAX 7 0 ] 8 ]".
"""
import sys


def main():
    src, dst = sys.argv[1], sys.argv[2]
    n = 0
    with open(src, encoding="utf-8") as f, open(dst + ".tmp", "w", encoding="utf-8") as out:
        next(f)  # header: Source, Target
        for line in f:
            expression = line.rstrip("\n").split("\t")[0]
            out.write(" ".join(t for t in expression.split() if t not in ("(", ")")) + "\n")
            n += 1
    import os
    os.replace(dst + ".tmp", dst)
    print("%d expressions -> %s" % (n, dst))


if __name__ == "__main__":
    main()
