#!/usr/bin/env bash
# llmake-generate: greedy streaming to stdout (deterministic, thread-count
# independent), batch JSONL mode, stop strings, max tokens, seeded sampling
# (top-k / top-p / min-p / repetition penalty), tokens/s report, left
# truncation of a prompt longer than the context, bad prompt lines.
. "$(dirname "$0")/../lib.sh"
. "$ROOT/tests/e2e/eval_model.sh"

ok "greedy, 2 threads" llmake-generate -m model -p "ROMEO:" -n 12 -j 2
out >g2.txt
err | grep -q "prompt [0-9]* tokens (.* tok/s), generated 12 tokens (.* tok/s)"; check "tokens/s reported"
ok "greedy, 1 thread" llmake-generate -m model -p "ROMEO:" -n 12 -j 1
out >g1.txt
cmp -s g1.txt g2.txt && [ -s g1.txt ]; check "same text with 1 and 2 threads"

printf '%s\n' '{"id": "a", "prompt": "ROMEO:"}' '{"text": "JULIET:\nO"}' '{"prompt": ""}' >p.jsonl
ok "batch mode" llmake-generate -m model p.jsonl -o o.jsonl -n 12
"$PY" - <<'PY'
import json
rows = [json.loads(l) for l in open("o.jsonl")]
assert len(rows) == 3 and rows[0]["id"] == "a"
for r in rows[:2]:
    assert r["generated_tokens"] == 12 and r["stop_reason"] == "length", r
    assert r["prompt_tokens_per_s"] > 0 and r["gen_tokens_per_s"] > 0
# an empty prompt starts from <|endoftext|>
assert rows[2]["prompt_tokens"] == 1 and rows[2]["stop_reason"] in ("length", "eos"), rows[2]
g = open("g1.txt").read().rstrip("\n")
assert rows[0]["completion"] == g, (rows[0]["completion"], g)
m = json.load(open("o.jsonl.manifest.json"))
assert m["generation"]["generated_tokens"] == 24 + rows[2]["generated_tokens"] and m["counts"]["prompts"] == 3
PY
check "batch rows: completion equals the streamed greedy text, counts, tokens/s"

stop=$("$PY" -c 'import json; c = json.loads(open("o.jsonl").readline())["completion"]; print(json.dumps([c[3:5]]))')
ok "stop strings" llmake-generate -m model -p "ROMEO:" -n 12 --stop "$stop"
"$PY" -c '
import json, sys
full = json.loads(open("o.jsonl").readline())["completion"]
stop = json.loads(sys.argv[1])[0]
got = open(sys.argv[2]).read().rstrip("\n")
assert got == full[:full.index(stop)], (got, full, stop)' "$stop" "$T/.out"
check "text ends before the first stop string"

S=(-m model -p "ROMEO:" -n 16 --temperature 0.9 --top-k 40 --top-p 0.95 --min-p 0.01 --repetition-penalty 1.1)
ok "sampling seed 7" llmake-generate "${S[@]}" --seed 7
out >s7a.txt
ok "sampling seed 7 again" llmake-generate "${S[@]}" --seed 7
cmp -s s7a.txt "$T/.out"; check "same seed, same text"
ok "sampling seed 8" llmake-generate "${S[@]}" --seed 8
! cmp -s s7a.txt "$T/.out"; check "another seed, another text"

long=$("$PY" -c 'print("the king " * 400)')
ok "prompt longer than the context" llmake-generate -m model -p "$long" -n 8
err | grep -q "prompt longer than the context: dropped its first [0-9]* tokens"; check "left truncation reported"

fails 1 "bad temperature" llmake-generate -m model -p x --temperature -1
fails 2 "no prompt" llmake-generate -m model
printf '%s\n' '{"prompt": "a"}' 'not json' '{"x": 1}' >bad.jsonl
fails 1 "bad prompt line refused" llmake-generate -m model bad.jsonl -o b.jsonl -n 2
err | grep -q "bad.jsonl' line 2"; check "names the line"
ok "bad prompt lines skipped" llmake-generate -m model bad.jsonl -o b.jsonl -n 2 --skip-bad
[ "$(wc -l <b.jsonl)" = 1 ]; check "one row out"
done_testing
