#!/usr/bin/env python3
"""bench.py: llmake-tokenize against tiktoken and HF tokenizers, in one run.

    bench/tokenize/bench.py [--skip-train] [--work DIR]

Corpus: >= 100 MB of real text (bench/tokenize/corpus.py), one document per
file.  Every peer gets the same documents, encoded one by one as ordinary
text.  Encode: single thread for each tool (tiktoken's encode_ordinary in a
loop; HF with RAYON_NUM_THREADS=1; llmake-tokenize encode -j 1, which also
parses the JSONL and writes the shards), then llmake with 2 threads.
Train: a 32k vocabulary, llmake -j 1 / -j 2 against HF's BpeTrainer (all
cores).  Prints MB/s by wall clock and by CPU time, peak RSS, and the ratios;
the token counts of the three encoders must agree.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import corpus  # noqa: E402
import tokpeers as tp  # noqa: E402

PEER = r"""
import json, os, resource, sys, time
sys.path.insert(0, %(here)r)
import corpus, tokpeers as tp
docs = corpus.load_docs(%(jsonl)r)
kind, name = sys.argv[1], sys.argv[2]
if kind == "tiktoken":
    enc = tp.tiktoken_encoding(name)
    enc.encode_ordinary("warm up")
    w0, c0 = time.perf_counter(), time.process_time()
    n = sum(len(enc.encode_ordinary(d)) for d in docs)
elif kind == "hf":
    tok = tp.hf_tokenizer(name)
    tok.encode("warm up")
    w0, c0 = time.perf_counter(), time.process_time()
    n = sum(len(e.ids) for e in tok.encode_batch(docs, add_special_tokens=False))
elif kind == "hf-train":
    vocab, out = name.split(":", 1)
    w0, c0 = time.perf_counter(), time.process_time()
    tok = tp.hf_train(docs, int(vocab))
    n = tok.get_vocab_size()
    tok.save(out)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
