#!/usr/bin/env bash
# llmake-tokenize train: a tokenizer.json that our loader, HF tokenizers and
# the encode stage accept; GPT-2 and Llama-3 patterns; specials first.
. "$(dirname "$0")/../lib.sh"

head -c 400000 "$SHARED/tinyshakespeare.txt" >shake.txt
ok "documents" llmake-convert -f lines shake.txt -o docs.jsonl
ok "train 2000 (gpt2 regex)" llmake-tokenize train docs.jsonl --vocab-size 2000 -o tok.json
[ -f tok.json.manifest.json ]; check "manifest beside the tokenizer"
$PY - <<'PY'
import json
t = json.load(open("tok.json"))
m = json.load(open("tok.json.manifest.json"))
assert t["model"]["type"] == "BPE" and len(t["model"]["vocab"]) == 2000, len(t["model"]["vocab"])
assert t["model"]["vocab"]["<|endoftext|>"] == 0
assert t["added_tokens"][0]["content"] == "<|endoftext|>" and t["added_tokens"][0]["special"]
assert len(t["model"]["merges"]) == 2000 - 257
assert t["pre_tokenizer"]["type"] == "ByteLevel" and t["pre_tokenizer"]["use_regex"]
assert m["counts"]["vocab_size"] == 2000 and m["counts"]["documents"] > 1000
assert m["training"]["merge_seconds"] >= 0 and m["peak_rss_bytes"] > 0
PY
check "tokenizer.json layout and manifest counts"
ok "ids with the trained tokenizer" llmake-tokenize ids -t tok.json shake.txt
out >ids.txt
llmake-tokenize decode -t tok.json ids.txt >back.txt && cmp -s back.txt shake.txt; check "round trip with the trained tokenizer"
[ "$(wc -w <ids.txt)" -lt "$(llmake-tokenize ids -t "$SHARED/gpt2.tiktoken" shake.txt | wc -w | awk '{print int($1 * 1.5)}')" ]
check "2000 tokens on Shakespeare compress within 1.5x of GPT-2's 50k"
if $PY -c 'import tokenizers' 2>/dev/null; then
	$PY -c '
import sys
from tokenizers import Tokenizer
t = Tokenizer.from_file("tok.json")
ours = [int(x) for x in open("ids.txt").read().split()]
assert t.encode(open("shake.txt").read()).ids == ours
'
	check "HF tokenizers loads it and gives our ids"
else
	skip "HF tokenizers check" "tokenizers not installed"
fi

ok "train with the llama3 (cl100k-style) regex" llmake-tokenize train docs.jsonl --pattern llama3 --vocab-size 1000 \
	--set 'special_tokens=["<|endoftext|>","<|pad|>"]' -o tok3.json
grep -q '"Split"' tok3.json && grep -q 'p{N}{1,3}' tok3.json; check "Split regex with digit groups of 3"
printf '1234567 <|pad|>' >d.txt
ok "ids" llmake-tokenize ids -t tok3.json d.txt
[ "$(out | awk '{print $NF}')" = 1 ]; check "second special token has id 1"
ok "encode with the trained tokenizer" llmake-tokenize encode -t tok3.json docs.jsonl -o shards
[ "$(od -An -t d4 -j 20 -N 4 shards/train_000000.bin | tr -d ' ')" = 0 ]; check "eot id 0 in the shard header"

fails 1 "vocab size below the byte alphabet" llmake-tokenize train docs.jsonl --vocab-size 100 -o x.json
grep -q "vocab_size" "$T/.err"; check "the error names vocab_size"
fails 1 "unknown pattern" llmake-tokenize train docs.jsonl --pattern gpt5 -o x.json
grep -q "gpt2|llama3" "$T/.err"; check "the error lists the patterns"
[ ! -e x.json ]; check "no output on a usage error"
done_testing
