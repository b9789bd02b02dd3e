#!/usr/bin/env bash
# fastText inference against the Debian fasttext CLI on models of every kind
# llmake must load: dense .bin and quantized .ftz (with a pruned vocabulary and
# bucket map, and norm quantization), hierarchical softmax, softmax and
# one-vs-all losses, word bigrams.  The models are trained here, in seconds,
# on real text (debian-handbook paragraphs in five languages).  Same top label
# on >= 99.5% of lines, and its probability within 1e-4.  (A quantized output
# matrix, -qout, needs >= 256 labels; lid.176 has 176 and no such model is
# tested here.)
. "$(dirname "$0")/../lib.sh"

if ! command -v fasttext >/dev/null; then
	skip "fastText CLI models" "Debian package fasttext not installed (tools/setup installs it)"
	done_testing
	exit
fi

python3 - <<'PY' || exit 1
import html, json, random, re
random.seed(7)
rows = []
for loc, lab in (("de-DE", "de"), ("fr-FR", "fr"), ("es-ES", "es"), ("it-IT", "it"), ("en-US", "en")):
    import glob
    for path in sorted(glob.glob(f"/usr/share/doc/debian-handbook/html/{loc}/*.html")):
        raw = open(path, encoding="utf-8", errors="replace").read()
        for p in re.findall(r"<p[^>]*>(.*?)</p>", raw, re.S):
            t = html.unescape(re.sub(r"<[^>]+>", " ", p))
            t = " ".join(t.split())
            if len(t) > 40:
                rows.append((lab, t))
random.shuffle(rows)
cut = len(rows) * 4 // 5
with open("train.txt", "w") as f:
    for lab, t in rows[:cut]:
        f.write(f"__label__{lab} {t}\n")
with open("test.txt", "w") as f, open("test.jsonl", "w") as g:
    for i, (lab, t) in enumerate(rows[cut:cut + 600]):
        f.write(t + "\n")
        g.write(json.dumps({"id": f"t{i}", "text": t}) + "\n")
PY
ok "training data from real paragraphs" test "$(wc -l <test.txt)" -ge 300

train() { # name args...
	local name=$1; shift
	fasttext supervised -input train.txt -output "$name" -dim 16 -epoch 3 -thread 1 -verbose 0 "$@" >/dev/null 2>&1
}
ok "train hs model (char 2-4 grams, word bigrams)" train m_hs -loss hs -minn 2 -maxn 4 -wordNgrams 2 -bucket 200000
ok "train softmax model" train m_sm -loss softmax -minn 3 -maxn 5 -bucket 100000
ok "train one-vs-all model" train m_ova -loss ova -minn 0 -maxn 0
ok "quantize hs model (pruned vocabulary, qnorm)" \
	fasttext quantize -input train.txt -output m_hs -qnorm -cutoff 2000 -retrain -epoch 1 -thread 1
ok "quantize softmax model (no pruning; -qout needs >= 256 labels)" \
	fasttext quantize -input train.txt -output m_sm -dsub 4 -thread 1

compare() { # model
	# k = every label, as datatrove asks (ties then come out in the same order)
	fasttext predict-prob "$1" test.txt 5 >ref.txt 2>/dev/null || return 1
	llmake-filter -q test.jsonl -o out.jsonl -f '["language"]' --model "$1" \
		--set language.label_only=true --set 'language.languages=[]' || return 1
	python3 - "$1" <<'PY'
import json, sys
ref = [l.split() for l in open("ref.txt")]
out = [json.loads(l)["metadata"] for l in open("out.jsonl")]
assert len(ref) == len(out), (len(ref), len(out))
same = sum(1 for r, o in zip(ref, out) if r and r[0] == "__label__" + o["language"])
close = sum(1 for r, o in zip(ref, out) if r and r[0] == "__label__" + o["language"]
            and abs(float(r[1]) - o["language_score"]) <= 1e-4 + 5e-6)  # CLI prints 6 digits
print(f"{sys.argv[1]}: same top label {same}/{len(ref)}, probability within 1e-4 {close}/{same}")
assert same >= 0.995 * len(ref) and close == same
PY
}
for m in m_hs.bin m_hs.ftz m_sm.bin m_sm.ftz m_ova.bin; do
	ok "$m: same predictions as the fasttext CLI" compare "$m"
	out | sed 's/^/# /'
done
done_testing
