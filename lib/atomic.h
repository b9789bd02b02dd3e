/*
 * atomic.h: outputs that appear only when complete.
 *
 * A file is written to a hidden temp file ".NAME.tmp.XXXXXX" in the same
 * directory, fsynced, then renamed over NAME (and the directory fsynced).
 * Temp files still open at exit or on SIGINT/SIGTERM/SIGHUP are removed; a
 * kill -9 leaves only a hidden ".tmp." file that no reader mistakes for
 * output.
 */
#ifndef LLM_ATOMIC_H
#define LLM_ATOMIC_H

#include <stddef.h>

struct llm_atomic {
	char *path; /* final path */
	char *tmp;  /* temp path while open */
	int fd;
};

/* Creates the temp file (and missing parent directories).  0 or -1. */
int llm_atomic_open(struct llm_atomic *a, const char *path);
/* fsync + rename + fsync(dir); closes the fd.  0 or -1 (temp removed). */
int llm_atomic_commit(struct llm_atomic *a);
void llm_atomic_abort(struct llm_atomic *a);
/* Writes all n bytes to fd, retrying short writes.  0 or -1 (errno set). */
int llm_write_all(int fd, const void *data, size_t n);
/* One-shot: writes data to path atomically. */
int llm_atomic_write_file(const char *path, const void *data, size_t n);

/* Makes every missing directory of path (like mkdir -p).  0 or -1. */
int llm_mkdir_p(const char *path);
/* Installs the signal handlers that remove open temp files (idempotent). */
void llm_atomic_install_handlers(void);

#endif
