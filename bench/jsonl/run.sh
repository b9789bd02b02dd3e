#!/usr/bin/env bash
# Benchmark (issue 3): stream-read + re-write a >= 200 MB JSONL.gz corpus of
# real text.  Peer: Python's gzip + json (bench/jsonl/copy.py) at the same
# gzip level; llmake: llmake-convert with 1 and 2 threads.  Prints wall
# time, CPU time, peak RSS, throughput (uncompressed MB/s) and the ratios.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${LLMAKE_BIN:-$ROOT/bin}
W=${BENCH_DIR:-/tmp/llmake-bench-jsonl}
LEVEL=${LEVEL:-6}
mkdir -p "$W"
corpus=$W/corpus.jsonl.gz
[ -s "$corpus" ] || python3 "$ROOT/bench/jsonl/make-corpus.py" "$corpus" --min-mb 200
mb=$(zcat "$corpus" | wc -c | awk '{printf "%.1f", $1/1e6}')
echo "corpus: $corpus ($(stat -c %s "$corpus") bytes gzip, $mb MB uncompressed), gzip level $LEVEL"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"

measure() { # name cmd...  -> "wall cpu rss"
	local name=$1; shift
	/usr/bin/time -f "%e %U %S %M" -o "$W/time.$name" "$@" >/dev/null 2>"$W/err.$name" || {
		cat "$W/err.$name" >&2; exit 1; }
	read -r wall user sys rss <"$W/time.$name"
	cpu=$(echo "$user + $sys" | bc)
	printf '%-22s wall %7.2f s  cpu %7.2f s  %7.1f MB/s  peak RSS %6.1f MB\n' "$name" "$wall" "$cpu" \
		"$(echo "$mb / $wall" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
	eval "wall_$name=$wall; cpu_$name=$cpu"
}
measure python python3 "$ROOT/bench/jsonl/copy.py" "$corpus" "$W/py.jsonl.gz" "$LEVEL"
measure python_level9 python3 "$ROOT/bench/jsonl/copy.py" "$corpus" "$W/py9.jsonl.gz" 9
measure llmake_j1 "$BIN/llmake-convert" -q -j1 --set gzip_level="$LEVEL" "$corpus" -o "$W/ll1.jsonl.gz"
measure llmake_j2 "$BIN/llmake-convert" -q -j2 --set gzip_level="$LEVEL" "$corpus" -o "$W/ll2.jsonl.gz"
cmp -s "$W/ll1.jsonl.gz" "$W/ll2.jsonl.gz" && echo "llmake output identical for 1 and 2 threads"
[ "$(zcat "$W/py.jsonl.gz" | wc -l)" = "$(zcat "$W/ll2.jsonl.gz" | wc -l)" ] && echo "same document count"
echo "sizes: python $(stat -c %s "$W/py.jsonl.gz")  llmake $(stat -c %s "$W/ll2.jsonl.gz") bytes"
printf 'ratio (wall, python / llmake): 1 thread %.2fx, 2 threads %.2fx\n' \
	"$(echo "$wall_python / $wall_llmake_j1" | bc -l)" "$(echo "$wall_python / $wall_llmake_j2" | bc -l)"
printf 'ratio (cpu time, python / llmake 1 thread): %.2fx\n' "$(echo "$cpu_python / $cpu_llmake_j1" | bc -l)"
printf 'ratio (wall, python at its default level 9 / llmake at level %s, 2 threads): %.2fx\n' "$LEVEL" \
	"$(echo "$wall_python_level9 / $wall_llmake_j2" | bc -l)"
