/*
 * config.c: key-table driven JSON configuration: load, override, default,
 * validate, canonicalise, hash.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "hash.h"
#include "util.h"

static const char *type_name(enum llm_type t)
{
	static const char *names[] = {"bool", "int", "float", "string", "list of strings",
				      "object", "array", "any"};
	return names[t];
}

static const struct llm_key *find_key(const struct llm_key *keys, const char *name)
{
	for (const struct llm_key *k = keys; k && k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* True when some key is nested under prefix ("a.b" has keys "a.b.c"). */
static bool is_section(const struct llm_key *keys, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const struct llm_key *k = keys; k && k->name; k++)
		if (strncmp(k->name, prefix, n) == 0 && k->name[n] == '.')
			return true;
	return false;
}

/* Follows a dotted path; with create, makes missing objects.  Returns the
 * parent object and sets *leaf to the last component (pointer into a copy
 * the caller frees via *owned). */
static cJSON *walk(cJSON *root, const char *name, bool create, const char **leaf, char **owned)
{
	char *copy = llm_strdup(name);
	*owned = copy;
	cJSON *cur = root;
	char *p = copy;
	for (;;) {
		char *dot = strchr(p, '.');
		if (!dot) {
			*leaf = p;
			return cur;
		}
		*dot = '\0';
		cJSON *next = cJSON_GetObjectItemCaseSensitive(cur, p);
		if (!next || !cJSON_IsObject(next)) {
			if (!create)
				return NULL;
			if (next)
				cJSON_DeleteItemFromObjectCaseSensitive(cur, p);
			next = cJSON_AddObjectToObject(cur, p);
		}
		cur = next;
		p = dot + 1;
	}
}

static cJSON *get_path(const cJSON *root, const char *name)
{
	const char *leaf;
	char *owned;
	cJSON *parent = walk((cJSON *)root, name, false, &leaf, &owned);
	cJSON *v = parent ? cJSON_GetObjectItemCaseSensitive(parent, leaf) : NULL;
	free(owned);
	return v;
}

static void set_path(cJSON *root, const char *name, cJSON *value)
{
	const char *leaf;
	char *owned;
	cJSON *parent = walk(root, name, true, &leaf, &owned);
	if (cJSON_GetObjectItemCaseSensitive(parent, leaf))
		cJSON_ReplaceItemInObjectCaseSensitive(parent, leaf, value);
	else
		cJSON_AddItemToObject(parent, leaf, value);
	free(owned);
}

