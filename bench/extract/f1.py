"""Token-level precision/recall/F1 of one text against a reference text.

Tokens: lowercased runs of letters/digits; every CJK ideograph, kana and
hangul syllable is a token of its own (those scripts do not separate words
with spaces).  Scores are over bags of tokens (multiset intersection).
"""
import re
from collections import Counter

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}]+")


def tokens(text):
    return _TOKEN.findall((text or "").lower())


def prf(ours, ref):
    """Returns (precision, recall, f1, common, n_ours, n_ref) of token bags."""
    a, b = Counter(tokens(ours)), Counter(tokens(ref))
    common = sum((a & b).values())
    na, nb = sum(a.values()), sum(b.values())
    p = common / na if na else (1.0 if nb == 0 else 0.0)
    r = common / nb if nb else (1.0 if na == 0 else 0.0)
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, common, na, nb
