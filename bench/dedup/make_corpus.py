#!/usr/bin/env python3
"""make_corpus.py: builds a JSONL corpus of real documents from Debian HTML docs.

Sources (Debian packages): debian-handbook (all 26 locales: about half are
English fallback, i.e. real near-duplicates of en-US), python3.11-doc and, when
installed, linux-doc-6.1.  Text is extracted with a deliberately simple HTML
to text converter (skip <script>/<style>/<head>, newline at block tags, entities
decoded).  Documents are written round-robin into --shards files so that
every shard mixes sources; the order is deterministic (sorted paths).

usage: make_corpus.py OUTDIR [--shards N] [--max-docs N] [--sources a,b,c]
                      [--locales en-US,da-DK] [--pages N]
"""
import argparse
import html
import html.parser
import json
import os
import sys

SOURCES = {
    "handbook": "/usr/share/doc/debian-handbook/html",
    "python": "/usr/share/doc/python3.11/html",
    "linux": "/usr/share/doc/linux-doc-6.1/html",
}

BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr",
         "table", "section", "dt", "dd", "blockquote", "title", "hr"}
SKIP = {"script", "style", "head", "nav"}


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        elif tag in BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(raw):
    p = Text()
    p.feed(raw)
    p.close()
    lines = [" ".join(line.split()) for line in "".join(p.out).split("\n")]
    text, blank = [], False
    for line in lines:
        if line:
            text.append(line)
            blank = False
        elif not blank and text:
            text.append("")
            blank = True
    return "\n".join(text).strip()


def iter_docs(sources, locales=None, pages=0):
    for name in sources:
        root = SOURCES[name]
        if not os.path.isdir(root):
            print(f"make_corpus: {root} missing (apt-get install the package); skipped", file=sys.stderr)
            continue
        paths = []
        for d, _, files in os.walk(root):
            for f in files:
                if f.endswith(".html"):
                    paths.append(os.path.join(d, f))
        if name == "handbook" and (locales or pages):
            names = sorted({os.path.basename(p) for p in paths if "/en-US/" in p})
            keep_names = set(names[:pages] if pages else names)
            paths = [p for p in paths if os.path.basename(p) in keep_names and
                     (not locales or os.path.relpath(p, root).split("/")[0] in locales)]
        for path in sorted(paths):
            with open(path, encoding="utf-8", errors="replace") as fp:
                text = html_to_text(fp.read())
            rel = os.path.relpath(path, root)
            meta = {"source": name}
            if name == "handbook":
                meta["locale"] = rel.split("/")[0]
            yield {"text": text, "id": f"{name}/{rel}", "metadata": meta}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--max-docs", type=int, default=0)
    ap.add_argument("--sources", default="handbook,python,linux")
    ap.add_argument("--locales", default="", help="handbook locales to keep (default: all)")
    ap.add_argument("--pages", type=int, default=0, help="handbook pages per locale (first N by name)")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    outs = [open(os.path.join(a.outdir, f"corpus-{i:02d}.jsonl"), "w", encoding="utf-8") for i in range(a.shards)]
    n = 0
    locales = set(a.locales.split(",")) if a.locales else None
    for doc in iter_docs(a.sources.split(","), locales, a.pages):
        if not doc["text"]:
            continue
        outs[n % a.shards].write(json.dumps(doc, ensure_ascii=False) + "\n")
        n += 1
        if a.max_docs and n >= a.max_docs:
            break
    for o in outs:
        o.close()
    print(f"make_corpus: {n} documents in {a.shards} files under {a.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
