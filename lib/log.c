/*
 * log.c: levelled logging and the terminal progress bar.
 */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static enum llm_log_level log_level = LLM_LOG_INFO;
static int progress_forced = -1; /* -1: decide by isatty */
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static bool progress_line_drawn;

void llm_log_set_level(enum llm_log_level level)
{
	log_level = level;
}

enum llm_log_level llm_log_get_level(void)
{
	return log_level;
}

int llm_log_parse_level(const char *name)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(names); i++)
		if (strcasecmp(name, names[i]) == 0)
			return (int)i;
	return -1;
}

void llm_log(enum llm_log_level level, const char *fmt, ...)
{
	static const char *prefix[] = {"error: ", "warning: ", "", "debug: "};
	if (level > log_level)
		return;
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&progress_lock);
	if (progress_line_drawn) {
		fputs("\r\033[K", stderr); /* the bar is redrawn on the next update */
		progress_line_drawn = false;
	}
	fprintf(stderr, "%s%s\n", prefix[level], msg);
	pthread_mutex_unlock(&progress_lock);
}

void llm_progress_set_enabled(bool enabled)
{
	progress_forced = enabled;
}

void llm_progress_init(struct llm_progress *p, const char *label,
		       uint64_t total_items, uint64_t total_bytes)
{
	memset(p, 0, sizeof(*p));
	p->label = label;
	p->total_items = total_items;
	p->total_bytes = total_bytes;
	p->start = llm_now();
	p->enabled = progress_forced >= 0 ? progress_forced : isatty(STDERR_FILENO);
}

static void fmt_duration(double s, char *out, size_t n)
{
	if (s < 0 || s > 1e7) {
		snprintf(out, n, "?");
		return;
	}
	unsigned long t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(out, n, "%luh%02lum", t / 3600, (t / 60) % 60);
	else if (t >= 60)
		snprintf(out, n, "%lum%02lus", t / 60, t % 60);
	else
		snprintf(out, n, "%lus", t);
}

void llm_progress_format(const struct llm_progress *p, double now, char *out, size_t n)
{
	double el = now - p->start;
	if (el <= 0)
		el = 1e-9;
	char b1[16], b2[16], eta[64] = "";
	double frac = -1;
	if (p->total_bytes)
		frac = (double)p->bytes / (double)p->total_bytes;
	else if (p->total_items)
		frac = (double)p->items / (double)p->total_items;
	if (frac > 0 && frac <= 1) {
		char d[48];
		fmt_duration(el / frac - el, d, sizeof(d));
		snprintf(eta, sizeof(eta), " ETA %s", d);
	}
	char pct[16] = "";
	if (frac >= 0)
		snprintf(pct, sizeof(pct), "%3.0f%% ", frac > 1 ? 100.0 : frac * 100.0);
	snprintf(out, n, "%s: %s%llu items, %s, %.0f items/s, %s/s%s", p->label ? p->label : "progress",
		 pct, (unsigned long long)p->items, llm_fmt_bytes(p->bytes, b1), (double)p->items / el,
		 llm_fmt_bytes((uint64_t)((double)p->bytes / el), b2), eta);
}

static void draw(struct llm_progress *p, double now)
{
	char line[256];
	llm_progress_format(p, now, line, sizeof(line));
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	progress_line_drawn = true;
	p->last_draw = now;
}

void llm_progress_add(struct llm_progress *p, uint64_t items, uint64_t bytes)
{
	__atomic_add_fetch(&p->items, items, __ATOMIC_RELAXED);
	__atomic_add_fetch(&p->bytes, bytes, __ATOMIC_RELAXED);
	if (!p->enabled)
		return;
	double now = llm_now();
	if (now - p->last_draw < 0.1)
		return;
	pthread_mutex_lock(&progress_lock);
	if (now - p->last_draw >= 0.1)
		draw(p, now);
	pthread_mutex_unlock(&progress_lock);
}

void llm_progress_finish(struct llm_progress *p)
{
	if (!p->enabled)
		return;
	pthread_mutex_lock(&progress_lock);
	draw(p, llm_now());
	fputc('\n', stderr);
	progress_line_drawn = false;
	pthread_mutex_unlock(&progress_lock);
}
