/* tokenize.h: the sub-commands of llmake-tokenize, shared between its files. */
#ifndef LLMAKE_TOKENIZE_H
#define LLMAKE_TOKENIZE_H

#include "stage.h"
#include "tokenizer.h"

extern const struct llm_stage tokenize_train_stage;
extern const struct llm_stage tokenize_encode_stage;

/* Loads the tokenizer named by the "tokenizer" and "pattern" keys. */
struct llm_tokenizer *tokenize_load(const struct llm_ctx *ctx);

#endif
