/*
 * warc.c: damage-tolerant WARC reader and HTTP payload parser (see warc.h).
 *
 * Two layers.  The byte layer turns the file into one uncompressed stream:
 * plain files are copied, gzip files are inflated member by member; a
 * corrupt member leaves a "break" (an offset in the stream after which the
 * data does not continue what came before) and the layer scans the raw file
 * for the next gzip header.  The record layer parses WARC headers from that
 * stream and checks every record against the breaks and against what
 * follows its declared end, so that a wrong Content-Length or a damaged
 * member costs at most the damaged record.
 */
#include "warc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <zlib.h>

#include "log.h"
#include "util.h"

#define RAW_CHUNK ((size_t)1 << 18)
#define OUT_CHUNK ((size_t)1 << 18)
#define MAX_HEADER ((size_t)64 << 10)
#define DEFAULT_MAX_RECORD ((size_t)256 << 20)

/* ------------------------------------------------------------------ */
/* reader state                                                        */

struct u64v {
	uint64_t *v;
	size_t n, cap;
};

static void u64v_push(struct u64v *a, uint64_t x)
{
	if (a->n && a->v[a->n - 1] == x)
		return;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 16;
		a->v = llm_realloc(a->v, a->cap * sizeof(*a->v));
	}
	a->v[a->n++] = x;
}

/* Drops entries below lo (the vector is sorted). */
static void u64v_prune(struct u64v *a, uint64_t lo)
{
	size_t i = 0;
	while (i < a->n && a->v[i] < lo)
		i++;
	if (i) {
		memmove(a->v, a->v + i, (a->n - i) * sizeof(*a->v));
		a->n -= i;
	}
}

struct llm_warc_reader {
	char *path;
	int fd;                  /* -1 for memory input */
	bool own_fd;
	const unsigned char *mem;
	size_t mem_len, mem_pos;

	/* raw (possibly compressed) input */
	unsigned char *raw;
	size_t raw_len, raw_pos;
	uint64_t raw_base;       /* file offset of raw[0] */
	bool raw_eof;

	bool gzip;
	bool in_member;
	bool member_from_scan;   /* this member was found by scanning after damage */
	uint64_t member_raw_start;
	z_stream zs;
	bool zs_init;

	/* uncompressed window: buf[pos..len) is unread, buf[0] is at stream offset base */
	char *buf;
	size_t len, cap, pos;
	uint64_t base;
	bool eof;

	struct u64v breaks;      /* stream offsets following damage */

	struct llm_buf hdr;      /* header values of the current record */
	struct llm_warc_stats st;
	size_t max_record;
	bool verbose;
};

static void damage(struct llm_warc_reader *r, uint64_t off, const char *what)
{
	if (r->verbose)
		llm_warn("'%s': %s at uncompressed offset %llu (compressed offset ~%llu)", r->path, what,
			 (unsigned long long)off, (unsigned long long)(r->raw_base + r->raw_pos));
}

static struct llm_warc_reader *reader_new(const char *path, size_t max_record)
{
	struct llm_warc_reader *r = llm_calloc(1, sizeof(*r));
	r->path = llm_strdup(path);
	r->fd = -1;
	r->max_record = max_record ? max_record : DEFAULT_MAX_RECORD;
	r->raw = llm_malloc(RAW_CHUNK);
	return r;
}

struct llm_warc_reader *llm_warc_open(const char *path, size_t max_record)
{
	int fd;
	if (strcmp(path, "-") == 0) {
		fd = 0;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			llm_error_errno("cannot open WARC '%s'", path);
			return NULL;
		}
	}
	struct llm_warc_reader *r = reader_new(path, max_record);
	r->fd = fd;
	r->own_fd = fd != 0;
	return r;
}

struct llm_warc_reader *llm_warc_open_mem(const void *data, size_t n, size_t max_record)
{
	struct llm_warc_reader *r = reader_new("<memory>", max_record);
	r->mem = data;
	r->mem_len = n;
	return r;
}

void llm_warc_set_verbose(struct llm_warc_reader *r, bool verbose)
{
	r->verbose = verbose;
}

const struct llm_warc_stats *llm_warc_stats(const struct llm_warc_reader *r)
{
	return &r->st;
}

void llm_warc_close(struct llm_warc_reader *r)
{
	if (!r)
		return;
	if (r->own_fd && r->fd >= 0)
		close(r->fd);
	if (r->zs_init)
		inflateEnd(&r->zs);
	free(r->raw);
	free(r->buf);
	free(r->breaks.v);
	llm_buf_free(&r->hdr);
	free(r->path);
	free(r);
}

bool llm_warc_sniff(const void *data, size_t n)
{
	const unsigned char *p = data;
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return true;
	return n >= 5 && memcmp(p, "WARC/", 5) == 0;
}

/* ------------------------------------------------------------------ */
/* byte layer                                                          */

/* Reads more raw input after dropping consumed bytes.  Returns bytes added,
 * 0 at EOF, -1 on an I/O error. */
