/*
 * io.c: byte streams over plain and gzip files (zlib), and atomic gzip or
 * plain output.
 */
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libdeflate.h>
#include <pthread.h>
#include <zlib.h>

#include "atomic.h"

enum { IN_RAW = 1 << 18, IN_OUT = 1 << 18, OUT_BUF = 1 << 18 };

struct llm_in {
	char *path;
	int fd;
	bool gzip;
	bool eof_raw;      /* no more bytes in the file */
	bool stream_done;  /* gzip: between members or at end */
	bool failed;
	z_stream zs;
	unsigned char *raw;
	size_t raw_len, raw_pos;
	uint64_t raw_offset; /* bytes of the file consumed by read() */
	char *buf;           /* uncompressed bytes */
	size_t buf_len, buf_pos;
	uint64_t offset;     /* uncompressed offset of buf[0] */
	uint64_t line_no, line_offset;
};

static int fill_raw(struct llm_in *in)
{
	if (in->raw_pos < in->raw_len || in->eof_raw)
		return 0;
	for (;;) {
		ssize_t n = read(in->fd, in->raw, IN_RAW);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			in->failed = true;
			return llm_error_errno("cannot read '%s'", in->path);
		}
		in->raw_len = (size_t)n;
		in->raw_pos = 0;
		in->raw_offset += (uint64_t)n;
		if (n == 0)
			in->eof_raw = true;
		return 0;
	}
}

struct llm_in *llm_in_open(const char *path)
{
	int fd;
	if (strcmp(path, "-") == 0)
		fd = dup(STDIN_FILENO);
	else
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		llm_error_errno("cannot open '%s'", path);
		return NULL;
	}
	struct llm_in *in = llm_calloc(1, sizeof(*in));
	in->path = llm_strdup(path);
	in->fd = fd;
	in->raw = llm_malloc(IN_RAW);
	in->buf = llm_malloc(IN_OUT);
	if (fill_raw(in) != 0) {
		llm_in_close(in);
		return NULL;
	}
	if (in->raw_len >= 2 && in->raw[0] == 0x1f && in->raw[1] == 0x8b) {
		in->gzip = true;
		if (inflateInit2(&in->zs, 15 + 16) != Z_OK)
			llm_die("zlib initialisation failed");
	}
	return in;
}

/* Remaining bytes after a gzip member: NUL padding is tolerated (some
 * writers pad), anything else must be another member. */
static int next_member(struct llm_in *in)
{
	for (;;) {
		if (fill_raw(in) != 0)
			return -1;
		while (in->raw_pos < in->raw_len && in->raw[in->raw_pos] == 0)
			in->raw_pos++;
		if (in->raw_pos < in->raw_len)
			break;
		if (in->eof_raw)
			return 0; /* clean end */
	}
	if (in->raw[in->raw_pos] != 0x1f) {
		in->failed = true;
		return llm_error("'%s': trailing garbage after gzip member at compressed byte %llu "
				 "(expected another gzip member or end of file)", in->path,
				 (unsigned long long)(in->raw_offset - (in->raw_len - in->raw_pos)));
	}
	inflateReset(&in->zs);
	in->stream_done = false;
	return 1;
}

/* Refills in->buf.  Returns bytes now available, 0 at end, -1 on error. */
static long refill(struct llm_in *in)
{
	if (in->failed)
		return -1;
	in->offset += in->buf_len;
	in->buf_len = in->buf_pos = 0;
	if (!in->gzip) {
		if (in->raw_pos < in->raw_len) {
			size_t n = in->raw_len - in->raw_pos;
			memcpy(in->buf, in->raw + in->raw_pos, n);
			in->raw_pos = in->raw_len;
			in->buf_len = n;
			return (long)n;
		}
		if (fill_raw(in) != 0)
			return -1;
		memcpy(in->buf, in->raw, in->raw_len);
		in->buf_len = in->raw_len;
		in->raw_pos = in->raw_len;
		return (long)in->buf_len;
	}
	while (in->buf_len == 0) {
		if (in->stream_done) {
			int r = next_member(in);
			if (r <= 0)
				return r;
		}
		if (fill_raw(in) != 0)
			return -1;
		if (in->raw_pos == in->raw_len && in->eof_raw) {
			in->failed = true;
			return llm_error("'%s': truncated gzip stream: unexpected end of file at compressed "
					 "byte %llu (uncompressed byte %llu); the file was cut short",
					 in->path, (unsigned long long)in->raw_offset,
					 (unsigned long long)in->offset);
		}
		in->zs.next_in = in->raw + in->raw_pos;
		in->zs.avail_in = (uInt)(in->raw_len - in->raw_pos);
		in->zs.next_out = (unsigned char *)in->buf;
		in->zs.avail_out = IN_OUT;
		int zr = inflate(&in->zs, Z_NO_FLUSH);
		in->raw_pos = in->raw_len - in->zs.avail_in;
		in->buf_len = IN_OUT - in->zs.avail_out;
		if (zr == Z_STREAM_END) {
			in->stream_done = true;
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			in->failed = true;
			return llm_error("'%s': corrupt gzip data near compressed byte %llu (uncompressed "
					 "byte %llu): %s", in->path,
					 (unsigned long long)(in->raw_offset - (in->raw_len - in->raw_pos)),
					 (unsigned long long)(in->offset + in->buf_len),
					 in->zs.msg ? in->zs.msg : "inflate failed");
		}
	}
	return (long)in->buf_len;
}

