/*
 * hash.c: xxh3-64 of buffers and files (libxxhash).
 */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <xxhash.h>

#include "util.h"

uint64_t llm_hash64(const void *data, size_t n, uint64_t seed)
{
	return XXH3_64bits_withSeed(data, n, seed);
}

void llm_hasher_init(struct llm_hasher *h, uint64_t seed)
{
	XXH3_state_t *s = XXH3_createState();
	if (!s)
		llm_die("out of memory creating a hash state");
	XXH3_64bits_reset_withSeed(s, seed);
	h->state = s;
}

void llm_hasher_update(struct llm_hasher *h, const void *data, size_t n)
{
	XXH3_64bits_update(h->state, data, n);
}

uint64_t llm_hasher_final(struct llm_hasher *h)
{
	uint64_t v = XXH3_64bits_digest(h->state);
	XXH3_freeState(h->state);
	h->state = NULL;
	return v;
}

int llm_hash_file(const char *path, uint64_t *hash, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return llm_error_errno("cannot open '%s'", path);
	struct llm_hasher h;
	llm_hasher_init(&h, 0);
	enum { BUF = 1 << 20 };
	char *buf = llm_malloc(BUF);
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			free(buf);
			close(fd);
			llm_hasher_final(&h);
			errno = e;
			return llm_error_errno("cannot read '%s'", path);
		}
		if (n == 0)
			break;
		llm_hasher_update(&h, buf, (size_t)n);
		total += (uint64_t)n;
	}
	free(buf);
	close(fd);
	*hash = llm_hasher_final(&h);
	if (size)
		*size = total;
	return 0;
}

char *llm_hash_hex(uint64_t h, char *out)
{
	snprintf(out, 17, "%016llx", (unsigned long long)h);
	return out;
}