static long raw_more(struct llm_warc_reader *r)
{
	if (r->raw_eof)
		return 0;
	if (r->raw_pos > 0) {
		memmove(r->raw, r->raw + r->raw_pos, r->raw_len - r->raw_pos);
		r->raw_base += r->raw_pos;
		r->raw_len -= r->raw_pos;
		r->raw_pos = 0;
	}
	size_t room = RAW_CHUNK - r->raw_len;
	if (room == 0)
		return 0; /* caller consumes first */
	long got;
	if (r->fd < 0) {
		size_t k = LLM_MIN(room, r->mem_len - r->mem_pos);
		memcpy(r->raw + r->raw_len, r->mem + r->mem_pos, k);
		r->mem_pos += k;
		got = (long)k;
	} else {
		ssize_t k;
		do
			k = read(r->fd, r->raw + r->raw_len, room);
		while (k < 0 && errno == EINTR);
		if (k < 0) {
			llm_error_errno("cannot read '%s' at byte %llu", r->path,
					(unsigned long long)(r->raw_base + r->raw_len));
			return -1;
		}
		got = k;
	}
	if (got == 0)
		r->raw_eof = true;
	r->raw_len += (size_t)got;
	return got;
}

static void out_reserve(struct llm_warc_reader *r, size_t extra)
{
	if (r->len + extra <= r->cap)
		return;
	size_t cap = r->cap ? r->cap : OUT_CHUNK;
	while (cap < r->len + extra)
		cap *= 2;
	r->buf = llm_realloc(r->buf, cap + 1);
	r->cap = cap;
}

static uint64_t stream_off(const struct llm_warc_reader *r, size_t idx)
{
	return r->base + idx;
}

static void add_break(struct llm_warc_reader *r)
{
	u64v_push(&r->breaks, stream_off(r, r->len));
}

/* Moves the raw read position back to file offset off, so a good member
 * swallowed by a corrupt one is found again.  Where the input cannot seek
 * (a pipe) and off was already dropped, reading goes on from here. */
static void raw_seek(struct llm_warc_reader *r, uint64_t off)
{
	if (off >= r->raw_base && off <= r->raw_base + r->raw_len) {
		r->raw_pos = (size_t)(off - r->raw_base);
		return;
	}
	if (r->fd < 0) {
		if (off > r->mem_len)
			return;
		r->mem_pos = (size_t)off;
	} else if (lseek(r->fd, (off_t)off, SEEK_SET) != (off_t)off) {
		return;
	}
	r->raw_base = off;
	r->raw_len = r->raw_pos = 0;
	r->raw_eof = false;
}

/* Finds the next gzip member header in the raw input, starting at raw_pos.
 * Returns 1 when raw_pos is at one, 0 at EOF, -1 on I/O error. */
static int scan_gzip_magic(struct llm_warc_reader *r)
{
	for (;;) {
		while (r->raw_pos + 3 <= r->raw_len) {
			unsigned char *p = memchr(r->raw + r->raw_pos, 0x1f, r->raw_len - r->raw_pos - 2);
			if (!p) {
				r->raw_pos = r->raw_len - 2;
				break;
			}
			if (p[1] == 0x8b && p[2] == 0x08) {
				r->raw_pos = (size_t)(p - r->raw);
				return 1;
			}
			r->raw_pos = (size_t)(p - r->raw) + 1;
		}
		long got = raw_more(r);
		if (got < 0)
			return -1;
		if (got == 0 && r->raw_pos + 3 > r->raw_len) {
			r->raw_pos = r->raw_len;
			return 0;
		}
	}
}

/* Appends some uncompressed bytes to buf.  Returns 1 when bytes (or a
 * break) were produced, 0 at the end of the stream, -1 on I/O error. */