const char *llm_did_you_mean(const char *word, const char *const *names)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;
	for (size_t i = 0; names[i]; i++) {
		size_t d = llm_edit_distance(word, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	size_t lim = strlen(word) / 3 + 1;
	if (lim < 2)
		lim = 2;
	return best && best_d <= lim ? best : NULL;
}

static int unknown_key(const struct llm_key *keys, const char *path, const char *source)
{
	size_t n = 0;
	for (const struct llm_key *k = keys; k && k->name; k++)
		n++;
	const char **names = llm_calloc(n + 1, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		names[i] = keys[i].name;
	const char *hint = llm_did_you_mean(path, names);
	free(names);
	if (hint)
		return llm_error("%s: unknown config key '%s'; did you mean '%s'?", source, path, hint);
	return llm_error("%s: unknown config key '%s' (see --help for the keys)", source, path);
}

static int check_value(const struct llm_key *k, const cJSON *v, const char *source)
{
	bool ok;
	switch (k->type) {
	case LLM_T_BOOL: ok = cJSON_IsBool(v); break;
	case LLM_T_INT: ok = cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
			     fabs(v->valuedouble) < 9.007199254740992e15; break;
	case LLM_T_FLOAT: ok = cJSON_IsNumber(v); break;
	case LLM_T_STRING: ok = cJSON_IsString(v) || cJSON_IsNull(v); break;
	case LLM_T_STRINGS:
		ok = cJSON_IsArray(v);
		for (const cJSON *e = v->child; ok && e; e = e->next)
			ok = cJSON_IsString(e);
		break;
	case LLM_T_OBJECT: ok = cJSON_IsObject(v) || cJSON_IsNull(v); break;
	case LLM_T_ARRAY: ok = cJSON_IsArray(v); break;
	default: ok = true;
	}
	if (!ok) {
		char *s = cJSON_PrintUnformatted(v);
		int r = llm_error("%s: config key '%s' must be of type %s, got %s", source, k->name,
				  type_name(k->type), s ? s : "?");
		cJSON_free(s);
		return r;
	}
	if ((k->type == LLM_T_INT || k->type == LLM_T_FLOAT) && k->min < k->max &&
	    (v->valuedouble < k->min || v->valuedouble > k->max))
		return llm_error("%s: config key '%s' = %g is out of range [%g, %g]", source, k->name,
				 v->valuedouble, k->min, k->max);
	if (k->type == LLM_T_STRING && k->choices && cJSON_IsString(v)) {
		size_t n = strlen(v->valuestring);
		for (const char *c = k->choices; *c;) {
			const char *bar = strchr(c, '|');
			size_t len = bar ? (size_t)(bar - c) : strlen(c);
			if (len == n && strncmp(c, v->valuestring, n) == 0)
				return 0;
			c += len + (bar ? 1 : 0);
		}
		return llm_error("%s: config key '%s' = \"%s\" is not one of %s", source, k->name,
				 v->valuestring, k->choices);
	}
	return 0;
}

/* Checks every member of obj (at prefix) against the key table. */
static int validate(const struct llm_key *keys, const cJSON *obj, const char *prefix, const char *source)
{
	for (const cJSON *m = obj->child; m; m = m->next) {
		char *path = *prefix ? llm_asprintf("%s.%s", prefix, m->string) : llm_strdup(m->string);
		const struct llm_key *k = find_key(keys, path);
		int r = 0;
		if (k)
			r = check_value(k, m, source);
		else if (is_section(keys, path)) {
			if (cJSON_IsObject(m))
				r = validate(keys, m, path, source);
			else
				r = llm_error("%s: config key '%s' must be an object (a section)", source, path);
		} else
			r = unknown_key(keys, path, source);
		free(path);
		if (r)
			return r;
	}
	return 0;
}

static int finish(struct llm_config *cfg, const char *source)
{
	if (validate(cfg->keys, cfg->root, "", source) != 0)
		return -1;
	for (const struct llm_key *k = cfg->keys; k && k->name; k++) {
		if (get_path(cfg->root, k->name))
			continue;
		cJSON *d = k->def ? cJSON_Parse(k->def) : cJSON_CreateNull();
		if (!d)
			llm_die("bad default for config key '%s': %s", k->name, k->def);
		set_path(cfg->root, k->name, d);
	}
	return 0;
}

cJSON *llm_json_read_file(const char *path)
{
	char *data;
	size_t len;
	if (llm_read_file(path, &data, &len) != 0)
		return NULL;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (j && end) {
		while ((size_t)(end - data) < len && (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r'))
			end++;
		if ((size_t)(end - data) < len) {
			cJSON_Delete(j);
			j = NULL;
		}
	}
	if (!j) {
		size_t off = end && end >= data ? (size_t)(end - data) : 0;
		size_t line = 1, col = 1;
		for (size_t i = 0; i < off && i < len; i++) {
			if (data[i] == '\n') {
				line++;
				col = 1;
			} else
				col++;
		}
		llm_error("'%s' line %zu column %zu: invalid JSON", path, line, col);
	}
	free(data);
	return j;
}

int llm_config_from_json(struct llm_config *cfg, const struct llm_key *keys,
			 const cJSON *json, const char *source)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->keys = keys;
	cfg->source = source ? llm_strdup(source) : NULL;
	if (json && !cJSON_IsObject(json)) {
		cfg->root = cJSON_CreateObject();
		return llm_error("%s: the config must be a JSON object", source ? source : "config");
	}
	cfg->root = json ? cJSON_Duplicate(json, 1) : cJSON_CreateObject();
	return finish(cfg, source ? source : "config");
}

int llm_config_load(struct llm_config *cfg, const struct llm_key *keys,
		    const char *path, char *const *overrides, int n_overrides)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->keys = keys;
	if (path) {
		cfg->root = llm_json_read_file(path);
		if (!cfg->root) {
			cfg->root = cJSON_CreateObject();
			return -1;
		}
		if (!cJSON_IsObject(cfg->root))
			return llm_error("'%s': the config must be a JSON object", path);
		cfg->source = llm_asprintf("'%s'", path);
	} else {
		cfg->root = cJSON_CreateObject();
		cfg->source = llm_strdup("config");
	}
	for (int i = 0; i < n_overrides; i++) {
		const char *eq = strchr(overrides[i], '=');
		if (!eq || eq == overrides[i])
			return llm_error("--set '%s': expected KEY=VALUE", overrides[i]);
		char *name = llm_strndup(overrides[i], (size_t)(eq - overrides[i]));
		if (!find_key(keys, name) && !is_section(keys, name)) {
			int r = unknown_key(keys, name, "--set");
			free(name);
			return r;
		}
		cJSON *v = cJSON_Parse(eq + 1);
		const struct llm_key *k = find_key(keys, name);
		/* a bare word is a string; so is anything for a string key that is not quoted JSON */
		if (!v || (k && k->type == LLM_T_STRING && !cJSON_IsString(v) && !cJSON_IsNull(v))) {
			cJSON_Delete(v);
			v = cJSON_CreateString(eq + 1);
		}
		set_path(cfg->root, name, v);
		free(name);
	}
	return finish(cfg, cfg->source);
}

void llm_config_free(struct llm_config *cfg)
{
	cJSON_Delete(cfg->root);
	free(cfg->source);
	memset(cfg, 0, sizeof(*cfg));
}

static const cJSON *typed(const struct llm_config *cfg, const char *name, enum llm_type t)
{
	const struct llm_key *k = find_key(cfg->keys, name);
	if (!k)
		llm_die("internal: config key '%s' is not declared", name);
	if (k->type != t)
		llm_die("internal: config key '%s' is a %s, read as a %s", name, type_name(k->type), type_name(t));
	return get_path(cfg->root, name);
}

bool llm_config_bool(const struct llm_config *cfg, const char *name)
{
	const cJSON *v = typed(cfg, name, LLM_T_BOOL);
	return v && cJSON_IsTrue(v);
}

int64_t llm_config_int(const struct llm_config *cfg, const char *name)
{
	const cJSON *v = typed(cfg, name, LLM_T_INT);
	return v && cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

double llm_config_float(const struct llm_config *cfg, const char *name)
{
	const cJSON *v = typed(cfg, name, LLM_T_FLOAT);
	return v && cJSON_IsNumber(v) ? v->valuedouble : 0.0;
}

const char *llm_config_str(const struct llm_config *cfg, const char *name)
{
	const cJSON *v = typed(cfg, name, LLM_T_STRING);
	return v && cJSON_IsString(v) ? v->valuestring : NULL;
}

const cJSON *llm_config_get(const struct llm_config *cfg, const char *name)
{
	if (!find_key(cfg->keys, name) && !is_section(cfg->keys, name))
		llm_die("internal: config key '%s' is not declared", name);
	return get_path(cfg->root, name);
}

static int cmp_members(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string, y->string);
}

static void canon(const cJSON *v, struct llm_buf *out)
{
	if (cJSON_IsObject(v)) {
		size_t n = 0;
		for (const cJSON *m = v->child; m; m = m->next)
			n++;
		const cJSON **ms = llm_calloc(n ? n : 1, sizeof(*ms));
		n = 0;
		for (const cJSON *m = v->child; m; m = m->next)
			ms[n++] = m;
		qsort(ms, n, sizeof(*ms), cmp_members);
		llm_buf_putc(out, '{');
		for (size_t i = 0; i < n; i++) {
			if (i)
				llm_buf_putc(out, ',');
			cJSON *key = cJSON_CreateString(ms[i]->string);
			char *ks = cJSON_PrintUnformatted(key);
			llm_buf_puts(out, ks);
			cJSON_free(ks);
			cJSON_Delete(key);
			llm_buf_putc(out, ':');
			canon(ms[i], out);
		}
		llm_buf_putc(out, '}');
		free(ms);
	} else if (cJSON_IsArray(v)) {
		llm_buf_putc(out, '[');
		for (const cJSON *e = v->child; e; e = e->next) {
			if (e != v->child)
				llm_buf_putc(out, ',');
			canon(e, out);
		}
		llm_buf_putc(out, ']');
	} else {
		char *s = cJSON_PrintUnformatted(v);
		llm_buf_puts(out, s ? s : "null");
		cJSON_free(s);
	}
}

char *llm_json_canonical(const cJSON *v)
{
	struct llm_buf b = LLM_BUF_INIT;
	canon(v, &b);
	return llm_buf_detach(&b, NULL);
}

char *llm_config_canonical(const struct llm_config *cfg)
{
	return llm_json_canonical(cfg->root);
}

uint64_t llm_config_hash(const struct llm_config *cfg)
{
	char *s = llm_config_canonical(cfg);
	uint64_t h = llm_hash64(s, strlen(s), 0);
	free(s);
	return h;
}

void llm_config_print_keys(const struct llm_key *keys, FILE *fp)
{
	for (const struct llm_key *k = keys; k && k->name; k++) {
		fprintf(fp, "  %-32s %-8s default %s\n", k->name, type_name(k->type), k->def ? k->def : "null");
		if (k->help)
			fprintf(fp, "  %-32s %s\n", "", k->help);
	}
}
