#!/usr/bin/env python3
"""bench/extract/run.py: llmake-extract against trafilatura, quality and speed,
on the same pages in one run.

Pages: every debian-handbook HTML page (26 locales x ~127 pages), every
python3.11-doc HTML page (Sphinx), and the HTML responses of the Common
Crawl sample.  Reference: trafilatura.extract()
in precision mode without comments, as datatrove ran it for FineWeb
(deduplicate=False here: trafilatura's dedup cache is process-wide state that
drops paragraphs seen in earlier pages, which no per-page extractor can
match).  The CC pages are handed to trafilatura decoded with the charset
llmake-extract chose, so the comparison is of extraction, not of charset
guessing.

Quality: token-level precision/recall/F1 (bench/extract/f1.py), micro
(summed over tokens) and the mean over pages, per corpus.
Speed: documents/s of trafilatura.extract() alone (pages pre-read and
decoded: its most favourable case) and of the whole llmake-extract stage
(reading, charset, extraction, JSON writing) with --threads 1 and 2; peak RSS.

usage: bench/extract/run.py [--bin bin/llmake-extract] [--report bench/extract/QUALITY.md]
       [--locales en-US,de-DE]  (default: all)
"""
import argparse
import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from f1 import prf  # noqa: E402
from warcpages import warc_html_pages  # noqa: E402

PYNAME = {"WINDOWS-1252": "cp1252", "BIG5-HKSCS": "big5hkscs"}


