/*
 * charset.c: charset decision and conversion to UTF-8 (see charset.h).
 */
#include "charset.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <uchardet/uchardet.h>

#define N_CACHED 4
#define META_SCAN 4096
#define DETECT_BYTES ((size_t)64 << 10)

struct cached_cd {
	char name[48];
	iconv_t cd;
	unsigned long used;
};

struct llm_charset {
	struct cached_cd cache[N_CACHED];
	unsigned long tick;
	uchardet_t ud;
};

static const char *const source_names[] = {"bom", "utf8", "header", "meta", "detected", "fallback"};

const char *llm_charset_source_name(enum llm_charset_source s)
{
	return (unsigned)s < sizeof(source_names) / sizeof(source_names[0]) ? source_names[s] : "?";
}

struct llm_charset *llm_charset_new(void)
{
	struct llm_charset *cs = llm_calloc(1, sizeof(*cs));
	for (int i = 0; i < N_CACHED; i++)
		cs->cache[i].cd = (iconv_t)-1;
	return cs;
}

void llm_charset_free(struct llm_charset *cs)
{
	if (!cs)
		return;
	for (int i = 0; i < N_CACHED; i++)
		if (cs->cache[i].cd != (iconv_t)-1)
			iconv_close(cs->cache[i].cd);
	if (cs->ud)
		uchardet_delete(cs->ud);
	free(cs);
}

/* ------------------------------------------------------------------ */
/* names                                                               */

static const struct {
	const char *from, *to;
} aliases[] = {
	{"utf8", "UTF-8"}, {"utf-8", "UTF-8"}, {"unicode-1-1-utf-8", "UTF-8"},
	{"gb2312", "GB18030"}, {"gbk", "GB18030"}, {"x-gbk", "GB18030"}, {"gb18030", "GB18030"},
	{"cp936", "GB18030"}, {"euc-cn", "GB18030"}, {"csgb2312", "GB18030"}, {"chinese", "GB18030"},
	{"big5", "BIG5-HKSCS"}, {"big5-hkscs", "BIG5-HKSCS"}, {"x-x-big5", "BIG5-HKSCS"}, {"cn-big5", "BIG5-HKSCS"},
	{"iso-8859-1", "WINDOWS-1252"}, {"iso8859-1", "WINDOWS-1252"}, {"latin1", "WINDOWS-1252"},
	{"l1", "WINDOWS-1252"}, {"us-ascii", "WINDOWS-1252"}, {"ascii", "WINDOWS-1252"},
	{"iso_8859-1", "WINDOWS-1252"}, {"windows-1252", "WINDOWS-1252"}, {"cp1252", "WINDOWS-1252"},
	{"x-cp1252", "WINDOWS-1252"}, {"iso-8859-9", "WINDOWS-1254"}, {"latin5", "WINDOWS-1254"},
	{"iso-8859-11", "WINDOWS-874"}, {"tis-620", "WINDOWS-874"}, {"windows-874", "WINDOWS-874"},
	{"shift_jis", "CP932"}, {"shift-jis", "CP932"}, {"sjis", "CP932"}, {"x-sjis", "CP932"},
	{"ms_kanji", "CP932"}, {"windows-31j", "CP932"}, {"cp932", "CP932"}, {"csshiftjis", "CP932"},
	{"euc-jp", "EUC-JP"}, {"x-euc-jp", "EUC-JP"}, {"iso-2022-jp", "ISO-2022-JP"},
	{"euc-kr", "CP949"}, {"ks_c_5601-1987", "CP949"}, {"windows-949", "CP949"}, {"cp949", "CP949"},
	{"koi8-r", "KOI8-R"}, {"koi8-u", "KOI8-U"}, {"windows-1251", "WINDOWS-1251"}, {"cp1251", "WINDOWS-1251"},
	{"x-cp1251", "WINDOWS-1251"}, {"utf-16", "UTF-16"}, {"utf-16le", "UTF-16LE"}, {"utf-16be", "UTF-16BE"},
};

