#!/usr/bin/env python3
"""The peer: stream-read a JSONL.gz corpus with Python's gzip + json, parse
every document, and write it back with gzip at the same level."""
import gzip
import json
import sys

src, dst, level = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = 0
with gzip.open(src, "rt", encoding="utf-8") as fin, gzip.open(dst, "wt", encoding="utf-8", compresslevel=level) as fout:
    for line in fin:
        doc = json.loads(line)
        fout.write(json.dumps(doc, ensure_ascii=False) + "\n")
        n += 1
print(n, file=sys.stderr)
