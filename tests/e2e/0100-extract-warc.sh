#!/usr/bin/env bash
# llmake-extract on real WARCs and HTML: the documents, their ids and metadata,
# counted skips, and output that does not depend on --threads or the input's
# compression layout.
. "$(dirname "$0")/../lib.sh"

CC=$SHARED/cc-main-2020-34-sample.warc.gz
ok "extract the Common Crawl sample" llmake-extract -q "$CC" -o cc.jsonl.gz
ok "16 documents, one per HTML response record, ids and urls from the WARC" python3 - "$CC" <<'PY'
import gzip, json, re, sys
raw = gzip.open(sys.argv[1]).read()
want = []
for m in re.finditer(rb'WARC/1\.0\r\n(.*?)\r\n\r\n', raw, re.S):
    h = m.group(1).decode()
    if 'WARC-Type: response' in h:
        want.append((re.search(r'WARC-Record-ID: (\S+)', h).group(1), re.search(r'WARC-Target-URI: (.*)', h).group(1).strip()))
docs = [json.loads(l) for l in gzip.open('cc.jsonl.gz')]
got = [(d['id'], d['metadata']['url']) for d in docs]
assert got == want, (got, want)
for d in docs:
    md = d['metadata']
    assert d['text'].strip(), d['id']
    assert md['date'].startswith('2020-08'), md
    assert md['content_type'] in ('text/html', 'application/xhtml+xml'), md
    assert md['charset'], md
PY
ok "manifest: records_total = documents_out + skipped_*" python3 - <<'PY'
import json
c = json.load(open('cc.jsonl.gz.manifest.json'))['counts']
skipped = sum(v for k, v in c.items() if k.startswith('skipped_'))
assert c['records_total'] == 50 and c['documents_out'] == 16, c
assert c['records_total'] == c['documents_out'] + skipped, c
assert c['skipped_record_type'] == 34 and c['warc_gzip_members'] == 50, c
# a GBK page decoded through its meta tag
assert c['charset_meta'] + c['charset_header'] >= 1, c
PY
ok "Chinese pages are decoded to real Chinese text" python3 -c "
import gzip, json
t = ''.join(json.loads(l)['text'] for l in gzip.open('cc.jsonl.gz'))
assert sum('\u4e00' <= ch <= '\u9fff' for ch in t) > 5000, 'too few CJK characters'
assert '\ufffd' not in t[:2000]"

zcat "$CC" >plain.warc
python3 -c "import gzip; open('one.warc.gz','wb').write(gzip.compress(open('plain.warc','rb').read()))"
ok "plain .warc" llmake-extract -q plain.warc -o plain.jsonl
ok "single gzip member for the whole file" llmake-extract -q one.warc.gz -o one.jsonl
ok "same documents from every layout" sh -c 'zcat cc.jsonl.gz | cmp - plain.jsonl && cmp one.jsonl plain.jsonl'
ok "--threads 2 writes the same bytes" llmake-extract -q -j 2 "$CC" -o cc2.jsonl
ok "... identical" cmp cc2.jsonl plain.jsonl

ok "warcio example: request/revisit/warcinfo skipped" llmake-extract -q "$SHARED/warcio-example.warc.gz" -o ex.jsonl
ok "one document from the response" python3 -c "
import json
d = [json.loads(l) for l in open('ex.jsonl')]
assert len(d) == 1 and d[0]['metadata']['url'] == 'http://example.com/', d
assert 'Example Domain' in d[0]['text'] or 'illustrative' in d[0]['text'], d[0]['text']
c = json.load(open('ex.jsonl.manifest.json'))['counts']
assert c['skipped_record_type'] == 5 and c['records_total'] == 6, c"

# WET conversion records are kept as plain text
printf 'WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://a.example/x y\r\nWARC-Date: 2020-08-01T00:00:00Z\r\nWARC-Record-ID: <urn:uuid:wet-1>\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n\r\nLine one.\nLine two here.\n\r\n\r\n' >x.wet
ok "WET conversion record" llmake-extract -q x.wet -o wet.jsonl
ok "kept as text, url with a space kept" python3 -c "
import json
d = json.loads(open('wet.jsonl').readline())
assert d['text'] == 'Line one.\nLine two here.' and d['metadata']['url'] == 'http://a.example/x y', d"

# HTML files and directories, sharding
mkdir hb
for f in $(ls /usr/share/doc/debian-handbook/html/en-US/*.html | sort | head -n 12); do cp "$f" hb/; done
ok "a directory of HTML files" llmake-extract -q hb -o hb.jsonl
ok "12 documents with text" python3 -c "
import json
d = [json.loads(l) for l in open('hb.jsonl')]
assert len(d) == 12 and all(len(x['text']) > 100 for x in d), len(d)
assert all(x['metadata']['charset'] == 'UTF-8' for x in d)"
ok "shard 0/2" llmake-extract -q --shard 0/2 hb -o s0.jsonl
ok "shard 1/2" llmake-extract -q --shard 1/2 hb -o s1.jsonl
ok "shards cover the whole set exactly once" python3 -c "
import json
ids = lambda p: [json.loads(l)['id'] for l in open(p)]
a, b, c = ids('s0.jsonl'), ids('s1.jsonl'), ids('hb.jsonl')
assert sorted(a + b) == sorted(c) and not set(a) & set(b)"
ok "--threads 2 on HTML files writes the same bytes" llmake-extract -q -j 2 hb -o hb2.jsonl
ok "... identical" cmp hb.jsonl hb2.jsonl
if [ -x "$BIN/llmake-inspect" ]; then
	ok "llmake-inspect shows the extraction counts" llmake-inspect cc.jsonl.gz.manifest.json
	out | grep -q "documents_out" ; check "inspect lists documents_out"
fi

fails 2 "no input is a usage error" llmake-extract -o x.jsonl
fails 1 "a missing input fails" llmake-extract nothere.warc.gz -o x.jsonl
err | grep -q "nothere.warc.gz" ; check "the message names the file"
done_testing
