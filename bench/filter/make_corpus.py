#!/usr/bin/env python3
"""make_corpus.py: builds the filter test/benchmark corpus (JSONL documents)
from real text on every machine: the debian-handbook HTML in several locales,
the Python 3.11 docs HTML, and the Common Crawl WARC sample in ../shared/data.

A deliberately simple HTML-to-text step (stdlib html.parser): script/style/
nav/header/footer dropped, block elements end lines, <pre> kept verbatim.
It is independent of llmake-extract, so the filter tests do not depend on it.

usage: make_corpus.py OUT.jsonl [--limit N] [--locales a,b,...] [--every K]
  --every K keeps every K-th page (stable subsets for the test suite).
"""
import argparse
import gzip
import html.parser
import json
import os
import re
import sys

BLOCK = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table",
         "section", "article", "dd", "dt", "dl", "blockquote", "pre", "title", "td", "th", "hr"}
SKIP = {"script", "style", "nav", "header", "footer", "noscript", "head", "form", "aside", "svg"}

LOCALES = ["en-US", "de-DE", "fr-FR", "es-ES", "it-IT", "pt-BR", "ru-RU", "ja-JP", "zh-CN", "ar-MA",
           "nb-NO", "id-ID", "ca-ES", "fa-IR", "nl-NL", "pl-PL"]


class Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.skip, self.pre, self.title = [], 0, 0, ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        if tag == "pre":
            self.pre += 1
        if tag in BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in SKIP and self.skip:
            self.skip -= 1
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if self.skip:
            return
        if self.pre:
            self.out.append(data)
        else:
            self.out.append(re.sub(r"\s+", " ", data))

    def text(self):
        t = "".join(self.out)
        lines = [ln.strip() for ln in t.split("\n")]
        t = "\n".join(lines)
        t = re.sub(r"\n{3,}", "\n\n", t)
        return t.strip()


def html_text(raw: str) -> str:
    p = Text()
    try:
        p.feed(raw)
        p.close()
    except Exception:
        pass
    return p.text()


def warc_records(path):
    """Yields (headers, http_body) of response records (gzip, multi-member)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    pos = 0
    while True:
        i = data.find(b"WARC/1.", pos)
        if i < 0:
            return
        hend = data.find(b"\r\n\r\n", i)
        if hend < 0:
            return
        headers = {}
        for line in data[i:hend].split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
        n = int(headers.get("content-length", "0"))
        body = data[hend + 4:hend + 4 + n]
        pos = hend + 4 + n
        if headers.get("warc-type") == "response":
            yield headers, body


def cc_docs(path):
    for h, body in warc_records(path):
        head, _, payload = body.partition(b"\r\n\r\n")
        ctype = re.search(rb"(?i)content-type:\s*([^\r\n]*)", head)
        if not ctype or b"html" not in ctype.group(1).lower():
            continue
        cs = re.search(rb"(?i)charset=([\w-]+)", head + payload[:2048])
        enc = cs.group(1).decode() if cs else "utf-8"
        try:
            raw = payload.decode(enc, errors="replace")
        except LookupError:
            raw = payload.decode("utf-8", errors="replace")
        yield h.get("warc-record-id", ""), h.get("warc-target-uri", ""), html_text(raw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--locales", default=",".join(LOCALES))
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data"))
    a = ap.parse_args()
    docs = []
    hb = "/usr/share/doc/debian-handbook/html"
    for loc in a.locales.split(","):
        d = os.path.join(hb, loc)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith(".html"):
                docs.append(("handbook", os.path.join(d, name),
                             f"https://debian-handbook.info/browse/{loc}/stable/{name}"))
    py = "/usr/share/doc/python3.11/html"
    for root, dirs, files in sorted(os.walk(py)):
        dirs.sort()
        if "_static" in root or "_sources" in root:
            continue
        for name in sorted(files):
            if name.endswith(".html"):
                rel = os.path.relpath(os.path.join(root, name), py)
                docs.append(("python-docs", os.path.join(root, name), f"https://docs.python.org/3.11/{rel}"))
    n = 0
    with open(a.out, "w", encoding="utf-8") as out:
        for i, (src, path, url) in enumerate(docs):
            if i % a.every:
                continue
            with open(path, encoding="utf-8", errors="replace") as f:
                text = html_text(f.read())
            out.write(json.dumps({"text": text, "id": f"{src}:{url}", "metadata": {"url": url, "source": src}},
                                 ensure_ascii=False) + "\n")
            n += 1
            if a.limit and n >= a.limit:
                break
        warc = os.path.join(a.shared, "cc-main-2020-34-sample.warc.gz")
        if os.path.exists(warc) and not (a.limit and n >= a.limit):
            for rid, url, text in cc_docs(warc):
                out.write(json.dumps({"text": text, "id": rid, "metadata": {"url": url, "source": "cc"}},
                                     ensure_ascii=False) + "\n")
                n += 1
    print(f"{n} documents -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
