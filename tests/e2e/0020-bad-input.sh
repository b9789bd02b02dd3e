#!/usr/bin/env bash
# Bad input: a clear error naming file and line, exit 1 (2 for usage), no
# partial output; --skip-bad counts bad records and keeps every good one.
. "$(dirname "$0")/../lib.sh"

# real documents to damage
head -n 2000 "$SHARED/tinyshakespeare.txt" >lines.txt
llmake-convert -q --format lines lines.txt -o good.jsonl.gz || exit 1
ngood=$(zcat good.jsonl.gz | wc -l)
nothing_written() { ! ls -A | grep -qE '^(out|\.out)'; }

# truncated gzip
head -c $(($(stat -c %s good.jsonl.gz) / 2)) good.jsonl.gz >trunc.jsonl.gz
fails 1 "truncated .jsonl.gz fails" llmake-convert trunc.jsonl.gz -o out.jsonl
err | grep -q "trunc.jsonl.gz': truncated gzip stream" ; check "the message names the file and says truncated"
ok "no partial output after a truncated input" nothing_written

# invalid JSON on one line, in the middle
zcat good.jsonl.gz | sed '500s/.*/{"text": "broken/' >badjson.jsonl
fails 1 "a line of invalid JSON fails" llmake-convert badjson.jsonl -o out.jsonl
err | grep -q "badjson.jsonl' line 500 (byte [0-9]*): invalid JSON" ; check "names file, line and byte"
ok "no output written" nothing_written
ok "--skip-bad goes on" llmake-convert --skip-bad badjson.jsonl -o out.jsonl
ok "every good record around the bad one is kept" test "$(wc -l <out.jsonl)" = $((ngood - 1))
ok "bad records are counted in the manifest" python3 -c "
import json; c=json.load(open('out.jsonl.manifest.json'))['counts']; assert c['bad_records']==1 and c['documents_out']==$((ngood-1)), c"
rm -f out.jsonl*

# missing / non-string text
zcat good.jsonl.gz | sed '3s/"text"/"txt"/; 7s/"text":"[^"]*"/"text":42/' >notext.jsonl
fails 1 "missing \"text\" fails" llmake-convert notext.jsonl -o out.jsonl
err | grep -q "line 3 .*missing \"text\"" ; check "message says text is missing on line 3"
ok "--skip-bad counts both bad records" llmake-convert --skip-bad notext.jsonl -o out.jsonl
ok "two records dropped" python3 -c "
import json; c=json.load(open('out.jsonl.manifest.json'))['counts']; assert c['bad_records']==2, c"
rm -f out.jsonl*

# invalid UTF-8
zcat good.jsonl.gz | head -n 20 >utf.jsonl
printf '{"text":"caf\xe9 latin-1","id":"bad"}\n' >>utf.jsonl
fails 1 "invalid UTF-8 fails" llmake-convert utf.jsonl -o out.jsonl
err | grep -q "utf.jsonl' line 21 (byte [0-9]*): invalid UTF-8 at byte 12" ; check "names line and byte of the bad sequence"
ok "nothing written" nothing_written

# a 200 MB single line: refused by the default 128 MiB line limit, memory bounded
python3 - <<'PY'
with open("huge.jsonl", "w") as f:
    f.write('{"text":"before"}\n{"text":"' + "a" * (200 << 20) + '"}\n{"text":"after"}\n')
PY
fails 1 "a 200 MB line fails cleanly" llmake-convert huge.jsonl -o out.jsonl
err | grep -q "huge.jsonl' line 2 (byte 18): line longer than the limit of 134217728 bytes" ; check "names line 2 and the limit"
ok "nothing written" nothing_written
ok "--skip-bad keeps the documents around the huge line" llmake-convert --skip-bad huge.jsonl -o out.jsonl
ok "before and after kept" test "$(cut -c1-30 out.jsonl | tr '\n' ' ')" = '{"text":"before","id":"huge.js {"text":"after","id":"huge.jso '
rm -f out.jsonl* huge.jsonl

# empty file, directory as input file, directory as output, unknown key
: >empty.jsonl
fails 1 "an empty file fails" llmake-convert empty.jsonl -o out.jsonl
err | grep -q "empty.jsonl': empty file (0 bytes)" ; check "names the empty file"
ok "--skip-bad accepts it" llmake-convert --skip-bad empty.jsonl -o out.jsonl
ok "an empty output" test ! -s out.jsonl
rm -f out.jsonl*
mkdir adir
fails 1 "a directory as the config file" llmake-convert --config adir good.jsonl.gz -o out.jsonl
err | grep -q "'adir' is a directory" ; check "says it is a directory"
fails 2 "a directory as the output file is a usage error" llmake-convert good.jsonl.gz -o adir
echo '{"limt": 3}' >cfg.json
fails 1 "an unknown config key fails" llmake-convert --config cfg.json good.jsonl.gz -o out.jsonl
err | grep -q "unknown config key 'limt'; did you mean 'limit'?" ; check "with a did-you-mean hint"
printf '{"limit": 3,\n  "gzip_level": }\n' >cfg2.json
fails 1 "a malformed config fails" llmake-convert --config cfg2.json good.jsonl.gz -o out.jsonl
err | grep -q "cfg2.json' line 2 column" ; check "names line and column"
fails 2 "an unknown option is a usage error" llmake-convert --frobnicate good.jsonl.gz -o out.jsonl
fails 1 "a missing input fails" llmake-convert nonexistent.jsonl -o out.jsonl
err | grep -q "nonexistent.jsonl" ; check "names the missing input"
ok "no output from any failure" nothing_written

# a killed stage leaves nothing that looks complete
python3 -c "
import json
with open('big.jsonl','w') as f:
    for i in range(400000): f.write(json.dumps({'text': 'word ' * 50, 'id': str(i)}) + '\n')"
llmake-convert -j1 big.jsonl -o out.jsonl.gz & pid=$!
sleep 0.3; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
ok "after kill -9 no file at the output path" test ! -e out.jsonl.gz
ok "and no manifest" test ! -e out.jsonl.gz.manifest.json
ok "only a hidden temp file may remain" sh -c 'test -z "$(ls | grep out)"'
rm -f .out.jsonl.gz.tmp.*
llmake-convert -j1 big.jsonl -o out.jsonl.gz & pid=$!
sleep 0.3; kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null
ok "after SIGTERM the temp file is removed too" sh -c '! ls -A | grep -q "\.tmp\."'
done_testing
