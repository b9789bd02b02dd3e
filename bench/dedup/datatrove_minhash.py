#!/usr/bin/env python3
"""datatrove_minhash.py: runs datatrove's four-stage MinHash dedup (the pinned
PyPI version, default MinhashConfig) on a folder of JSONL files, single
process, and prints a JSON summary: per-stage seconds, the removed documents
as (file index, document index in file) pairs in llmake's key order, and the
kept output.

usage: datatrove_minhash.py CORPUS_DIR WORK_DIR [--skip-filter]
"""
import argparse
import json
import os
import shutil
import struct
import sys
import time
import logging

from loguru import logger

from datatrove.executor.local import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                              MinhashDedupFilter, MinhashDedupSignature)
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("work")
    ap.add_argument("--skip-filter", action="store_true")
    a = ap.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    if os.path.exists(a.work):
        shutil.rmtree(a.work)
    files = sorted(f for f in os.listdir(a.corpus) if f.endswith(".jsonl"))
    counts = []
    for f in files:
        with open(os.path.join(a.corpus, f), encoding="utf-8") as fp:
            counts.append(sum(1 for _ in fp))
    cfg = MinhashConfig()  # datatrove defaults: 5-grams, 14 x 8, seed 1, xxhash 64-bit
    reader = lambda: JsonlReader(a.corpus, glob_pattern="*.jsonl")
    sig, buck, clus, out = (os.path.join(a.work, x) for x in ("sigs", "buckets", "remove", "out"))
    times = {}

    def run(name, pipeline, tasks=1):
        t = time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1,
                              logging_dir=os.path.join(a.work, "logs", name)).run()
        times[name] = time.perf_counter() - t

    run("signatures", [reader(), MinhashDedupSignature(output_folder=sig, config=cfg)])
    run("buckets", [MinhashDedupBuckets(input_folder=sig, output_folder=buck, config=cfg)],
        tasks=cfg.num_buckets)
    run("cluster", [MinhashDedupCluster(input_folder=buck, output_folder=clus, config=cfg)])
    if not a.skip_filter:
        run("filter", [reader(), MinhashDedupFilter(input_folder=clus),
                       JsonlWriter(out, compression=None)])
    removed = []
    rp = os.path.join(clus, "000000.remove")
    if os.path.exists(rp):
        data = open(rp, "rb").read()
        removed = [struct.unpack_from("<I", data, i)[0] for i in range(0, len(data), 4)]
    # global running index -> (file, doc)
    keys = []
    starts = [0]
    for c in counts:
        starts.append(starts[-1] + c)
    fi = 0
    for g in removed:
        while g >= starts[fi + 1]:
            fi += 1
        keys.append([fi, g - starts[fi]])
    print(json.dumps({"seconds": times, "total_seconds": sum(times.values()), "files": files,
                      "documents": starts[-1], "removed": keys}))


if __name__ == "__main__":
    main()