static int produce(struct llm_warc_reader *r)
{
	if (r->eof)
		return 0;
	if (!r->gzip) {
		if (r->raw_pos == r->raw_len) {
			long got = raw_more(r);
			if (got < 0)
				return -1;
			if (got == 0) {
				r->eof = true;
				return 0;
			}
		}
		size_t k = r->raw_len - r->raw_pos;
		out_reserve(r, k);
		memcpy(r->buf + r->len, r->raw + r->raw_pos, k);
		r->len += k;
		r->raw_pos += k;
		return 1;
	}
	size_t before = r->len;
	for (;;) {
		if (!r->in_member) {
			uint64_t junk_from = r->raw_base + r->raw_pos;
			int m = scan_gzip_magic(r);
			if (m < 0)
				return -1;
			uint64_t skipped = r->raw_base + r->raw_pos - junk_from;
			if (skipped) {
				/* bytes between members that are not gzip: count them once */
				r->st.junk_bytes += skipped;
				if (!r->member_from_scan) {
					r->st.resyncs++;
					damage(r, stream_off(r, r->len), "non-gzip bytes between gzip members");
				}
				add_break(r);
			}
			if (m == 0) {
				r->eof = true;
				return r->len > before;
			}
			if (!r->zs_init) {
				memset(&r->zs, 0, sizeof(r->zs));
				if (inflateInit2(&r->zs, 15 + 16) != Z_OK)
					llm_die("zlib: inflateInit2 failed");
				r->zs_init = true;
			} else {
				inflateReset(&r->zs);
			}
			r->in_member = true;
			r->member_raw_start = r->raw_base + r->raw_pos;
		}
		if (r->raw_pos == r->raw_len) {
			long got = raw_more(r);
			if (got < 0)
				return -1;
			if (got == 0) {
				/* EOF inside a member: the file was truncated */
				r->st.gzip_truncated++;
				damage(r, stream_off(r, r->len), "gzip stream truncated");
				r->in_member = false;
				r->eof = true;
				return r->len > before;
			}
		}
		out_reserve(r, OUT_CHUNK);
		r->zs.next_in = r->raw + r->raw_pos;
		r->zs.avail_in = (uInt)(r->raw_len - r->raw_pos);
		r->zs.next_out = (unsigned char *)r->buf + r->len;
		r->zs.avail_out = (uInt)OUT_CHUNK;
		int ret = inflate(&r->zs, Z_NO_FLUSH);
		r->raw_pos = r->raw_len - r->zs.avail_in;
		r->len += OUT_CHUNK - r->zs.avail_out;
		if (ret == Z_STREAM_END) {
			r->st.gzip_members++;
			r->in_member = false;
			r->member_from_scan = false;
		} else if (ret == Z_OK || ret == Z_BUF_ERROR) {
			/* Z_BUF_ERROR with input left cannot happen; without input we read more */
		} else {
			/* corrupt member: drop it and look for the next header after its start */
			if (!r->member_from_scan) {
				r->st.gzip_corrupt++;
				damage(r, stream_off(r, r->len), "corrupt gzip member");
			}
			add_break(r);
			r->in_member = false;
			r->member_from_scan = true;
			raw_seek(r, r->member_raw_start + 1);
		}
		if (r->len > before)
			return 1;
	}
}

/* Ensures buf holds at least idx + n bytes (or the stream ended).  Returns
 * the number of bytes available from idx, or -1 on I/O error. */
static long need(struct llm_warc_reader *r, size_t idx, size_t n)
{
	while (r->len < idx + n && !r->eof) {
		int p = produce(r);
		if (p < 0)
			return -1;
	}
	return r->len > idx ? (long)(r->len - idx) : 0;
}

/* Drops buf[0..pos) so the window does not grow. */
static void compact(struct llm_warc_reader *r)
{
	if (r->pos == 0)
		return;
	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->base += r->pos;
	r->len -= r->pos;
	r->pos = 0;
	u64v_prune(&r->breaks, r->base);
}

/* First break strictly inside (from, to], as a buffer index, or SIZE_MAX. */
static size_t break_in(const struct llm_warc_reader *r, size_t from, size_t to)
{
	uint64_t lo = stream_off(r, from), hi = stream_off(r, to);
	for (size_t i = 0; i < r->breaks.n; i++) {
		uint64_t b = r->breaks.v[i];
		if (b > lo && b <= hi)
			return (size_t)(b - r->base);
	}
	return SIZE_MAX;
}