long llm_in_read(struct llm_in *in, void *out, size_t n)
{
	size_t got = 0;
	while (got < n) {
		if (in->buf_pos == in->buf_len) {
			long r = refill(in);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
		}
		size_t k = LLM_MIN(n - got, in->buf_len - in->buf_pos);
		memcpy((char *)out + got, in->buf + in->buf_pos, k);
		in->buf_pos += k;
		got += k;
	}
	return (long)got;
}

int llm_in_getline(struct llm_in *in, struct llm_buf *line, size_t max_len)
{
	llm_buf_reset(line);
	bool any = false, too_long = false;
	in->line_offset = in->offset + in->buf_pos;
	for (;;) {
		if (in->buf_pos == in->buf_len) {
			long r = refill(in);
			if (r < 0)
				return -1;
			if (r == 0)
				break;
		}
		any = true;
		char *start = in->buf + in->buf_pos;
		size_t avail = in->buf_len - in->buf_pos;
		char *nl = memchr(start, '\n', avail);
		size_t k = nl ? (size_t)(nl - start) : avail;
		if (!too_long) {
			if (line->len + k > max_len) {
				too_long = true;
				llm_buf_reset(line);
			} else {
				llm_buf_append(line, start, k);
			}
		}
		in->buf_pos += k + (nl ? 1 : 0);
		if (nl)
			break;
	}
	if (!any)
		return 0;
	in->line_no++;
	if (too_long)
		return -2;
	if (line->len && line->data[line->len - 1] == '\r')
		line->data[--line->len] = '\0'; /* CRLF files */
	return 1;
}

const char *llm_in_path(const struct llm_in *in) { return in->path; }
uint64_t llm_in_line(const struct llm_in *in) { return in->line_no; }
uint64_t llm_in_line_offset(const struct llm_in *in) { return in->line_offset; }
uint64_t llm_in_raw_offset(const struct llm_in *in) { return in->raw_offset - (in->raw_len - in->raw_pos); }
bool llm_in_is_gzip(const struct llm_in *in) { return in->gzip; }

void llm_in_close(struct llm_in *in)
{
	if (!in)
		return;
	if (in->gzip)
		inflateEnd(&in->zs);
	close(in->fd);
	free(in->raw);
	free(in->buf);
	free(in->path);
	free(in);
}

/* ------------------------------------------------------------------ */
/* output
 *
 * Gzip output is written as a sequence of independent gzip members, one per
 * OUT_BLOCK (2 MiB) of input, compressed with libdeflate (several times faster
 * than zlib at the same level) on up to io_threads threads while the caller
 * keeps producing.  Members are written in order and the block size is fixed,
 * so the bytes do not depend on the thread count.  Every gzip reader
 * (zcat, Python's gzip, zlib) reads multi-member files as one stream.
 */

enum { OUT_BLOCK = 2 << 20, MAX_SLOTS = 64 };

static int io_threads = 1;

void llm_io_set_threads(int n)
{
	io_threads = n < 1 ? 1 : n > MAX_SLOTS / 2 ? MAX_SLOTS / 2 : n;
}

struct out_slot {
	pthread_t thread;
	bool busy;
	int level;
	char *in;
	size_t in_len;
	unsigned char *out;
	size_t out_len, out_cap;
};

struct llm_out {
	struct llm_atomic at;
	bool gzip;
	int level;
	char *buf;        /* plain: write buffer; gzip: the block being filled */
	size_t buf_len;
	struct out_slot slots[MAX_SLOTS];
	int n_slots, next_slot;
	uint64_t bytes;
	bool failed;
};

struct llm_out *llm_out_open(const char *path, int gzip_level)
{
	struct llm_out *o = llm_calloc(1, sizeof(*o));
	if (llm_atomic_open(&o->at, path) != 0) {
		free(o);
		return NULL;
	}
	o->gzip = llm_str_ends_with(path, ".gz");
	o->level = gzip_level < 0 ? 6 : gzip_level > 9 ? 9 : gzip_level;
	o->buf = llm_malloc(o->gzip ? OUT_BLOCK : OUT_BUF);
	/* one slot more than threads keeps every compressor busy while the
	 * caller fills the next block; memory is 2 x OUT_BLOCK per slot */
	o->n_slots = o->gzip && io_threads > 1 ? io_threads + 1 : 1;
	return o;
}

