/*
 * url.c: the URL filter (datatrove URLFilter): blocklisted registered
 * domains and hostnames, blocklisted URLs, banned words (one drops),
 * soft-banned words (soft_word_threshold distinct ones drop) and banned
 * subwords of the normalised URL.  Words are matched with Aho-Corasick
 * automata (lib/ahocorasick.h); domains and URLs with hash sets.
 *
 * The registered domain is found as tldextract does it: hostname from the
 * URL (no scheme, userinfo, port, trailing dots), then the longest ICANN
 * rule of the Public Suffix List (wildcards and exceptions honoured; an
 * unknown TLD has no suffix, so no registered domain).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "ahocorasick.h"
#include "filter.h"

/* ------------------------------------------------------------------------ */
/* String hash set with one-byte values.  Keys live in one arena (NUL-
 * terminated, addressed by offset), so millions of blocklisted domains cost
 * their bytes plus 9 bytes a slot, not a heap allocation each. */

struct sset {
	uint64_t *slots; /* arena offset + 1; 0 = empty */
	uint8_t *vals;
	size_t cap, n;
	char *arena;
	size_t alen, acap;
};

static void sset_grow(struct sset *s);

static size_t sset_slot(const struct sset *s, const char *k, size_t n)
{
	size_t mask = s->cap - 1, i = (size_t)XXH3_64bits(k, n) & mask;
	for (;;) {
		uint64_t o = s->slots[i];
		if (!o)
			return i;
		const char *key = s->arena + (o - 1);
		if (strncmp(key, k, n) == 0 && key[n] == '\0')
			return i;
		i = (i + 1) & mask;
	}
}

static void sset_put(struct sset *s, const char *k, size_t n, uint8_t v)
{
	if (s->n * 4 >= s->cap * 3) /* load factor 3/4 */
		sset_grow(s);
	size_t i = sset_slot(s, k, n);
	if (!s->slots[i]) {
		if (s->alen + n + 1 > s->acap) {
			s->acap = (s->alen + n + 1) * 2;
			s->arena = llm_realloc(s->arena, s->acap);
		}
		memcpy(s->arena + s->alen, k, n);
		s->arena[s->alen + n] = '\0';
		s->slots[i] = s->alen + 1;
		s->alen += n + 1;
		s->n++;
		s->vals[i] = v;
	} else {
		s->vals[i] |= v;
	}
}

static void sset_grow(struct sset *s)
{
	uint64_t *os = s->slots;
	uint8_t *ov = s->vals;
	size_t ocap = s->cap;
	s->cap = ocap ? ocap * 2 : 1024;
	s->slots = llm_calloc(s->cap, sizeof(uint64_t));
	s->vals = llm_calloc(s->cap, 1);
	for (size_t i = 0; i < ocap; i++)
		if (os[i]) {
			const char *key = s->arena + (os[i] - 1);
			size_t j = sset_slot(s, key, strlen(key));
			s->slots[j] = os[i];
			s->vals[j] = ov[i];
		}
	free(os);
	free(ov);
}

/* 0 when absent, else the value (>= 1). */
static int sset_get(const struct sset *s, const char *k, size_t n)
{
	if (!s->cap)
		return 0;
	size_t i = sset_slot(s, k, n);
	return s->slots[i] ? s->vals[i] : 0;
}

static void sset_free(struct sset *s)
{
	free(s->slots);
	free(s->vals);
	free(s->arena);
}

/* ------------------------------------------------------------------------ */

enum { PSL_NODE = 1, PSL_END = 2 };

struct url {
	struct sset domains, urls, psl;
	struct llm_ac *banned, *soft, *sub;
	size_t n_soft;
	int64_t soft_threshold;
};

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* datatrove normalize(): drop non-[a-zA-Z0-9], lowercase */
static size_t normalize(const char *s, size_t n, char *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (is_alnum((unsigned char)s[i]))
			out[k++] = (char)tolower((unsigned char)s[i]);
	return k;
}

