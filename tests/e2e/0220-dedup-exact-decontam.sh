#!/usr/bin/env bash
# llmake-dedup exact (plain and normalised, keep first or highest metadata
# field) and decontam against the real evaluation files in ../shared/data/eval
# (ARC, LAMBADA, WinoGrande, HellaSwag .txt.bz2): planted contamination is
# dropped (or flagged), clean real text is kept.
. "$(dirname "$0")/../lib.sh"
EVAL=$SHARED/eval

# real clean documents: Shakespeare passages of 60 lines
python3 - "$SHARED/tinyshakespeare.txt" <<'PY'
import json, sys, bz2
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
docs = [{"id": f"tiny{i}", "text": "\n".join(lines[i * 60:(i + 1) * 60]), "metadata": {"score": i % 7}}
        for i in range(120)]
# exact duplicates: an identical copy, a copy differing in case/punctuation/digits
docs.append(dict(docs[5], id="copy5", metadata={"score": 100}))
docs.append(dict(docs[7], id="norm7", text=docs[7]["text"].upper().replace(",", " ,") + "!!!",
                 metadata={"score": 1}))
# contaminated documents: eval items pasted into real text
ev = sys.argv[1].rsplit("/", 1)[0] + "/eval"
a = json.loads(open(ev + "/arc_easy.jsonl").readlines()[10])
lam = json.loads(open(ev + "/lambada_openai.jsonl").readlines()[3])
win = json.loads(open(ev + "/winogrande.jsonl").readlines()[20])
hs = bz2.open(ev + "/hellaswag_val.txt.bz2", "rt", encoding="utf-8").read().split("\n")[6 * 40: 6 * 41]
plant = {
    "cont_arc": a["query"] + " " + a["choices"][a["gold"]],
    "cont_lambada": lam["context"][-300:] + " " + lam["continuation"],
    "cont_wino": win["context_options"][win["gold"]] + " " + win["continuation"],
    "cont_hellaswag": hs[0] + " " + hs[2 + int(hs[1])],
}
for k, t in plant.items():
    docs.append({"id": k, "text": docs[20]["text"][:400] + "\n" + t + "\n" + docs[21]["text"][:400],
                 "metadata": {"score": 0}})
with open("docs.jsonl", "w") as f:
    for d in docs:
        f.write(json.dumps(d) + "\n")
PY
n=$(wc -l <docs.jsonl)

ok "exact dedup" llmake-dedup exact -q docs.jsonl -o ex --pairs
ok "exact removes the identical copy only" python3 -c "
import json; ids=[json.loads(l)['id'] for l in open('ex/docs.jsonl')]
assert 'copy5' not in ids and 'tiny5' in ids and 'norm7' in ids and len(ids)==$n-1, len(ids)
m=json.load(open('ex/manifest.json')); assert m['dedup']['documents_out']==$n-1 and m['counts']['documents_removed']==1
assert m['dedup']['cluster_size_histogram']=={'2': 1} and m['dedup']['duplicate_rate'] > 0"
ok "inspect the exact pairs" llmake-dedup inspect ex/dedup-pairs.bin
out | grep -q 'id="copy5"' ; check "the removed copy is shown"
ok "normalised exact dedup" llmake-dedup exact -q --normalise docs.jsonl -o exn
ok "normalised also removes the case/punctuation/digit variant" python3 -c "
import json; ids=[json.loads(l)['id'] for l in open('exn/docs.jsonl')]
assert 'copy5' not in ids and 'norm7' not in ids and 'tiny7' in ids, ids[:10]"
ok "keep the highest metadata.score" llmake-dedup exact -q docs.jsonl -o exm --keep max --field score
ok "the copy with score 100 is kept instead of the first" python3 -c "
import json; ids=[json.loads(l)['id'] for l in open('exm/docs.jsonl')]
assert 'copy5' in ids and 'tiny5' not in ids, ids[:8]"
fails 2 "--keep max without --field is a usage error" llmake-dedup exact -q docs.jsonl -o x --keep max

T5="--tasks $EVAL/arc_easy.jsonl --tasks $EVAL/lambada_openai.jsonl --tasks $EVAL/winogrande.jsonl --tasks $EVAL/hellaswag_val.txt.bz2"
ok "decontam drops documents sharing a 13-gram with the eval sets" llmake-dedup decontam -q docs.jsonl -o dc $T5
ok "each planted document is dropped, every clean one kept" python3 -c "
import json; ids=[json.loads(l)['id'] for l in open('dc/docs.jsonl')]
assert not [i for i in ids if i.startswith('cont_')], ids
assert len(ids)==$n-4, len(ids)
m=json.load(open('dc/manifest.json')); c=m['counts']
assert c['contaminated']==4 and c['contaminated_arc_easy']==1 and c['contaminated_hellaswag_val']==1, c
t=m['decontamination']['tasks']; assert t['hellaswag_val']['items']==10042 and t['arc_easy']['items']==2376, t"
ok "flag mode keeps them, marked" llmake-dedup decontam -q docs.jsonl -o dcf $T5 --mode flag
ok "flagged documents carry the task and the n-gram" python3 -c "
import json; d=[json.loads(l) for l in open('dcf/docs.jsonl')]
f={x['id']:x['metadata'] for x in d if 'contaminated_task' in x.get('metadata',{})}
assert set(f)=={'cont_arc','cont_lambada','cont_wino','cont_hellaswag'}, f
assert f['cont_wino']['contaminated_task']=='winogrande' and len(f['cont_arc']['contaminated_ngram'].split())==13, f"
T3="--tasks $EVAL/arc_easy.jsonl --tasks $EVAL/lambada_openai.jsonl --tasks $EVAL/winogrande.jsonl"
ok "a larger n (50)" llmake-dedup decontam -q docs.jsonl -o dc50 $T3 -n 50
ok "n=50 still finds the long LAMBADA passage, not the short ARC/WinoGrande items" python3 -c "
import json; ids=[json.loads(l)['id'] for l in open('dc50/docs.jsonl')]
assert 'cont_lambada' not in ids and 'cont_arc' in ids and 'cont_wino' in ids, ids"
fails 2 "decontam without --tasks is a usage error" llmake-dedup decontam -q docs.jsonl -o x
printf '{"question": "no known schema"}\n' >weird.jsonl
fails 1 "an eval file of unknown schema is refused" llmake-dedup decontam -q docs.jsonl -o x --tasks weird.jsonl
err | grep -q "weird.jsonl' line 1: unknown eval item" ; check "the message names file and line"
done_testing