static bool is_break_at(const struct llm_warc_reader *r, size_t idx)
{
	uint64_t off = stream_off(r, idx);
	for (size_t i = 0; i < r->breaks.n; i++)
		if (r->breaks.v[i] == off)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* record layer                                                        */

/* Does a WARC header start at buf[i]?  "WARC/<digit>...\n" and then a line
 * that looks like "Name:" (checked as far as data is buffered). */
static bool header_at(const struct llm_warc_reader *r, size_t i)
{
	const char *p = r->buf + i, *end = r->buf + r->len;
	if (end - p < 7 || memcmp(p, "WARC/", 5) != 0 || !isdigit((unsigned char)p[5]))
		return false;
	const char *nl = memchr(p, '\n', (size_t)LLM_MIN(end - p, 32));
	if (!nl)
		return false;
	for (const char *q = p + 5; q < nl; q++)
		if (!(isdigit((unsigned char)*q) || *q == '.' || *q == '\r'))
			return false;
	const char *q = nl + 1;
	size_t k = 0;
	while (q + k < end && k < 64 && (isalnum((unsigned char)q[k]) || q[k] == '-' || q[k] == '_'))
		k++;
	if (q + k >= end)
		return true; /* not enough data to tell: accept the first line */
	return k > 0 && q[k] == ':';
}

/* Finds a record header that starts a line in buf[from..to). */
static size_t find_header(const struct llm_warc_reader *r, size_t from, size_t to)
{
	size_t i = from;
	while (i + 5 <= to) {
		const char *p = memmem(r->buf + i, to - i, "WARC/", 5);
		if (!p)
			return SIZE_MAX;
		size_t j = (size_t)(p - r->buf);
		if ((j == 0 || r->buf[j - 1] == '\n' || is_break_at(r, j)) && header_at(r, j))
			return j;
		i = j + 1;
	}
	return SIZE_MAX;
}

/* Finds a record header inside a block: "\n\r\nWARC/" or "\n\nWARC/" (the
 * blank line that ends a record) or at a break. */
static size_t find_cut(const struct llm_warc_reader *r, size_t from, size_t to)
{
	size_t i = from;
	while (i + 5 <= to) {
		const char *p = memmem(r->buf + i, to - i, "WARC/", 5);
		if (!p)
			return SIZE_MAX;
		size_t j = (size_t)(p - r->buf);
		bool blank = (j >= from + 2 && r->buf[j - 1] == '\n' && r->buf[j - 2] == '\n') ||
			     (j >= from + 3 && r->buf[j - 1] == '\n' && r->buf[j - 2] == '\r' &&
			      r->buf[j - 3] == '\n');
		if ((blank || is_break_at(r, j)) && header_at(r, j))
			return j;
		i = j + 1;
	}
	return SIZE_MAX;
}

/* Scans forward from pos for the next header, keeping memory bounded: junk
 * is dropped as it is passed.  Leaves pos at the header or at the end. */
static int resync(struct llm_warc_reader *r, bool counted)
{
	if (counted) {
		r->st.resyncs++;
		damage(r, stream_off(r, r->pos), "no WARC header where one was expected; scanning for the next");
	}
	for (;;) {
		size_t h = find_header(r, r->pos, r->len);
		if (h != SIZE_MAX) {
			/* make sure enough is buffered to confirm the header */
			if (need(r, h, 128) < 0)
				return -1;
			if (header_at(r, h)) {
				r->st.junk_bytes += counted ? h - r->pos : 0;
				r->pos = h;
				return 0;
			}
			r->st.junk_bytes += counted ? h + 1 - r->pos : 0;
			r->pos = h + 1;
			continue;
		}
		if (r->eof) {
			r->st.junk_bytes += counted ? r->len - r->pos : 0;
			r->pos = r->len;
			return 0;
		}
		/* keep a tail that may hold the start of "WARC/" or the newline before it */
		size_t keep = LLM_MIN(r->len - r->pos, (size_t)8);
		r->st.junk_bytes += counted ? r->len - keep - r->pos : 0;
		r->pos = r->len - keep;
		compact(r);
		int p = produce(r);
		if (p < 0)
			return -1;
	}
}

static bool hname_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

struct hdr_fields {
	size_t type, id, uri, date, ctype, ptype; /* offsets into r->hdr, or SIZE_MAX */
	bool have_len;
	uint64_t length;
};

/* Parses the header lines buf[s..e) into r->hdr.  Returns false when the
 * first line is not a WARC version line. */
static bool parse_header(struct llm_warc_reader *r, size_t s, size_t e, struct hdr_fields *f)
{
	f->type = f->id = f->uri = f->date = f->ctype = f->ptype = SIZE_MAX;
	f->have_len = false;
	f->length = 0;
	llm_buf_reset(&r->hdr);
	const char *p = r->buf + s, *end = r->buf + e;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || memcmp(p, "WARC/", 5) != 0)
		return false;
	p = nl + 1;
	size_t *last = NULL;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		const char *ve = le;
		if (ve > p && ve[-1] == '\r')
			ve--;
		if (ve == p) {
			p = next;
			continue;
		}
		if ((*p == ' ' || *p == '\t') && last) {
			/* folded continuation of the previous value: append with one space */
			const char *v = p;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			if (r->hdr.len > 0 && r->hdr.data[r->hdr.len - 1] == '\0')
				r->hdr.len--;
			llm_buf_putc(&r->hdr, ' ');
			llm_buf_append(&r->hdr, v, (size_t)(ve - v));
			llm_buf_putc(&r->hdr, '\0');
			p = next;
			continue;
		}
		const char *colon = memchr(p, ':', (size_t)(ve - p));
		if (!colon) {
			p = next;
			continue;
		}
		const char *name = p;
		size_t nlen = (size_t)(colon - p);
		while (nlen && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
			nlen--;
		const char *v = colon + 1;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		const char *vend = ve;
		while (vend > v && (vend[-1] == ' ' || vend[-1] == '\t'))
			vend--;
		size_t *slot = NULL;
		if (hname_is(name, nlen, "WARC-Type"))
			slot = &f->type;
		else if (hname_is(name, nlen, "WARC-Record-ID"))
			slot = &f->id;
		else if (hname_is(name, nlen, "WARC-Target-URI"))
			slot = &f->uri;
		else if (hname_is(name, nlen, "WARC-Date"))
			slot = &f->date;
		else if (hname_is(name, nlen, "Content-Type"))
			slot = &f->ctype;
		else if (hname_is(name, nlen, "WARC-Identified-Payload-Type"))
			slot = &f->ptype;
		else if (hname_is(name, nlen, "Content-Length")) {
			uint64_t x = 0;
			const char *q = v;
			bool okd = q < vend;
			for (; q < vend; q++) {
				if (!isdigit((unsigned char)*q) || x > ((uint64_t)1 << 58)) {
					okd = false;
					break;
				}
				x = x * 10 + (uint64_t)(*q - '0');
			}
			if (okd) {
				f->have_len = true;
				f->length = x;
			}
		}
		last = NULL;
		if (slot && *slot == SIZE_MAX) {
			if (slot == &f->uri && vend - v >= 2 && *v == '<' && vend[-1] == '>') {
				v++;
				vend--;
			}
			*slot = r->hdr.len;
			llm_buf_append(&r->hdr, v, (size_t)(vend - v));
			llm_buf_putc(&r->hdr, '\0');
			last = slot;
		}
		p = next;
	}
	return true;
}

