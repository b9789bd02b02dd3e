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
/* output */

struct llm_out {
	struct llm_atomic at;
	bool gzip;
	z_stream zs;
	unsigned char *zbuf;
	char *buf;
	size_t buf_len;
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
	o->buf = llm_malloc(OUT_BUF);
	if (o->gzip) {
		o->zbuf = llm_malloc(OUT_BUF);
		if (deflateInit2(&o->zs, gzip_level < 0 ? 6 : gzip_level, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			llm_die("zlib initialisation failed");
	}
	return o;
}

static int out_sink(struct llm_out *o, const void *data, size_t n, int flush)
{
	if (!o->gzip) {
		if (llm_write_all(o->at.fd, data, n) != 0) {
			o->failed = true;
			return llm_error_errno("cannot write '%s'", o->at.path);
		}
		return 0;
	}
	o->zs.next_in = (unsigned char *)data;
	o->zs.avail_in = (uInt)n;
	do {
		o->zs.next_out = o->zbuf;
		o->zs.avail_out = OUT_BUF;
		int zr = deflate(&o->zs, flush);
		if (zr == Z_STREAM_ERROR)
			llm_die("zlib deflate failed");
		size_t have = OUT_BUF - o->zs.avail_out;
		if (have && llm_write_all(o->at.fd, o->zbuf, have) != 0) {
			o->failed = true;
			return llm_error_errno("cannot write '%s'", o->at.path);
		}
	} while (o->zs.avail_out == 0 || (flush == Z_FINISH && o->zs.avail_in));
	return 0;
}

static int out_flush(struct llm_out *o, int flush)
{
	int r = out_sink(o, o->buf, o->buf_len, flush);
	o->buf_len = 0;
	return r;
}

int llm_out_write(struct llm_out *o, const void *data, size_t n)
{
	if (o->failed)
		return -1;
	o->bytes += n;
	if (o->buf_len + n > OUT_BUF) {
		if (out_flush(o, Z_NO_FLUSH) != 0)
			return -1;
		if (n > OUT_BUF)
			return out_sink(o, data, n, Z_NO_FLUSH);
	}
	memcpy(o->buf + o->buf_len, data, n);
	o->buf_len += n;
	return 0;
}

int llm_out_puts(struct llm_out *o, const char *s)
{
	return llm_out_write(o, s, strlen(s));
}

uint64_t llm_out_bytes(const struct llm_out *o) { return o->bytes; }

static void out_free(struct llm_out *o)
{
	if (o->gzip)
		deflateEnd(&o->zs);
	free(o->zbuf);
	free(o->buf);
	free(o);
}

int llm_out_commit(struct llm_out *o)
{
	int r = o->failed ? -1 : out_flush(o, o->gzip ? Z_FINISH : Z_NO_FLUSH);
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
	llm_atomic_abort(&o->at);
	out_free(o);
}
