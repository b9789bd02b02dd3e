/*
 * fuzz_warc.c: libFuzzer harness for the WARC reader and the HTTP payload
 * parser (lib/warc.c).  Every record the reader returns must lie inside
 * its buffer (ASan checks the reads) and the reader must terminate.
 */
#include <stdint.h>
#include <string.h>

#include "util.h"
#include "warc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a small max_record makes the too-large paths reachable */
	size_t max_record = size > 0 && (data[0] & 1) ? 4096 : 0;
	struct llm_warc_reader *r = llm_warc_open_mem(data, size, max_record);
	struct llm_warc_record rec;
	struct llm_buf scratch = LLM_BUF_INIT;
	int n = 0;
	while (llm_warc_next(r, &rec) == 1) {
		volatile unsigned char sink = 0;
		for (size_t i = 0; i < rec.block_len; i += 61)
			sink ^= (unsigned char)rec.block[i];
		if (rec.block_len)
			sink ^= (unsigned char)rec.block[rec.block_len - 1];
		(void)sink;
		if (rec.type && strcmp(rec.type, "response") == 0) {
			struct llm_http h;
			llm_http_parse(rec.block, rec.block_len, &h, &scratch, 1 << 20);
			if (h.body_len)
				sink ^= (unsigned char)h.body[h.body_len - 1];
			char media[64], cs[64];
			llm_http_media_type(h.content_type, media, sizeof(media));
			llm_http_charset_param(h.content_type, cs, sizeof(cs));
		}
		if (++n > 100000)
			__builtin_trap(); /* more records than bytes: a loop */
	}
	llm_buf_free(&scratch);
	llm_warc_close(r);
	return 0;
}