struct list_ctx {
	struct url *u;
	struct sset *set;
	struct llm_ac *ac;
	size_t n;
	struct sset seen; /* normalised words already added: a list is a set */
};

static void add_set(void *ctx, const char *s, size_t n)
{
	struct list_ctx *c = ctx;
	sset_put(c->set, s, n, 1);
}

static void add_word(void *ctx, const char *s, size_t n)
{
	struct list_ctx *c = ctx;
	char *norm = llm_malloc(n + 1);
	size_t k = normalize(s, n, norm);
	/* an entry with no letters or digits normalises to "" and is ignored
	 * (datatrove would keep "", which matches URLs that start or end with
	 * a separator) */
	if (k && !sset_get(&c->seen, norm, k)) {
		sset_put(&c->seen, norm, k, 1);
		llm_ac_add(c->ac, norm, k, (int)c->n++);
	}
	free(norm);
}

static void add_psl(struct url *u, const char *rule, size_t n)
{
	/* every suffix of the rule is a trie node; the rule itself ends one */
	char *low = llm_strndup(rule, n);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	sset_put(&u->psl, low, n, PSL_NODE | PSL_END);
	for (size_t i = 0; i < n; i++)
		if (low[i] == '.')
			sset_put(&u->psl, low + i + 1, n - i - 1, PSL_NODE);
	free(low);
}

static int load_psl(struct url *u, const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return llm_error_errno("cannot open public suffix list '%s' (config key "
				       "url.public_suffix_list; Debian package publicsuffix)", path);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool icann = false;
	size_t rules = 0;
	while ((n = getline(&line, &cap, fp)) >= 0) {
		if (strstr(line, "===BEGIN ICANN DOMAINS==="))
			icann = true;
		else if (strstr(line, "===END ICANN DOMAINS==="))
			icann = false;
		if (!icann || line[0] == '/' || line[0] == '\n')
			continue;
		size_t k = 0;
		while (k < (size_t)n && !isspace((unsigned char)line[k]))
			k++;
		if (k) {
			add_psl(u, line, k);
			rules++;
		}
	}
	free(line);
	fclose(fp);
	if (rules == 0)
		return llm_error("'%s': no ICANN rules found; hint: expected the Public Suffix List "
				 "format with '===BEGIN ICANN DOMAINS===' markers", path);
	return 0;
}

/* tldextract's lenient_netloc() */
static struct flt_span url_host(const char *url, size_t n)
{
	size_t a = 0;
	const char *ds = memmem(url, n, "//", 2);
	if (ds) {
		size_t d = (size_t)(ds - url);
		if (d == 0) {
			a = 2;
		} else if (d >= 2 && url[d - 1] == ':') {
			bool ok = true;
			for (size_t i = 0; i + 1 < d && ok; i++)
				ok = is_alnum((unsigned char)url[i]) || url[i] == '+' || url[i] == '-' ||
				     url[i] == '.';
			if (ok)
				a = d + 2;
		}
	}
	size_t b = a;
	while (b < n && url[b] != '/' && url[b] != '?' && url[b] != '#')
		b++;
	for (size_t i = b; i > a; i--)
		if (url[i - 1] == '@') {
			a = i;
			break;
		}
	if (a < b && url[a] == '[') {
		const char *rb = memchr(url + a, ']', b - a);
		if (rb)
			return (struct flt_span){a, (size_t)(rb - url) + 1 - a};
	}
	const char *colon = memchr(url + a, ':', b - a);
	if (colon)
		b = (size_t)(colon - url);
	struct flt_span h = flt_strip(url, (struct flt_span){a, b - a}, true, true);
	/* rstrip(".\u3002\uff0e\uff61") */
	for (;;) {
		if (h.len && url[h.off + h.len - 1] == '.') {
			h.len--;
			continue;
		}
		if (h.len >= 3) {
			const unsigned char *t = (const unsigned char *)url + h.off + h.len - 3;
			if ((t[0] == 0xe3 && t[1] == 0x80 && t[2] == 0x82) ||
			    (t[0] == 0xef && t[1] == 0xbc && t[2] == 0x8e) ||
			    (t[0] == 0xef && t[1] == 0xbd && t[2] == 0xa1)) {
				h.len -= 3;
				continue;
			}
		}
		break;
	}
	return h;
}

