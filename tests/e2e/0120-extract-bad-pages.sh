#!/usr/bin/env bash
# Bad pages: a 50 MB single HTML page, binary bytes labelled text/html,
# invalid and lying charsets, undecodable bytes, pages with no text.  Never
# a crash; skips are counted; the text is always valid UTF-8.
. "$(dirname "$0")/../lib.sh"

python3 - <<'PY' || exit 1
import gzip, os, random
rnd = random.Random(20261123)  # fixed: the test must not depend on luck
para = open('/usr/share/doc/debian-handbook/html/en-US/sect.apt-get.html', encoding='utf-8').read()
body = para[para.index('<body'):para.rindex('</body>')]
# 50 MB: one page made of the real handbook body repeated, plus one giant text node
with open('big.html', 'w', encoding='utf-8') as f:
    f.write('<html><head><title>big</title></head>')
    n = 0
    while n < 45_000_000:
        f.write(body); n += len(body)
    f.write('<p>' + 'word ' * 1_000_000 + '</p></body></html>')
def http_rec(rid, body, ctype='text/html', extra=b''):
    http = b'HTTP/1.1 200 OK\r\nContent-Type: ' + ctype.encode() + b'\r\n' + extra + b'\r\n' + body
    return (b'WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:' + rid.encode() + b'>\r\n'
            b'WARC-Target-URI: http://bad.example/' + rid.encode() + b'\r\nWARC-Date: 2020-08-01T00:00:00Z\r\n'
            b'Content-Type: application/http; msgtype=response\r\nContent-Length: ' + str(len(http)).encode() +
            b'\r\n\r\n' + http + b'\r\n\r\n')
zh = '<html><head><meta charset="utf-99"><title>t</title></head><body><p>这是一个测试页面，它的字符集声明是错误的，但内容是中文。我们需要正确地检测它。</p></body></html>'
recs = [
    http_rec('binary', rnd.randbytes(200_000)),
    http_rec('png', b'\x89PNG\r\n\x1a\n' + rnd.randbytes(5000)),
    http_rec('badcharset-header', zh.encode('gb18030'), 'text/html; charset=x-totally-bogus'),
    http_rec('lying-header', zh.encode('gb18030'), 'text/html; charset=utf-8'),
    http_rec('garbage-charset', zh.encode('gb18030'), 'text/html; charset="\x01\xff<script>"'.encode('latin-1').decode('latin-1')),
    http_rec('undecodable', ('<html><body><p>' + '中文的内容，' * 200 + '</p><p>坏').encode('gb18030') + b'\xff\xff' + '字节之后的文本。</p></body></html>'.encode('gb18030'), 'text/html; charset=gb2312'),
    http_rec('nul-bytes', b'<html><body><p>text with a NUL \x00 inside it and more words</p></body></html>'),
    http_rec('only-script', b'<html><head><script>var a=1;</script></head><body><script>x()</script></body></html>'),
    http_rec('pdf', b'%PDF-1.4 ...', 'application/pdf'),
    http_rec('brotli', rnd.randbytes(3000), 'text/html', b'Content-Encoding: br\r\n'),
    http_rec('good', b'<html><body><article><p>A good page that must come through all of this damage.</p></article></body></html>'),
]
open('bad.warc', 'wb').write(b''.join(recs))
big = open('big.html', 'rb').read()
open('big.warc.gz', 'wb').write(gzip.compress(http_rec('big', big), 1) + gzip.compress(recs[-1], 1))
PY

ok "bad pages in a WARC: exit 0" llmake-extract -q bad.warc -o bad.jsonl
ok "skips counted per reason, good pages kept, text valid UTF-8" python3 - <<'PY'
import json
docs = {json.loads(l)['id']: json.loads(l) for l in open('bad.jsonl', encoding='utf-8', errors='strict')}
c = json.load(open('bad.jsonl.manifest.json'))['counts']
ids = set(docs)
assert '<urn:uuid:good>' in ids, ids
assert '<urn:uuid:binary>' not in ids and '<urn:uuid:png>' not in ids and '<urn:uuid:brotli>' not in ids
assert c['skipped_binary'] >= 2, c
assert c['skipped_content_type'] == 1, c          # the PDF
assert c['skipped_content_encoding'] == 1, c      # brotli kept raw is binary
assert c['skipped_empty_text'] == 1, c            # only scripts
assert c['charset_declared_invalid'] >= 2, c      # x-totally-bogus, garbage, utf-99
for rid in ('badcharset-header', 'lying-header', 'garbage-charset'):
    t = docs[f'<urn:uuid:{rid}>']['text']
    assert '这是一个测试页面' in t, (rid, t)
t = docs['<urn:uuid:undecodable>']['text']
assert '中文的内容' in t and '字节之后的文本' in t and '\ufffd' in t, t[-100:]
assert c['charset_replaced_bytes'] >= 2, c
assert '\x00' not in docs['<urn:uuid:nul-bytes>']['text']
assert c['documents_out'] + sum(v for k, v in c.items() if k.startswith('skipped_')) == c['records_total'], c
PY

ok "50 MB single HTML page" llmake-extract -q big.html -o big.jsonl
ok "... extracted whole" python3 -c "
import json
d = json.loads(open('big.jsonl').readline())
assert len(d['text']) > 15_000_000 and d['text'].count('APT is a vast project') > 100, len(d['text'])
assert d['text'].rstrip().endswith('word'), d['text'][-50:]"
ok "50 MB page inside a gzip WARC" llmake-extract -q big.warc.gz -o bigw.jsonl
ok "... both records out" test "$(wc -l <bigw.jsonl)" = 2
ok "max_record_bytes skips the big record, keeps the next" llmake-extract -q --set max_record_bytes=1000000 big.warc.gz -o bigs.jsonl
ok "... counted as too large" python3 -c "
import json
c = json.load(open('bigs.jsonl.manifest.json'))['counts']
assert c['warc_too_large_records'] == 1 and c['documents_out'] == 1, c"
ok "max_html_bytes skips a big HTML file (counted)" llmake-extract -q --set max_html_bytes=1000000 big.html -o bigh.jsonl
ok "... skipped_too_large" python3 -c "
import json
c = json.load(open('bigh.jsonl.manifest.json'))['counts']
assert c['skipped_too_large'] == 1 and c['documents_out'] == 0, c"

: >empty.html
python3 -c "open('bin.html','wb').write(bytes(range(256)) * 8)"
ok "empty and binary .html files" llmake-extract -q empty.html bin.html -o e.jsonl
ok "... skipped and counted" python3 -c "
import json
c = json.load(open('e.jsonl.manifest.json'))['counts']
assert c['documents_out'] == 0 and c['skipped_empty_payload'] + c['skipped_binary'] + c['skipped_empty_text'] == 2, c"
done_testing
