/*
 * atomic.c: temp file + fsync + rename, and removal of temp files left open
 * when the process exits or is interrupted.
 */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

/* Open temp paths, for cleanup from exit and signal handlers.  A fixed
 * table keeps the signal handler async-signal-safe (unlink only). */
enum { MAX_OPEN = 256 };
static char *open_tmps[MAX_OPEN];
static pthread_mutex_t tmps_lock = PTHREAD_MUTEX_INITIALIZER;

static void track(char *tmp)
{
	pthread_mutex_lock(&tmps_lock);
	for (int i = 0; i < MAX_OPEN; i++)
		if (!open_tmps[i]) {
			open_tmps[i] = tmp;
			break;
		}
	pthread_mutex_unlock(&tmps_lock);
}

static void untrack(const char *tmp)
{
	pthread_mutex_lock(&tmps_lock);
	for (int i = 0; i < MAX_OPEN; i++)
		if (open_tmps[i] == tmp)
			open_tmps[i] = NULL;
	pthread_mutex_unlock(&tmps_lock);
}

static void remove_all_tmps(void)
{
	for (int i = 0; i < MAX_OPEN; i++)
		if (open_tmps[i])
			unlink(open_tmps[i]);
}

static void on_signal(int sig)
{
	remove_all_tmps();
	signal(sig, SIG_DFL);
	raise(sig);
}

void llm_atomic_install_handlers(void)
{
	static int installed;
	if (installed)
		return;
	installed = 1;
	atexit(remove_all_tmps);
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(sigs); i++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(sigs[i], &sa, NULL);
	}
}

int llm_mkdir_p(const char *path)
{
	char *p = llm_strdup(path);
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			int r = llm_error_errno("cannot create directory '%s'", p);
			free(p);
			return r;
		}
		*s = '/';
	}
	int r = 0;
	if (mkdir(p, 0777) != 0 && errno != EEXIST)
		r = llm_error_errno("cannot create directory '%s'", p);
	else {
		struct stat st;
		if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			r = llm_error_errno("cannot create directory '%s'", p);
		}
	}
	free(p);
	return r;
}

static char *dir_of(const char *path)
{
	char *tmp = llm_strdup(path);
	char *d = llm_strdup(dirname(tmp));
	free(tmp);
	return d;
}

int llm_atomic_open(struct llm_atomic *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->fd = -1;
	llm_atomic_install_handlers();
	char *dir = dir_of(path);
	if (llm_mkdir_p(dir) != 0) {
		free(dir);
		return -1;
	}
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	if (!*b) {
		free(dir);
		return llm_error("'%s' is a directory name, expected a file name", path);
	}
	a->tmp = llm_asprintf("%s/.%s.tmp.XXXXXX", dir, b);
	free(dir);
	a->fd = mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		int r = llm_error_errno("cannot create a temp file for '%s'", path);
		free(a->tmp);
		a->tmp = NULL;
		return r;
	}
	fchmod(a->fd, 0644);
	a->path = llm_strdup(path);
	track(a->tmp);
	return 0;
}

static void release(struct llm_atomic *a)
{
	if (a->tmp)
		untrack(a->tmp);
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
	a->fd = -1;
}

void llm_atomic_abort(struct llm_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	if (a->tmp)
		unlink(a->tmp);
	release(a);
}

int llm_atomic_commit(struct llm_atomic *a)
{
	if (fsync(a->fd) != 0) {
		llm_error_errno("cannot write '%s' (fsync)", a->path);
		llm_atomic_abort(a);
		return -1;
	}
	if (close(a->fd) != 0) {
		a->fd = -1;
		llm_error_errno("cannot write '%s' (close)", a->path);
		llm_atomic_abort(a);
		return -1;
	}
	a->fd = -1;
	if (rename(a->tmp, a->path) != 0) {
		llm_error_errno("cannot rename '%s' to '%s'", a->tmp, a->path);
		llm_atomic_abort(a);
		return -1;
	}
	char *dir = dir_of(a->path);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd); /* makes the rename durable; failure here is not data loss */
		close(dfd);
	}
	free(dir);
	release(a);
	return 0;
}

int llm_write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int llm_atomic_write_file(const char *path, const void *data, size_t n)
{
	struct llm_atomic a;
	if (llm_atomic_open(&a, path) != 0)
		return -1;
	if (llm_write_all(a.fd, data, n) != 0) {
		llm_error_errno("cannot write '%s'", path);
		llm_atomic_abort(&a);
		return -1;
	}
	return llm_atomic_commit(&a);
}
