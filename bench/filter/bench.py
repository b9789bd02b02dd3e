#!/usr/bin/env python3
"""bench.py: the FineWeb filter chain (language -> gopher_repetition ->
gopher_quality -> c4 -> fineweb_quality), datatrove vs llmake-filter, on the
same documents in one run; prints documents/s and the ratio.

usage: bench.py CORPUS.jsonl --bin DIR --model lid.176.ftz [--repeat N]

datatrove runs in this process on documents already in memory (its reading
and writing are not timed, which favours it); llmake-filter is timed end to
end (reading, JSON parsing, filtering, writing).  Both wall time and CPU time
are reported: the CI-like machine is shared, so CPU-time rates are the
steadier comparison; the ratio line uses CPU time for single-thread runs.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

CHAIN = ["language", "gopher_repetition", "gopher_quality", "c4", "fineweb_quality"]


def datatrove_chain(docs, model):
    import fasttext
    from datatrove.data import Document
    from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter, GopherQualityFilter,
                                            GopherRepetitionFilter, LanguageFilter)
    lang = LanguageFilter(languages=["en"])
    lang.model._model = fasttext.FastText._FastText(model_path=model)
    chain = [lang, GopherRepetitionFilter(), GopherQualityFilter(),
             C4QualityFilter(filter_no_terminal_punct=False), FineWebQualityFilter()]
    objs = [Document(text=d["text"], id=d["id"], metadata=dict(d.get("metadata") or {})) for d in docs]
    kept = 0
    w0, c0 = time.perf_counter(), time.process_time()
    for doc in objs:
        ok = True
        for f in chain:
            r = f.filter(doc)
            if (r[0] if isinstance(r, tuple) else r) is False:
                ok = False
                break
        kept += ok
    return time.perf_counter() - w0, time.process_time() - c0, kept


def llmake(bin_dir, corpus, model, threads, tmp, chain=CHAIN):
    out = os.path.join(tmp, f"out{threads}.jsonl")
    # /usr/bin/time reports the peak RSS of llmake-filter itself: a process
    # exec'd straight from this one would inherit Python's high-water mark
    cmd = ["/usr/bin/time", "-f", "%M", os.path.join(bin_dir, "llmake-filter"), "-q", corpus, "-o", out,
           "-j", str(threads), "-f", json.dumps(chain), "--model", model]
    w0 = time.perf_counter()
    r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - w0
    rss = int(r.stderr.strip().splitlines()[-1]) * 1024
    m = json.load(open(out + ".manifest.json"))
    return wall, m["cpu_seconds"], m["counts"]["documents_out"], rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    docs = [json.loads(line) for line in open(a.corpus, encoding="utf-8")]
    n = len(docs)
    mb = os.path.getsize(a.corpus) / 1e6
    print(f"corpus: {n} documents, {mb:.1f} MB JSONL; chain: {' -> '.join(CHAIN)}")
    dw, dc, dkept = datatrove_chain(docs, a.model)
    drss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"datatrove 0.10.1 (1 process): wall {dw:.2f} s = {n / dw:.1f} docs/s; cpu {dc:.2f} s = "
          f"{n / dc:.1f} docs/s; kept {dkept}; peak RSS {drss / 1e6:.0f} MB")
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for threads in (1, 2):
            best = None
            for _ in range(a.repeat):
                r = llmake(a.bin, a.corpus, a.model, threads, tmp)
                best = r if best is None or r[0] < best[0] else best
            w, c, kept, rss = best
            res[threads] = best
            print(f"llmake-filter -j {threads}: wall {w:.2f} s = {n / w:.1f} docs/s ({mb / w:.1f} MB/s); "
                  f"cpu {c:.2f} s = {n / c:.1f} docs/s; kept {kept}; peak RSS {rss / 1e6:.0f} MB")
        # the same run with an empty chain: llmake's reading and writing alone,
        # which datatrove's figure (documents already in memory) leaves out
        io = min(llmake(a.bin, a.corpus, a.model, 1, tmp, [])[1] for _ in range(a.repeat))
    w1, c1 = res[1][0], res[1][1]
    print(f"llmake-filter -j 1 reading + writing only (empty chain): cpu {io:.2f} s")
    print(f"ratio, single thread: cpu {dc / c1:.1f}x datatrove's docs/s (wall {dw / w1:.1f}x); "
          f"filters only (cpu minus reading/writing, like datatrove's figure): {dc / (c1 - io):.1f}x; "
          f"2 threads vs 1 (wall): {w1 / res[2][0]:.2f}x")
    if dkept != res[1][2]:
        print(f"note: kept counts differ (datatrove {dkept}, llmake {res[1][2]}): see PARITY.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