bool llm_charset_canonical(const char *name, char *out, size_t outsz)
{
	char low[48];
	size_t n = 0;
	while (*name == ' ' || *name == '\t' || *name == '"' || *name == '\'')
		name++;
	for (; name[n]; n++) {
		unsigned char c = (unsigned char)name[n];
		if (n + 1 >= sizeof(low))
			return false;
		if (!(isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':'))
			break;
		low[n] = (char)tolower(c);
	}
	low[n] = '\0';
	/* trailing junk other than quotes or spaces makes the name implausible */
	for (const char *q = name + n; *q; q++)
		if (*q != ' ' && *q != '\t' && *q != '"' && *q != '\'' && *q != ';')
			return false;
	if (n == 0)
		return false;
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(low, aliases[i].from) == 0) {
			snprintf(out, outsz, "%s", aliases[i].to);
			return true;
		}
	}
	for (size_t i = 0; i <= n && i < outsz; i++)
		out[i] = (char)toupper((unsigned char)low[i]);
	out[outsz - 1] = '\0';
	return true;
}

static bool has_prefix_ci(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(end - p) >= n && strncasecmp(p, w, n) == 0;
}

bool llm_charset_from_meta(const char *html, size_t n, char *out, size_t outsz)
{
	const char *end = html + LLM_MIN(n, (size_t)META_SCAN);
	for (const char *p = html; p < end; p++) {
		if (*p != '<' || !has_prefix_ci(p + 1, end, "meta"))
			continue;
		const char *tag_end = memchr(p, '>', (size_t)(end - p));
		if (!tag_end)
			tag_end = end;
		for (const char *q = p + 5; q + 7 < tag_end; q++) {
			if (strncasecmp(q, "charset", 7) != 0)
				continue;
			const char *v = q + 7;
			while (v < tag_end && (*v == ' ' || *v == '\t'))
				v++;
			if (v >= tag_end || *v != '=')
				continue;
			v++;
			while (v < tag_end && (*v == ' ' || *v == '\t' || *v == '"' || *v == '\''))
				v++;
			size_t k = 0;
			char name[48];
			while (v + k < tag_end && k + 1 < sizeof(name) && v[k] != '"' && v[k] != '\'' && v[k] != ';' &&
			       v[k] != ' ' && v[k] != '/' && v[k] != '>')
				k++;
			memcpy(name, v, k);
			name[k] = '\0';
			if (k > 0) {
				snprintf(out, outsz, "%s", name);
				return true;
			}
		}
		p = tag_end;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* UTF-8                                                               */

/* Length of the valid UTF-8 sequence at s, or 0 when invalid. */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c < 0xC2)
		return 0;
	if (c < 0xE0) {
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	}
	if (c < 0xF0) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0; /* surrogate */
		return 3;
	}
	if (c < 0xF5) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0;
		if (c == 0xF4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* Counts invalid bytes (as sanitize would replace them); stops early once
 * more than limit are seen.  *ascii tells whether every byte was < 0x80. */
static size_t utf8_invalid(const char *data, size_t n, size_t limit, bool *ascii)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, bad = 0;
	*ascii = true;
	while (i < n) {
		/* fast path over ASCII, 8 bytes at a time */
		while (i + 8 <= n) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		*ascii = false;
		int k = utf8_seq(s + i, n - i);
		if (k == 0) {
			if (++bad > limit)
				return bad;
			i++;
		} else {
			i += (size_t)k;
		}
	}
	return bad;
}

static const char replacement[3] = {(char)0xEF, (char)0xBF, (char)0xBD};

