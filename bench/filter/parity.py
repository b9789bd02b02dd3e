#!/usr/bin/env python3
"""parity.py: llmake-filter against datatrove (the pinned PyPI release) on the
same documents, filter by filter, and fastText language ID against the
fastText reference.

usage: parity.py CORPUS.jsonl --bin DIR --model lid.176.ftz [--report FILE]
                 [--min-agree 0.99] [--urls N] [--json OUT]

Each filter runs alone on every document (so every document tests every
filter), with the same settings on both sides: datatrove's defaults, except
C4 without the terminal-punctuation rule (FineWeb's setting, our default)
and the language filter keeping ["en"] at 0.65.  The URL filter runs on a
separate URL set: the corpus URLs, URLs built from a fixed sample of the
blocklisted domains, and URLs carrying banned / soft-banned words.
Exit status 1 when a filter agrees on fewer than --min-agree of documents, or
when fastText labels agree on fewer than 99.5% / scores differ by > 1e-4.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
import time

import datatrove
from datatrove.data import Document

HERE = os.path.dirname(os.path.abspath(__file__))


def dt_assets():
    return os.path.join(os.path.dirname(datatrove.__file__), "assets")


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def make_dt_filter(name, model):
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter, LanguageFilter, URLFilter)
    from datatrove.pipeline.formatters import PIIFormatter
    if name == "gopher_quality":
        return GopherQualityFilter()
    if name == "gopher_repetition":
        return GopherRepetitionFilter()
    if name == "c4":
        return C4QualityFilter(filter_no_terminal_punct=False)
    if name == "fineweb_quality":
        return FineWebQualityFilter()
    if name == "language":
        import fasttext
        f = LanguageFilter(languages=["en"])
        f.model._model = fasttext.FastText._FastText(model_path=model)
        return f
    if name == "url":
        from tldextract import TLDExtract
        f = URLFilter()
        f.tldextractor = TLDExtract(suffix_list_urls=())  # offline: the bundled snapshot
        return f
    if name == "pii":
        return PIIFormatter()
    raise ValueError(name)


def run_dt(name, docs, model):
    """Returns ({id: (keep, reason, text, meta)}, seconds)."""
    f = make_dt_filter(name, model)
    res = {}
    t0 = time.perf_counter()
    for d in docs:
        doc = Document(text=d["text"], id=d["id"], metadata=dict(d.get("metadata") or {}))
        if name == "pii":
            f.emails_replacer._replace_i = 0  # llmake restarts the rotation per document
            f.ip_replacer._replace_i = 0
            res[d["id"]] = (True, None, f.format(doc.text), doc.metadata)
            continue
        r = f.filter(doc)
        keep, reason = (r, None) if not isinstance(r, tuple) else r
        res[d["id"]] = (bool(keep), reason, doc.text, doc.metadata)
    return res, time.perf_counter() - t0


def run_llmake(bin_dir, name, corpus, model, tmp, extra=()):
    out = os.path.join(tmp, f"{name}.out.jsonl")
    rej = os.path.join(tmp, f"{name}.rej.jsonl")
    cmd = [os.path.join(bin_dir, "llmake-filter"), corpus, "-o", out, "-q", "-f", json.dumps([name]),
           "--set", f"rejects={json.dumps(rej)}", "--set", f"language.model={json.dumps(model)}"] + list(extra)
    subprocess.run(cmd, check=True)
    res = {}
    for d in load(out):
        res[d["id"]] = (True, None, d["text"], d.get("metadata", {}))
    for d in load(rej):
        res[d["id"]] = (False, d["metadata"].get("filter_reason"), d["text"], d.get("metadata", {}))
    return res


def url_docs(corpus_docs, n_block, seed=1):
    """The URL parity set: real URLs plus blocklist-derived and banned-word URLs."""
    rng = random.Random(seed)
    docs = [{"text": "x", "id": f"corpus:{i}", "metadata": {"url": d["metadata"]["url"]}}
            for i, d in enumerate(corpus_docs) if d.get("metadata", {}).get("url")]
    with tarfile.open(os.path.join(dt_assets(), "url_filterblacklistsv0_3_0.tar.gz")) as tar:
        domains = tar.extractfile("domains").read().decode().split("\n")
        urls = tar.extractfile("urls").read().decode().split("\n")
    domains = [d for d in domains if d and not d.startswith("#")]
    sample = rng.sample(domains, n_block)
    for i, dom in enumerate(sample):
        form = i % 4
        u = [f"http://{dom}/", f"https://www.{dom}/index.html", f"http://{dom}:8080/a?b=c",
             f"https://sub.{dom}/path/page"][form]
        docs.append({"text": "x", "id": f"block:{i}", "metadata": {"url": u}})
    for i, u in enumerate(rng.sample([u for u in urls if u], min(200, len(urls)))):
        docs.append({"text": "x", "id": f"blockurl:{i}", "metadata": {"url": u}})
    words = [w.strip() for w in open(os.path.join(dt_assets(), "banned_words.txt")) if w.strip()]
    soft = [w.strip() for w in open(os.path.join(dt_assets(), "soft_banned_words.txt")) if w.strip()]
    sub = [w.strip() for w in open(os.path.join(dt_assets(), "banned_subwords.txt")) if w.strip()]
    for i in range(300):
        kind = i % 5
        if kind == 0:
            u = f"https://example-news.com/{rng.choice(words)}/story-{i}.html"
        elif kind == 1:
            u = f"https://blog.example.org/{rng.choice(soft)}-{rng.choice(soft)}/{i}"
        elif kind == 2:
            u = f"https://shop.example.net/p/{rng.choice(soft)}/item{i}"
        elif kind == 3:
            u = f"https://www.example.com/{rng.choice(sub).replace(' ', '')}{i}"
        else:
            u = f"https://Example.COM/{rng.choice(words).upper()}/x{i}"
        docs.append({"text": "x", "id": f"words:{i}", "metadata": {"url": u}})
    return docs


def compare(name, dt, ll, docs):
    agree, dis = 0, []
    text_diff = reason_diff = 0
    for d in docs:
        a, b = dt[d["id"]], ll.get(d["id"])
        if b is None:
            dis.append((d, a, (None, "missing in llmake output", "", {})))
            continue
        if a[0] == b[0]:
            agree += 1
            if a[0] and a[2] != b[2]:
                text_diff += 1
            if not a[0] and a[1] and a[1] != b[1]:
                reason_diff += 1
        else:
            dis.append((d, a, b))
    return agree, dis, text_diff, reason_diff


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--filters", default="gopher_quality,gopher_repetition,c4,fineweb_quality,language,pii,url")
    ap.add_argument("--urls", type=int, default=1000)
    ap.add_argument("--min-agree", type=float, default=0.99)
    ap.add_argument("--report")
    ap.add_argument("--json")
    a = ap.parse_args()
    docs = load(a.corpus)
    out, failed = {}, False
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in a.filters.split(","):
            fdocs, corpus = docs, a.corpus
            extra = []
            if name == "url":
                fdocs = url_docs(docs, a.urls)
                corpus = os.path.join(tmp, "urls.jsonl")
                with open(corpus, "w") as f:
                    for d in fdocs:
                        f.write(json.dumps(d) + "\n")
                asset = dt_assets()
                bl = os.path.join(tmp, "bl")
                with tarfile.open(os.path.join(asset, "url_filterblacklistsv0_3_0.tar.gz")) as tar:
                    tar.extractall(bl)
                extra = ["--set", f"url.domains_file={json.dumps(os.path.join(bl, 'domains'))}",
                         "--set", f"url.urls_file={json.dumps(os.path.join(bl, 'urls'))}",
                         "--set", f"url.banned_words_file={json.dumps(os.path.join(asset, 'banned_words.txt'))}",
                         "--set", f"url.soft_banned_words_file={json.dumps(os.path.join(asset, 'soft_banned_words.txt'))}",
                         "--set", f"url.banned_subwords_file={json.dumps(os.path.join(asset, 'banned_subwords.txt'))}"]
            dt, secs = run_dt(name, fdocs, a.model)
            ll = run_llmake(a.bin, name, corpus, a.model, tmp, extra)
            agree, dis, text_diff, reason_diff = compare(name, dt, ll, fdocs)
            n = len(fdocs)
            frac = agree / n if n else 1.0
            dt_drop = sum(1 for v in dt.values() if not v[0])
            ll_drop = sum(1 for v in ll.values() if not v[0])
            ok = frac >= a.min_agree
            failed |= not ok
            out[name] = {"docs": n, "agree": agree, "agreement": frac, "dt_dropped": dt_drop,
                         "llmake_dropped": ll_drop, "kept_text_differs": text_diff, "dropped_reason_differs": reason_diff,
                         "datatrove_seconds": secs,
                         "disagreements": [{"id": d["id"], "datatrove": [x[0], x[1]], "llmake": [y[0], y[1]],
                                            "chars": len(d["text"])} for d, x, y in dis]}
            lines.append(f"{'ok ' if ok else 'BAD'} {name:18s} {agree}/{n} = {100 * frac:.2f}% agree "
                         f"(datatrove drops {dt_drop}, llmake drops {ll_drop}; kept docs with different "
                         f"text: {text_diff}; both drop, other reason: {reason_diff})")
            print(lines[-1], flush=True)
            if name == "language":
                lab = sc = 0
                worst = 0.0
                for d in fdocs:
                    m1, m2 = dt[d["id"]][3], ll[d["id"]][3]
                    if m1.get("language") == m2.get("language"):
                        lab += 1
                        worst = max(worst, abs(m1["language_score"] - m2["language_score"]))
                        sc += abs(m1["language_score"] - m2["language_score"]) <= 1e-4
                out["fasttext"] = {"docs": len(fdocs), "same_top_label": lab, "score_within_1e-4": sc,
                                   "max_abs_score_diff": worst}
                ok = lab / len(fdocs) >= 0.995 and sc == lab
                failed |= not ok
                lines.append(f"{'ok ' if ok else 'BAD'} fasttext top label {lab}/{len(fdocs)}, "
                             f"scores within 1e-4 {sc}/{lab}, max |diff| {worst:.2e}")
                print(lines[-1], flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
