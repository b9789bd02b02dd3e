#!/usr/bin/env python3
"""groundtruth.py: precision and recall of llmake-dedup's MinHash-LSH duplicate
pairs against exact Jaccard similarity of 5-gram sets, on real near-duplicates.

Labelled set:
  * every debian-handbook page in all 26 locales: the English-fallback locales
    are real near-duplicates of en-US, the translations are not;
  * python3.11-doc pages plus one near-copy each with a known word edit rate
    (a fraction r of the words replaced by words drawn from the page itself,
    r cycling through 0.01 .. 0.5).
Pairs scored exactly: every pair of the same handbook page name, every
(page, copy) pair, every pair sharing at least 5 of the 5-grams that occur in
at most 30 documents, and every pair LSH flagged (so no flagged pair escapes
scoring).  All other pairs (most of the n(n-1)/2) share almost no rare 5-gram,
so their Jaccard is near 0; they count as unflagged pairs below 0.5 in the
false-positive rate (both denominators are printed).
Jaccard is exact, over the sets of 5-gram hashes (datatrove's simplify_text,
its spaCy English words, XXH64): the sets llmake's signatures summarise.

"Flagged" = the pair shares at least one of the 14 bands (a candidate pair,
what the 14x8 LSH curve predicts); "clustered" = same cluster after the
union-find (transitive, what the filter acts on).

usage: groundtruth.py WORKDIR [--llmake BIN] [--python-pages N]
"""
import argparse
import collections
import itertools
import json
import os
import random
import struct
import subprocess
import sys

import xxhash
from datatrove.utils.text import simplify_text
from datatrove.utils.word_tokenizers import load_word_tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_corpus  # noqa: E402

RATES = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]


TOK = load_word_tokenizer("eng")


def shingles(text, n=5):
    """datatrove's shingles: simplify_text, spaCy English words, XXH64."""
    w = TOK.word_tokenize(simplify_text(text))
    return {xxhash.xxh64_intdigest(" ".join(w[i:i + n])) for i in range(len(w) - n + 1)}


def edit(text, rate, rng):
    words = text.split(" ")
    vocab = [w for w in words if w.strip()] or ["x"]
    for i in range(len(words)):
        if rng.random() < rate:
            words[i] = rng.choice(vocab)
    return " ".join(words)


