"""Exact id parity of llmake-tokenize with tiktoken and HF tokenizers.

Inputs: all of tinyshakespeare, the HTTP bodies of the Common Crawl WARC
sample, debian-handbook text in ten locales (Arabic, Chinese, Japanese,
Russian, Persian, Korean, Greek, ...), hand-written edge cases and invalid
UTF-8.  Tolerance: none; every id must be equal.

For invalid UTF-8 (which tiktoken's and HF's str API cannot take) the
reference is tiktoken's own regex and BPE applied to the raw bytes, with
each invalid byte a U+FFFD symbol for the regex (llmake's documented rule).
"""
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "tokenize"))
import tokpeers as tp  # noqa: E402

TIKTOKEN = {
    "gpt2": ("r50k_base", "gpt2.tiktoken"),
    "cl100k": ("cl100k_base", "cl100k_base.tiktoken"),
}


def _inputs():
    out = [("shakespeare", tp.shakespeare())]
    out += [("warc%02d" % i, p) for i, p in enumerate(tp.warc_payloads())]
    out += [(loc, tp.handbook_text(loc, 120_000)) for loc in tp.LOCALES]
    out += [("edge%02d" % i, e) for i, e in enumerate(tp.EDGE_CASES)]
    return out


INPUTS = _inputs()


def _valid(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def _assert_same(ours, ref, what):
    if ours != ref:
        k = _first_diff(ours, ref)
        raise AssertionError("%s: %d ids vs %d, first difference at %d: ours %s, reference %s"
                             % (what, len(ours), len(ref), k, ours[k:k + 6], ref[k:k + 6]))


@pytest.mark.parametrize("name", sorted(TIKTOKEN))
def test_tiktoken_ids(name):
    enc_name, file = TIKTOKEN[name]
    enc = tp.tiktoken_encoding(enc_name)
    tok = os.path.join(tp.SHARED, file)
    n_checked = 0
    all_ours = tp.run_ids_many(tok, [d for _, d in INPUTS])
    for (label, data), ours in zip(INPUTS, all_ours):
        text = _valid(data)
        if text is not None:
            ref = enc.encode(text, allowed_special="all")
        else:
            ref = tp.reference_bytes_encode(enc, data)
        _assert_same(ours, ref, "%s on %s" % (name, label))
        n_checked += 1
    assert n_checked == len(INPUTS)


@pytest.mark.parametrize("name", sorted(TIKTOKEN))
def test_tiktoken_ordinary(name):
    """--ordinary encodes special-token text as text (encode_ordinary)."""
    enc_name, file = TIKTOKEN[name]
    enc = tp.tiktoken_encoding(enc_name)
    tok = os.path.join(tp.SHARED, file)
    cases = [d for d in tp.EDGE_CASES if b"<|" in d]
    for data, ours in zip(cases, tp.run_ids_many(tok, cases, "--ordinary")):
        _assert_same(ours, enc.encode_ordinary(data.decode()), name)


@pytest.mark.parametrize("name", sorted(TIKTOKEN))
def test_tiktoken_invalid_utf8(name):
    enc_name, file = TIKTOKEN[name]
    enc = tp.tiktoken_encoding(enc_name)
    tok = os.path.join(tp.SHARED, file)
    rng = random.Random(5)
    cases = list(tp.INVALID_UTF8_CASES)
    # valid text with random bytes spliced in
    base = tp.shakespeare()[:20000]
    for _ in range(20):
        pos = sorted(rng.randrange(len(base)) for _ in range(8))
        b = bytearray(base)
        for p in reversed(pos):
            b[p:p] = bytes([rng.randrange(0x80, 0x100)])
        cases.append(bytes(b))
    for data, ours in zip(cases, tp.run_ids_many(tok, cases)):
        assert _valid(data) is None or data == b""
        _assert_same(ours, tp.reference_bytes_encode(enc, data), "%s on %r" % (name, data[:40]))


def test_hf_gpt2_ids():
    hf = tp.hf_tokenizer()
    tok = os.path.join(tp.SHARED, "gpt2-tokenizer.json")
    n = 0
    for (label, data), ours in zip(INPUTS, tp.run_ids_many(tok, [d for _, d in INPUTS])):
        text = _valid(data)
        if text is None:
            continue
        _assert_same(ours, hf.encode(text).ids, "HF gpt2 on " + label)
        n += 1
    assert n > 60


def test_tiktoken_and_hf_files_agree():
    """The two GPT-2 files (tiktoken ranks, HF merges) give the same ids."""
    data = tp.shakespeare()[:200_000] + tp.handbook_text("ru-RU", 50_000)
    a = tp.run_ids(os.path.join(tp.SHARED, "gpt2.tiktoken"), data)
    b = tp.run_ids(os.path.join(tp.SHARED, "gpt2-tokenizer.json"), data)
    _assert_same(a, b, "gpt2.tiktoken vs gpt2-tokenizer.json")


@pytest.mark.parametrize("file", ["gpt2.tiktoken", "cl100k_base.tiktoken", "gpt2-tokenizer.json"])
def test_roundtrip_any_bytes(file):
    tok = os.path.join(tp.SHARED, file)
    rng = random.Random(11)
    cases = [d for _, d in INPUTS[:5]] + list(tp.INVALID_UTF8_CASES)
    cases += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))) for _ in range(10)]
    cases.append(b"\x00\x00nul\x00bytes\x00")
    all_ids = tp.run_ids_many(tok, cases, "--ordinary")
    for data, ids in zip(cases, all_ids):
        assert len(ids) <= len(data)
    # decoding the concatenation gives back the concatenated bytes
    assert tp.run_decode(tok, [i for ids in all_ids for i in ids]) == b"".join(cases)
    assert tp.run_decode(tok, all_ids[0]) == cases[0]


def test_hf_add_prefix_space(tmp_path):
    """ByteLevel{add_prefix_space: true}: a space before each segment, as HF does."""
    import json
    with open(os.path.join(tp.SHARED, "gpt2-tokenizer.json"), encoding="utf-8") as f:
        j = json.load(f)
    j["pre_tokenizer"]["add_prefix_space"] = True
    path = str(tmp_path / "aps.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(j, f)
    from tokenizers import Tokenizer
    hf = Tokenizer.from_file(path)
    cases = [e for e in tp.EDGE_CASES if e] + [tp.shakespeare()[:5000]]
    for data, ours in zip(cases, tp.run_ids_many(path, cases)):
        _assert_same(ours, hf.encode(data.decode()).ids, "add_prefix_space on %r" % data[:30])
