/*
 * testutil.h: shared helpers for the cmocka unit tests (header-only so each
 * test program stays one file).
 */
#ifndef LLM_TESTUTIL_H
#define LLM_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "util.h"

/* A fresh temp directory for one test; removed by tu_rmdir(). */
static inline char *tu_tmpdir(void)
{
	char *d = llm_strdup("/tmp/llmake-unit.XXXXXX");
	if (!mkdtemp(d))
		fail_msg("mkdtemp failed");
	return d;
}

static inline void tu_rmdir(char *d)
{
	char *cmd = llm_asprintf("rm -rf '%s'", d);
	if (system(cmd) != 0)
		fail_msg("cannot remove %s", d);
	free(cmd);
	free(d);
}

static inline void tu_write(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* Appends one gzip member holding data to path (mode "ab"/"wb"). */
static inline void tu_gzip_member(const char *path, const char *mode, const void *data, size_t n)
{
	gzFile g = gzopen(path, mode);
	assert_non_null(g);
	if (n)
		assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
	assert_int_equal(gzclose(g), Z_OK);
}

static inline char *tu_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct llm_buf b = LLM_BUF_INIT;
	char chunk[4096];
	size_t k;
	while ((k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		llm_buf_append(&b, chunk, k);
	fclose(f);
	return llm_buf_detach(&b, n);
}

/* The per-group temp directory: pass tu_setup/tu_teardown to
 * cmocka_run_group_tests and use tu_dir in the tests. */
static char *tu_dir __attribute__((unused));

static inline int tu_setup(void **state)
{
	(void)state;
	tu_dir = tu_tmpdir();
	return 0;
}

static inline int tu_teardown(void **state)
{
	(void)state;
	tu_rmdir(tu_dir);
	return 0;
}

/* Runs fn with stderr captured into a buffer the caller frees. */
static inline char *tu_capture_stderr(void (*fn)(void *), void *arg)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	int saved = dup(2);
	dup2(fileno(tmp), 2);
	fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	long n = ftell(tmp);
	rewind(tmp);
	char *s = llm_calloc((size_t)n + 1, 1);
	if (n > 0 && fread(s, 1, (size_t)n, tmp) != (size_t)n)
		fail_msg("cannot read captured stderr");
	fclose(tmp);
	return s;
}

#endif