print(json.dumps({"n": n, "wall": wall, "cpu": cpu,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def peer(kind, name, jsonl, threads=None):
    env = dict(os.environ)
    if threads:
        env["RAYON_NUM_THREADS"] = str(threads)
        env["TOKENIZERS_PARALLELISM"] = "true"
    code = PEER % {"here": HERE, "jsonl": jsonl}
    r = subprocess.run([sys.executable, "-c", code, kind, name], capture_output=True, text=True, env=env)
    if r.returncode:
        raise SystemExit(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def ours(args, manifest):
    r = subprocess.run([tp.TOOL] + args, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(r.stderr)
    with open(manifest) as f:
        m = json.load(f)
    return {"wall": m["wall_seconds"], "cpu": m["cpu_seconds"], "rss": m["peak_rss_bytes"],
            "counts": m["counts"], "timing": m.get("timing")}


def mbs(nbytes, secs):
    return nbytes / secs / 1e6 if secs > 0 else float("inf")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default="/tmp/llmake-bench")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-encode", action="store_true")
    a = ap.parse_args()
    jsonl = corpus.build(a.work)
    docs = corpus.load_docs(jsonl)
    nbytes = sum(len(d.encode()) for d in docs)
    print("corpus: %s, %d documents, %.1f MB" % (jsonl, len(docs), nbytes / 1e6))
    del docs
    S = tp.SHARED
    if not a.skip_encode:
        for vocab, tt_name, tt_file, hf_file in (
                ("gpt2", "r50k_base", "gpt2.tiktoken", "gpt2-tokenizer.json"),
                ("cl100k", "cl100k_base", "cl100k_base.tiktoken", None)):
            print("\n== encode, %s vocabulary ==" % vocab)
            tt = peer("tiktoken", tt_name, jsonl)
            print("tiktoken 1 thread      %7.2f MB/s wall  %7.2f MB/s cpu  %d tokens"
                  % (mbs(nbytes, tt["wall"]), mbs(nbytes, tt["cpu"]), tt["n"]))
            hf = None
            if hf_file:
                hf = peer("hf", os.path.join(S, hf_file), jsonl, threads=1)
                print("HF tokenizers 1 thread %7.2f MB/s wall  %7.2f MB/s cpu  %d tokens"
                      % (mbs(nbytes, hf["wall"]), mbs(nbytes, hf["cpu"]), hf["n"]))
            res = {}
            for j in (1, 2):
                out = os.path.join(a.work, "shards-%s-%d" % (vocab, j))
                res[j] = ours(["encode", "-q", "-t", os.path.join(S, tt_file), "-j", str(j),
                               "--val-fraction", "0", jsonl, "-o", out],
                              os.path.join(out, "manifest.json"))
                n = res[j]["counts"]["tokens"] - res[j]["counts"]["documents"]  # less the EOTs
                print("llmake %d thread%s       %7.2f MB/s wall  %7.2f MB/s cpu  %d tokens (incl. JSONL "
                      "parsing and shard writing)" % (j, "s" if j > 1 else " ", mbs(nbytes, res[j]["wall"]),
                                                      mbs(nbytes, res[j]["cpu"]), n))
                if n != tt["n"] or (hf and n != hf["n"]):
                    print("   TOKEN COUNTS DIFFER: llmake %d, tiktoken %d, HF %s" % (n, tt["n"], hf and hf["n"]))
            print("ratio llmake/tiktoken (1 thread): %.2fx wall, %.2fx cpu"
                  % (tt["wall"] / res[1]["wall"], tt["cpu"] / res[1]["cpu"]))
            if hf:
                print("ratio llmake/HF       (1 thread): %.2fx wall, %.2fx cpu"
                      % (hf["wall"] / res[1]["wall"], hf["cpu"] / res[1]["cpu"]))
            tm = res[1]["timing"]
            par = tm["main_thread_parallel_phase_cpu_seconds"] / tm["main_thread_cpu_seconds"]
            print("scaling llmake 1 -> 2 threads: %.2fx wall measured; with -j 1, %.1f%% of the CPU time "
                  "is in the parallel phase, so Amdahl's bound for 2 threads is %.2fx"
                  % (res[1]["wall"] / res[2]["wall"], 100 * par, 1 / ((1 - par) + par / 2)))
    if not a.skip_train:
        print("\n== train, 32k vocabulary, GPT-2 regex ==")
        res = {}
        for j in (1, 2):
            out = os.path.join(a.work, "tok32k-%d.json" % j)
            res[j] = ours(["train", "-q", "-j", str(j), "--vocab-size", "32000", jsonl, "-o", out],
                          out + ".manifest.json")
            print("llmake train -j %d      %7.1f s wall %7.1f s cpu  peak RSS %6.0f MB"
                  % (j, res[j]["wall"], res[j]["cpu"], res[j]["rss"] / 1e6))
        hf_out = os.path.join(a.work, "hf32k.json")
        hf = peer("hf-train", "32000:" + hf_out, jsonl)
        print("HF BpeTrainer (all cores) %5.1f s wall %7.1f s cpu  peak RSS %6.0f MB (python incl. corpus)"
              % (hf["wall"], hf["cpu"], hf["rss"] / 1e6))
        print("ratio llmake -j 2 / HF: %.2fx wall;  llmake -j 1 / HF: %.2fx wall, %.2fx cpu"
              % (hf["wall"] / res[2]["wall"], hf["wall"] / res[1]["wall"], hf["cpu"] / res[1]["cpu"]))
        with open(hf_out, encoding="utf-8") as f:
            hv = json.load(f)["model"]["vocab"]
        with open(os.path.join(a.work, "tok32k-1.json"), encoding="utf-8") as f:
            ov = json.load(f)["model"]["vocab"]
        same = sum(1 for k in set(hv) & set(ov) if hv[k] == ov[k])
        print("vocabulary overlap with HF: %.4f (%d of %d tokens with the same id)"
              % (len(set(hv) & set(ov)) / len(hv), same, len(hv)))


if __name__ == "__main__":
    main()
