"""Training parity of llmake-tokenize train with HF tokenizers' BpeTrainer.

Corpus: ~4 MB of debian-handbook pages in ten locales (one document per
page).  Required: vocabulary overlap >= 99% at 8k and 32k (we get 100% and
identical merges, since the trainer copies BpeTrainer's tie-breaking), and
the trained tokenizer.json loads in tokenizers and transformers and gives
our ids on the corpus.
"""
import json
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench", "tokenize"))
import tokpeers as tp  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("train")
    docs = tp.handbook_docs()
    path = str(d / "docs.jsonl")
    tp.write_jsonl(path, docs)
    return d, docs, path


def _train(d, path, vocab, pattern):
    out = str(d / ("ours-%s-%d.json" % (pattern, vocab)))
    r = subprocess.run([tp.TOOL, "train", path, "--vocab-size", str(vocab), "--pattern", pattern,
                        "-o", out], capture_output=True)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    with open(out, encoding="utf-8") as f:
        return out, json.load(f)


def _merges(m):
    return [" ".join(x) if isinstance(x, list) else x for x in m]


@pytest.mark.parametrize("vocab,pattern", [(8000, "gpt2"), (32000, "gpt2"), (8000, "llama3")])
def test_vocab_overlap_with_bpetrainer(corpus, vocab, pattern):
    d, docs, path = corpus
    out, ours = _train(d, path, vocab, pattern)
    regex = ours["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] if pattern != "gpt2" else "gpt2"
    hf = json.loads(tp.hf_train(docs, vocab, regex).to_str())
    hv, ov = hf["model"]["vocab"], ours["model"]["vocab"]
    assert len(ov) == vocab
    overlap = len(set(hv) & set(ov)) / len(hv)
    assert overlap >= 0.99, "vocabulary overlap %.4f < 0.99" % overlap
    # stronger than required: the same ids and the same merges in the same order
    same_ids = sum(1 for k in set(hv) & set(ov) if hv[k] == ov[k])
    assert same_ids == len(hv)
    assert _merges(hf["model"]["merges"]) == _merges(ours["model"]["merges"])


@pytest.mark.parametrize("pattern", ["gpt2", "llama3"])
def test_trained_tokenizer_in_hf_and_transformers(corpus, pattern):
    d, docs, path = corpus
    out, _ = _train(d, path, 8000, pattern)
    from tokenizers import Tokenizer
    hf = Tokenizer.from_file(out)
    from transformers import PreTrainedTokenizerFast
    tf = PreTrainedTokenizerFast(tokenizer_file=out)
    texts = docs[::5] + [e.decode() for e in tp.EDGE_CASES]
    all_ours = tp.run_ids_many(out, [t.encode() for t in texts])
    for i, (text, ours) in enumerate(zip(texts, all_ours)):
        assert ours == hf.encode(text).ids, "doc %d differs from tokenizers" % i
        assert ours == tf(text)["input_ids"], "doc %d differs from transformers" % i
    flat = [i for ids in all_ours for i in ids]
    assert tp.run_decode(out, flat) == "".join(texts).encode()


def test_min_frequency_and_specials(corpus):
    d, docs, path = corpus
    out = str(d / "minfreq.json")
    r = subprocess.run([tp.TOOL, "train", path, "--vocab-size", "50000", "--min-frequency", "500",
                        "--set", 'special_tokens=["<|endoftext|>","<|pad|>"]', "-o", out],
                       capture_output=True)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    ours = json.load(open(out, encoding="utf-8"))
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tr = trainers.BpeTrainer(vocab_size=50000, min_frequency=500, special_tokens=["<|endoftext|>", "<|pad|>"],
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(docs, tr)
    hv = json.loads(tok.to_str())["model"]["vocab"]
    assert ours["model"]["vocab"] == hv
    assert len(hv) < 50000  # min_frequency stopped it
    assert ours["model"]["vocab"]["<|pad|>"] == 1


def test_qwen2_style_with_nfc(corpus):
    """A Qwen2-style tokenizer.json: single-digit Split regex and an NFC normalizer."""
    d, docs, path = corpus
    out, tj = _train(d, path, 4000, "qwen2")
    tj["normalizer"] = {"type": "NFC"}
    qpath = str(d / "qwen2-nfc.json")
    with open(qpath, "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    from tokenizers import Tokenizer
    hf = Tokenizer.from_file(qpath)
    texts = docs[::9] + [e.decode() for e in tp.EDGE_CASES] + [
        "cafe\u0301 e\u0301te\u0301 A\u030a \u1e9b\u0323 \u0071\u0307\u0323 \uac00\u11a8 12345"]
    for i, (text, ours) in enumerate(zip(texts, tp.run_ids_many(qpath, [t.encode() for t in texts]))):
        assert ours == hf.encode(text).ids, "text %d differs from tokenizers" % i