static const char *hdr_str(const struct llm_warc_reader *r, size_t off)
{
	return off == SIZE_MAX ? NULL : r->hdr.data + off;
}

/* End of the header block starting at s: the index after the blank line,
 * or SIZE_MAX when not found within MAX_HEADER (or -2 cast on I/O error). */
static size_t header_end(struct llm_warc_reader *r, size_t s, bool *io_error)
{
	size_t from = s;
	*io_error = false;
	for (;;) {
		for (size_t i = from; i < r->len; i++) {
			if (r->buf[i] != '\n')
				continue;
			if (i + 1 < r->len && r->buf[i + 1] == '\n')
				return i + 2;
			if (i + 2 < r->len && r->buf[i + 1] == '\r' && r->buf[i + 2] == '\n')
				return i + 3;
		}
		if (r->len - s > MAX_HEADER || r->eof)
			return SIZE_MAX;
		from = r->len > s + 2 ? r->len - 2 : s;
		size_t want = r->len - s + 4096;
		if (need(r, s, want) < 0) {
			*io_error = true;
			return SIZE_MAX;
		}
	}
}

/* Trims the blank line(s) that end a record ("\r\n\r\n") from block end e. */
static size_t trim_trailer(const struct llm_warc_reader *r, size_t b, size_t e)
{
	for (int k = 0; k < 2 && e > b; k++) {
		if (r->buf[e - 1] != '\n')
			break;
		e--;
		if (e > b && r->buf[e - 1] == '\r')
			e--;
	}
	return e;
}

/* Looks for the next header from index from, reading on; the record that
 * started at s may not grow past max_record.  Returns the index, SIZE_MAX
 * at the end of the stream, SIZE_MAX - 1 when too large, SIZE_MAX - 2 on
 * I/O error. */
static size_t scan_forward(struct llm_warc_reader *r, size_t s, size_t from)
{
	for (;;) {
		size_t h = find_header(r, from, r->len);
		if (h != SIZE_MAX) {
			if (need(r, h, 128) < 0)
				return SIZE_MAX - 2;
			if (header_at(r, h))
				return h;
			from = h + 1;
			continue;
		}
		if (r->eof)
			return SIZE_MAX;
		if (r->len - s > r->max_record + MAX_HEADER)
			return SIZE_MAX - 1;
		from = r->len > from + 8 ? r->len - 8 : from;
		if (need(r, s, r->len - s + OUT_CHUNK) < 0)
			return SIZE_MAX - 2;
	}
}

