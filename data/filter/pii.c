/*
 * pii.c: email and IP address anonymisation, as datatrove's PIIFormatter
 * (FineWeb's last step): the same two regular expressions (run with PCRE2,
 * Unicode \b), public IPv4 addresses only (Python 3.11 ipaddress.is_global),
 * and the same replacement strings used in rotation.  The rotation restarts
 * at every document, so the output does not depend on threads or shards.
 * Never drops a document.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"

static const char email_re[] =
	"\\b[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:(?:[A-Za-z0-9](?:["
	"A-Za-z0-9-]*[A-Za-z0-9])?\\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?|\\[(?:(?:25[0-5]|2[0-4][0-9]|["
	"01]?[0-9][0-9]?)\\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?|[A-Za-z0-9-]*[A-Za-z0-9]:)])";
static const char ip_re[] =
	"(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)";

static const char *const email_repl[] = {"email@example.com", "firstname.lastname@example.org"};
static const char *const ip_repl[] = {"22.214.171.124", "126.96.36.199", "188.8.131.52",
				      "184.108.40.206", "220.127.116.11", "18.104.22.168"};

struct pii {
	pcre2_code *email, *ip;
	bool remove_emails, remove_ips, only_public;
};

/* Python 3.11 ipaddress: ip_address() accepts no leading zeros; is_global =
 * not in 100.64.0.0/10 and in none of the private networks. */
static bool ip_replaceable(const char *s, size_t n, bool only_public)
{
	uint32_t oct[4] = {0};
	int k = 0;
	size_t i = 0;
	while (k < 4) {
		size_t st = i;
		uint32_t v = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			v = v * 10 + (uint32_t)(s[i++] - '0');
		if (i == st || i - st > 3 || (i - st > 1 && s[st] == '0') || v > 255)
			return false;
		oct[k++] = v;
		if (k < 4) {
			if (i >= n || s[i] != '.')
				return false;
			i++;
		}
	}
	if (!only_public)
		return true;
	uint32_t a = oct[0] << 24 | oct[1] << 16 | oct[2] << 8 | oct[3];
	static const struct { uint32_t net; int bits; } priv[] = {
		{0x00000000, 8}, {0x0a000000, 8}, {0x7f000000, 8}, {0xa9fe0000, 16},
		{0xac100000, 12}, {0xc0000000, 29}, {0xc00000aa, 31}, {0xc0000200, 24},
		{0xc0a80000, 16}, {0xc6120000, 15}, {0xc6336400, 24}, {0xcb007100, 24},
		{0xf0000000, 4}, {0xffffffff, 32}, {0x64400000, 10},
	};
	for (size_t j = 0; j < LLM_ARRAY_SIZE(priv); j++) {
		uint32_t mask = priv[j].bits == 0 ? 0 : 0xffffffffu << (32 - priv[j].bits);
		if ((a & mask) == priv[j].net)
			return false;
	}
	return true;
}

/* Replaces every match of re in d->text; returns the number replaced. */
static uint32_t replace_all(struct flt_worker *w, struct flt_doc *d, const pcre2_code *re,
			    const char *const *repl, size_t n_repl, bool is_ip, bool only_public)
{
	if (!w->pcre_md)
		w->pcre_md = pcre2_match_data_create(4, NULL);
	pcre2_match_data *md = w->pcre_md;
	const char *s = d->text.data;
	size_t len = d->text.len, pos = 0, last = 0, ri = 0;
	uint32_t replaced = 0;
	struct llm_buf *out = &w->buf;
	llm_buf_reset(out);
	while (pos <= len) {
		int rc = pcre2_match(re, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK, md, NULL);
		if (rc < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t a = ov[0], b = ov[1];
		if (!is_ip || ip_replaceable(s + a, b - a, only_public)) {
			llm_buf_append(out, s + last, a - last);
			llm_buf_puts(out, repl[ri]);
			ri = (ri + 1) % n_repl;
			last = b;
			replaced++;
		}
		pos = b > a ? b : b + 1;
	}
	if (!replaced)
		return 0;
	llm_buf_append(out, s + last, len - last);
	llm_buf_reset(&d->text);
	llm_buf_append(&d->text, out->data, out->len);
	return replaced;
}

static const char *pii_apply(const struct flt *f, struct flt_worker *w, struct flt_doc *d)
{
	const struct pii *p = f->p;
	if (p->remove_emails)
		d->pii_emails += replace_all(w, d, p->email, email_repl, 2, false, false);
	if (p->remove_ips)
		d->pii_ips += replace_all(w, d, p->ip, ip_repl, 6, true, p->only_public);
	return NULL;
}

static void pii_free(struct flt *f)
{
	struct pii *p = f->p;
	pcre2_code_free(p->email);
	pcre2_code_free(p->ip);
	free(p);
}

static pcre2_code *compile(const char *pat)
{
	int err;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
				       &err, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof(msg));
		llm_error("cannot compile the PII pattern at offset %zu: %s", (size_t)off, (char *)msg);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	return re;
}

int flt_pii_new(struct flt *f, const struct llm_config *cfg)
{
	struct pii *p = llm_calloc(1, sizeof(*p));
	p->remove_emails = llm_config_bool(cfg, "pii.remove_emails");
	p->remove_ips = llm_config_bool(cfg, "pii.remove_ips");
	p->only_public = llm_config_bool(cfg, "pii.only_remove_public_ips");
	p->email = compile(email_re);
	p->ip = compile(ip_re);
	f->p = p;
	f->free = pii_free;
	f->apply = pii_apply;
	if (!p->email || !p->ip) {
		pii_free(f);
		f->p = NULL;
		return -1;
	}
	return 0;
}
