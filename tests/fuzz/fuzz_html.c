/*
 * fuzz_html.c: libFuzzer harness for charset decision/conversion and HTML
 * main-content extraction (lib/charset.c, lib/html.c).  The output must be
 * valid UTF-8 without NUL bytes.
 */
#include <stdint.h>
#include <string.h>

#include "charset.h"
#include "html.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const header_charsets[] = {NULL, "utf-8", "gb2312", "shift_jis", "iso-8859-1",
					      "x-bogus-charset", "utf-16", "big5"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct llm_charset *cs;
	if (!cs) {
		llm_html_global_init();
		cs = llm_charset_new();
	}
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	data++;
	size--;
	struct llm_buf utf8 = LLM_BUF_INIT, text = LLM_BUF_INIT;
	struct llm_charset_result res;
	llm_charset_decode(cs, (const char *)data, size, header_charsets[sel & 7], &utf8, &res);
	if (memchr(utf8.data ? utf8.data : "", 0, utf8.len))
		__builtin_trap();
	struct llm_html_opts o;
	llm_html_opts_default(&o);
	o.keep_tables = !(sel & 8);
	o.prune_links = !(sel & 16);
	struct llm_html_info info;
	llm_html_extract(utf8.data ? utf8.data : "", utf8.len, &o, &text, &info);
	/* the text must be valid UTF-8 with no NULs */
	struct llm_buf check = LLM_BUF_INIT;
	if (llm_charset_sanitize_utf8(text.data ? text.data : "", text.len, &check) != 0 || check.len != text.len)
		__builtin_trap();
	llm_buf_free(&check);
	llm_buf_free(&utf8);
	llm_buf_free(&text);
	return 0;
}
