#!/usr/bin/env bash
# llmake-tokenize encode: llm.c shards + document index, train/val split by
# id hash, shard size, deterministic across thread counts, uint32 for big
# vocabularies, --shard I/N, inspect and corrupt headers.
. "$(dirname "$0")/../lib.sh"
G=$SHARED/gpt2.tiktoken C=$SHARED/cl100k_base.tiktoken

head -c 300000 "$SHARED/tinyshakespeare.txt" >shake.txt
ok "documents from text lines" llmake-convert -f lines shake.txt -o docs.jsonl
ndocs=$(wc -l <docs.jsonl)

ok "encode" llmake-tokenize encode -t "$G" --val-fraction 0.1 -j 1 docs.jsonl -o s1
[ -f s1/train_000000.bin ] && [ -f s1/train_000000.idx ] && [ -f s1/val_000000.bin ] && [ -f s1/manifest.json ]
check "train and val shards, indexes and manifest exist"
[ "$(od -An -t d4 -N 12 s1/train_000000.bin | tr -s ' ')" = " 20240520 1 $(( ($(stat -c %s s1/train_000000.bin) - 1024) / 2 ))" ]
check "llm.c header: magic 20240520, version 1, token count matches the size"
docs=$($PY -c 'import json,sys; m=json.load(open("s1/manifest.json")); c=m["counts"]; print(c["documents"], c["train_documents"]+c["val_documents"], c["val_documents"])')
set -- $docs
[ "$1" = "$ndocs" ] && [ "$2" = "$ndocs" ]; check "every document counted ($ndocs)"
[ "$3" -gt $((ndocs / 20)) ] && [ "$3" -lt $((ndocs / 5)) ]; check "about 10% validation documents ($3)"

ok "inspect" llmake-tokenize inspect -t "$G" s1/train_000000.bin
out | grep -q "documents     $(( $2 - $3 ))"; check "inspect counts the training documents"
out | grep -q "<|endoftext|>First Citizen"; check "inspect decodes the sample, EOT before each document"
ok "llmake-inspect recognises a token shard" llmake-inspect s1/train_000000.bin
out | grep -q "documents     $(( $2 - $3 ))"; check "llmake-inspect counts the training documents"

ok "encode with 2 threads" llmake-tokenize encode -t "$G" --val-fraction 0.1 -j 2 --set batch_bytes=20000 docs.jsonl -o s2
cmp -s s1/train_000000.bin s2/train_000000.bin && cmp -s s1/val_000000.idx s2/val_000000.idx
check "shards are identical for 1 and 2 threads"

ok "small shards" llmake-tokenize encode -t "$G" --shard-tokens 20000 --val-fraction 0 docs.jsonl -o s3
[ "$(ls s3/train_*.bin | wc -l)" -ge 4 ] && [ ! -e s3/val_000000.bin ]; check "several shards, no val split"
total=0
for f in s3/train_*.bin; do total=$((total + ($(stat -c %s "$f") - 1024) / 2)); done
[ "$total" = "$($PY -c 'import json; print(json.load(open("s3/manifest.json"))["counts"]["tokens"])')" ]
check "tokens over all shards equal the manifest count"

ok "cl100k needs uint32" llmake-tokenize encode -t "$C" docs.jsonl -o s4
[ "$(od -An -t d4 -N 8 s4/train_000000.bin | tr -s ' ')" = " 20240801 7" ]; check "magic 20240801, version 7 for a 100k vocabulary"

ok "--shard 1/2" llmake-tokenize encode -t "$G" --shard 1/2 docs.jsonl docs.jsonl -o s5
[ -f s5/train_001_000000.bin ]; check "shard index in the file names"

cp s1/train_000000.bin corrupt.bin
printf '\x01\x02\x03\x04' | dd of=corrupt.bin bs=1 seek=0 conv=notrunc status=none
fails 1 "a corrupt magic is refused" llmake-tokenize inspect corrupt.bin
grep -q "magic" "$T/.err"; check "the error names the magic"
head -c 2000 s1/train_000000.bin >short.bin
fails 1 "a truncated shard is refused" llmake-tokenize inspect short.bin
grep -q "truncated" "$T/.err"; check "the error says truncated"
fails 1 "missing tokenizer file" llmake-tokenize encode -t nope.json docs.jsonl -o s6
done_testing
