/*
 * log.h: levelled logging to stderr, and a progress bar drawn only when
 * stderr is a terminal (quiet in pipelines and under make -j).
 */
#ifndef LLM_LOG_H
#define LLM_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

enum llm_log_level {
	LLM_LOG_ERROR = 0,
	LLM_LOG_WARN = 1,
	LLM_LOG_INFO = 2,
	LLM_LOG_DEBUG = 3,
};

void llm_log_set_level(enum llm_log_level level);
enum llm_log_level llm_log_get_level(void);
/* Parses "error|warn|info|debug"; returns -1 on an unknown name. */
int llm_log_parse_level(const char *name);
void llm_log(enum llm_log_level level, const char *fmt, ...) LLM_PRINTF(2, 3);
#define llm_warn(...) llm_log(LLM_LOG_WARN, __VA_ARGS__)
#define llm_info(...) llm_log(LLM_LOG_INFO, __VA_ARGS__)
#define llm_debug(...) llm_log(LLM_LOG_DEBUG, __VA_ARGS__)

/* Progress bar.  Totals of 0 mean unknown (no ETA, no percentage).
 * Updates are cheap and rate-limited to ~10 redraws a second; thread-safe. */
struct llm_progress {
	const char *label;
	uint64_t total_items, total_bytes;
	uint64_t items, bytes;
	double start, last_draw;
	bool enabled;
};
/* Force the bar off (--quiet) or on (tests); default: on iff stderr is a tty. */
void llm_progress_set_enabled(bool enabled);
void llm_progress_init(struct llm_progress *p, const char *label,
		       uint64_t total_items, uint64_t total_bytes);
void llm_progress_add(struct llm_progress *p, uint64_t items, uint64_t bytes);
void llm_progress_finish(struct llm_progress *p);
/* Formats "items, bytes, rate, ETA" into out (>= 160 bytes); for tests. */
void llm_progress_format(const struct llm_progress *p, double now, char *out, size_t n);

#endif
