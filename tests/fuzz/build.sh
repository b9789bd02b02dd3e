#!/usr/bin/env bash
# tests/fuzz/build.sh: builds the libFuzzer harnesses with clang (Debian's
# clang package) into build/fuzz/: fuzz_warc (WARC reader + HTTP parser)
# and fuzz_html (charset + HTML extraction), with ASan and UBSan.
# Run one, niced, e.g. for 10 minutes:
#   nice -n 19 build/fuzz/fuzz_warc -max_total_time=600 -max_len=65536 \
#        build/fuzz/corpus_warc tests/fuzz/corpus/warc
# (the first directory collects new inputs; the committed seeds stay small).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=build/fuzz
mkdir -p "$OUT"
CC=${CLANG:-clang}
FLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -std=c11 -D_GNU_SOURCE -Ilib -I$OUT $(pkg-config --cflags libxml-2.0 libcjson 2>/dev/null)"
printf 'const char llm_version[] = "fuzz";\nconst char llm_git_sha[] = "fuzz";\nconst int llm_git_dirty = 0;\n' >"$OUT/version.c"
LIBSRC="lib/util.c lib/log.c lib/utf8.c $OUT/version.c"
# shellcheck disable=SC2086
$CC $FLAGS -o "$OUT/fuzz_warc" tests/fuzz/fuzz_warc.c lib/warc.c $LIBSRC -lz -lm
# shellcheck disable=SC2086
$CC $FLAGS -o "$OUT/fuzz_html" tests/fuzz/fuzz_html.c lib/html.c lib/charset.c $LIBSRC \
	$(pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2) -luchardet -lm
echo "built $OUT/fuzz_warc $OUT/fuzz_html"
