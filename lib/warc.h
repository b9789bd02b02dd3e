/*
 * warc.h: a damage-tolerant streaming reader for WARC files (ISO 28500,
 * WARC/1.0 and 1.1), plain or gzip (one member per record, or one big
 * multi-record member), and the HTTP payload parser for response records.
 *
 * Real crawls are damaged in predictable ways, and the reader recovers from
 * each without losing a good record:
 *   - a truncated file: the last, incomplete record is skipped (counted);
 *   - a corrupt gzip member between good ones: its bytes are dropped, the
 *     reader scans for the next gzip header and goes on (counted);
 *   - a wrong Content-Length: shorter than the record (the record is longer
 *     than declared) extends the block to the next record header; longer
 *     than the record (it would swallow the next one) cuts the block where
 *     the next record header starts; both counted;
 *   - junk between records, or a broken header: the reader resyncs on the
 *     next "WARC/1." line (counted, with the bytes skipped).
 * A record is never larger than max_record bytes in memory; larger ones are
 * skipped and counted.
 */
#ifndef LLM_WARC_H
#define LLM_WARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Damage counters of one reader; every field is a count of events. */
struct llm_warc_stats {
	uint64_t records;            /* records returned */
	uint64_t gzip_members;       /* gzip members decoded to their end */
	uint64_t gzip_corrupt;       /* corrupt gzip members skipped */
	uint64_t gzip_truncated;     /* gzip stream cut mid-member at EOF */
	uint64_t resyncs;            /* times the reader scanned for a header */
	uint64_t junk_bytes;         /* bytes skipped while resyncing */
	uint64_t bad_header;         /* unparsable record headers skipped */
	uint64_t truncated;          /* records cut by EOF, skipped */
	uint64_t corrupt;            /* records spanning a corrupt member, skipped */
	uint64_t too_large;          /* records over max_record, skipped */
	uint64_t longer_than_declared;  /* Content-Length too small (block extended) */
	uint64_t shorter_than_declared; /* Content-Length too large (block cut) */
	uint64_t no_length;          /* missing/invalid Content-Length (block found by scanning) */
};

/* One record.  Every pointer is owned by the reader and valid until the
 * next llm_warc_next() call.  Absent headers are NULL. */
struct llm_warc_record {
	const char *type;         /* WARC-Type ("response", "conversion", ...) */
	const char *id;           /* WARC-Record-ID, as written ("<urn:uuid:...>") */
	const char *target_uri;   /* WARC-Target-URI, <> stripped, may hold spaces */
	const char *date;         /* WARC-Date */
	const char *content_type; /* Content-Type of the block */
	const char *payload_type; /* WARC-Identified-Payload-Type */
	const char *block;        /* the content block (not NUL-terminated) */
	size_t block_len;
	uint64_t offset;          /* record start in the uncompressed stream */
	uint64_t raw_offset;      /* compressed offset of the data read so far */
};

struct llm_warc_reader;

/* Opens a WARC file ("-" = stdin).  max_record 0 = 256 MiB.  NULL on error
 * (printed, naming the file). */
struct llm_warc_reader *llm_warc_open(const char *path, size_t max_record);
/* Reads from memory (not copied: data must outlive the reader); for fuzzing
 * and tests. */
struct llm_warc_reader *llm_warc_open_mem(const void *data, size_t n, size_t max_record);
/* 1 = a record, 0 = end of input, -1 = I/O error (printed).  Damage is never
 * an error: it is counted in the stats and, with verbose, logged. */
int llm_warc_next(struct llm_warc_reader *r, struct llm_warc_record *rec);
const struct llm_warc_stats *llm_warc_stats(const struct llm_warc_reader *r);
/* Logs each damage event as a warning naming the file and offset. */
void llm_warc_set_verbose(struct llm_warc_reader *r, bool verbose);
void llm_warc_close(struct llm_warc_reader *r);

/* True when data starts like a WARC file (after an optional gzip header:
 * checks the magic only). */
bool llm_warc_sniff(const void *data, size_t n);

/* ---- HTTP payload of a response record ---- */

struct llm_http {
	int status;               /* 0 when there was no status line */
	char content_type[128];   /* "" when absent; media type + params, trimmed */
	bool chunked;             /* Transfer-Encoding: chunked declared */
	char content_encoding[32];/* "" or "gzip", "deflate", "br", ... */
	const char *body;         /* points into the block or into a buffer of the parser */
	size_t body_len;
	bool chunking_bad;        /* declared chunked but the body was not (kept raw) */
	bool decode_failed;       /* content encoding could not be undone (kept raw) */
};

/* Splits an HTTP response block into headers and body, undoes chunking
 * (falling back to the raw body when it is not really chunked) and
 * gzip/deflate content encoding.  scratch holds a decoded body and must
 * outlive http->body.  Returns 0, or -1 when the block is not an HTTP
 * response at all (no "HTTP/" status line; body = whole block). */
struct llm_buf;
int llm_http_parse(const char *block, size_t n, struct llm_http *http, struct llm_buf *scratch,
		   size_t max_body);

/* Copies the media type of a Content-Type value ("text/html; charset=x"
 * -> "text/html"), lowercased, into out. */
void llm_http_media_type(const char *content_type, char *out, size_t outsz);
/* Copies the charset parameter of a Content-Type value into out (""
 * when absent).  Quotes are removed. */
void llm_http_charset_param(const char *content_type, char *out, size_t outsz);

#endif
