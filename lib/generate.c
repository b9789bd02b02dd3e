/*
 * generate.c: checkpoint + tokenizer loading with the vocabulary check, and
 * KV-cached generation with stop strings and streaming (see generate.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ckpt.h"
#include "generate.h"
#include "log.h"

int llm_generate_check_vocab(const struct llm_model *m, const struct llm_tokenizer *tok,
			     const char *model_dir, const char *tok_path)
{
	uint32_t nv = llm_tokenizer_n_vocab(tok);
	int V = m->cfg.vocab_size;
	if ((int64_t)nv > V)
		return llm_error("tokenizer '%s' has %u ids but model '%s' has vocab_size %d: the "
				 "tokenizer does not belong to this model; hint: give the tokenizer "
				 "it was trained with (--tokenizer)", tok_path, nv, model_dir, V);
	if ((int64_t)V - nv >= LLM_VOCAB_PAD_MAX)
		return llm_error("model '%s' has vocab_size %d but tokenizer '%s' only %u ids (more "
				 "than %d padding ids): the tokenizer does not belong to this model; "
				 "hint: give the tokenizer it was trained with (--tokenizer)",
				 model_dir, V, tok_path, nv, LLM_VOCAB_PAD_MAX - 1);
	int64_t eot = llm_tokenizer_eot(tok);
	if (m->cfg.eos_token_id >= 0 && eot >= 0 && eot != m->cfg.eos_token_id)
		llm_warn("model '%s' has eos_token_id %d but tokenizer '%s' ends text with id %" PRId64,
			 model_dir, m->cfg.eos_token_id, tok_path, eot);
	return 0;
}

int llm_generate_load(const char *model_dir, const char *tok_path, struct llm_model *m,
		      struct llm_tokenizer **tok)
{
	char *tp = tok_path ? llm_strdup(tok_path) : llm_asprintf("%s/tokenizer.json", model_dir);
	struct stat st;
	if (stat(tp, &st) != 0) {
		llm_error("no tokenizer '%s'; hint: copy the tokenizer.json the model was trained with "
			  "into the checkpoint folder, or give --tokenizer FILE", tp);
		free(tp);
		return -1;
	}
	if (llm_ckpt_load_model(m, model_dir)) {
		free(tp);
		return -1;
	}
	*tok = llm_tokenizer_load(tp, NULL);
	if (!*tok || llm_generate_check_vocab(m, *tok, model_dir, tp)) {
		if (*tok)
			llm_tokenizer_free(*tok);
		*tok = NULL;
		llm_model_free(m);
		free(tp);
		return -1;
	}
	free(tp);
	return 0;
}

void llm_generation_free(struct llm_generation *g)
{
	llm_buf_free(&g->text);
	llm_tokens_free(&g->ids);
	memset(g, 0, sizeof(*g));
}

/* Earliest occurrence of any stop string in text[from..n), or -1. */
static long find_stop(const char *text, size_t n, size_t from, const char *const *stop)
{
	long best = -1;
	for (int i = 0; stop && stop[i]; i++) {
		size_t k = strlen(stop[i]);
		if (!k || k > n)
			continue;
		for (size_t p = from; p + k <= n; p++)
			if (!memcmp(text + p, stop[i], k)) {
				if (best < 0 || (long)p < best)
					best = (long)p;
				break;
			}
	}
	return best;
}

int llm_generate(struct llm_model *m, const struct llm_tokenizer *tok, struct llm_kv_cache *kv,
		 struct llm_sampler *smp, const struct llm_generate_opts *o, const char *prompt,
		 size_t prompt_len, llm_generate_emit emit, void *emit_ctx, struct llm_generation *g)
{
	memset(g, 0, sizeof(*g));
	int V = m->cfg.vocab_size, maxT = LLM_MIN(kv->max_T, m->cfg.max_position_embeddings);
	struct llm_tokens p = {0};
	llm_tokenizer_encode(tok, prompt, prompt_len, LLM_TOK_SPECIAL, &p);
	if (p.n == 0) {
		/* an empty prompt starts from the end-of-text token (a new document) */
		if (o->eos_id < 0) {
			llm_tokens_free(&p);
			return llm_error("empty prompt and no end-of-text token to start from");
		}
		llm_tokens_push(&p, (uint32_t)o->eos_id);
	}
	size_t room = (size_t)maxT > (size_t)o->max_tokens ? (size_t)(maxT - o->max_tokens) : 1;
	size_t first = p.n > room ? p.n - room : 0;
	g->prompt_dropped = first;
	g->prompt_tokens = p.n - first;
	size_t max_stop = 0;
	for (int i = 0; o->stop && o->stop[i]; i++)
		max_stop = LLM_MAX(max_stop, strlen(o->stop[i]));
	llm_kv_cache_reset(kv);
	llm_sampler_reset(smp);
	llm_sampler_accept(smp, p.ids + first, g->prompt_tokens);
	float *logits = llm_malloc((size_t)V * sizeof(float));
	int rc = 0;
	double t0 = llm_now();
	const size_t chunk = 256;
	for (size_t i = first; i < p.n; i += chunk) {
		size_t k = LLM_MIN(chunk, p.n - i);
		if (llm_model_decode(m, kv, (const int32_t *)p.ids + i, (int)k, logits)) {
			rc = llm_error("prompt token outside the model's vocabulary (%d)", V);
			goto out;
		}
	}
	double t1 = llm_now();
	g->prompt_seconds = t1 - t0;
	g->stop_reason = "length";
	size_t emitted = 0;
	struct llm_buf piece = LLM_BUF_INIT;
	while (g->gen_tokens < (size_t)o->max_tokens) {
		uint32_t id = llm_sampler_next(smp, logits);
		g->gen_tokens++;
		llm_tokens_push(&g->ids, id);
		if (o->stop_at_eos && o->eos_id >= 0 && id == (uint32_t)o->eos_id) {
			g->stop_reason = "eos";
			break;
		}
		llm_sampler_accept(smp, &id, 1);
		piece.len = 0;
		if (llm_tokenizer_decode(tok, &id, 1, &piece) == 0)
			llm_buf_append(&g->text, piece.data, piece.len);
		size_t from = g->text.len > piece.len + max_stop ? g->text.len - piece.len - max_stop : 0;
		long at = find_stop(g->text.data, g->text.len, from, o->stop);
		if (at >= 0) {
			g->text.len = (size_t)at;
			g->stop_reason = "stop";
			break;
		}
		/* text that no stop string can still cut is final */
		size_t safe = g->text.len > (max_stop ? max_stop - 1 : 0)
				      ? g->text.len - (max_stop ? max_stop - 1 : 0)
				      : 0;
		if (emit && safe > emitted) {
			emit(emit_ctx, g->text.data + emitted, safe - emitted);
			emitted = safe;
		}
		if (g->gen_tokens >= (size_t)o->max_tokens)
			break;
		int32_t in = (int32_t)id;
		if (kv->pos >= maxT) {
			g->stop_reason = "context";
			break;
		}
		if (llm_model_decode(m, kv, &in, 1, logits)) {
			g->stop_reason = "context";
			break;
		}
	}
	if (emit && g->text.len > emitted)
		emit(emit_ctx, g->text.data + emitted, g->text.len - emitted);
	llm_buf_free(&piece);
	g->gen_seconds = llm_now() - t1;
	llm_buf_putc(&g->text, '\0');
	g->text.len--;
out:
	free(logits);
	llm_tokens_free(&p);
	return rc;
}
