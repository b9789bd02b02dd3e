#!/usr/bin/env bash
# Damaged WARCs made from the real Common Crawl sample: truncated mid-record,
# flipped bytes in one gzip member, a corrupt member between good ones, wrong
# Content-Length both ways, wrong chunk sizes, zero-length records, spaces
# and junk in target URIs, junk between records.  Every case: exit 0, the
# damage counted in the manifest, and every good record still extracted.
. "$(dirname "$0")/../lib.sh"

CC=$SHARED/cc-main-2020-34-sample.warc.gz
llmake-extract -q "$CC" -o good.jsonl || exit 1

# The damage is made here, from the real file; expect.py lists the ids that
# must survive in each case.
python3 - "$CC" <<'PY' || exit 1
import gzip, json, re, sys, zlib
raw = open(sys.argv[1], 'rb').read()
members, pos = [], 0
while pos < len(raw):
    d = zlib.decompressobj(31)
    out = d.decompress(raw[pos:])
    n = len(raw) - pos - len(d.unused_data)
    members.append((raw[pos:pos + n], out))
    pos += n
recs = [m[1] for m in members]
def rid(r): return re.search(rb'WARC-Record-ID: (\S+)', r).group(1).decode()
def is_resp(r): return b'WARC-Type: response' in r[:400]
resp = [i for i, r in enumerate(recs) if is_resp(r)]
expect = {}
def save(name, data, lost=()):
    open(name, 'wb').write(data)
    expect[name] = [rid(recs[i]) for i in resp if i not in lost]
gz = lambda b: gzip.compress(b, 6)
# 1. truncated in the middle of a response record's member
cut_rec = resp[8]
off = sum(len(m[0]) for m in members[:cut_rec]) + len(members[cut_rec][0]) // 2
save('trunc.warc.gz', raw[:off], lost=[i for i in resp if i >= cut_rec])
# 2. bytes flipped inside one member
bad = bytearray(members[resp[3]][0])
for k in range(30, 60): bad[k] ^= 0xA5
save('flip.warc.gz', b''.join(m[0] for m in members[:resp[3]]) + bytes(bad) + b''.join(m[0] for m in members[resp[3] + 1:]), lost=[resp[3]])
# 3. a corrupt member (gzip header, garbage body) between good ones
junk_member = b'\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03' + bytes(range(256)) * 4
save('corrupt-member.warc.gz', b''.join(m[0] for m in members[:20]) + junk_member + b''.join(m[0] for m in members[20:]))
# 4. wrong Content-Length: too small on one response, too large on another
def setlen(r, delta):
    m = re.search(rb'Content-Length: (\d+)', r)
    return r[:m.start(1)] + str(int(m.group(1)) + delta).encode() + r[m.end(1):]
r4 = list(recs)
r4[resp[2]] = setlen(r4[resp[2]], -300)
r4[resp[5]] = setlen(r4[resp[5]], +500)
save('badlen.warc', b''.join(r4))
save('badlen.warc.gz', b''.join(gz(r) for r in r4))
# 5. wrong chunk sizes: a chunked body whose sizes are wrong
def chunk_wrong(r):
    hdr_end = r.index(b'\r\n\r\n') + 4
    http = r[hdr_end:]
    h_end = http.index(b'\r\n\r\n') + 4
    body = http[h_end:]
    fake = b'10\r\n' + body[:100] + b'\r\nZZ\r\n' + body[100:]
    new_http = http[:h_end].replace(b'\r\n\r\n', b'\r\nTransfer-Encoding: chunked\r\n\r\n', 1) + fake
    return setlen(r[:hdr_end], len(new_http) - int(re.search(rb'Content-Length: (\d+)', r).group(1))) + new_http
