#!/usr/bin/env bash
# llmake-convert and llmake-inspect on real data: tinyshakespeare lines and
# debian-handbook pages become JSONL(.gz) that Python reads back exactly.
. "$(dirname "$0")/../lib.sh"

shakes=$SHARED/tinyshakespeare.txt
ok "convert tinyshakespeare, a document per line" llmake-convert --format lines "$shakes" -o shakes.jsonl.gz
ok "the manifest exists" test -s shakes.jsonl.gz.manifest.json
want=$(grep -c . "$shakes")
ok "python's gzip+json reads every line back, byte for byte" python3 - "$shakes" shakes.jsonl.gz <<'PY'
import gzip, json, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l]
docs = [json.loads(l) for l in gzip.open(sys.argv[2], "rt", encoding="utf-8")]
assert [d["text"] for d in docs] == lines, "texts differ"
assert len({d["id"] for d in docs}) == len(docs), "ids not unique"
PY
ok "manifest: counts, input hash, config, provenance" python3 - shakes.jsonl.gz.manifest.json "$want" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["tool"] == "llmake-convert" and m["manifest_version"] == 1
assert m["counts"]["documents_out"] == int(sys.argv[2]), m["counts"]
assert m["inputs"][0]["size"] == 1115394 and len(m["inputs"][0]["xxh3"]) == 16
assert m["outputs"][0]["path"] == "shakes.jsonl.gz"
assert m["config"]["input_format"] == "lines" and len(m["config_hash"]) == 16
assert len(m["git_sha"]) >= 7 and isinstance(m["git_dirty"], bool)
assert m["peak_rss_bytes"] > 0 and m["wall_seconds"] >= 0
PY

ok "inspect a JSONL.gz file" llmake-inspect shakes.jsonl.gz
out | grep -q "documents     $want" ; check "inspect counts the documents"
out | grep -q "text length   min" ; check "inspect shows length percentiles"
ok "inspect --json" llmake-inspect --json shakes.jsonl.gz
out >inspect.json
ok "inspect --json is valid JSON with the same count" python3 -c "
import json,sys; j=json.load(open('inspect.json')); assert j['documents']==$want, j['documents']
assert j['text_length']['min'] <= j['text_length']['p50'] <= j['text_length']['p99'] <= j['text_length']['max']"
ok "inspect a manifest" llmake-inspect shakes.jsonl.gz.manifest.json
out | grep -q "manifest of llmake-convert" ; check "inspect names the tool of a manifest"
ok "inspect --head prints samples" llmake-inspect --head 2 shakes.jsonl.gz
out | grep -q "^--- id tinyshakespeare.txt:1" ; check "the first sample is line 1"

# real HTML pages as whole-file documents, with metadata values counted
mkdir -p pages
for f in /usr/share/doc/debian-handbook/html/en-US/*.html; do
	sed -e 's/<[^>]*>//g' "$f" >"pages/$(basename "$f" .html).txt"
done
n=$(ls pages | wc -l)
ok "convert a directory of text files (a document per file)" llmake-convert pages -o pages.jsonl
ok "one document per file" test "$(wc -l <pages.jsonl)" = "$n"
ok "re-encode plain -> gzip -> plain is lossless" sh -c \
	'llmake-convert pages.jsonl -o p.jsonl.gz && llmake-convert p.jsonl.gz -o p2.jsonl && cmp pages.jsonl p2.jsonl'
python3 - <<'PY'
import json
with open("lang.jsonl", "w") as f:
    for i in range(300):
        f.write(json.dumps({"text": "x" * (i + 1), "id": f"d{i}", "metadata": {"language": ["en", "fr", "de"][i % 3 if i < 200 else 0], "language_score": 0.5 + i / 1000}}) + "\n")
PY
ok "inspect counts metadata values" llmake-inspect lang.jsonl
out | grep -qE '^ +en +167 ' ; check "language en counted 167 times"
out | grep -q "language_score" ; check "numeric metadata summarised"

# sharding covers every input exactly once
ok "shard 0/2" llmake-convert --shard 0/2 pages -o s0.jsonl
ok "shard 1/2" llmake-convert --shard 1/2 pages -o s1.jsonl
ok "shards partition the inputs" test "$(cat s0.jsonl s1.jsonl | sort | md5sum)" = "$(sort pages.jsonl | md5sum)"
ok "--limit stops early" llmake-convert -n 5 pages -o five.jsonl
ok "five documents" test "$(wc -l <five.jsonl)" = 5

ok "--version prints the git SHA" llmake-convert --version
out | grep -qE '^llmake-convert [0-9.]+ \(git [0-9a-f]{7,}' ; check "version line format"
ok "the dispatcher runs a stage" llmake convert --version
ok "llmake help lists stages" llmake help
out | grep -q inspect ; check "inspect is listed"
fails 2 "an unknown command is a usage error" llmake convrt
err | grep -q "did you mean 'convert'" ; check "the dispatcher suggests the nearest command"
ok "--help documents config keys" llmake-convert --help
out | grep -q "input_format" ; check "keys in --help"
done_testing