size_t llm_charset_sanitize_utf8(const char *data, size_t n, struct llm_buf *out)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t i = 0, run = 0, bad = 0;
	llm_buf_reserve(out, n);
	while (i < n) {
		unsigned char c = s[i];
		int k = c < 0x80 ? (c ? 1 : -1) : utf8_seq(s + i, n - i);
		if (k > 0) {
			i += (size_t)k;
			continue;
		}
		llm_buf_append(out, data + run, i - run);
		if (k == 0) {
			llm_buf_append(out, replacement, 3);
			bad++;
		}
		i++;
		run = i;
	}
	llm_buf_append(out, data + run, n - run);
	return bad;
}

/* ------------------------------------------------------------------ */
/* iconv                                                               */

static iconv_t get_cd(struct llm_charset *cs, const char *name)
{
	int lru = 0;
	for (int i = 0; i < N_CACHED; i++) {
		if (cs->cache[i].cd != (iconv_t)-1 && strcmp(cs->cache[i].name, name) == 0) {
			cs->cache[i].used = ++cs->tick;
			iconv(cs->cache[i].cd, NULL, NULL, NULL, NULL);
			return cs->cache[i].cd;
		}
		if (cs->cache[i].used < cs->cache[lru].used)
			lru = i;
	}
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return cd;
	if (cs->cache[lru].cd != (iconv_t)-1)
		iconv_close(cs->cache[lru].cd);
	snprintf(cs->cache[lru].name, sizeof(cs->cache[lru].name), "%s", name);
	cs->cache[lru].cd = cd;
	cs->cache[lru].used = ++cs->tick;
	return cd;
}

long llm_charset_convert(struct llm_charset *cs, const char *charset, const char *data, size_t n,
			 struct llm_buf *out)
{
	if (strcmp(charset, "UTF-8") == 0)
		return (long)llm_charset_sanitize_utf8(data, n, out);
	iconv_t cd = get_cd(cs, charset);
	if (cd == (iconv_t)-1)
		return -1;
	size_t start = out->len;
	char *in = (char *)(uintptr_t)data;
	size_t inleft = n;
	long bad = 0;
	llm_buf_reserve(out, n + n / 2 + 16);
	while (inleft > 0) {
		char *o = out->data + out->len;
		size_t oleft = out->cap - out->len - 1;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->data);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			llm_buf_reserve(out, inleft * 2 + 64);
		} else if (errno == EILSEQ || errno == EINVAL) {
			/* one bad byte -> U+FFFD; an incomplete tail is bad bytes too */
			llm_buf_append(out, replacement, 3);
			in++;
			inleft--;
			bad++;
			iconv(cd, NULL, NULL, NULL, NULL);
		} else {
			break;
		}
	}
	/* flush shift state (ISO-2022-JP) */
	{
		llm_buf_reserve(out, 16);
		char *o = out->data + out->len;
		size_t oleft = out->cap - out->len - 1;
		iconv(cd, NULL, NULL, &o, &oleft);
		out->len = (size_t)(o - out->data);
	}
	out->data[out->len] = '\0';
	/* decoders can emit NUL: drop it, the text must be a C string */
	size_t w = start;
	for (size_t i = start; i < out->len; i++)
		if (out->data[i])
			out->data[w++] = out->data[i];
	out->len = w;
	out->data[w] = '\0';
	return bad;
}

/* ------------------------------------------------------------------ */
/* decision                                                            */

static bool detect(struct llm_charset *cs, const char *data, size_t n, char *out, size_t outsz)
{
	if (!cs->ud)
		cs->ud = uchardet_new();
	else
		uchardet_reset(cs->ud);
	if (!cs->ud)
		return false;
	uchardet_handle_data(cs->ud, data, LLM_MIN(n, DETECT_BYTES));
	uchardet_data_end(cs->ud);
	const char *name = uchardet_get_charset(cs->ud);
	if (!name || !name[0])
		return false;
	return llm_charset_canonical(name, out, outsz);
}

/* Tries a declared or detected charset; keeps the result when fewer than
 * 1% of the bytes had to be replaced. */
