#!/usr/bin/env python3
"""parity.py: compares the documents llmake-dedup minhash removed with those
datatrove's MinHash pipeline removed on the same corpus, and explains each
difference: a document whose own datatrove signature differs from llmake's
(spaCy word splitting, see lib/ngram.h), or one whose signature is identical
but whose cluster kept another member (the cluster's pair order changed
because another member's signature differs).

usage: parity.py CORPUS_DIR DATATROVE_JSON LLMAKE_OUT_DIR  (LLMAKE_OUT_DIR made
with --pairs; DATATROVE_JSON is datatrove_minhash.py's output)
"""
import difflib
import glob
import json
import os
import struct
import sys

from datatrove.pipeline.dedup.minhash import MinhashDedupSignature
from datatrove.utils.text import simplify_text


def read_krp(path):
    b = open(path, "rb").read()
    assert b[:8] == b"LLMDDKRP", path
    p = 128
    n = struct.unpack_from("<I", b, p)[0]
    p += 4
    for _ in range(n):
        pl = struct.unpack_from("<I", b, p + 24)[0]
        p += 28 + pl
    pairs = {}
    while p < len(b):
        k, r = struct.unpack_from("<QQ", b, p)
        p += 16
        pairs[(r >> 32, r & 0xFFFFFFFF)] = (k >> 32, k & 0xFFFFFFFF)
    return pairs


def main():
    corpus, dtjson, out = sys.argv[1:4]
    files = sorted(glob.glob(os.path.join(corpus, "*.jsonl")))
    docs = [[json.loads(l) for l in open(f, encoding="utf-8")] for f in files]
    dt = json.load(open(dtjson))
    theirs = {tuple(x) for x in dt["removed"]}
    pairs = read_krp(os.path.join(out, "dedup-pairs.bin"))
    mine = set(pairs)
    n = sum(len(d) for d in docs)
    diff = sorted(mine ^ theirs)
    step = MinhashDedupSignature(output_folder="/tmp/unused-dt-sigs")

    def sig_differs(key):
        from_c = None  # recomputed through the tokens: whitespace split == llmake's rule
        text = docs[key[0]][key[1]]["text"]
        simple = simplify_text(text)
        spacy = step.word_tokenizer.word_tokenize(simple)
        ws = simple.split()
        if spacy == ws:
            return None
        sm = difflib.SequenceMatcher(a=ws, b=spacy, autojunk=False)
        ex = []
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op != "equal" and len(ex) < 3:
                ex.append(f"'{' '.join(ws[i1:i2])}' -> '{' | '.join(spacy[j1:j2])}'")
        return f"{sum(1 for o in sm.get_opcodes() if o[0] != 'equal')} token splits, e.g. " + ", ".join(ex)

    print(f"documents: {n}; removed by llmake: {len(mine)}, by datatrove: {len(theirs)}, by both: "
          f"{len(mine & theirs)}")
    print(f"agreement (documents with the same keep/remove decision): {(n - len(diff)) / n:.4%} "
          f"({len(diff)} differ)\n")
    print("| document | llmake | datatrove | cluster kept by llmake | why |")
    print("|---|---|---|---|---|")
    for key in diff:
        d = docs[key[0]][key[1]]
        kept = pairs.get(key)
        kid = docs[kept[0]][kept[1]]["id"] if kept else "-"
        why = sig_differs(key)
        if why is None and kept:
            why2 = sig_differs(kept)
            why = ("signature identical; its cluster's pair order differs because a member's signature "
                   "differs" + (f" (kept doc: {why2})" if why2 else ""))
        elif why is None:
            why = "signature identical; kept here, removed there: another member's signature differs"
        print(f"| {d['id']} | {'removed' if key in mine else 'kept'} | "
              f"{'removed' if key in theirs else 'kept'} | {kid} | {why} |")


if __name__ == "__main__":
    main()