int llm_warc_next(struct llm_warc_reader *r, struct llm_warc_record *rec)
{
	if (r->len == 0 && r->base == 0 && !r->eof && r->raw_len == 0 && r->raw_base == 0) {
		/* first call: decide between gzip and plain from the magic */
		long got = raw_more(r);
		if (got < 0)
			return -1;
		r->gzip = r->raw_len >= 2 && r->raw[0] == 0x1f && r->raw[1] == 0x8b;
	}
	for (;;) {
		compact(r);
		/* blank lines, spaces and NUL padding between records are normal */
		for (;;) {
			if (need(r, r->pos, 1) < 0)
				return -1;
			if (r->pos >= r->len)
				break;
			char c = r->buf[r->pos];
			if (c != '\r' && c != '\n' && c != ' ' && c != '\t' && c != '\0')
				break;
			r->pos++;
			if (r->pos == r->len)
				compact(r);
		}
		if (r->pos >= r->len && r->eof)
			return 0;
		if (need(r, r->pos, 128) < 0)
			return -1;
		if (!header_at(r, r->pos)) {
			if (resync(r, true) < 0)
				return -1;
			continue;
		}
		size_t s = r->pos;
		bool ioe;
		size_t b = header_end(r, s, &ioe);
		if (ioe)
			return -1;
		if (b == SIZE_MAX) {
			size_t brk = break_in(r, s, r->len);
			if (brk != SIZE_MAX) {
				r->st.corrupt++;
				damage(r, stream_off(r, s), "record header cut by a damaged gzip member");
				r->pos = brk;
			} else if (r->eof) {
				r->st.truncated++;
				damage(r, stream_off(r, s), "record header truncated at end of file");
				r->pos = r->len;
			} else {
				r->st.bad_header++;
				damage(r, stream_off(r, s), "record header without an end (no blank line in 64 KiB)");
				r->pos = s + 1;
			}
			continue;
		}
		size_t brk = break_in(r, s, b);
		if (brk != SIZE_MAX) {
			r->st.corrupt++;
			damage(r, stream_off(r, s), "record header cut by a damaged gzip member");
			r->pos = brk;
			continue;
		}
		/* a header line may hold the next record's "WARC/" line when the header was cut */
		size_t cut_h = find_header(r, s + 1, b);
		if (cut_h != SIZE_MAX) {
			r->st.bad_header++;
			damage(r, stream_off(r, s), "record header cut short by the next record");
			r->pos = cut_h;
			continue;
		}
		struct hdr_fields f;
		if (!parse_header(r, s, b, &f)) {
			r->st.bad_header++;
			r->pos = s + 1;
			continue;
		}
		size_t e; /* block end (exclusive) */
		size_t next;
		if (f.have_len) {
			if (f.length > r->max_record) {
				/* skipped by scanning for the next header, not by trusting the
				 * length: a damaged length must not swallow the good records after it */
				r->st.too_large++;
				damage(r, stream_off(r, s), "record larger than max_record; skipped");
				r->pos = b;
				if (resync(r, false) < 0)
					return -1;
				continue;
			}
			if (need(r, b, (size_t)f.length + 16) < 0)
				return -1;
			if (r->len - b < f.length) {
				/* the stream ends before the declared end */
				size_t cut = find_cut(r, b, r->len);
				size_t brk2 = break_in(r, s, cut != SIZE_MAX ? cut : r->len);
				if (brk2 != SIZE_MAX) {
					r->st.corrupt++;
					damage(r, stream_off(r, s), "record cut by a damaged gzip member");
					r->pos = brk2;
					continue;
				}
				if (cut == SIZE_MAX) {
					r->st.truncated++;
					damage(r, stream_off(r, s), "record truncated at end of file");
					r->pos = r->len;
					continue;
				}
				r->st.shorter_than_declared++;
				damage(r, stream_off(r, s), "record shorter than its Content-Length");
				e = trim_trailer(r, b, cut);
				next = cut;
			} else {
				e = b + (size_t)f.length;
				size_t brk2 = break_in(r, s, e);
				if (brk2 != SIZE_MAX) {
					r->st.corrupt++;
					damage(r, stream_off(r, s), "record cut by a damaged gzip member");
					r->pos = brk2;
					continue;
				}
				/* what follows the block must be blank lines then a header, a break or the end */
				size_t t = e;
				while (t < r->len && t < e + 4 && (r->buf[t] == '\r' || r->buf[t] == '\n'))
					t++;
				if (need(r, t, 64) < 0)
					return -1;
				/* the proper "\r\n\r\n" trailer confirms the declared length even
				 * when junk follows it (junk is skipped by the resync) */
				bool tail_ok = (t >= r->len && r->eof) || header_at(r, t) || is_break_at(r, t) ||
					       (t == e + 4 && memcmp(r->buf + e, "\r\n\r\n", 4) == 0);
				if (!tail_ok) {
					/* tolerate NUL/space padding before the next header or the end */
					size_t u = t;
					while (u < r->len && u < t + 4096 &&
					       (r->buf[u] == '\0' || r->buf[u] == ' ' || r->buf[u] == '\r' ||
						r->buf[u] == '\n'))
						u++;
					tail_ok = u > t && ((u >= r->len && r->eof) || header_at(r, u) ||
							    is_break_at(r, u));
				}
				if (tail_ok) {
					next = t;
				} else {
					size_t cut = find_cut(r, b, e);
					if (cut != SIZE_MAX) {
						r->st.shorter_than_declared++;
						damage(r, stream_off(r, s), "record shorter than its Content-Length");
						e = trim_trailer(r, b, cut);
						next = cut;
					} else {
						size_t h = scan_forward(r, s, e);
						if (h == SIZE_MAX - 2)
							return -1;
						if (h == SIZE_MAX - 1) {
							r->st.too_large++;
							damage(r, stream_off(r, s), "record runs on past max_record; skipped");
							r->pos = r->len;
							continue;
						}
						size_t end = h == SIZE_MAX ? r->len : h;
						size_t brk3 = break_in(r, s, end);
						if (brk3 != SIZE_MAX) {
							r->st.corrupt++;
							damage(r, stream_off(r, s), "record cut by a damaged gzip member");
							r->pos = brk3;
							continue;
						}
						r->st.longer_than_declared++;
						damage(r, stream_off(r, s), "record longer than its Content-Length");
						e = trim_trailer(r, b, end);
						next = end;
					}
				}
			}
		} else {
			r->st.no_length++;
			damage(r, stream_off(r, s), "record without a valid Content-Length; block found by scanning");
			size_t h = scan_forward(r, s, b);
			if (h == SIZE_MAX - 2)
				return -1;
			if (h == SIZE_MAX - 1) {
				r->st.too_large++;
				r->pos = r->len;
				continue;
			}
			size_t end = h == SIZE_MAX ? r->len : h;
			size_t brk3 = break_in(r, s, end);
			if (brk3 != SIZE_MAX) {
				r->st.corrupt++;
				r->pos = brk3;
				continue;
			}
			e = trim_trailer(r, b, end);
			next = end;
		}
		r->pos = next;
		rec->type = hdr_str(r, f.type);
		rec->id = hdr_str(r, f.id);
		rec->target_uri = hdr_str(r, f.uri);
		rec->date = hdr_str(r, f.date);
		rec->content_type = hdr_str(r, f.ctype);
		rec->payload_type = hdr_str(r, f.ptype);
		rec->block = r->buf + b;
		rec->block_len = e - b;
		rec->offset = stream_off(r, s);
		rec->raw_offset = r->raw_base + r->raw_pos;
		r->st.records++;
		return 1;
	}
}

