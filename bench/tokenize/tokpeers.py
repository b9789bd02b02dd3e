"""tokpeers.py: shared helpers of the tokenizer interop tests and benchmarks.

The peers (tiktoken, HF tokenizers) are loaded offline from ../shared/data;
the test inputs are built at run time from real data (tinyshakespeare, the
Common Crawl WARC sample, debian-handbook translations) plus edge cases.
"""
import gzip
import os
import re
import shutil
import subprocess
import tempfile

ROOT = os.environ.get("LLMAKE_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("LLMAKE_BIN") or os.path.join(ROOT, "bin")
SHARED = os.environ.get("LLMAKE_SHARED") or os.path.join(ROOT, "..", "shared", "data")
TOOL = os.path.join(BIN, "llmake-tokenize")
HANDBOOK = "/usr/share/doc/debian-handbook/html"

# tiktoken's cache file names for the rank files (sha1 of the download URL)
_CACHE_NAMES = {
    "r50k_base": ("gpt2.tiktoken", "0ea1e91bbb3a60f729a8dc8f777fd2fc07cd8df4"),
    "cl100k_base": ("cl100k_base.tiktoken", "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"),
}
_cache_dir = None


def tiktoken_encoding(name):
    """tiktoken.get_encoding(name) from the rank files in shared/data, offline."""
    global _cache_dir
    if _cache_dir is None:
        _cache_dir = tempfile.mkdtemp(prefix="tiktoken-cache.")
        for src, dst in _CACHE_NAMES.values():
            shutil.copy(os.path.join(SHARED, src), os.path.join(_cache_dir, dst))
        os.environ["TIKTOKEN_CACHE_DIR"] = _cache_dir
    import tiktoken
    return tiktoken.get_encoding(name)


def hf_tokenizer(path=None):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(path or os.path.join(SHARED, "gpt2-tokenizer.json"))


def run_ids(tok, data, *extra):
    """Our ids for raw bytes data."""
    r = subprocess.run([TOOL, "ids", "-t", tok, *extra], input=data, capture_output=True)
    if r.returncode != 0:
        raise AssertionError("llmake-tokenize ids failed: " + r.stderr.decode(errors="replace"))
    out = r.stdout.decode().split()
    return [int(x) for x in out]


def run_ids_many(tok, datas, *extra):
    """Our ids for many inputs in one process (one output line per file)."""
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for i, data in enumerate(datas):
            p = os.path.join(d, "in%05d.txt" % i)
            with open(p, "wb") as f:
                f.write(data)
            paths.append(p)
        r = subprocess.run([TOOL, "ids", "-t", tok, *extra, *paths], capture_output=True)
    if r.returncode != 0:
        raise AssertionError("llmake-tokenize ids failed: " + r.stderr.decode(errors="replace"))
    lines = r.stdout.decode().split("\n")
    assert lines[-1] == "" and len(lines) == len(datas) + 1, "expected one line per input"
    return [[int(x) for x in line.split()] for line in lines[:-1]]


def run_decode(tok, ids):
    data = (" ".join(str(i) for i in ids) + "\n").encode()
    r = subprocess.run([TOOL, "decode", "-t", tok], input=data, capture_output=True)
    if r.returncode != 0:
        raise AssertionError("llmake-tokenize decode failed: " + r.stderr.decode(errors="replace"))
    return r.stdout


# ---------------------------------------------------------------- inputs

def shakespeare():
    with open(os.path.join(SHARED, "tinyshakespeare.txt"), "rb") as f:
        return f.read()


def warc_payloads():
    """HTTP bodies of the response records of the Common Crawl sample (raw bytes)."""
    with gzip.open(os.path.join(SHARED, "cc-main-2020-34-sample.warc.gz"), "rb") as f:
        data = f.read()
    out = []
    pos = 0
    while True:
        i = data.find(b"WARC/1.0\r\n", pos)
        if i < 0:
            break
        hdr_end = data.find(b"\r\n\r\n", i)
        hdr = data[i:hdr_end].decode("latin-1")
        m = re.search(r"Content-Length:\s*(\d+)", hdr, re.I)
        n = int(m.group(1)) if m else 0
        body = data[hdr_end + 4:hdr_end + 4 + n]
        pos = hdr_end + 4 + n
        if "WARC-Type: response" in hdr:
            http_end = body.find(b"\r\n\r\n")
            if http_end >= 0:
                out.append(body[http_end + 4:])
    return out


_TAG = re.compile(rb"<[^>]*>")


def handbook_text(locale, max_bytes=200_000):
    """Text of the debian-handbook HTML pages of one locale (tags stripped)."""
    d = os.path.join(HANDBOOK, locale)
    chunks = []
    total = 0
    for name in sorted(os.listdir(d)):
        if not name.endswith(".html"):
            continue
        with open(os.path.join(d, name), "rb") as f:
            t = _TAG.sub(b" ", f.read())
        chunks.append(t)
        total += len(t)
        if total >= max_bytes:
            break
    return b"".join(chunks)[:max_bytes]


LOCALES = ["ar-MA", "zh-CN", "ja-JP", "ru-RU", "fa-IR", "de-DE", "fr-FR", "ko-KR", "el-GR", "vi-VN"]

EDGE_CASES = [
    b"",
    b" ",
    b"   ",
    b"\n",
    b"a",
    b"Hello world",
    b"  leading and trailing spaces  ",
    b"tabs\t\tand\t \tmixed \t\n",
    b"multiple   spaces    between     words",
    b"line1\nline2\r\nline3\rline4\n\n\n",
    b"\r\n\r\n  \r\n\t\r\n",
    b"trailing newline at end \n",
    b"trailing spaces at end   ",
    b"ends with spaces then newline  \n  ",
    b"it's they're we've I'm you'll he'd IT'S THEY'RE WE'VE I'M YOU'LL HE'D",
    b"'s 't 're 've 'm 'll 'd 'x '' ''' 'S 'T",
    b"\xe2\x80\x99s curly apostrophe, \xc5\xbfs long s: '\xc5\xbf",
    b"numbers 1 12 123 1234 12345 123456789 3.14159 1,000,000",
    "\u0661\u0662\u0663\u0664 arabic digits, \u2160\u2161 roman, \u00bd fraction".encode(),
    "emoji \U0001F600 \U0001F44D\U0001F3FD family \U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466 flag \U0001F1EB\U0001F1F7".encode(),
    "combining e\u0301 a\u0300 n\u0303 o\u0308\u0304 \u0915\u094D\u0937 \u0e01\u0e34".encode(),
    "zero\u200bwidth\u200cjoiner\u200d nbsp\u00a0here ideographic\u3000space en\u2002space".encode(),
    "\u00a0\u00a0 \u2028 \u2029 \u0085 \x0b \x0c".encode(),
    "\x1c\x1d\x1e\x1f control separators \x00 nul \x7f del".encode(),
    b"symbols !!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}",
    b"code: for (int i = 0; i < n; i++) { x[i] = y[i] * 2; }\n\tif (a && b || !c) return;",
    b"url https://example.com/path?q=1&r=2#frag email foo.bar@example.org",
    b"a" * 5000,
    b" " * 3000,
    b"\n" * 500,
    b"ab" * 3000 + b" " + b"xyz" * 2000,
    b"1" * 1000,
    ("\u4e2d\u6587" * 600).encode(),
    "Supercalifragilisticexpialidocious Pneumonoultramicroscopicsilicovolcanoconiosis".encode(),
    b"<|endoftext|>",
    b"before<|endoftext|>after",
    b"<|endoftext|><|endoftext|> <|endoftext|>\n<|endoftext|>",
    b"<|fim_prefix|>x<|fim_middle|>y<|fim_suffix|>z<|endofprompt|>",
    b"<|endoftext|",
    b"<|endoftext|>>",
    "MiXeD CaSe \u00c9T\u00c9 \u0130stanbul \u03a3\u03af\u03c3\u03c5\u03c6\u03bf\u03c2 \u0414\u043e\u0431\u0440\u044b\u0439".encode(),
    "\ufeffBOM at start and \ufffd replacement char".encode(),
    "math \u2211\u222b\u221a \u00d7\u00f7 \u2264\u2265 \U0001D400\U0001D401 \U0001D7CE\U0001D7CF".encode(),
]

INVALID_UTF8_CASES = [
    b"\xff",
    b"\x80abc",
    b"abc\xff def",
    b"truncated \xe2\x82",
    b"\xe2\x82 truncated mid",
    b"overlong \xc0\xaf and \xe0\x80\xaf",
    b"surrogate \xed\xa0\x80 here",
    b"above max \xf4\x90\x80\x80",
    b"lone continuation \x80\x81\x82 bytes",
    b"latin-1 caf\xe9 na\xefve r\xe9sum\xe9",
    b"mixed \xff\xfe valid \xc3\xa9 \xe9 'll\xff's",
    b" \xfe\xfd",
    bytes(range(256)),
    bytes(range(255, -1, -1)) * 3,
    b"\xc3\x28 \xa0\xa1 \xe2\x28\xa1 \xe2\x82\x28 \xf0\x28\x8c\xbc \xf0\x90\x28\xbc",
]


def split_invalid(data):
    """Decodes bytes to str, each byte of an invalid sequence becoming its own
    U+FFFD; returns (text, spans) with the byte span of every character."""
    chars = []
    spans = []
    i = 0
    n = len(data)
    while i < n:
        b = data[i]
        ln = 1 if b < 0x80 else 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        ch = None
        if ln:
            try:
                ch = data[i:i + ln].decode("utf-8")
                if len(ch) != 1:
                    ch = None
            except UnicodeDecodeError:
                ch = None
        if ch is None:
            chars.append("\ufffd")
            spans.append((i, i + 1))
            i += 1
        else:
            chars.append(ch)
            spans.append((i, i + ln))
            i += ln
    return "".join(chars), spans


def reference_bytes_encode(enc, data):
    """tiktoken's own regex and BPE applied to raw bytes: each invalid byte is
    a U+FFFD for the regex (a symbol), but its original byte goes to BPE."""
    import regex
    pat = enc._pat_str.replace("\\s++$", "\\s++\\Z")  # Rust's $ is end of text
    text, spans = split_invalid(data)
    ids = []
    for m in regex.finditer(pat, text):
        a, b = m.span()
        piece = data[spans[a][0]:spans[b - 1][1]]
        ids.extend(enc._encode_single_piece(piece))
    return ids


TRAIN_LOCALES = ["en-US", "de-DE", "fr-FR", "es-ES", "ru-RU", "ja-JP", "zh-CN", "ar-MA", "pt-BR", "it-IT"]


def handbook_docs(locales=TRAIN_LOCALES, per_locale=400_000):
    """Real multilingual documents: one per debian-handbook page (tags
    stripped, whitespace runs kept), up to per_locale bytes per locale."""
    docs = []
    for loc in locales:
        d = os.path.join(HANDBOOK, loc)
        total = 0
        for name in sorted(os.listdir(d)):
            if not name.endswith(".html"):
                continue
            with open(os.path.join(d, name), "rb") as f:
                t = _TAG.sub(b" ", f.read()).decode("utf-8", "replace")
            docs.append(t)
            total += len(t.encode())
            if total >= per_locale:
                break
    return docs


def write_jsonl(path, docs):
    import json
    with open(path, "w", encoding="utf-8") as f:
        for i, d in enumerate(docs):
            f.write(json.dumps({"text": d, "id": "doc%d" % i}, ensure_ascii=False) + "\n")


def hf_train(docs, vocab_size, pattern="gpt2", special=("<|endoftext|>",)):
    """HF tokenizers' BpeTrainer with the byte-level set-up llmake uses."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers, Regex, decoders
    tok = Tokenizer(models.BPE())
    if pattern == "gpt2":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(pattern), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tr = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(special),
                             initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(docs, tr)
    return tok