r5 = list(recs)
r5[resp[1]] = chunk_wrong(r5[resp[1]])
save('chunks.warc.gz', b''.join(gz(r) for r in r5))
# 6. zero-length records and spaces in target URIs
zero = b'WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:zero>\r\nWARC-Target-URI: http://zero.example/\r\nContent-Length: 0\r\n\r\n\r\n\r\n'
r6 = list(recs)
r6[resp[4]] = r6[resp[4]].replace(b'WARC-Target-URI: http://', b'WARC-Target-URI: http://with space.example/ x ', 1)
r6[resp[6]] = r6[resp[6]].replace(b'WARC-Target-URI: http://', b'WARC-Target-URI: http://bad\xff\xfe\x01uri.example/\x7f<>"', 1)
save('zero-spaces.warc.gz', b''.join(gz(r) + gz(zero) for r in r6))
# 7. junk between records of a plain WARC, and a broken header
r7 = []
for i, r in enumerate(recs):
    r7.append(r)
    if i == 10: r7.append(b'\x00\x00garbage line\r\nmore garbage WARC/1.0 inside\r\n')
    if i == 30: r7.append(b'WARC/1.0\r\nthis header never ends' + b'x' * 100)
save('junk.warc', b''.join(r7))
json.dump(expect, open('expect.json', 'w'))
PY

check_case() { # file desc counter-expression
	local f=$1 desc=$2 cond=$3
	ok "$desc: exit 0" llmake-extract -q "$f" -o "out-$f.jsonl"
	ok "$desc: every good record kept, the damage counted" python3 - "$f" "$cond" <<'PY'
import json, sys
f, cond = sys.argv[1], sys.argv[2]
want = json.load(open('expect.json'))[f]
docs = [json.loads(l) for l in open(f'out-{f}.jsonl')]
got = [d['id'] for d in docs if d['id'] != '<urn:uuid:zero>']
assert got == want, f'{f}: got {len(got)} docs, want {len(want)}: missing {set(want) - set(got)}'
good = {json.loads(l)['id']: json.loads(l)['text'] for l in open('good.jsonl')}
for d in docs:
    if d['id'] in good and 'chunks' not in f:
        assert d['text'] == good[d['id']], f'{f}: text of {d["id"]} differs'
c = json.load(open(f'out-{f}.jsonl.manifest.json'))['counts']
assert eval(cond, {}, c), f'{f}: {cond} is false: ' + str({k: v for k, v in c.items() if v})
PY
}
check_case trunc.warc.gz "truncated mid-record" "warc_gzip_truncated == 1 and warc_truncated_records + warc_corrupt_records == 1"
check_case flip.warc.gz "flipped bytes in a member" "warc_gzip_corrupt == 1"
check_case corrupt-member.warc.gz "corrupt member between good ones" "warc_gzip_corrupt == 1 and documents_out == 16"
check_case badlen.warc "Content-Length too small and too large (plain)" "warc_longer_than_declared == 1 and warc_shorter_than_declared == 1"
check_case badlen.warc.gz "Content-Length too small and too large (gzip)" "warc_longer_than_declared == 1 and warc_shorter_than_declared == 1"
check_case chunks.warc.gz "wrong chunk sizes" "http_chunking_bad == 1 and documents_out == 16"
check_case zero-spaces.warc.gz "zero-length records, spaces in URIs" "skipped_empty_payload == 50 and documents_out == 16"
check_case junk.warc "junk between records" "warc_resyncs >= 2 and warc_bad_header + warc_resyncs >= 2"
ok "the URI with spaces is kept whole" python3 -c "
import json
urls = [json.loads(l)['metadata']['url'] for l in open('out-zero-spaces.warc.gz.jsonl')]
assert any(u.startswith('http://with space.example/ x ') for u in urls), urls
assert any(u.startswith('http://bad\ufffd\ufffd uri.example/') for u in urls), urls"
ok "a damaged file says so on stderr" llmake-extract flip.warc.gz -o w.jsonl
err | grep -q "flip.warc.gz': damaged WARC recovered" ; check "the warning names the file"

# not a WARC at all: a clear warning, no documents, exit 0
head -c 20000 /dev/urandom >random.warc
ok "random bytes named .warc" llmake-extract random.warc -o r.jsonl
err | grep -q "no WARC record found" ; check "says no WARC record was found"
done_testing