/* ------------------------------------------------------------------ */
/* HTTP payloads                                                       */

static void copy_trim(char *out, size_t outsz, const char *v, size_t n)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
		n--;
	if (n >= outsz)
		n = outsz - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

void llm_http_media_type(const char *ct, char *out, size_t outsz)
{
	size_t n = 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	while (ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t' && ct[n] != ',')
		n++;
	if (n >= outsz)
		n = outsz - 1;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)ct[i]);
	out[n] = '\0';
}

void llm_http_charset_param(const char *ct, char *out, size_t outsz)
{
	out[0] = '\0';
	for (const char *p = ct; *p; p++) {
		if (strncasecmp(p, "charset", 7) != 0)
			continue;
		const char *q = p + 7;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ' || *q == '\t' || *q == '"' || *q == '\'')
			q++;
		size_t n = 0;
		while (q[n] && q[n] != ';' && q[n] != '"' && q[n] != '\'' && q[n] != ' ' && q[n] != ',' &&
		       q[n] != '\t')
			n++;
		if (n >= outsz)
			n = outsz - 1;
		memcpy(out, q, n);
		out[n] = '\0';
		return;
	}
}

static bool hexval(char c, unsigned *v)
{
	if (c >= '0' && c <= '9')
		*v = (unsigned)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*v = (unsigned)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		*v = (unsigned)(c - 'A' + 10);
	else
		return false;
	return true;
}

/* Undoes chunked transfer coding into out.  Returns 1 when fully valid
 * (ends with the 0 chunk, or the data ran out cleanly between chunks), 0
 * when the first chunk line is not valid (nothing written), -1 when it
 * broke down later (out holds what was decoded before that point and *rest
 * is where raw data resumes). */
static int dechunk(const char *p, size_t n, struct llm_buf *out, size_t *rest)
{
	size_t i = 0;
	bool first = true;
	while (i < n) {
		uint64_t sz = 0;
		size_t j = i, digits = 0;
		unsigned v;
		while (j < n && hexval(p[j], &v) && digits < 16) {
			sz = sz * 16 + v;
			j++;
			digits++;
		}
		if (digits == 0 || (j < n && hexval(p[j], &v))) {
			if (first)
				return 0;
			*rest = i;
			return -1;
		}
		/* optional spaces and chunk extensions up to the line end */
		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j < n && p[j] == ';')
			while (j < n && p[j] != '\n' && p[j] != '\r')
				j++;
		if (j < n && p[j] == '\r')
			j++;
		if (j >= n)
			return first ? 0 : 1;
		if (p[j] != '\n') {
			if (first)
				return 0;
			*rest = i;
			return -1;
		}
		j++; /* past '\n' */
		first = false;
		if (sz == 0)
			return 1;
		if (sz > n - j) {
			/* truncated final chunk: keep what is there */
			llm_buf_append(out, p + j, n - j);
			return 1;
		}
		llm_buf_append(out, p + j, (size_t)sz);
		j += (size_t)sz;
		if (j < n && p[j] == '\r')
			j++;
		if (j < n && p[j] == '\n')
			j++;
		i = j;
	}
	return 1;
}

/* Inflates gzip or zlib/raw deflate data into out (bounded).  0 or -1. */
static int inflate_body(const char *p, size_t n, bool gzip, struct llm_buf *out, size_t max_body)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		int wbits = gzip ? 15 + 16 : (attempt == 0 ? 15 : -15);
		z_stream zs;
		memset(&zs, 0, sizeof(zs));
		if (inflateInit2(&zs, wbits) != Z_OK)
			return -1;
		llm_buf_reset(out);
		zs.next_in = (unsigned char *)(uintptr_t)p;
		zs.avail_in = (uInt)LLM_MIN(n, (size_t)UINT32_MAX);
		int ret;
		do {
			llm_buf_reserve(out, 1 << 16);
			zs.next_out = (unsigned char *)out->data + out->len;
			zs.avail_out = 1 << 16;
			ret = inflate(&zs, Z_NO_FLUSH);
			out->len += (1 << 16) - zs.avail_out;
			if (out->len > max_body) {
				ret = Z_DATA_ERROR;
				break;
			}
		} while (ret == Z_OK);
		inflateEnd(&zs);
		out->data[out->len] = '\0';
		/* a body cut short still yields its decoded prefix */
		if (ret == Z_STREAM_END || (ret == Z_BUF_ERROR && out->len > 0))
			return 0;
		if (gzip)
			break;
	}
	return -1;
}

