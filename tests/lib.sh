# tests/lib.sh: sourced by every end-to-end test script tests/e2e/NNNN-name.sh.
#
# Provides:
#   $ROOT      project root            $SHARED   ../shared/data (real data)
#   $BIN       the binaries under test (bin/ or build/asan/bin; set by tests/run)
#   $T         a fresh temp dir, removed at exit; the script runs in $T/w
#   $PY        the test virtualenv's python (.venv/bin/python)
#   ok DESC CMD...            passes when CMD exits 0
#   fails CODE DESC CMD...    passes when CMD exits with CODE (1 or 2, ...)
#   check DESC                passes when the previous command's status ($?) was 0
#   skip DESC WHY             counts a skip (only for a missing optional peer)
# Each check prints "ok N - DESC" or "not ok N - DESC" (TAP); on failure the
# command's stderr tail is shown.  The script ends with `done_testing`.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
SHARED=${LLMAKE_SHARED:-$ROOT/../shared/data}
BIN=${LLMAKE_BIN:-$ROOT/bin}
PY=${LLMAKE_PY:-$ROOT/.venv/bin/python}
export PATH="$BIN:$PATH"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
T=$(mktemp -d "${TMPDIR:-/tmp}/llmake-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir "$T/w" && cd "$T/w" || exit 1
_n=0
_failed=0

_report() { # status desc logfile
	_n=$((_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_n - $2"
	else
		_failed=$((_failed + 1))
		echo "not ok $_n - $2"
		[ -n "${3:-}" ] && [ -s "$3" ] && tail -n 15 "$3" | sed 's/^/#   /'
	fi
}

ok() {
	local desc=$1; shift
	"$@" >"$T/.out" 2>"$T/.err"
	local rc=$?
	[ $rc != 0 ] && echo "#   (exit $rc)" >>"$T/.err"
	_report $rc "$desc" "$T/.err"
}

fails() {
	local code=$1 desc=$2; shift 2
	"$@" >"$T/.out" 2>"$T/.err"
	local rc=$?
	if [ "$rc" = "$code" ]; then _report 0 "$desc"; else
		echo "#   expected exit $code, got $rc" >>"$T/.err"; _report 1 "$desc" "$T/.err"; fi
}

check() { _report $? "$1"; }

skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }

# Last command's stdout and stderr (kept in $T), for assertions after ok/fails.
out() { cat "$T/.out"; }
err() { cat "$T/.err"; }

done_testing() {
	echo "1..$_n"
	[ "$_failed" = 0 ]
}