static bool try_charset(struct llm_charset *cs, const char *name, const char *data, size_t n,
			struct llm_buf *out, struct llm_charset_result *res, enum llm_charset_source src,
			bool *unknown)
{
	size_t start = out->len;
	long bad = llm_charset_convert(cs, name, data, n, out);
	*unknown = bad < 0;
	if (bad < 0)
		return false;
	if ((size_t)bad * 100 > n) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return false;
	}
	snprintf(res->name, sizeof(res->name), "%s", name);
	res->source = src;
	res->replaced = (size_t)bad;
	return true;
}

void llm_charset_decode(struct llm_charset *cs, const char *data, size_t n, const char *header_charset,
			struct llm_buf *out, struct llm_charset_result *res)
{
	memset(res, 0, sizeof(*res));
	const unsigned char *u = (const unsigned char *)data;
	bool unknown;
	if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
		snprintf(res->name, sizeof(res->name), "UTF-8");
		res->source = LLM_CHARSET_BOM;
		res->replaced = llm_charset_sanitize_utf8(data + 3, n - 3, out);
		return;
	}
	if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF))) {
		const char *name = u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
		if (try_charset(cs, name, data + 2, n - 2, out, res, LLM_CHARSET_BOM, &unknown))
			return;
	}
	/* many NULs mean UTF-16/32 without a BOM: not "valid UTF-8" in any useful sense */
	size_t probe = LLM_MIN(n, (size_t)4096), nuls = 0;
	for (size_t i = 0; i < probe; i++)
		nuls += u[i] == 0;
	bool ascii = true;
	if (nuls * 20 <= probe && utf8_invalid(data, n, 0, &ascii) == 0) {
		snprintf(res->name, sizeof(res->name), "UTF-8");
		res->source = LLM_CHARSET_UTF8;
		res->replaced = llm_charset_sanitize_utf8(data, n, out);
		return;
	}
	char name[48], canon[48];
	const char *decl[2] = {header_charset, NULL};
	if (llm_charset_from_meta(data, n, name, sizeof(name)))
		decl[1] = name;
	for (int k = 0; k < 2; k++) {
		if (!decl[k] || !decl[k][0])
			continue;
		if (!llm_charset_canonical(decl[k], canon, sizeof(canon))) {
			res->declared_invalid = true;
			continue;
		}
		enum llm_charset_source src = k == 0 ? LLM_CHARSET_HEADER : LLM_CHARSET_META;
		if (try_charset(cs, canon, data, n, out, res, src, &unknown)) {
			bool inv = res->declared_invalid;
			res->declared_invalid = inv;
			return;
		}
		if (unknown)
			res->declared_invalid = true;
		else
			res->declared_ignored = true;
	}
	bool inv = res->declared_invalid, ign = res->declared_ignored;
	if (detect(cs, data, n, canon, sizeof(canon)) &&
	    try_charset(cs, canon, data, n, out, res, LLM_CHARSET_DETECTED, &unknown)) {
		res->declared_invalid = inv;
		res->declared_ignored = ign;
		return;
	}
	/* last resort: UTF-8 with replacements when mostly valid, else windows-1252 */
	if (utf8_invalid(data, n, n / 20, &ascii) <= n / 20) {
		snprintf(res->name, sizeof(res->name), "UTF-8");
		res->source = LLM_CHARSET_FALLBACK;
		res->replaced = llm_charset_sanitize_utf8(data, n, out);
	} else {
		long bad = llm_charset_convert(cs, "WINDOWS-1252", data, n, out);
		snprintf(res->name, sizeof(res->name), "WINDOWS-1252");
		res->source = LLM_CHARSET_FALLBACK;
		res->replaced = bad > 0 ? (size_t)bad : 0;
		if (bad < 0)
			res->replaced = llm_charset_sanitize_utf8(data, n, out);
	}
	res->declared_invalid = inv;
	res->declared_ignored = ign;
}
