/*
 * ahocorasick.c: Aho-Corasick automaton compiled to a DFA over byte classes.
 */
#include "ahocorasick.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct ac_out {
	int id;
	uint32_t len;
	int32_t next; /* next output of the same node, -1 */
};

struct llm_ac {
	uint8_t cls[256];   /* byte -> class (0 = bytes in no pattern) */
	int ncls;
	int32_t *delta;     /* trie edges while building, DFA after: node*ncls + cls */
	int32_t *fail;
	int32_t *out;       /* first output of the node, -1 */
	int32_t *dict;      /* nearest node on the fail chain with an output, -1 */
	size_t nnodes, cap;
	struct ac_out *outs;
	size_t nouts, cap_outs;
	char **pats;        /* kept until build to learn the classes */
	size_t *plen;
	int *pid;
	size_t npats, cap_pats;
	bool built;
};

struct llm_ac *llm_ac_new(void)
{
	return llm_calloc(1, sizeof(struct llm_ac));
}

void llm_ac_add(struct llm_ac *ac, const char *pat, size_t n, int id)
{
	if (n == 0 || ac->built)
		return;
	if (ac->npats == ac->cap_pats) {
		ac->cap_pats = ac->cap_pats ? ac->cap_pats * 2 : 64;
		ac->pats = llm_realloc(ac->pats, ac->cap_pats * sizeof(char *));
		ac->plen = llm_realloc(ac->plen, ac->cap_pats * sizeof(size_t));
		ac->pid = llm_realloc(ac->pid, ac->cap_pats * sizeof(int));
	}
	ac->pats[ac->npats] = llm_strndup(pat, n);
	ac->plen[ac->npats] = n;
	ac->pid[ac->npats] = id;
	ac->npats++;
}

size_t llm_ac_patterns(const struct llm_ac *ac)
{
	return ac->npats;
}

static int32_t new_node(struct llm_ac *ac)
{
	if (ac->nnodes == ac->cap) {
		ac->cap = ac->cap ? ac->cap * 2 : 64;
		ac->delta = llm_realloc(ac->delta, ac->cap * (size_t)ac->ncls * sizeof(int32_t));
		ac->out = llm_realloc(ac->out, ac->cap * sizeof(int32_t));
	}
	int32_t n = (int32_t)ac->nnodes++;
	for (int c = 0; c < ac->ncls; c++)
		ac->delta[(size_t)n * ac->ncls + c] = -1;
	ac->out[n] = -1;
	return n;
}

void llm_ac_build(struct llm_ac *ac)
{
	if (ac->built)
		return;
	bool seen[256] = {false};
	for (size_t p = 0; p < ac->npats; p++)
		for (size_t i = 0; i < ac->plen[p]; i++)
			seen[(unsigned char)ac->pats[p][i]] = true;
	ac->ncls = 1;
	for (int b = 0; b < 256; b++)
		ac->cls[b] = seen[b] ? (uint8_t)ac->ncls++ : 0;
	new_node(ac);
	for (size_t p = 0; p < ac->npats; p++) {
		int32_t s = 0;
		for (size_t i = 0; i < ac->plen[p]; i++) {
			size_t e = (size_t)s * ac->ncls + ac->cls[(unsigned char)ac->pats[p][i]];
			if (ac->delta[e] < 0) {
				int32_t t = new_node(ac);
				ac->delta[e] = t; /* an index, so valid after new_node() grew delta */
			}
			s = ac->delta[(size_t)s * ac->ncls + ac->cls[(unsigned char)ac->pats[p][i]]];
		}
		if (ac->nouts == ac->cap_outs) {
			ac->cap_outs = ac->cap_outs ? ac->cap_outs * 2 : 64;
			ac->outs = llm_realloc(ac->outs, ac->cap_outs * sizeof(*ac->outs));
		}
		ac->outs[ac->nouts] = (struct ac_out){ac->pid[p], (uint32_t)ac->plen[p], ac->out[s]};
		ac->out[s] = (int32_t)ac->nouts++;
	}
	/* breadth-first: failure links, dictionary links, full DFA */
	ac->fail = llm_calloc(ac->nnodes, sizeof(int32_t));
	ac->dict = llm_malloc(ac->nnodes * sizeof(int32_t));
	int32_t *queue = llm_malloc(ac->nnodes * sizeof(int32_t));
	size_t qh = 0, qt = 0;
	ac->dict[0] = -1;
	for (int c = 0; c < ac->ncls; c++) {
		int32_t t = ac->delta[c];
		if (t < 0) {
			ac->delta[c] = 0;
		} else {
			ac->fail[t] = 0;
			ac->dict[t] = -1;
			queue[qt++] = t;
		}
	}
	while (qh < qt) {
		int32_t s = queue[qh++];
		for (int c = 0; c < ac->ncls; c++) {
			size_t e = (size_t)s * ac->ncls + c;
			int32_t t = ac->delta[e];
			int32_t f = ac->delta[(size_t)ac->fail[s] * ac->ncls + c];
			if (t < 0) {
				ac->delta[e] = f;
			} else {
				ac->fail[t] = f;
				ac->dict[t] = ac->out[f] >= 0 ? f : ac->dict[f];
				queue[qt++] = t;
			}
		}
	}
	free(queue);
	for (size_t p = 0; p < ac->npats; p++)
		free(ac->pats[p]);
	ac->built = true;
}

bool llm_ac_scan(const struct llm_ac *ac, const char *s, size_t n,
		 bool (*fn)(void *ctx, int id, size_t start, size_t end), void *ctx)
{
	if (!ac->built || ac->nnodes == 0)
		return false;
	int32_t st = 0;
	for (size_t i = 0; i < n; i++) {
		st = ac->delta[(size_t)st * ac->ncls + ac->cls[(unsigned char)s[i]]];
		for (int32_t v = ac->out[st] >= 0 ? st : ac->dict[st]; v >= 0; v = ac->dict[v])
			for (int32_t o = ac->out[v]; o >= 0; o = ac->outs[o].next)
				if (fn(ctx, ac->outs[o].id, i + 1 - ac->outs[o].len, i + 1))
					return true;
	}
	return false;
}

static bool stop_first(void *ctx, int id, size_t start, size_t end)
{
	(void)ctx, (void)id, (void)start, (void)end;
	return true;
}

bool llm_ac_any(const struct llm_ac *ac, const char *s, size_t n)
{
	return llm_ac_scan(ac, s, n, stop_first, NULL);
}

void llm_ac_free(struct llm_ac *ac)
{
	if (!ac)
		return;
	if (!ac->built)
		for (size_t p = 0; p < ac->npats; p++)
			free(ac->pats[p]);
	free(ac->pats);
	free(ac->plen);
	free(ac->pid);
	free(ac->delta);
	free(ac->fail);
	free(ac->out);
	free(ac->dict);
	free(ac->outs);
	free(ac);
}
