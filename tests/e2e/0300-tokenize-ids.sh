#!/usr/bin/env bash
# llmake-tokenize ids/decode: known ids for GPT-2 and cl100k, byte-exact
# round trips (invalid UTF-8, NUL bytes), special tokens, bad ids.
. "$(dirname "$0")/../lib.sh"
G=$SHARED/gpt2.tiktoken C=$SHARED/cl100k_base.tiktoken H=$SHARED/gpt2-tokenizer.json

printf 'Hello world' >hello.txt
ok "ids gpt2.tiktoken" llmake-tokenize ids -t "$G" hello.txt
[ "$(out)" = "15496 995" ]; check "Hello world is 15496 995 in GPT-2"
ok "ids gpt2 tokenizer.json" llmake-tokenize ids -t "$H" hello.txt
[ "$(out)" = "15496 995" ]; check "tokenizer.json gives the same ids"
ok "ids cl100k" llmake-tokenize ids -t "$C" <hello.txt
[ "$(out)" = "9906 1917" ]; check "Hello world is 9906 1917 in cl100k"

head -c 150000 "$SHARED/tinyshakespeare.txt" >shake.txt
printf 'caf\xe9 \xff\xfe\x00nul\x00 \xe2\x82 \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\r\n\t' >bad.txt
for t in "$G" "$C" "$H"; do
	n=$(basename "$t")
	for f in shake.txt bad.txt; do
		llmake-tokenize ids -t "$t" "$f" >"$f.$n.ids" && llmake-tokenize decode -t "$t" "$f.$n.ids" >"$f.$n.back"
		check "ids+decode with $n on $f"
		cmp -s "$f" "$f.$n.back"; check "decode(encode(x)) == x for $f with $n"
	done
done
[ "$(wc -w <shake.txt.gpt2.tiktoken.ids)" -gt 30000 ]; check "shakespeare has > 30000 GPT-2 tokens"
cmp -s shake.txt.gpt2.tiktoken.ids shake.txt.gpt2-tokenizer.json.ids; check "tiktoken and HF files give the same ids"

printf 'a<|endoftext|>b' >sp.txt
ok "special token" llmake-tokenize ids -t "$G" sp.txt
[ "$(out)" = "64 50256 65" ]; check "<|endoftext|> is 50256"
ok "--ordinary" llmake-tokenize ids -t "$G" --ordinary sp.txt
[ "$(out | wc -w)" -gt 3 ] && ! out | grep -qw 50256; check "--ordinary encodes it as text"

printf '1 2 3' >ok.ids
ok "decode" llmake-tokenize decode -t "$G" ok.ids
[ "$(out)" = '"#$' ]; check "ids 1 2 3 decode to \"#\$"
printf '1 99999999' >bad.ids
fails 1 "an id outside the vocabulary is an error" llmake-tokenize decode -t "$G" bad.ids
grep -q "99999999" "$T/.err"; check "the error names the id"
printf '1 x2' >junk.ids
fails 1 "a non-number is an error" llmake-tokenize decode -t "$G" junk.ids
fails 2 "unknown command" llmake-tokenize frobnicate
fails 1 "no tokenizer given" llmake-tokenize ids hello.txt
ok "help" llmake-tokenize ids --help
done_testing
