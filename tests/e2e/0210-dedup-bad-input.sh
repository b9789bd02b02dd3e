#!/usr/bin/env bash
# llmake-dedup bad input: empty and short documents, repeated ids, corrupt or
# truncated intermediate files and mismatched configs between phases are
# detected with a clear message (exit 1) and nothing is written.
. "$(dirname "$0")/../lib.sh"

HB=/usr/share/doc/debian-handbook/html
if [ ! -d "$HB/en-US" ]; then skip "handbook corpus" "debian-handbook not installed"; done_testing; exit; fi
python3 "$ROOT/bench/dedup/make_corpus.py" corpus --sources handbook --locales en-US,da-DK --pages 12 \
	--shards 2 2>/dev/null || exit 1

# empty documents, documents shorter than 5 words, a repeated id
python3 - <<'PY'
import json
real = [json.loads(l) for l in open("corpus/corpus-00.jsonl")]
docs = [{"id": "empty", "text": ""}, {"id": "short", "text": "only four words here"},
        {"id": "short2", "text": "only four words here"}, real[0], dict(real[0], id="copy")]
docs.append({"id": "short", "text": real[2]["text"]})  # repeated id, other text
with open("odd.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
PY
ok "empty/short documents and repeated ids are accepted" llmake-dedup minhash -q odd.jsonl -o odd
err | grep -q "has the same id" ; check "a repeated id is warned about"
ok "short documents have no signature and are never near-duplicates; exact copy removed" python3 -c "
import json; m=json.load(open('odd/manifest.json')); c=m['counts']
assert c['documents_too_short']==3 and c['duplicate_ids']==1, c
ids=[json.loads(l)['id'] for l in open('odd/odd.jsonl')]
assert ids[:3]==['empty','short','short2'] and 'copy' not in ids and len(ids)==5, ids"
ok "exact dedup removes the repeated short text" llmake-dedup exact -q odd.jsonl -o ex
ok "exact keeps empty, short, first copy" python3 -c "
import json; ids=[json.loads(l)['id'] for l in open('ex/odd.jsonl')]
assert ids==['empty','short',ids[2],ids[3]] and 'short2' not in ids and 'copy' not in ids, ids"

ok "signatures" llmake-dedup signatures -q corpus -o sig
ok "buckets" llmake-dedup buckets -q sig -o pairs
ok "cluster" llmake-dedup cluster -q pairs -o clus

# corrupt signature file: one flipped byte in the payload
cp -r sig sigbad
python3 -c "
f=open('sigbad/bucket-005.sig','r+b'); f.seek(300); b=f.read(1); f.seek(300); f.write(bytes([b[0]^0x40])); f.close()"
fails 1 "a corrupt signature file is refused" llmake-dedup buckets -q sigbad -o pbad
err | grep -q "bucket-005.sig': payload checksum mismatch" ; check "the message names the file and says checksum"
ok "nothing written for the corrupt input" test ! -e pbad/bucket-005.pairs

# truncated pair file
cp -r pairs ptrunc
truncate -s -16 ptrunc/bucket-003.pairs
fails 1 "a truncated pair file is refused" llmake-dedup cluster -q ptrunc -o ctrunc
err | grep -q "bucket-003.pairs': truncated: size" ; check "the message says truncated, with sizes"
ok "no removal list written" test ! -e ctrunc/remove.bin

# corrupt header
cp -r clus cbad
printf 'X' | dd of=cbad/remove.bin bs=1 seek=20 conv=notrunc 2>/dev/null
fails 1 "a corrupt removal-list header is refused" llmake-dedup filter -q corpus --remove cbad -o fbad
err | grep -q "header checksum mismatch" ; check "the message says header checksum"

# not a dedup file at all
cp -r pairs pjunk
head -c 500 corpus/corpus-00.jsonl >pjunk/bucket-002.pairs
fails 1 "a JSONL file in place of a pair file is refused" llmake-dedup cluster -q pjunk -o cjunk
err | grep -q "not a pair file" ; check "the message says what it expected"

# mismatched configs between phases
ok "signatures with another seed" llmake-dedup signatures -q --set minhash.seed=2 corpus -o sig2
fails 1 "buckets refuses signatures made with another config" llmake-dedup buckets -q sig2 -o p2
err | grep -q "different MinHash config (5ng_14bs_8hs_seed2" ; check "the message names both configs"
fails 1 "cluster refuses pairs made with another n-gram size" llmake-dedup cluster -q --set minhash.n_grams=4 pairs -o c4
err | grep -q "this run uses 4ng" ; check "the message names this run's config"
fails 1 "mixing shards of two runs is refused" llmake-dedup buckets -q sig sig -o pdup
err | grep -q "appears twice" ; check "the message says the file appears twice"

# a missing bucket, a missing shard
cp -r pairs pmiss; rm pmiss/bucket-007.pairs
fails 1 "a missing bucket is refused" llmake-dedup cluster -q pmiss -o cmiss
err | grep -q "no pair file for bucket 7" ; check "the message names the bucket"
ok "signatures of shard 0/2 only" llmake-dedup signatures -q --shard 0/2 corpus -o half
fails 1 "a missing signatures shard is refused" llmake-dedup buckets -q half -o phalf
err | grep -q "input file #1 of 2 is missing" ; check "the message names the missing file"

# filter with other inputs than signatures saw
fails 1 "filter refuses inputs that differ from the signatures run" llmake-dedup filter -q corpus/corpus-01.jsonl --remove clus -o fwrong
err | grep -q "is input file #0 here, but the removal list was computed with" ; check "the message explains"
fails 2 "filter without --remove is a usage error" llmake-dedup filter -q corpus -o fnone
fails 2 "unknown sub-command" llmake-dedup signatrues corpus -o x
err | grep -q "did you mean 'signatures'" ; check "with a hint"
done_testing