int llm_http_parse(const char *block, size_t n, struct llm_http *h, struct llm_buf *scratch,
		   size_t max_body)
{
	memset(h, 0, sizeof(*h));
	h->body = block;
	h->body_len = n;
	if (n < 5 || memcmp(block, "HTTP/", 5) != 0)
		return -1;
	const char *p = block, *end = block + n;
	const char *nl = memchr(p, '\n', n);
	if (!nl) {
		h->body_len = 0;
		h->body = block + n;
		return 0;
	}
	const char *sp = memchr(p, ' ', (size_t)(nl - p));
	if (sp) {
		int st = 0, k = 0;
		for (const char *q = sp + 1; q < nl && isdigit((unsigned char)*q) && k < 3; q++, k++)
			st = st * 10 + (*q - '0');
		h->status = k == 3 ? st : 0;
	}
	p = nl + 1;
	const char *body = end;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *ve = le > p && le[-1] == '\r' ? le - 1 : le;
		if (ve == p) {
			body = nl ? nl + 1 : end;
			break;
		}
		const char *colon = memchr(p, ':', (size_t)(ve - p));
		if (colon) {
			size_t nlen = (size_t)(colon - p);
			const char *v = colon + 1;
			size_t vlen = (size_t)(ve - v);
			if (hname_is(p, nlen, "Content-Type")) {
				if (!h->content_type[0])
					copy_trim(h->content_type, sizeof(h->content_type), v, vlen);
			} else if (hname_is(p, nlen, "Transfer-Encoding")) {
				char te[64];
				copy_trim(te, sizeof(te), v, vlen);
				if (strcasestr(te, "chunked"))
					h->chunked = true;
			} else if (hname_is(p, nlen, "Content-Encoding")) {
				copy_trim(h->content_encoding, sizeof(h->content_encoding), v, vlen);
				for (char *c = h->content_encoding; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				if (strcmp(h->content_encoding, "identity") == 0)
					h->content_encoding[0] = '\0';
			}
		}
		if (!nl) {
			body = end;
			break;
		}
		p = nl + 1;
	}
	h->body = body;
	h->body_len = (size_t)(end - body);
	if (h->chunked && h->body_len) {
		struct llm_buf tmp = LLM_BUF_INIT;
		size_t rest = 0;
		int d = dechunk(h->body, h->body_len, &tmp, &rest);
		if (d == 0) {
			h->chunking_bad = true; /* declared but not chunked: crawlers often store it decoded */
			llm_buf_free(&tmp);
		} else {
			if (d < 0) {
				h->chunking_bad = true;
				llm_buf_append(&tmp, h->body + rest, h->body_len - rest);
			}
			llm_buf_reset(scratch);
			llm_buf_append(scratch, tmp.data ? tmp.data : "", tmp.len);
			llm_buf_free(&tmp);
			h->body = scratch->data;
			h->body_len = scratch->len;
		}
	}
	const char *ce = h->content_encoding;
	if (ce[0] && h->body_len) {
		bool gz = strcmp(ce, "gzip") == 0 || strcmp(ce, "x-gzip") == 0;
		bool df = strcmp(ce, "deflate") == 0;
		if (gz || df) {
			/* stored bodies are often already decoded: only inflate what looks compressed */
			const unsigned char *u = (const unsigned char *)h->body;
			bool looks = gz ? (h->body_len >= 2 && u[0] == 0x1f && u[1] == 0x8b)
					: (h->body_len >= 2 && (u[0] & 0x0f) == 8);
			if (looks || df) {
				struct llm_buf tmp = LLM_BUF_INIT;
				if (inflate_body(h->body, h->body_len, gz, &tmp, max_body) == 0) {
					llm_buf_reset(scratch);
					llm_buf_append(scratch, tmp.data, tmp.len);
					h->body = scratch->data;
					h->body_len = scratch->len;
				} else if (looks) {
					h->decode_failed = true;
				}
				llm_buf_free(&tmp);
			}
		} else {
			/* br, zstd, compress: kept raw; the caller decides whether it is text */
			const unsigned char *u = (const unsigned char *)h->body;
			size_t k = LLM_MIN(h->body_len, (size_t)512);
			size_t bin = 0;
			for (size_t i = 0; i < k; i++)
				bin += u[i] < 9 || (u[i] > 13 && u[i] < 32);
			if (bin * 33 > k) /* > 3% control bytes: not text */
				h->decode_failed = true;
		}
	}
	return 0;
}