/* Number of trailing labels of host that form the public suffix. */
static size_t suffix_labels(const struct url *u, const char *host, size_t n, size_t *nlabels,
			    size_t *label_start)
{
	/* label_start[k] = offset of label k; labels split on '.' */
	size_t nl = 0;
	label_start[nl++] = 0;
	for (size_t i = 0; i < n; i++)
		if (host[i] == '.')
			label_start[nl++] = i + 1;
	*nlabels = nl;
	char *key = llm_malloc(n + 3);
	char *low = llm_malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)host[i]);
	size_t i_end = nl, j = nl;
	const char *node = NULL; /* current suffix in low, NULL = root */
	size_t node_len = 0;
	for (size_t k = nl; k-- > 0;) {
		size_t ls = label_start[k];
		size_t le = k + 1 < nl ? label_start[k + 1] - 1 : n;
		size_t klen = (node ? n - ls : le - ls);
		const char *kp = low + ls;
		int v = sset_get(&u->psl, kp, klen);
		if (v & PSL_NODE) {
			j--;
			node = kp;
			node_len = klen;
			if (v & PSL_END)
				i_end = j;
			continue;
		}
		/* wildcard child of the current node? */
		size_t wl = 0;
		key[wl++] = '*';
		if (node) {
			key[wl++] = '.';
			memcpy(key + wl, node, node_len);
			wl += node_len;
		}
		if (sset_get(&u->psl, key, wl)) {
			key[0] = '!';
			memcpy(key + 1, kp, klen);
			bool exc = sset_get(&u->psl, key, klen + 1) != 0;
			free(key);
			free(low);
			return nl - (exc ? j : j - 1);
		}
		break;
	}
	free(key);
	free(low);
	return nl - i_end;
}

struct soft_ctx {
	const char *url;
	size_t n;
	uint8_t *seen;
	size_t distinct;
};

static bool whole_run(const char *url, size_t n, size_t a, size_t b)
{
	return (a == 0 || !is_alnum((unsigned char)url[a - 1])) &&
	       (b == n || !is_alnum((unsigned char)url[b]));
}

static bool on_banned(void *ctx, int id, size_t a, size_t b)
{
	struct soft_ctx *c = ctx;
	(void)id;
	return whole_run(c->url, c->n, a, b);
}

static bool on_soft(void *ctx, int id, size_t a, size_t b)
{
	struct soft_ctx *c = ctx;
	if (whole_run(c->url, c->n, a, b) && !c->seen[id]) {
		c->seen[id] = 1;
		c->distinct++;
	}
	return false;
}

