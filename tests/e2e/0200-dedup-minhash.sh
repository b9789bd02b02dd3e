#!/usr/bin/env bash
# llmake-dedup minhash on real near-duplicates (debian-handbook pages in
# English-fallback locales vs en-US): duplicates found and removed, the four
# phases run as separate processes give byte-identical output to the one-shot
# command, whatever the thread and shard counts; the pairs file and the
# manifest say what was removed and why.
. "$(dirname "$0")/../lib.sh"

HB=/usr/share/doc/debian-handbook/html
if [ ! -d "$HB/en-US" ]; then skip "handbook corpus" "debian-handbook not installed"; done_testing; exit; fi
python3 "$ROOT/bench/dedup/make_corpus.py" corpus --sources handbook \
	--locales en-US,da-DK,cs-CZ,fr-FR,de-DE --pages 25 --shards 3 2>/dev/null || exit 1
n=$(cat corpus/*.jsonl | wc -l)

ok "minhash runs (1 thread)" llmake-dedup minhash -q -j1 corpus -o one --pairs
ok "manifest has in/out, duplicate rate, histogram" python3 -c "
import json; m=json.load(open('one/manifest.json')); d=m['dedup']
assert d['documents_in']==$n and d['documents_out']+d['documents_removed']==$n, d
assert 0.2 < d['duplicate_rate'] < 0.6, d
assert sum(d['cluster_size_histogram'].values())==d['clusters']>0, d
assert m['counts']['documents_in']==$n and m['counts']['documents_out']==d['documents_out'], m['counts']"
ok "output keeps the documents not removed" test "$(cat one/*.jsonl | wc -l)" = \
	"$(python3 -c "import json; print(json.load(open('one/manifest.json'))['dedup']['documents_out'])")"
ok "fallback-locale copies of en-US pages are removed, translations kept" python3 -c "
import json, glob, re
docs = {}
for f in glob.glob('corpus/*.jsonl'):
    for l in open(f):
        d = json.loads(l); docs[d['id']] = d['text']
kept = {json.loads(l)['id'] for f in glob.glob('one/*.jsonl') for l in open(f)}
def grams(t):
    w = re.findall(r'\w+', t.lower()); return {' '.join(w[i:i+5]) for i in range(len(w)-4)}
def jac(a, b):
    a, b = grams(docs[a]), grams(docs[b]); return len(a & b) / max(1, len(a | b))
near = [(a, b) for a in docs for b in docs if a < b and a.split('/')[-1] == b.split('/')[-1] and jac(a, b) >= 0.9]
assert len(near) >= 20, len(near)
both = [(a, b) for a, b in near if a in kept and b in kept]
assert not both, both
fr = [k for k in kept if '/fr-FR/' in k]; de = [k for k in kept if '/de-DE/' in k]
assert len(fr) >= 20 and len(de) >= 20, (len(fr), len(de))"
ok "no intermediate files left" test ! -e one/.work
ok "inspect shows removed/kept pairs with ids" llmake-dedup inspect one/dedup-pairs.bin -n 3
out | grep -q 'removed corpus/corpus-0' ; check "inspect names the removed document's file"
out | grep -q 'kept .*id="handbook/' ; check "inspect shows the kept document's id"
ok "llmake-inspect recognises the pairs file" llmake-inspect --head 2 one/dedup-pairs.bin
out | grep -q "^pair 2:" && ! out | grep -q "^pair 3:" ; check "llmake-inspect --head 2 shows two pairs"

ok "minhash runs (2 threads)" llmake-dedup minhash -q -j2 corpus -o two
ok "byte-identical output with 1 and 2 threads" diff -r -x manifest.json -x dedup-pairs.bin one two

# the four phases as separate processes, 2 signature shards, buckets split in 2
ok "signatures shard 0/2" llmake-dedup signatures -q --shard 0/2 corpus -o sig0
ok "signatures shard 1/2" llmake-dedup signatures -q --shard 1/2 corpus -o sig1
ok "buckets 0/2" llmake-dedup buckets -q --bucket-shard 0/2 sig0 sig1 -o pairsA
ok "buckets 1/2" llmake-dedup buckets -q --bucket-shard 1/2 sig0 sig1 -o pairsB
ok "cluster" llmake-dedup cluster -q pairsA pairsB -o clus --pairs
ok "filter shard 0/2" llmake-dedup filter -q --shard 0/2 corpus --remove clus -o dist
ok "filter shard 1/2" llmake-dedup filter -q --shard 1/2 corpus --remove clus -o dist
ok "separate phases, 2 shards == one-shot output" diff -r -x 'manifest*.json' -x dedup-pairs.bin one dist
ok "same pairs file" cmp clus/dedup-pairs.bin one/dedup-pairs.bin

# 3 signature shards give the same removal list
for i in 0 1 2; do llmake-dedup signatures -q --shard $i/3 corpus -o s3_$i || exit 1; done
ok "buckets over 3 shards" llmake-dedup buckets -q s3_0 s3_1 s3_2 -o p3
ok "cluster over 3 shards" llmake-dedup cluster -q p3 -o c3
ok "removal list independent of the shard count" cmp c3/remove.bin clus/remove.bin

# keep rule
ok "--keep first" llmake-dedup minhash -q corpus -o first --keep first
ok "keep=first removes as many documents" test "$(cat first/*.jsonl | wc -l)" = "$(cat one/*.jsonl | wc -l)"
ok "keep=first keeps the earliest document of each cluster" python3 -c "
import json, glob
ids = [json.loads(l)['id'] for f in sorted(glob.glob('first/*.jsonl')) for l in open(f)]
assert 'handbook/cs-CZ/advanced-administration.html' in ids or 'handbook/cs-CZ/network-services.html' in ids"

# gzip output
ok "gzip output" llmake-dedup minhash -q corpus -o gz --set output_compression=gzip
ok "gzip shards hold the same documents" test "$(zcat gz/*.jsonl.gz | wc -l)" = "$(cat one/*.jsonl | wc -l)"
done_testing
