#!/usr/bin/env bash
# bench/dedup/run.sh: llmake-dedup against datatrove's MinHash pipeline on the
# same >= 5,000 real documents (Debian HTML docs), plus signature throughput,
# the cluster phase on a synthetic 100M-pair graph, and the ground truth.
#   bench/dedup/run.sh [WORKDIR]      (default /tmp/llmake-bench-dedup)
# Needs: make all, tools/setup (.venv with datatrove), debian-handbook,
# python3.11-doc, linux-doc-6.1.  Prints every figure; takes ~20-30 min on
# the 2-core VM (datatrove's signatures dominate).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=${1:-/tmp/llmake-bench-dedup}
PY=$ROOT/.venv/bin/python
D=$ROOT/bin/llmake-dedup
mkdir -p "$W"
cd "$W"
t() { /usr/bin/time -f "%e %U %S %M" -o "$W/.time" "$@"; read -r wall usr sys rss <"$W/.time"; cpu=$(echo "$usr + $sys" | bc); }

[ -d corpus ] || python3 "$ROOT/bench/dedup/make_corpus.py" corpus --shards 4
docs=$(cat corpus/*.jsonl | wc -l)
mb=$(du -cb corpus/*.jsonl | tail -1 | awk '{printf "%.1f", $1/1e6}')
echo "corpus: $docs documents, $mb MB (debian-handbook 26 locales, python3.11-doc, linux-doc-6.1)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== end to end, single thread =="
t "$PY" "$ROOT/bench/dedup/datatrove_minhash.py" corpus dt >dt.json 2>dt.log
dt_wall=$wall dt_cpu=$cpu
echo "datatrove $("$PY" -c 'import datatrove; print(datatrove.__version__)' 2>/dev/null || echo 0.10.1): wall ${dt_wall}s cpu ${dt_cpu}s peak RSS ${rss} KB; stages $("$PY" -c "import json; print({k: round(v, 1) for k, v in json.load(open('dt.json'))['seconds'].items()})")"
rm -rf ll1; t "$D" minhash -q -j1 corpus -o ll1 --pairs
ll_wall=$wall ll_cpu=$cpu
echo "llmake-dedup minhash -j1: wall ${ll_wall}s cpu ${ll_cpu}s peak RSS ${rss} KB; phases $(python3 -c "import json; print({k: round(v, 2) for k, v in json.load(open('ll1/manifest.json'))['phase_seconds'].items()})")"
echo "ratio (datatrove / llmake): wall $(echo "scale=1; $dt_wall / $ll_wall" | bc)x, cpu $(echo "scale=1; $dt_cpu / $ll_cpu" | bc)x"
rm -rf ll2; t "$D" minhash -q -j2 corpus -o ll2
echo "llmake-dedup minhash -j2: wall ${wall}s cpu ${cpu}s; output identical to -j1: $(diff -rq -x 'manifest*.json' -x dedup-pairs.bin ll1 ll2 >/dev/null && echo yes || echo NO)"

echo "== parity =="
"$PY" "$ROOT/bench/dedup/parity.py" corpus dt.json ll1 2>/dev/null | tee parity.md | head -3

echo "== signatures throughput =="
bytes=$(python3 -c "import json; print(json.load(open('ll1/manifest.json'))['counts']['bytes_in'])")
for j in 1 2; do
	rm -rf sig$j; t "$D" signatures -q -j$j corpus -o sig$j
	echo "signatures -j$j: wall ${wall}s cpu ${cpu}s -> $(echo "scale=1; $bytes / 1000000 / $wall" | bc) MB/s wall, $(echo "scale=1; $bytes / 1000000 / $cpu" | bc) MB/s per CPU-second (text bytes)"
done

echo "== cluster: synthetic 100M-pair graph =="
cc -O2 -I"$ROOT/lib" "$ROOT/bench/dedup/gen_pairs.c" "$ROOT/build/release/libllmake.a" -licuuc -lbz2 -lxxhash -lcjson -lz -lm -lpthread -fopenmp -o gen_pairs
rm -rf syn synout; mkdir syn
t ./gen_pairs syn 100000000 100000000 100
echo "generated 100M pairs over 100M documents ($(du -sh syn | cut -f1)) in ${wall}s"
t "$D" cluster -q syn -o synout
echo "cluster: wall ${wall}s cpu ${cpu}s peak RSS ${rss} KB ($(echo "scale=1; $rss / 1024" | bc) MiB; limit 4096 MiB)"
python3 -c "import json; d=json.load(open('synout/manifest.json'))['dedup']; print('  removed', d['documents_removed'], 'clusters', d['clusters'], 'histogram', d['cluster_size_histogram'])"
rm -rf syn

echo "== ground truth (precision/recall vs exact Jaccard) =="
"$PY" "$ROOT/bench/dedup/groundtruth.py" gt --llmake "$D" >gt.json
python3 -c "
import json; g=json.load(open('gt.json'))
for k in ('documents','pairs_scored','pairs_jaccard_ge_0.8','recall_flagged_j_ge_0.8','recall_clustered_j_ge_0.8','flagged_pairs','precision_flagged_pairs_j_ge_0.5','flagged_pairs_j_lt_0.5','false_positive_rate_all_pairs_j_lt_0.5'):
    print(f'  {k}: {g[k]}')
print('  jaccard      pairs  measured  theory(14x8)')
for c in g['curve']: print(f\"  {c['jaccard']}  {c['pairs']:6d}  {c['flagged']:.3f}     {c['theory_at_mean_j']:.3f}\")
print('  edit rate  mean J  measured  theory')
for c in g['copies']: print(f\"  {c['edit_rate']:.2f}       {c['mean_jaccard']:.3f}   {c['flagged']:.3f}     {c['theory']:.3f}\")"
