#!/usr/bin/env bash
# llmake-eval on the real task files (fixed 8-item subsets of ARC-Easy, COPA,
# WinoGrande, LAMBADA, HellaSwag .txt.bz2): results JSON (value, stderr, n per
# metric), provenance, --per-item, KV reuse, thread-count independence,
# few-shot determinism, a user-declared task file, and bits-per-byte computed
# from token shards and from the raw JSONL text (must agree).
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/e2e/eval_model.sh"

TASKS=arc_easy,copa,winogrande,lambada_openai,hellaswag
ok "eval 5 tasks, 8 items each" llmake-eval -m model --tasks $TASKS --limit 8 -o r.json \
	--per-item items.jsonl -j 2 -q
[ -f r.json ] && [ -f r.json.manifest.json ]; check "results and manifest written"
"$PY" - <<'PY'
import json, math, sys
r = json.load(open("r.json"))
want = {"arc_easy": ["acc", "acc_norm"], "copa": ["acc", "acc_norm"], "winogrande": ["acc"],
        "lambada_openai": ["acc", "perplexity"], "hellaswag": ["acc", "acc_norm"]}
for t, ms in want.items():
    for m in ms:
        v = r["results"][t][m]
        assert v["n"] == 8, (t, m, v)
        assert set(v) == {"value", "stderr", "n"}
    info = r["tasks"][t]
    assert info["n_items"] == 8 and len(info["data"]["xxh3"]) == 16, info
for t in ["arc_easy", "copa", "hellaswag", "winogrande"]:
    a = r["results"][t]["acc"]
    p = a["value"]
    # lm-eval's mean_stderr of 0/1 values: sqrt(p(1-p) n/(n-1)) / sqrt(n)
    assert abs(a["stderr"] - math.sqrt(p * (1 - p) * 8 / 7 / 8)) < 1e-9, (t, a)
assert r["tasks"]["hellaswag"]["context_tokens_reused"] > r["tasks"]["hellaswag"]["context_tokens_computed"]
assert r["model"]["manifest"]["tool"] == "llmake-train" and r["model"]["safetensors"]["xxh3"]
assert r["tokenizer"]["n_vocab"] == 50257
items = [json.loads(l) for l in open("items.jsonl")]
assert len(items) == 40, len(items)
hs = [i for i in items if i["task"] == "hellaswag"]
assert all(len(i["ll"]) == 4 and i["acc"] == (i["pred"] == i["gold"]) for i in hs)
acc = sum(i["acc"] for i in hs) / 8
assert abs(acc - r["results"]["hellaswag"]["acc"]["value"]) < 1e-12
PY
check "results: metrics, stderr as lm-eval, provenance, KV reuse, per-item rows"

ok "same items with 1 thread" llmake-eval -m model --tasks $TASKS --limit 8 -o r1.json \
	--per-item items1.jsonl -j 1 -q
"$PY" -c '
import json
a = [json.loads(l) for l in open("items.jsonl")]
b = [json.loads(l) for l in open("items1.jsonl")]
assert [(x.get("pred"), x["acc"]) for x in a] == [(x.get("pred"), x["acc"]) for x in b]
assert max(abs(p - q) for x, y in zip(a, b) for p, q in zip(x["ll"], y["ll"])) < 1e-3
'
check "predictions independent of the thread count"

ok "5-shot ARC-Easy" llmake-eval -m model --tasks arc_easy_5shot --limit 4 -o f1.json --per-item f1.jsonl -q
ok "5-shot again" llmake-eval -m model --tasks arc_easy_5shot --limit 4 -o f2.json --per-item f2.jsonl -q
cmp -s f1.jsonl f2.jsonl; check "few-shot prompts and scores are reproducible (fixed seed)"
[ "$(grep -c fewshot_prefix f1.jsonl)" = 4 ]; check "each item carries its few-shot prefix"

cat >mytask.json <<'J'
{"name": "mine", "format": "mc", "data": "mine.jsonl", "query_key": "question",
 "choices_key": "options", "gold_key": "answer", "metrics": ["acc"]}
J
printf '%s\n' '{"question": "The king said", "options": ["yes", "no", "maybe"], "answer": 2}' \
	'{"question": "ROMEO:", "options": ["I", "the"], "answer": 0}' >mine.jsonl
ok "a user-declared task file (no C)" llmake-eval -m model --tasks ./mytask.json -o m.json -q
grep -q '"mine"' m.json; check "user task in the results"

ok "bits-per-byte on the token shard" llmake-eval -m model data/train_000000.bin -o bs.json --ctx 64 --stride 32 -q
ok "bits-per-byte on the raw JSONL text" llmake-eval -m model docs.jsonl -o bt.json --ctx 64 --stride 32 -q
"$PY" - <<'PY'
import json
a = list(json.load(open("bs.json"))["results"].values())[0]
b = list(json.load(open("bt.json"))["results"].values())[0]
assert a["kind"] == "shard" and b["kind"] == "text"
assert a["tokens"] == b["tokens"] and a["bytes"] == b["bytes"], (a, b)
assert abs(a["bits_per_byte"] - b["bits_per_byte"]) < 1e-6 * b["bits_per_byte"], (a, b)
assert abs(a["loss"] - b["loss"]) < 1e-6 and a["bits_per_byte"] > 0
assert a["data"]["manifest"]["tool"].startswith("llmake-tokenize"), a["data"]
print(a["bits_per_byte"], b["bits_per_byte"])
PY
check "shard and raw-text bits-per-byte agree"
done_testing