static void compress_slot(struct out_slot *s)
{
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(s->level);
	if (!c)
		llm_die("out of memory allocating a gzip compressor");
	size_t bound = libdeflate_gzip_compress_bound(c, s->in_len);
	if (bound > s->out_cap) {
		s->out = llm_realloc(s->out, bound);
		s->out_cap = bound;
	}
	s->out_len = libdeflate_gzip_compress(c, s->in, s->in_len, s->out, s->out_cap);
	libdeflate_free_compressor(c);
	if (s->out_len == 0)
		llm_die("gzip compression failed (output bound too small)");
}

static void *compress_thread(void *arg)
{
	compress_slot(arg);
	return NULL;
}

/* Waits for slot s and writes its member. */
static int retire(struct llm_out *o, struct out_slot *s)
{
	if (!s->busy)
		return 0;
	if (o->n_slots > 1)
		pthread_join(s->thread, NULL);
	s->busy = false;
	if (!o->failed && llm_write_all(o->at.fd, s->out, s->out_len) != 0) {
		o->failed = true;
		return llm_error_errno("cannot write '%s'", o->at.path);
	}
	return o->failed ? -1 : 0;
}

/* Hands the filled block to the next slot (oldest first, so members stay
 * in order) and gives the caller a fresh buffer. */
static int submit_block(struct llm_out *o)
{
	if (o->buf_len == 0)
		return 0;
	struct out_slot *s = &o->slots[o->next_slot];
	if (retire(o, s) != 0)
		return -1;
	char *t = s->in;
	s->in = o->buf;
	s->in_len = o->buf_len;
	s->level = o->level;
	o->buf = t ? t : llm_malloc(OUT_BLOCK);
	o->buf_len = 0;
	s->busy = true;
	if (o->n_slots == 1)
		compress_slot(s);
	else if (pthread_create(&s->thread, NULL, compress_thread, s) != 0)
		llm_die("cannot start a compression thread");
	o->next_slot = (o->next_slot + 1) % o->n_slots;
	return 0;
}

static int flush_plain(struct llm_out *o)
{
	if (o->buf_len && llm_write_all(o->at.fd, o->buf, o->buf_len) != 0) {
		o->failed = true;
		return llm_error_errno("cannot write '%s'", o->at.path);
	}
	o->buf_len = 0;
	return 0;
}

int llm_out_write(struct llm_out *o, const void *data, size_t n)
{
	if (o->failed)
		return -1;
	o->bytes += n;
	const char *p = data;
	size_t cap = o->gzip ? OUT_BLOCK : OUT_BUF;
	while (n) {
		if (o->buf_len == cap) {
			if ((o->gzip ? submit_block(o) : flush_plain(o)) != 0)
				return -1;
		}
		if (!o->gzip && o->buf_len == 0 && n >= cap) {
			if (llm_write_all(o->at.fd, p, n) != 0) {
				o->failed = true;
				return llm_error_errno("cannot write '%s'", o->at.path);
			}
			return 0;
		}
		size_t k = LLM_MIN(n, cap - o->buf_len);
		memcpy(o->buf + o->buf_len, p, k);
		o->buf_len += k;
		p += k;
		n -= k;
	}
	return 0;
}

int llm_out_puts(struct llm_out *o, const char *s)
{
	return llm_out_write(o, s, strlen(s));
}

uint64_t llm_out_bytes(const struct llm_out *o) { return o->bytes; }

/* Finishes every block in flight (in order); returns 0 or -1. */
static int drain(struct llm_out *o)
{
	int r = 0;
	for (int k = 0; k < o->n_slots; k++) {
		struct out_slot *s = &o->slots[(o->next_slot + k) % o->n_slots];
		if (retire(o, s) != 0)
			r = -1;
	}
	return r;
}

static void out_free(struct llm_out *o)
{
	for (int k = 0; k < MAX_SLOTS; k++) {
		free(o->slots[k].in);
		free(o->slots[k].out);
	}
	free(o->buf);
	free(o);
}

int llm_out_commit(struct llm_out *o)
{
	int r = o->failed ? -1 : 0;
	if (o->gzip) {
		if (r == 0 && o->buf_len)
			r = submit_block(o);
		if (drain(o) != 0)
			r = -1;
		if (r == 0 && o->bytes == 0) {
			/* an empty stream still gets one empty member: a valid gzip file */
			struct out_slot e = {.level = o->level};
			compress_slot(&e);
			if (llm_write_all(o->at.fd, e.out, e.out_len) != 0)
				r = llm_error_errno("cannot write '%s'", o->at.path);
			free(e.out);
		}
	} else if (r == 0) {
		r = flush_plain(o);
	}
	if (r == 0)
		r = llm_atomic_commit(&o->at);
	else
		llm_atomic_abort(&o->at);
	out_free(o);
	return r;
}

void llm_out_abort(struct llm_out *o)
{
	if (!o)
		return;
	o->failed = true;
	drain(o);
	llm_atomic_abort(&o->at);
	out_free(o);
}
