#!/usr/bin/env bash
# The pipeline end to end: text -> llmake-convert -> llmake-tokenize encode
# (several llm.c shards + val split) -> llmake-train on the shard directory,
# validation bits-per-byte from the same tokenizer, and the HF folder it
# writes; then continuing training from it with init_from.
. "$(dirname "$0")/../lib.sh"
G=$SHARED/gpt2.tiktoken

head -c 120000 "$SHARED/tinyshakespeare.txt" >shake.txt
ok "documents from text lines" llmake-convert -f lines shake.txt -o docs.jsonl
ok "tokenize into several shards" llmake-tokenize encode -t "$G" --shard-tokens 8000 --val-fraction 0.1 docs.jsonl -o tok
[ "$(ls tok/train_*.bin | wc -l)" -ge 2 ]; check "several training shards"
TINY=(--set model.hidden_size=32 --set model.intermediate_size=64 --set model.num_hidden_layers=2
      --set model.num_attention_heads=4 --set model.num_key_value_heads=4 --set model.max_position_embeddings=64
      --set peak_flops=1e11 -b 2 -t 32 -j 2 -q)
ok "train on the shard files" llmake-train tok/train_*.bin --val tok/val_000000.bin -o run --steps 6 \
	--val-every 3 --set tokenizer="$G" "${TINY[@]}"
grep -q '"val_bpb":[0-9]' run/metrics.jsonl; check "bits-per-byte from the tokenizer"
n_in=$("$PY" -c 'import json; print(len(json.load(open("run/manifest.json"))["inputs"]))')
[ "$n_in" -ge 3 ]; check "manifest lists every shard as an input ($n_in)"
ok "continue from the HF folder (init_from)" llmake-train tok/train_000000.bin -o run2 --steps 2 \
	--init-from run "${TINY[@]}"
fails 1 "init_from with another shape is refused" llmake-train tok/train_000000.bin -o run3 --steps 1 \
	--init-from run "${TINY[@]}" --set model.num_hidden_layers=3
err | grep -q "init_from 'run' has a different model config (model.num_hidden_layers"; check "message names the key"
done_testing
