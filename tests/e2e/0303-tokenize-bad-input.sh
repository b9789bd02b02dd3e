#!/usr/bin/env bash
# Bad input: malformed, truncated and unsupported tokenizer.json, bad
# .tiktoken files, NUL bytes and invalid UTF-8 in documents, and a 100 MB
# document.
. "$(dirname "$0")/../lib.sh"
G=$SHARED/gpt2.tiktoken H=$SHARED/gpt2-tokenizer.json
printf 'x' >in.txt

head -c 1000000 "$H" >trunc.json
fails 1 "truncated tokenizer.json" llmake-tokenize ids -t trunc.json in.txt
grep -q "truncated" "$T/.err"; check "the error says truncated"
printf '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"},,}' >bad.json
fails 1 "malformed tokenizer.json" llmake-tokenize ids -t bad.json in.txt
grep -q "invalid JSON at line 1, column" "$T/.err"; check "the error gives line and column"
printf '{"model": {"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}, "pre_tokenizer": {"type": "BertPreTokenizer"}}' >wp.json
fails 1 "WordPiece tokenizer.json" llmake-tokenize ids -t wp.json in.txt
grep -q "unsupported model type 'WordPiece'" "$T/.err"; check "the error names the model type"
printf '{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}' >uni.json
fails 1 "Unigram tokenizer.json" llmake-tokenize ids -t uni.json in.txt
grep -q "unsupported model type 'Unigram'" "$T/.err"; check "the error names the model type"
printf 'IQ== 0\nIg== one\n' >bad.tiktoken
fails 1 "bad rank file" llmake-tokenize ids -t bad.tiktoken --pattern gpt2 in.txt
grep -q "line 2" "$T/.err"; check "the error names the line"
cp "$G" mystery.tiktoken
fails 1 "unknown .tiktoken encoding" llmake-tokenize ids -t mystery.tiktoken in.txt
grep -q "gpt2 or cl100k" "$T/.err"; check "the hint names the encodings"
ok "the pattern makes it load" llmake-tokenize ids -t mystery.tiktoken --pattern gpt2 in.txt
fails 1 "missing tokenizer" llmake-tokenize ids -t nope.json in.txt

# NUL bytes and invalid UTF-8 in raw text survive a round trip
printf 'a\x00b\x00\x00 \xff\xc0\xaf \xed\xa0\x80\n' >nul.txt
llmake-tokenize ids -t "$H" nul.txt >nul.ids && llmake-tokenize decode -t "$H" nul.ids >nul.back
check "ids and decode of NUL bytes and invalid UTF-8"
cmp -s nul.txt nul.back; check "byte-exact round trip"

# NUL in a JSON document (the JSONL reader refuses it: skipped with --skip-bad),
# and one 100 MB document
$PY - "$SHARED/tinyshakespeare.txt" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
big = (text * (100_000_000 // len(text) + 1))[:100_000_000]
with open("docs.jsonl", "w") as f:
    f.write(json.dumps({"id": "nul", "text": "before\u0000after \u0000"}) + "\n")
    f.write(json.dumps({"id": "bad utf-8", "text": "caf\udce9"}, ensure_ascii=True) + "\n")
    f.write(json.dumps({"id": "big", "text": big}) + "\n")
    f.write(json.dumps({"id": "after", "text": "the end"}) + "\n")
PY
fails 1 "a NUL in a document is refused without --skip-bad" llmake-tokenize encode -t "$G" docs.jsonl -o nul
ok "encode a 100 MB document, skipping the NUL one" llmake-tokenize encode -t "$G" --val-fraction 0 --skip-bad docs.jsonl -o big
$PY - <<'PY'
import json
m = json.load(open("big/manifest.json"))["counts"]
assert m["bad_records"] >= 1, m
assert m["documents"] + m["bad_records"] == 4, m
assert m["tokens"] > 20_000_000, m
PY
check "the 100 MB document is encoded (> 20M tokens), the NUL one skipped"
ok "inspect the big shard" llmake-tokenize inspect big/train_000000.bin
n=$($PY -c 'import json; print(json.load(open("big/manifest.json"))["counts"]["documents"])')
out | grep -q "documents     $n "; check "the index holds the $n documents"
done_testing