static const char *url_apply(const struct flt *f, struct flt_worker *w, struct flt_doc *d)
{
	const struct url *u = f->p;
	const char *url = d->url;
	if (!url || !*url)
		return "missing_url"; /* datatrove asserts; we drop and count */
	size_t n = strlen(url);
	struct flt_span h = url_host(url, n);
	const char *host = url + h.off;
	size_t hn = h.len;
	size_t *ls = llm_malloc((hn + 2) * sizeof(size_t));
	size_t nl;
	size_t ns = hn ? suffix_labels(u, host, hn, &nl, ls) : 0;
	if (hn == 0)
		nl = 0;
	if (ns > 0 && ns < nl) {
		size_t dstart = ls[nl - ns - 1];
		if (sset_get(&u->domains, host + dstart, hn - dstart)) {
			free(ls);
			return "domain";
		}
		if (sset_get(&u->domains, host, hn)) {
			free(ls);
			return "subdomain";
		}
	}
	free(ls);
	if (sset_get(&u->urls, url, n))
		return "url";
	struct soft_ctx c = {url, n, NULL, 0};
	if (llm_ac_scan(u->banned, url, n, on_banned, &c))
		return "hard_blacklisted";
	uint8_t seen[4096];
	c.seen = u->n_soft <= sizeof(seen) ? seen : llm_calloc(u->n_soft, 1);
	memset(c.seen, 0, LLM_MIN(u->n_soft, sizeof(seen)));
	llm_ac_scan(u->soft, url, n, on_soft, &c);
	if (c.seen != seen)
		free(c.seen);
	if ((int64_t)c.distinct >= u->soft_threshold)
		return "soft_blacklisted";
	llm_buf_reset(&w->buf);
	llm_buf_reserve(&w->buf, n + 1);
	size_t k = normalize(url, n, w->buf.data);
	if (llm_ac_any(u->sub, w->buf.data, k))
		return "blacklisted_subword";
	return NULL;
}

static void url_free(struct flt *f)
{
	struct url *u = f->p;
	sset_free(&u->domains);
	sset_free(&u->urls);
	sset_free(&u->psl);
	llm_ac_free(u->banned);
	llm_ac_free(u->soft);
	llm_ac_free(u->sub);
	free(u);
}

static int load_opt_list(const struct llm_config *cfg, const char *key,
			 void (*fn)(void *, const char *, size_t), struct list_ctx *c)
{
	const char *path = llm_config_str(cfg, key);
	if (!path || !*path)
		return 0;
	if (flt_read_list(path, fn, c))
		return llm_error("config key '%s': cannot read '%s'", key, path);
	return 0;
}

int flt_url_new(struct flt *f, const struct llm_config *cfg)
{
	struct url *u = llm_calloc(1, sizeof(*u));
	f->p = u;
	f->free = url_free;
	f->apply = url_apply;
	u->soft_threshold = llm_config_int(cfg, "url.soft_word_threshold");
	u->banned = llm_ac_new();
	u->soft = llm_ac_new();
	u->sub = llm_ac_new();
	struct list_ctx cd = {.u = u, .set = &u->domains}, cu = {.u = u, .set = &u->urls};
	struct list_ctx cb = {.u = u, .ac = u->banned}, cs = {.u = u, .ac = u->soft},
			csub = {.u = u, .ac = u->sub};
	if (load_opt_list(cfg, "url.domains_file", add_set, &cd) ||
	    load_opt_list(cfg, "url.urls_file", add_set, &cu) ||
	    load_opt_list(cfg, "url.banned_words_file", add_word, &cb) ||
	    load_opt_list(cfg, "url.soft_banned_words_file", add_word, &cs) ||
	    load_opt_list(cfg, "url.banned_subwords_file", add_word, &csub))
		goto fail;
	const cJSON *it;
	cJSON_ArrayForEach(it, llm_config_get(cfg, "url.extra_domains"))
		if (cJSON_IsString(it))
			add_set(&cd, it->valuestring, strlen(it->valuestring));
	cJSON_ArrayForEach(it, llm_config_get(cfg, "url.banned_words"))
		if (cJSON_IsString(it))
			add_word(&cb, it->valuestring, strlen(it->valuestring));
	u->n_soft = cs.n;
	const char *psl = llm_config_str(cfg, "url.public_suffix_list");
	if (load_psl(u, psl ? psl : ""))
		goto fail;
	llm_ac_build(u->banned);
	llm_ac_build(u->soft);
	llm_ac_build(u->sub);
	sset_free(&cb.seen);
	sset_free(&cs.seen);
	sset_free(&csub.seen);
	return 0;
fail:
	sset_free(&cb.seen);
	sset_free(&cs.seen);
	sset_free(&csub.seen);
	url_free(f);
	f->p = NULL;
	return -1;
}
