"""Interop: JSONL(.gz) written by llmake reads in Python's gzip/json, and
llmake reads what Python writes (multi-member gzip, any compression level)."""
import gzip
import json
import os
import subprocess
from pathlib import Path

BIN = Path(os.environ.get("LLMAKE_BIN", Path(__file__).resolve().parents[2] / "bin"))
SHARED = Path(os.environ.get("LLMAKE_SHARED", Path(__file__).resolve().parents[3] / "shared" / "data"))


def run(*args):
    return subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True)


def docs_from_shakespeare(n):
    lines = [l for l in (SHARED / "tinyshakespeare.txt").read_text(encoding="utf-8").split("\n") if l]
    return [{"text": t, "id": f"s{i}", "metadata": {"n": i, "lang": "en"}} for i, t in enumerate(lines[:n])]


def test_python_multimember_gzip_reads_in_llmake(tmp_path):
    docs = docs_from_shakespeare(3000)
    src = tmp_path / "py.jsonl.gz"
    with open(src, "wb") as f:  # three members, as a sharded writer would append them
        for chunk, level in ((docs[:1000], 9), (docs[1000:2000], 1), (docs[2000:], 6)):
            f.write(gzip.compress("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in chunk).encode(), level))
    out = tmp_path / "out.jsonl.gz"
    r = run("llmake-convert", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    back = [json.loads(l) for l in gzip.open(out, "rt", encoding="utf-8")]
    assert back == docs


def test_unicode_and_escapes_round_trip(tmp_path):
    texts = ["caf\u00e9 \u4e2d\u6587 \U0001f600", "tab\tquote\" backslash\\ newline\n", "\u200d\u0301e\u0301",
             "control \u0001\u001f", "slash / and \u2028 separator"]
    src = tmp_path / "u.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"text": t, "id": str(i)}, ensure_ascii=(i % 2 == 0)) + "\n")
    out = tmp_path / "u.out.jsonl"
    r = run("llmake-convert", str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    back = [json.loads(l)["text"] for l in open(out, encoding="utf-8")]
    assert back == texts


def test_inspect_json_matches_python(tmp_path):
    docs = docs_from_shakespeare(5000)
    src = tmp_path / "d.jsonl.gz"
    with gzip.open(src, "wt", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")
    r = run("llmake-inspect", "--json", str(src))
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)
    assert j["documents"] == len(docs)
    assert j["text_bytes"] == sum(len(d["text"].encode()) for d in docs)
    lens = sorted(len(d["text"].encode()) for d in docs)
    assert j["text_length"]["min"] == lens[0] and j["text_length"]["max"] == lens[-1]
    # percentiles come from a log histogram with 32 buckets per octave: within ~2.2%
    p50 = lens[len(lens) // 2]
    assert abs(j["text_length"]["p50"] - p50) <= max(1, 0.025 * p50)
    assert j["metadata"]["lang"]["values"] == {"en": len(docs)}
