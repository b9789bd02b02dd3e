/*
 * util.c: checked allocation, error reporting, byte buffers, clocks.
 */
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* allocation */

static _Noreturn void die_oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	exit(1);
}

void *llm_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die_oom(n);
	return p;
}

void *llm_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die_oom(n * size);
	return p;
}

void *llm_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		die_oom(n);
	return q;
}

char *llm_strdup(const char *s)
{
	return llm_strndup(s, strlen(s));
}

char *llm_strndup(const char *s, size_t n)
{
	char *p = llm_malloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *llm_asprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		llm_die("bad format string '%s'", fmt);
	char *s = llm_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* ------------------------------------------------------------------ */
/* errors */

static void vreport(const char *prefix, const char *fmt, va_list ap, const char *suffix)
{
	char msg[4096];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "%s%s%s%s\n", prefix, msg, suffix ? ": " : "", suffix ? suffix : "");
}

void llm_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("fatal: ", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void llm_usage_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("usage error: ", fmt, ap, NULL);
	va_end(ap);
	exit(2);
}

int llm_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", fmt, ap, NULL);
	va_end(ap);
	return -1;
}

int llm_error_errno(const char *fmt, ...)
{
	int e = errno;
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", fmt, ap, strerror(e));
	va_end(ap);
	errno = e;
	return -1;
}

/* ------------------------------------------------------------------ */
/* buffers */

void llm_buf_reserve(struct llm_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap + cap / 2 + 64;
	b->data = llm_realloc(b->data, cap);
	b->cap = cap;
}

void llm_buf_append(struct llm_buf *b, const void *data, size_t n)
{
	llm_buf_reserve(b, n);
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void llm_buf_puts(struct llm_buf *b, const char *s)
{
	llm_buf_append(b, s, strlen(s));
}

void llm_buf_putc(struct llm_buf *b, char c)
{
	llm_buf_reserve(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

void llm_buf_appendf(struct llm_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	llm_buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void llm_buf_reset(struct llm_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *llm_buf_detach(struct llm_buf *b, size_t *len)
{
	llm_buf_reserve(b, 0);
	char *d = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void llm_buf_free(struct llm_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ------------------------------------------------------------------ */
/* clocks and sizes */

double llm_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double llm_cpu_time(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t llm_peak_rss(void)
{
	/* VmHWM is this address space's own high-water mark; getrusage's
	 * ru_maxrss survives execve, so a stage started from a big parent
	 * (Python, make) would report the parent's peak */
	FILE *f = fopen("/proc/self/status", "r");
	if (f) {
		char line[256];
		unsigned long long kb = 0;
		bool found = false;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "VmHWM: %llu kB", &kb) == 1) {
				found = true;
				break;
			}
		fclose(f);
		if (found)
			return (uint64_t)kb * 1024;
	}
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024; /* Linux reports KiB */
}

const char *llm_fmt_bytes(uint64_t n, char *out)
{
	static const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1000.0 && u + 1 < LLM_ARRAY_SIZE(units)) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(out, 16, "%llu B", (unsigned long long)n);
	else
		snprintf(out, 16, "%.1f %s", v, units[u]);
	return out;
}

size_t llm_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = llm_malloc((lb + 1) * sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = LLM_MIN(row[j] + 1, row[j - 1] + 1);
			row[j] = LLM_MIN(best, diag + cost);
			diag = up;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

bool llm_str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}
