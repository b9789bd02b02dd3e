"""llmake-extract against its Python peers.

- Quality: token-level precision/recall/F1 of our text against trafilatura's
  (precision mode, as FineWeb ran it) on a fixed subset of real pages: the
  Common Crawl sample's HTML responses and debian-handbook pages in three
  languages.  The full report is bench/extract/quality.py.
- Interop: WARCs written with Python's gzip module, pages encoded with
  Python's codecs, and our JSONL read back with Python's json.
"""
import glob
import gzip
import json
import os
import subprocess
import sys

import pytest

ROOT = os.environ.get("LLMAKE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LLMAKE_BIN", os.path.join(ROOT, "bin"))
SHARED = os.environ.get("LLMAKE_SHARED", os.path.join(ROOT, "..", "shared", "data"))
sys.path.insert(0, os.path.join(ROOT, "bench", "extract"))
from f1 import prf  # noqa: E402
from warcpages import warc_html_pages  # noqa: E402

trafilatura = pytest.importorskip("trafilatura")
HANDBOOK = "/usr/share/doc/debian-handbook/html"


def extract(inputs, out, *extra):
    subprocess.run([os.path.join(BIN, "llmake-extract"), "-q", *extra, *inputs, "-o", str(out)], check=True)
    opener = gzip.open if str(out).endswith(".gz") else open
    with opener(out, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def reference(html_text):
    return trafilatura.extract(html_text, favor_precision=True, include_comments=False, deduplicate=False) or ""


def test_f1_against_trafilatura(tmp_path):
    pages = []
    for loc in ("en-US", "de-DE", "zh-CN"):
        pages += sorted(glob.glob(f"{HANDBOOK}/{loc}/*.html"))[:12]
    if not pages:
        pytest.skip("debian-handbook is not installed")
    docs = extract(pages, tmp_path / "hb.jsonl")
    ours = {d["id"]: d["text"] for d in docs}
    common = n_ours = n_ref = 0
    for p in pages:
        ref = reference(open(p, encoding="utf-8").read())
        _, _, _, c, a, b = prf(ours.get(p, ""), ref)
        common, n_ours, n_ref = common + c, n_ours + a, n_ref + b
    warc = os.path.join(SHARED, "cc-main-2020-34-sample.warc.gz")
    cc = extract([warc], tmp_path / "cc.jsonl")
    raw = warc_html_pages(warc)
    for d in cc:
        html = raw[d["id"]].decode(pyname(d["metadata"]["charset"]), errors="replace")
        _, _, _, c, a, b = prf(d["text"], reference(html))
        common, n_ours, n_ref = common + c, n_ours + a, n_ref + b
    p, r = common / n_ours, common / n_ref
    f1 = 2 * p * r / (p + r)
    print(f"micro P={p:.3f} R={r:.3f} F1={f1:.3f} over {len(pages) + len(cc)} pages")
    assert f1 >= 0.85, f"F1 {f1:.3f} < 0.85 (P={p:.3f} R={r:.3f})"


def pyname(charset):
    return {"WINDOWS-1252": "cp1252", "BIG5-HKSCS": "big5hkscs", "WINDOWS-1251": "cp1251"}.get(charset, charset)


def record(rid, uri, http_body, ctype):
    http = f"HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\n\r\n".encode() + http_body
    head = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{rid}>\r\n"
            f"WARC-Target-URI: {uri}\r\nWARC-Date: 2024-01-01T00:00:00Z\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n")
    return head.encode() + http + b"\r\n\r\n"


def test_python_written_warc_and_codecs(tmp_path):
    texts = {
        "ru": ("windows-1251", "Это страница на русском языке, закодированная в кодировке Windows-1251."),
        "ja": ("shift_jis", "これはシフトJISでエンコードされた日本語のページです。"),
        "fr": ("iso-8859-1", "Ceci est une page en français, déjà encodée en Latin-1, à l'été."),
        "ko": ("euc-kr", "이것은 한국어로 된 페이지입니다."),
        "zh": ("big5", "這是一個以大五碼編碼的繁體中文頁面。"),
    }
    path = tmp_path / "py.warc.gz"
    with open(path, "wb") as f:
        for rid, (codec, text) in texts.items():
            html = f"<html><head><title>{rid}</title></head><body><article><p>{text}</p></article></body></html>"
            f.write(gzip.compress(record(rid, f"http://{rid}.example/ a", html.encode(codec), f"text/html; charset={codec}")))
    docs = {d["id"]: d for d in extract([path], tmp_path / "py.jsonl")}
    assert len(docs) == len(texts)
    for rid, (codec, text) in texts.items():
        d = docs[f"<urn:uuid:{rid}>"]
        assert d["text"] == text, (rid, d["text"])
        assert d["metadata"]["url"] == f"http://{rid}.example/ a"


def test_gzip_output_reads_in_python(tmp_path):
    warc = os.path.join(SHARED, "cc-main-2020-34-sample.warc.gz")
    extract([warc], tmp_path / "cc.jsonl.gz")
    with gzip.open(tmp_path / "cc.jsonl.gz", "rt", encoding="utf-8") as f:
        docs = [json.loads(line) for line in f]
    assert len(docs) == 16
    assert all(set(d) == {"text", "id", "metadata"} for d in docs)
    assert all(set(d["metadata"]) == {"url", "date", "content_type", "charset"} for d in docs)