def lsh_prob(s, b=14, r=8):
    return 1 - (1 - s ** r) ** b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("work")
    ap.add_argument("--llmake", default=os.path.join(HERE, "../../bin/llmake-dedup"))
    ap.add_argument("--python-pages", type=int, default=250)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    rng = random.Random(1)
    docs = [d for d in make_corpus.iter_docs(["handbook"]) if d["text"]]
    py = [d for d in make_corpus.iter_docs(["python"]) if len(d["text"].split()) > 200]
    rng.shuffle(py)
    copies = []
    for i, d in enumerate(py[:a.python_pages]):
        r = RATES[i % len(RATES)]
        docs.append(d)
        copies.append((d["id"], d["id"] + f"#edit{r}", r))
        docs.append({"id": d["id"] + f"#edit{r}", "text": edit(d["text"], r, rng), "metadata": {"edit_rate": r}})
    path = os.path.join(a.work, "gt.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    out = os.path.join(a.work, "out")
    subprocess.run([a.llmake, "minhash", "-q", path, "-o", out, "--keep-work", "--pairs"], check=True)

    # LSH candidate pairs from the signature files (layout in lib/dedup.h)
    flagged = set()
    for b in range(14):
        data = open(os.path.join(out, ".work/sigs", f"bucket-{b:03d}.sig"), "rb").read()[128:]
        groups = collections.defaultdict(list)
        for o in range(0, len(data), 72):
            rec = struct.unpack_from("<9Q", data, o)
            groups[rec[:8]].append(rec[8] & 0xFFFFFFFF)
        for g in groups.values():
            for x, y in itertools.combinations(sorted(g), 2):
                flagged.add((x, y))
    # clusters from the kept/removed pairs
    kb = open(os.path.join(out, "dedup-pairs.bin"), "rb").read()
    p = 128 + 4
    for _ in range(struct.unpack_from("<I", kb, 128)[0]):
        p += 28 + struct.unpack_from("<I", kb, p + 24)[0]
    root = {}
    while p < len(kb):
        k, r = struct.unpack_from("<QQ", kb, p)
        p += 16
        root[r & 0xFFFFFFFF] = k & 0xFFFFFFFF
    cluster = lambda i: root.get(i, i)

    sets = [shingles(d["text"]) for d in docs]
    ids = {d["id"]: i for i, d in enumerate(docs)}
    pairs = set(flagged)
    by_page = collections.defaultdict(list)
    for i, d in enumerate(docs):
        if d["id"].startswith("handbook/"):
            by_page[d["id"].split("/")[-1]].append(i)
    for g in by_page.values():
        pairs.update(itertools.combinations(g, 2))
    for base, cp, _ in copies:
        pairs.add((ids[base], ids[cp]))
    inv = collections.defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            inv[h].append(i)
    shared = collections.Counter()
    for lst in inv.values():
        if 1 < len(lst) <= 30:
            shared.update(itertools.combinations(lst, 2))
    pairs.update(p for p, c in shared.items() if c >= 5)
    del shared

    def jac(x, y):
        u = len(sets[x] | sets[y])
        return len(sets[x] & sets[y]) / u if u else 0.0

    scored = [(x, y, jac(x, y), (x, y) in flagged, cluster(x) == cluster(y)) for x, y in pairs]
    hi = [s for s in scored if s[2] >= 0.8]
    lo = [s for s in scored if s[2] < 0.5]
    fl = [s for s in scored if s[3]]
    res = {
        "documents": len(docs),
        "pairs_scored": len(scored),
        "pairs_jaccard_ge_0.8": len(hi),
        "recall_flagged_j_ge_0.8": sum(s[3] for s in hi) / max(1, len(hi)),
        "recall_clustered_j_ge_0.8": sum(s[4] for s in hi) / max(1, len(hi)),
        "pairs_jaccard_lt_0.5_scored": len(lo),
        "flagged_pairs_j_lt_0.5": sum(s[3] for s in lo),
        "false_positive_rate_scored_j_lt_0.5": sum(s[3] for s in lo) / max(1, len(lo)),
        "false_positive_rate_all_pairs_j_lt_0.5": sum(s[3] for s in lo) / max(1, len(docs) * (len(docs) - 1) // 2
                                                                               - (len(scored) - len(lo))),
        "flagged_pairs": len(fl),
        "precision_flagged_pairs_j_ge_0.5": sum(s[2] >= 0.5 for s in fl) / max(1, len(fl)),
        "curve": [],
        "copies": [],
    }
    for lo_b in [i / 20 for i in range(20)]:
        b = [s for s in scored if lo_b <= s[2] < lo_b + 0.05 or (lo_b == 0.95 and s[2] == 1.0)]
        if b:
            mid = lo_b + 0.025
            res["curve"].append({"jaccard": f"{lo_b:.2f}-{lo_b + 0.05:.2f}", "pairs": len(b),
                                 "flagged": sum(s[3] for s in b) / len(b),
                                 "theory_at_mean_j": lsh_prob(sum(s[2] for s in b) / len(b)),
                                 "theory_at_mid": lsh_prob(mid)})
    for r in RATES:
        cs = [(ids[b], ids[c]) for b, c, rr in copies if rr == r]
        if cs:
            js = [jac(x, y) for x, y in cs]
            res["copies"].append({"edit_rate": r, "pairs": len(cs), "mean_jaccard": sum(js) / len(js),
                                  "flagged": sum((x, y) in flagged for x, y in cs) / len(cs),
                                  "theory": sum(lsh_prob(j) for j in js) / len(js)})
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
