#!/usr/bin/env bash
# --resume after kill -9 at arbitrary moments (mid-step and mid-checkpoint)
# reproduces an uninterrupted run bit for bit: same losses, same grad norms,
# same final weights (same thread count).
. "$(dirname "$0")/../lib.sh"

ok "make shards" "$PY" "$ROOT/tests/interop/train_ref.py" shards data 60000
ARGS=(data/train.bin --val data/val.bin --steps 16 --ckpt-every 2 --val-every 4 --set keep_last=2
      --set model.hidden_size=32 --set model.intermediate_size=64 --set model.num_hidden_layers=2
      --set model.num_attention_heads=4 --set model.num_key_value_heads=2 --set model.max_position_embeddings=64
      --set warmup_steps=3 --set peak_flops=1e11 -b 2 -t 32 -j 2 -q)
ok "uninterrupted run" llmake-train "${ARGS[@]}" -o ref

# kill -9 at staggered moments, resuming each time, until the run completes
kills=0
for delay in 0.7 1.3 0.4 2.1 0.9 1.7 0.3 2.5 1.1 0.6 1.9 3; do
	llmake-train "${ARGS[@]}" -o cut --resume >>cut.log 2>&1 &
	pid=$!
	sleep "$delay"
	if kill -0 $pid 2>/dev/null; then kill -9 $pid 2>/dev/null && kills=$((kills + 1)); fi
	wait $pid 2>/dev/null
	[ -f cut/manifest.json ] && break
done
[ -f cut/manifest.json ] || llmake-train "${ARGS[@]}" -o cut --resume >>cut.log 2>&1
[ -f cut/manifest.json ]; check "interrupted run completes after $kills kill -9"
echo "# killed $kills times"
[ "$kills" -ge 1 ]; check "the run was actually killed at least once"

fields() { "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(d["step"], repr(d.get("loss")), repr(d.get("grad_norm")), repr(d.get("lr")), repr(d.get("val_loss")))
' "$1"; }
fields ref/metrics.jsonl >ref.txt
fields cut/metrics.jsonl >cut.txt
cmp ref.txt cut.txt; check "losses, grad norms, lr and val losses identical to the last bit"
[ "$(grep -c . ref.txt)" = 20 ]; check "16 step lines + 4 evaluations"
cmp ref/model.safetensors cut/model.safetensors; check "final weights byte-identical"
! ls -a cut | grep -q '\.tmp'; check "no temp folders left behind"
done_testing
