#!/usr/bin/env bash
# llmake-train on real tokens (tinyshakespeare through GPT-2 BPE): metrics,
# validation with bits-per-byte, checkpoints (keep_last), the final HF folder,
# manifest, inspection summary, grad accumulation and the three schedules.
. "$(dirname "$0")/../lib.sh"

ok "make shards from tinyshakespeare" "$PY" "$ROOT/tests/interop/train_ref.py" shards data 60000
TINY=(--set model.hidden_size=32 --set model.intermediate_size=64 --set model.num_hidden_layers=2
      --set model.num_attention_heads=4 --set model.num_key_value_heads=2 --set model.max_position_embeddings=64
      --set peak_flops=1e11 -b 2 -t 32 -j 2 -q)

ok "train 8 steps with validation and checkpoints" \
	llmake-train data/train.bin --val data/val.bin -o run --steps 8 --ckpt-every 2 --val-every 4 \
	--set keep_last=2 --set tokenizer="$SHARED/gpt2.tiktoken" "${TINY[@]}"
[ "$(grep -c '"loss"' run/metrics.jsonl)" = 8 ]; check "8 step lines in metrics.jsonl"
[ "$(grep -c '"val_loss"' run/metrics.jsonl)" = 2 ]; check "2 evaluation lines"
grep '"val_bpb":[0-9]' run/metrics.jsonl >/dev/null; check "val bits-per-byte reported"
for k in step loss lr grad_norm tokens_per_s mfu; do
	grep -q "\"$k\":" run/metrics.jsonl; check "metrics carry $k"
done
[ "$(ls -d run/ckpt-* | wc -l)" = 2 ] && [ -d run/ckpt-00000008 ] && [ -d run/ckpt-00000006 ]; check "keep_last=2 keeps ckpt 6 and 8"
[ -f run/ckpt-00000008/train_state.bin ] && [ -f run/ckpt-00000008/config.json ]; check "checkpoint has state and config"
[ -f run/model.safetensors ] && [ -f run/config.json ] && [ -f run/manifest.json ]; check "final HF folder and manifest"
grep -q '"LlamaForCausalLM"' run/config.json; check "config.json names LlamaForCausalLM"
ok "llmake-inspect summarises the model folder" llmake-inspect run/model.safetensors
out | grep -q "model.embed_tokens.weight" ; check "inspect lists the HF tensor names"
grep -q '"steps":[[:space:]]*8' run/manifest.json; check "manifest counts 8 steps"
first=$(head -1 run/metrics.jsonl | sed 's/.*"loss":\([0-9.]*\).*/\1/')
last=$(grep '"loss"' run/metrics.jsonl | tail -1 | sed 's/.*"loss":\([0-9.]*\).*/\1/')
awk -v a="$first" -v b="$last" 'BEGIN{exit !(b < a)}'; check "loss goes down ($first -> $last)"

for s in cosine wsd constant; do
	ok "schedule $s" llmake-train data/train.bin -o "s-$s" --steps 4 --set schedule=$s --set warmup_steps=1 "${TINY[@]}"
done
lr_last() { grep '"loss"' "$1/metrics.jsonl" | tail -1 | sed 's/.*"lr":\([0-9.e-]*\).*/\1/'; }
awk -v c="$(lr_last s-constant)" 'BEGIN{exit !(c == 0.0006)}'; check "constant keeps the peak lr"
awk -v w="$(lr_last s-wsd)" 'BEGIN{exit !(w < 0.0006)}'; check "wsd decays at the end"
ok "grad accumulation" llmake-train data/train.bin -o acc --steps 2 --set grad_accum=2 "${TINY[@]}"
grep -q '"tokens":256' acc/metrics.jsonl; check "2 micro-batches x 2 x 32 tokens per step"
ok "u32 shards (magic 20240801)" "$PY" "$ROOT/tests/interop/train_ref.py" shards data32 20000 4
ok "train on u32 shards" llmake-train data32/train.bin -o r32 --steps 2 "${TINY[@]}"
ok "tied and qk_norm and z_loss" llmake-train data/train.bin -o qk --steps 2 --set model.qk_norm=true \
	--set z_loss=true --set model.tie_word_embeddings=false "${TINY[@]}"
done_testing