def run_llmake(binary, inputs, out, threads):
    t0 = time.perf_counter()
    subprocess.run([binary, "-q", "-j", str(threads), *inputs, "-o", out], check=True)
    wall = time.perf_counter() - t0
    m = json.load(open(out + ".manifest.json"))
    return wall, m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "bin", "llmake-extract"))
    ap.add_argument("--report", default=os.path.join(HERE, "QUALITY.md"))
    ap.add_argument("--locales", default="")
    ap.add_argument("--no-python-docs", action="store_true")
    ap.add_argument("--warc", default=os.path.join(ROOT, "..", "shared", "data", "cc-main-2020-34-sample.warc.gz"))
    args = ap.parse_args()
    import trafilatura

    locs = args.locales.split(",") if args.locales else sorted(
        os.path.basename(d) for d in glob.glob("/usr/share/doc/debian-handbook/html/*") if os.path.isdir(d))
    pages = []  # (label, path)
    for loc in locs:
        pages += [(loc, p) for p in sorted(glob.glob(f"/usr/share/doc/debian-handbook/html/{loc}/*.html"))]
    if not args.no_python_docs:
        pages += [("python-docs", p) for p in sorted(glob.glob("/usr/share/doc/python3.11/html/**/*.html", recursive=True))
                  if "/_static/" not in p and "/_sources/" not in p]
    tmp = tempfile.mkdtemp(prefix="llmake-bench-extract.")
    # a directory of links keeps the command line short and the order fixed
    pdir = os.path.join(tmp, "pages.d")
    os.mkdir(pdir)
    def link_of(i, label, p):
        return os.path.join(pdir, f"{i:05d}__{label}__{os.path.basename(p)}")
    for i, (label, p) in enumerate(pages):
        os.symlink(p, link_of(i, label, p))
    inputs = [pdir, args.warc]

    # ---- llmake-extract: 1 and 2 threads (best of 3 runs each) ----
    runs = {}
    for threads in (1, 2):
        best = None
        for _ in range(3):
            out = os.path.join(tmp, f"out{threads}.jsonl")
            wall, m = run_llmake(args.bin, inputs, out, threads)
            if best is None or wall < best[0]:
                best = (wall, m)
        runs[threads] = best
    m1 = runs[1][1]
    n_docs_ll = m1["counts"]["documents_out"]
    n_pages = m1["counts"]["html_files"] + m1["counts"]["records_response"]
    docs = [json.loads(line) for line in open(os.path.join(tmp, "out1.jsonl"), encoding="utf-8")]
    ours = {d["id"]: d for d in docs}

    # ---- trafilatura on the same pages ----
    html_by_id = {}
    for i, (label, p) in enumerate(pages):
        html_by_id[link_of(i, label, p)] = open(p, encoding="utf-8", errors="replace").read()
    for rid, body in warc_html_pages(args.warc).items():
        cs = ours[rid]["metadata"]["charset"] if rid in ours else "utf-8"
        html_by_id[rid] = body.decode(PYNAME.get(cs, cs), errors="replace")
    ref = {}
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0, c0 = time.perf_counter(), time.process_time()
    for k, html in html_by_id.items():
        ref[k] = trafilatura.extract(html, favor_precision=True, include_comments=False, deduplicate=False) or ""
    t_traf, cpu_traf = time.perf_counter() - t0, time.process_time() - c0
    traf_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    # second reference, not timed: trafilatura's default (balanced) mode, which
    # does not drop the text before inline elements that precision mode drops
    # on DocBook pages (see the lowest-F1 list)
    ref_default = {k: trafilatura.extract(h, include_comments=False, deduplicate=False) or ""
                   for k, h in html_by_id.items()}
    del r0

    # ---- quality ----
    rows = []
    for k in html_by_id:
        corpus = "cc" if not k.startswith(pdir) else k.split("/")[-1].split("__")[1]
        mine = ours[k]["text"] if k in ours else ""
        p, r, f, c, a, b = prf(mine, ref[k])
        _, _, f2, c2, a2, b2 = prf(mine, ref_default[k])
        rows.append((corpus, k, p, r, f, c, a, b, f2, c2, a2, b2))

    def summary(sel):
        c = sum(x[5] for x in sel)
        a = sum(x[6] for x in sel)
        b = sum(x[7] for x in sel)
        P, R = (c / a if a else 0), (c / b if b else 0)
        F = 2 * P * R / (P + R) if P + R else 0
        c2, a2, b2 = sum(x[9] for x in sel), sum(x[10] for x in sel), sum(x[11] for x in sel)
        P2, R2 = (c2 / a2 if a2 else 0), (c2 / b2 if b2 else 0)
        F2 = 2 * P2 * R2 / (P2 + R2) if P2 + R2 else 0
        return P, R, F, statistics.mean(x[4] for x in sel), len(sel), F2

    groups = {}
    for row in rows:
        groups.setdefault(row[0], []).append(row)
    hb = [x for x in rows if x[0] not in ("cc", "python-docs")]
    lines = []
    lines.append("# llmake-extract vs trafilatura: quality\n")
    lines.append(f"Generated by `bench/extract/run.py` on {time.strftime('%Y-%m-%d')} "
                 f"(trafilatura {trafilatura.__version__}, favor_precision=True, include_comments=False, "
                 "deduplicate=False).  Token-level scores of llmake's text against trafilatura's "
                 "(tokens: letter/digit runs, each CJK character its own token; bags of tokens).  "
                 "Micro = summed over all tokens of the group; mean = average of per-page F1.\n")
    lines.append("| corpus | pages | precision | recall | F1 (micro) | F1 (mean per page) | F1 vs default mode |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for name, sel in [("all pages", rows), ("debian-handbook (all locales)", hb),
                      ("python3.11-doc (Sphinx)", groups.get("python-docs", [])),
                      ("Common Crawl sample", groups.get("cc", []))]:
        if sel:
            P, R, F, M, n, F2 = summary(sel)
            lines.append(f"| {name} | {n} | {P:.3f} | {R:.3f} | **{F:.3f}** | {M:.3f} | {F2:.3f} |")
    lines.append("\nPer locale (debian-handbook):\n")
    lines.append("| locale | pages | P | R | F1 micro | F1 mean |")
    lines.append("|---|---:|---:|---:|---:|---:|")
    for name in sorted(groups):
        if name in ("cc", "python-docs"):
            continue
        P, R, F, M, n, _ = summary(groups[name])
        lines.append(f"| {name} | {n} | {P:.3f} | {R:.3f} | {F:.3f} | {M:.3f} |")
    rows.sort(key=lambda x: x[4])
    lines.append("\nLowest-F1 pages (ours/reference token counts):\n")
    lines.append("| F1 | P | R | ours | ref | page |")
    lines.append("|---:|---:|---:|---:|---:|---|")
    for x in rows[:15]:
        name = x[1] if x[0] == "cc" else "/".join(x[1].split("/")[-1].split("__")[1:])
        lines.append(f"| {x[4]:.2f} | {x[2]:.2f} | {x[3]:.2f} | {x[6]} | {x[7]} | {name} |")
    cpu1 = runs[1][1]["cpu_seconds"]
    sp1 = n_docs_ll / runs[1][0]
    sp2 = n_docs_ll / runs[2][0]
    spt = len(html_by_id) / t_traf
    speed = [
        "\n## Speed (same pages, one run)\n",
        f"- pages: {len(html_by_id)} ({len(pages)} HTML files + {len(html_by_id) - len(pages)} CC responses); "
        f"llmake documents out: {n_docs_ll} of {n_pages}",
        f"- trafilatura.extract(): {t_traf:.2f} s wall, {cpu_traf:.2f} s CPU, **{spt:.1f} docs/s** "
        f"({len(html_by_id) / cpu_traf:.1f} per CPU second; pre-decoded strings), peak RSS of the Python process "
        f"{traf_rss / 2**20:.0f} MiB",
        f"- llmake-extract -j 1: {runs[1][0]:.2f} s wall, {cpu1:.2f} s CPU, **{sp1:.1f} docs/s** ({sp1 / spt:.1f}x; "
        f"per CPU second {n_docs_ll / cpu1:.1f}, {(n_docs_ll / cpu1) / (len(html_by_id) / cpu_traf):.1f}x), "
        f"peak RSS {runs[1][1]['peak_rss_bytes'] / 2**20:.0f} MiB",
        f"- llmake-extract -j 2: {runs[2][0]:.2f} s wall, **{sp2:.1f} docs/s** ({sp2 / spt:.1f}x), "
        f"peak RSS {runs[2][1]['peak_rss_bytes'] / 2**20:.0f} MiB",
    ]
    tm = runs[1][1].get("extract_timing")
    if tm:
        serial = (tm["read_seconds"] + tm["write_seconds"]) / tm["total_seconds"]
        speed.append(f"- serial share of -j 1 wall time (reading + writing on the main thread): {serial:.1%}; "
                     f"Amdahl bound for 2 threads {1 / (serial + (1 - serial) / 2):.2f}x")
    text = "\n".join(lines + speed) + "\n"
    with open(args.report, "w") as f:
        f.write(text)
    print(text)
    print(f"ratio: llmake/trafilatura docs/s = {sp1 / spt:.1f}x (1 thread), {sp2 / spt:.1f}x (2 threads)")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
