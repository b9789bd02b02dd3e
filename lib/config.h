/*
 * config.h: JSON configuration (cJSON) declared by a key table.
 *
 * A stage declares its keys once, in a static `struct llm_key[]` ended by
 * {NULL}; help text, defaults, validation and the manifest's resolved config
 * all derive from that table.  Dotted names address nested objects
 * ("gopher_quality.min_words" is {"gopher_quality": {"min_words": ...}}).
 * Unknown keys are errors with a "did you mean" hint.  Keys of type
 * LLM_T_OBJECT / LLM_T_ARRAY / LLM_T_ANY are taken as they are (the stage
 * validates their insides).
 */
#ifndef LLM_CONFIG_H
#define LLM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

enum llm_type {
	LLM_T_BOOL,
	LLM_T_INT,
	LLM_T_FLOAT,
	LLM_T_STRING,
	LLM_T_STRINGS, /* array of strings */
	LLM_T_OBJECT,
	LLM_T_ARRAY,
	LLM_T_ANY,
};

struct llm_key {
	const char *name;    /* dotted path */
	enum llm_type type;
	const char *def;     /* default as JSON text ("0.65", "\"en\"", "[]"); NULL = no default */
	const char *help;
	double min, max;     /* numeric range, checked when min < max */
	const char *choices; /* for strings: "a|b|c", or NULL */
};

struct llm_config {
	cJSON *root;               /* resolved: defaults filled in */
	const struct llm_key *keys;
	char *source;              /* file it came from, or NULL */
};

/* Loads path (NULL = defaults only), then applies overrides "KEY=VALUE"
 * (VALUE parsed as JSON, else taken as a string).  Fills defaults and
 * validates types, ranges, choices and unknown keys.  Returns 0, or -1
 * with the problem printed (naming the file and key). */
int llm_config_load(struct llm_config *cfg, const struct llm_key *keys,
		    const char *path, char *const *overrides, int n_overrides);
/* Same, from a JSON object the caller owns (copied); source names it in errors. */
int llm_config_from_json(struct llm_config *cfg, const struct llm_key *keys,
			 const cJSON *json, const char *source);
void llm_config_free(struct llm_config *cfg);

/* Typed getters; the key must be declared with that type (else fatal). */
bool llm_config_bool(const struct llm_config *cfg, const char *name);
int64_t llm_config_int(const struct llm_config *cfg, const char *name);
double llm_config_float(const struct llm_config *cfg, const char *name);
const char *llm_config_str(const struct llm_config *cfg, const char *name); /* NULL if null */
const cJSON *llm_config_get(const struct llm_config *cfg, const char *name);

/* Canonical JSON (sorted keys, compact) of the resolved config; caller frees. */
char *llm_config_canonical(const struct llm_config *cfg);
uint64_t llm_config_hash(const struct llm_config *cfg);
/* Prints the key table (name, type, default, help) for --help. */
void llm_config_print_keys(const struct llm_key *keys, FILE *fp);

/* Canonical form of any JSON value: objects with sorted keys, compact. */
char *llm_json_canonical(const cJSON *v);
/* Reads and parses a JSON file; errors name the file, line and column. */
cJSON *llm_json_read_file(const char *path);
/* The closest name in names[] (NULL-terminated) within a small edit
 * distance, or NULL. */
const char *llm_did_you_mean(const char *word, const char *const *names);

#endif
