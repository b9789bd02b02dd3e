#!/usr/bin/env python3
"""corpus.py: builds the >= 100 MB benchmark corpus from real text on the
machine (Debian packages): debian-handbook pages in 26 locales (HTML tags
stripped), the Python 3.11 documentation sources (reST) and the Linux
kernel documentation (reST and translations).  One document per file.

    corpus.py OUT_DIR [MIN_MB]   writes OUT_DIR/corpus.jsonl and OUT_DIR/docs.txt
"""
import gzip
import json
import os
import re
import sys

SOURCES = [
    "/usr/share/doc/debian-handbook/html",
    "/usr/share/doc/python3.11/html/_sources",
    "/usr/share/doc/linux-doc-6.1/Documentation",
    "/usr/share/doc/python3.11/html",
    "/usr/share/man",
    "/usr/share/doc",
]
TAG = re.compile(r"<[^>]*>")


def files():
    for root in SOURCES:
        for d, _, names in sorted(os.walk(root)):
            for n in sorted(names):
                if n.endswith((".html", ".txt", ".rst", ".rst.gz", ".txt.gz")) or (
                        root == "/usr/share/man" and n.endswith(".gz")) or n.startswith("changelog"):
                    yield os.path.join(d, n)


def build(out_dir, min_mb=105):
    os.makedirs(out_dir, exist_ok=True)
    jpath = os.path.join(out_dir, "corpus.jsonl")
    if os.path.exists(jpath) and os.path.getsize(jpath) > min_mb * 1e6:
        return jpath
    total = 0
    seen = set()
    with open(jpath + ".tmp", "w", encoding="utf-8") as f:
        for p in files():
            real = os.path.realpath(p)
            if real in seen:
                continue
            seen.add(real)
            try:
                with open(p, "rb") as fh:
                    raw = fh.read()
                if p.endswith(".gz"):
                    raw = gzip.decompress(raw)
                text = raw.decode("utf-8")
            except (OSError, UnicodeDecodeError, EOFError, gzip.BadGzipFile):
                continue
            if p.endswith(".html"):
                text = TAG.sub(" ", text)
            if len(text) < 200:
                continue
            f.write(json.dumps({"id": p, "text": text}, ensure_ascii=False) + "\n")
            total += len(text.encode())
            if total >= min_mb * 1e6:
                break
    os.rename(jpath + ".tmp", jpath)
    return jpath


def load_docs(jpath):
    with open(jpath, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f]


if __name__ == "__main__":
    p = build(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 105)
    docs = load_docs(p)
    print(p, len(docs), "documents", sum(len(d.encode()) for d in docs) / 1e6, "MB")
