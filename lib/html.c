/*
 * html.c: main-content extraction from HTML (see html.h for the method).
 *
 * The tree comes from libxml2's HTML parser.  Per-element statistics
 * (text, link text, links) are gathered in one iterative pass, so
 * deep trees cannot overflow the stack; root choice, pruning and text
 * emission read those statistics instead of re-walking subtrees.
 */
#include "html.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

/* ------------------------------------------------------------------ */
/* tags                                                                */

enum tag {
	T_OTHER, T_A, T_P, T_DIV, T_SECTION, T_ARTICLE, T_MAIN, T_SPAN, T_UL, T_OL, T_DL, T_LI,
	T_DT, T_DD, T_H, T_PRE, T_TABLE, T_TR, T_TD, T_TH, T_BR, T_HR, T_BLOCKQUOTE, T_BODY,
	T_HTML, T_BLOCK, T_REMOVE, T_CAPTION, T_IMG, T_HEADER,
};

struct tag_entry {
	const char *name;
	enum tag tag;
};

/* sorted by name for bsearch */
static const struct tag_entry tags[] = {
	{"a", T_A}, {"address", T_BLOCK}, {"applet", T_REMOVE}, {"area", T_REMOVE},
	{"article", T_ARTICLE}, {"aside", T_REMOVE}, {"audio", T_REMOVE}, {"base", T_REMOVE},
	{"blink", T_REMOVE}, {"blockquote", T_BLOCKQUOTE}, {"body", T_BODY}, {"br", T_BR},
	{"button", T_REMOVE}, {"canvas", T_REMOVE}, {"caption", T_CAPTION}, {"center", T_BLOCK},
	{"datalist", T_REMOVE}, {"dd", T_DD}, {"details", T_BLOCK}, {"dialog", T_REMOVE},
	{"dir", T_UL}, {"div", T_DIV}, {"dl", T_DL}, {"dt", T_DT}, {"embed", T_REMOVE},
	{"fieldset", T_REMOVE}, {"figcaption", T_BLOCK}, {"figure", T_REMOVE}, {"footer", T_REMOVE},
	{"form", T_REMOVE}, {"frame", T_REMOVE}, {"frameset", T_REMOVE}, {"h1", T_H}, {"h2", T_H},
	{"h3", T_H}, {"h4", T_H}, {"h5", T_H}, {"h6", T_H}, {"head", T_REMOVE}, {"header", T_HEADER},
	{"hgroup", T_BLOCK}, {"hr", T_HR}, {"html", T_HTML}, {"iframe", T_REMOVE}, {"img", T_IMG},
	{"input", T_REMOVE}, {"label", T_REMOVE}, {"legend", T_REMOVE}, {"li", T_LI},
	{"link", T_REMOVE}, {"main", T_MAIN}, {"map", T_REMOVE}, {"marquee", T_REMOVE},
	{"math", T_REMOVE}, {"menu", T_REMOVE}, {"menuitem", T_REMOVE}, {"meta", T_REMOVE},
	{"nav", T_REMOVE}, {"noembed", T_REMOVE}, {"noframes", T_REMOVE}, {"noscript", T_REMOVE},
	{"object", T_REMOVE}, {"ol", T_OL}, {"optgroup", T_REMOVE}, {"option", T_REMOVE},
	{"output", T_REMOVE}, {"p", T_P}, {"param", T_REMOVE}, {"picture", T_REMOVE},
	{"pre", T_PRE}, {"progress", T_REMOVE}, {"rp", T_REMOVE}, {"rt", T_REMOVE},
	{"rtc", T_REMOVE}, {"script", T_REMOVE}, {"section", T_SECTION}, {"select", T_REMOVE},
	{"source", T_REMOVE}, {"span", T_SPAN}, {"style", T_REMOVE}, {"summary", T_BLOCK},
	{"svg", T_REMOVE}, {"table", T_TABLE}, {"tbody", T_BLOCK}, {"td", T_TD},
	{"template", T_REMOVE}, {"textarea", T_REMOVE}, {"tfoot", T_BLOCK}, {"th", T_TH},
	{"thead", T_BLOCK}, {"time", T_REMOVE}, {"title", T_REMOVE}, {"tr", T_TR},
	{"track", T_REMOVE}, {"ul", T_UL}, {"video", T_REMOVE},
};

static int tag_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct tag_entry *)e)->name);
}

static enum tag tag_of(const xmlNode *n)
{
	if (!n->name)
		return T_OTHER;
	const struct tag_entry *e =
		bsearch(n->name, tags, sizeof(tags) / sizeof(tags[0]), sizeof(tags[0]), tag_cmp);
	return e ? e->tag : T_OTHER;
}

static bool tag_is_block(enum tag t)
{
	switch (t) {
	case T_P: case T_DIV: case T_SECTION: case T_ARTICLE: case T_MAIN: case T_UL: case T_OL:
	case T_DL: case T_LI: case T_DT: case T_DD: case T_H: case T_PRE: case T_TABLE: case T_TR:
	case T_BR: case T_HR: case T_BLOCKQUOTE: case T_BODY: case T_HTML: case T_BLOCK:
	case T_CAPTION: case T_HEADER:
		return true;
	default:
		return false;
	}
}

/* children that make an element a container of blocks rather than a
 * paragraph (readability's list, plus headings) */
static bool tag_blocks_div(enum tag t)
{
	return t == T_A || t == T_BLOCKQUOTE || t == T_DL || t == T_DIV || t == T_IMG || t == T_OL ||
	       t == T_P || t == T_PRE || t == T_TABLE || t == T_UL || t == T_SECTION || t == T_ARTICLE ||
	       t == T_H;
}

/* ------------------------------------------------------------------ */
/* attributes                                                          */

static const char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		if (a->name && strcasecmp((const char *)a->name, name) == 0) {
			if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
				return (const char *)a->children->content;
			return "";
		}
	}
	return NULL;
}

static bool has_attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (a->name && strcasecmp((const char *)a->name, name) == 0)
			return true;
	return false;
}

static bool contains_any(const char *v, const char *const *words)
{
	if (!v || !*v)
		return false;
	for (; *words; words++)
		if (strcasestr(v, *words))
			return true;
	return false;
}

static bool starts_any(const char *v, const char *const *words)
{
	if (!v || !*v)
		return false;
	for (; *words; words++)
		if (strncasecmp(v, *words, strlen(*words)) == 0)
			return true;
	return false;
}

static bool equals_any(const char *v, const char *const *words)
{
	if (!v)
		return false;
	for (; *words; words++)
		if (strcasecmp(v, *words) == 0)
			return true;
	return false;
}

/* class/id words of boilerplate blocks (trafilatura's discard lists, precision mode) */
static const char *const bp_both[] = {
	"footer", "related", "viral", "social", "sociable", "syndication", "newsletter", "cookie",
	"sidebar", "banner", "menu", "breadcrumb", "bread-crumb", "author", "button", "comment",
	"akismet", "teaser", "paywall", "consent", "bottom", "widget", "share", "disqus",
	"pagination", "pager", "popup", "outbrain", "taboola", NULL,
};
static const char *const bp_class[] = {
	"navbar", "navigation", "navbox", "subnav", "tags", "byline", "rating", "attachment",
	"timestamp", "user-info", "user-profile", "-ad-", "-icon", "article-infos", "infoline",
	"criteo", "modal-content", "next-post", "side-stories", "most-popular", "hide-print",
	"noprint", "message", "embed", "meta", " hidden", "link", "skip", "sr-only", "screen-reader",
	"advert", "sponsor", NULL,
};
static const char *const bp_id[] = {"nav", "tags", "hidden", "link", "advert", NULL};
static const char *const bp_class_start[] = {"nav", "shar", "widget", "post-nav", "reply-", "hide-",
					     "hidden", "ad-", "ads", NULL};
static const char *const bp_id_start[] = {"shar", "jp-", "reply-", "ad-", "ads", NULL};

static bool is_hidden(const xmlNode *n)
{
	if (has_attr(n, "hidden"))
		return true;
	const char *ah = attr(n, "aria-hidden");
	if (ah && strcasecmp(ah, "true") == 0)
		return true;
	const char *st = attr(n, "style");
	if (st && (strcasestr(st, "display:none") || strcasestr(st, "display: none") ||
		   strcasestr(st, "visibility:hidden") || strcasestr(st, "visibility: hidden")))
		return true;
	return false;
}

static bool is_boilerplate(const xmlNode *n, enum tag t)
{
	if (t != T_DIV && t != T_SECTION && t != T_SPAN && t != T_P && t != T_UL && t != T_OL &&
	    t != T_DL && t != T_LI && t != T_TABLE)
		return false;
	const char *cl = attr(n, "class"), *id = attr(n, "id"), *role = attr(n, "role");
	if (role && (strcasestr(role, "nav") || strcasestr(role, "banner") || strcasestr(role, "contentinfo") ||
		     strcasestr(role, "complementary") || strcasestr(role, "menu")))
		return true;
	if (contains_any(cl, bp_both) || contains_any(id, bp_both))
		return true;
	if (contains_any(cl, bp_class) || contains_any(id, bp_id))
		return true;
	if (starts_any(cl, bp_class_start) || starts_any(id, bp_id_start))
		return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* content selectors (after trafilatura's BODY_XPATH, in priority order)   */

static const char *const g1_class_has[] = {
	"post-text", "post_text", "post-body", "post-entry", "postentry", "post-content", "post_content",
	"postcontent", "post_inner_wrapper", "article-text", "articletext", "entry-content",
	"article-content", "article__content", "article-body", "article__body", "articlebody",
	"page-content", "text-content", "body-text", "article__container", "art-content", NULL,
};
static const char *const g1_class_eq[] = {"post", "entry", NULL};
static const char *const g1_id_has[] = {"entry-content", "article-content", "article__content",
					"article-body", "article__body", "articlebody", "body-text",
					"art-content", NULL};
static const char *const g1_id_eq[] = {"articleContent", NULL};
static const char *const g3_class_has[] = {
	"post-bodycopy", "storycontent", "story-content", "theme-content", "blog-content",
	"section-content", "single-content", "single-post", "main-column", "wpb_text_column",
	"story-body", "field-body", "fulltext", NULL,
};
static const char *const g3_class_eq[] = {"postarea", "art-postcontent", "text", "cell", "story", NULL};
static const char *const g3_id_eq[] = {"article", "story", NULL};
static const char *const g3_id_has[] = {"story-body", NULL};
static const char *const g3_id_start[] = {"primary", NULL};
static const char *const g4_has[] = {"content-main", "content_main", "content-body", "contentbody",
				     "content__body", "main-content", "page-content", NULL};
static const char *const g4_eq[] = {"content", NULL};
static const char *const g5_start[] = {"main", NULL};

/* Which selector group (1..5) an element matches, 0 for none. */
static int selector_group(const xmlNode *n, enum tag t)
{
	bool container = t == T_ARTICLE || t == T_DIV || t == T_MAIN || t == T_SECTION;
	if (!container)
		return 0;
	const char *cl = attr(n, "class"), *id = attr(n, "id");
	const char *ip = attr(n, "itemprop"), *role = attr(n, "role");
	if (contains_any(cl, g1_class_has) || equals_any(cl, g1_class_eq) || contains_any(id, g1_id_has) ||
	    equals_any(id, g1_id_eq) || (ip && strcmp(ip, "articleBody") == 0))
		return 1;
	if (t == T_ARTICLE)
		return 2;
	if (contains_any(cl, g3_class_has) || equals_any(cl, g3_class_eq) || equals_any(id, g3_id_eq) ||
	    contains_any(id, g3_id_has) || starts_any(id, g3_id_start) ||
	    (cl && strncmp(cl, "article ", 8) == 0) || (role && strcmp(role, "article") == 0))
		return 3;
	if (contains_any(id, g4_has) || contains_any(cl, g4_has) || equals_any(id, g4_eq) || equals_any(cl, g4_eq))
		return 4;
	if (t == T_MAIN || starts_any(cl, g5_start) || starts_any(id, g5_start) || starts_any(role, g5_start))
		return 5;
	return 0;
}

/* ------------------------------------------------------------------ */
/* statistics                                                          */

enum {
	F_REMOVED = 1,  /* dropped by cleaning (subtree not visited) */
	F_BLOCKKID = 2, /* has a child that stops it being a text-only div */
};

struct ninfo {
	xmlNode *node;
	uint32_t parent;  /* index, or UINT32_MAX */
	uint32_t text;    /* characters in the subtree (whitespace runs count 1) */
	uint32_t link;    /* of which inside <a> */
	uint32_t nlinks;  /* links with text */
	uint32_t nshort;  /* of which shorter than 10 characters */
	uint32_t nkids;   /* kept element children */
	uint8_t tag;
	uint8_t flags;
	int8_t group;     /* selector group, 0 none */
};

struct ex {
	const struct llm_html_opts *o;
	struct ninfo *v;
	size_t n, cap;
	struct llm_html_info *info;
};

static uint32_t idx_of(const xmlNode *n)
{
	return n->_private ? (uint32_t)((uintptr_t)n->_private - 1) : UINT32_MAX;
}

static void count_text(const unsigned char *s, struct ninfo *e, bool in_link)
{
	uint32_t chars = 0;
	bool ws = true, any = false;
	for (; *s; s++) {
		unsigned c = *s;
		bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
		if (c == 0xC2 && s[1] == 0xA0) {
			space = true;
			s++;
		}
		if (space) {
			ws = true;
			continue;
		}
		if ((c & 0xC0) == 0x80)
			continue;
		if (ws && any)
			chars++;
		ws = false;
		any = true;
		chars++;
	}
	e->text += chars;
	if (in_link)
		e->link += chars;
}

static uint32_t add_node(struct ex *x, xmlNode *node, uint32_t parent)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 1024;
		x->v = llm_realloc(x->v, x->cap * sizeof(*x->v));
	}
	struct ninfo *e = &x->v[x->n];
	memset(e, 0, sizeof(*e));
	e->node = node;
	e->parent = parent;
	e->tag = (uint8_t)tag_of(node);
	node->_private = (void *)(uintptr_t)(x->n + 1);
	return (uint32_t)x->n++;
}

static void gather(struct ex *x, xmlNode *root)
{
	xmlNode *cur = root;
	int in_a = 0;
	while (cur) {
		bool descend = false;
		if (cur->type == XML_ELEMENT_NODE) {
			uint32_t p = cur == root ? UINT32_MAX : idx_of(cur->parent);
			uint32_t i = add_node(x, cur, p);
			struct ninfo *e = &x->v[i];
			enum tag t = e->tag;
			bool drop = t == T_REMOVE || (t == T_HEADER) || is_hidden(cur) || is_boilerplate(cur, t);
			if (drop && (t == T_BODY || t == T_HTML))
				drop = false;
			if (drop) {
				e->flags |= F_REMOVED;
				x->info->removed++;
			} else {
				e->group = (int8_t)selector_group(cur, t);
				if (t == T_A)
					in_a++;
				descend = cur->children != NULL;
			}
		} else if ((cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) && cur->content) {
			uint32_t p = idx_of(cur->parent);
			if (p != UINT32_MAX)
				count_text(cur->content, &x->v[p], in_a > 0);
		}
		if (descend) {
			cur = cur->children;
			continue;
		}
		for (;;) {
			if (cur->type == XML_ELEMENT_NODE) {
				uint32_t i = idx_of(cur);
				struct ninfo *e = &x->v[i];
				if (!(e->flags & F_REMOVED)) {
					if (e->tag == T_A) {
						in_a--;
						if (e->text > 0) {
							e->nlinks++;
							if (e->text < 10)
								e->nshort++;
						}
					}
					if (e->parent != UINT32_MAX) {
						struct ninfo *pa = &x->v[e->parent];
						pa->text += e->text;
						pa->link += e->link;
						pa->nlinks += e->nlinks;
						pa->nshort += e->nshort;
						pa->nkids++;
						if (tag_blocks_div(e->tag))
							pa->flags |= F_BLOCKKID;
					}
				}
			}
			if (cur == root) {
				cur = NULL;
				break;
			}
			if (cur->next) {
				cur = cur->next;
				break;
			}
			cur = cur->parent;
		}
	}
}

/* Elements the text-mass descent may enter: block containers with block
 * children (layout tables included), never a paragraph-level element. */
static bool is_container(const struct ninfo *e)
{
	switch ((enum tag)e->tag) {
	case T_DIV: case T_SECTION: case T_ARTICLE: case T_MAIN: case T_BLOCK: case T_SPAN: case T_OTHER:
		return (e->flags & F_BLOCKKID) != 0;
	case T_TABLE: case T_TR: case T_TD: case T_BODY: case T_HTML:
		return true;
	default:
		return false;
	}
}

/* ------------------------------------------------------------------ */
/* pruning                                                             */

static bool has_next_element(const xmlNode *n)
{
	for (const xmlNode *s = n->next; s; s = s->next)
		if (s->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

static bool link_dense(const struct ex *x, const struct ninfo *e)
{
	enum tag t = (enum tag)e->tag;
	if (!x->o->prune_links || e->nlinks == 0)
		return false;
	double L = e->text, K = e->link;
	if (t == T_TABLE) {
		if (L < 200)
			return false;
		return L < 1000 ? K > 0.8 * L : K > 0.5 * L;
	}
	if (t == T_TR || t == T_TD || t == T_TH)
		return K > 0.8 * L; /* rows and cells of links: link farms laid out as tables */
	bool listy = t == T_UL || t == T_OL || t == T_DL;
	bool divy = t == T_DIV || t == T_SECTION;
	if (!(listy || divy || t == T_P || t == T_H || t == T_BLOCKQUOTE || t == T_LI))
		return false;
	if (e->nlinks == 1 && K > 10 && K > 0.9 * L)
		return true;
	bool last = !has_next_element(e->node);
	double limit = t == T_P ? (last ? 60 : 30) : (last ? 300 : 100);
	if (L < limit) {
		if (K > 0.8 * L || (e->nlinks > 1 && (double)e->nshort / e->nlinks > 0.8))
			return true;
		if (divy && L > 0 && L < 200 && e->nkids >= 3)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* text emission                                                       */

struct emitter {
	struct llm_buf *out;
	size_t start;        /* where this emission began in out */
	size_t line_start;
	bool space;          /* a collapsed space is pending */
	const char *prefix;  /* "- " for list items, emitted before the first text */
	bool cell_sep;       /* " | " pending before the next text on this row */
	int pre;
	bool line_heading;
	size_t body_end;     /* end of the last non-heading line */
	size_t lines;
};

static void em_newline(struct emitter *m)
{
	struct llm_buf *b = m->out;
	while (b->len > m->line_start && b->data[b->len - 1] == ' ')
		b->len--;
	if (b->len > m->line_start) {
		llm_buf_putc(b, '\n');
		m->lines++;
		if (!m->line_heading)
			m->body_end = b->len;
	}
	m->line_start = b->len;
	m->space = false;
	m->prefix = NULL;
	m->cell_sep = false;
	m->line_heading = false;
}

static void em_begin_text(struct emitter *m)
{
	struct llm_buf *b = m->out;
	if (b->len == m->line_start) {
		if (m->prefix)
			llm_buf_puts(b, m->prefix);
		m->prefix = NULL;
		m->space = false;
		m->cell_sep = false;
	} else if (m->cell_sep) {
		while (b->len > m->line_start && b->data[b->len - 1] == ' ')
			b->len--;
		llm_buf_puts(b, " | ");
		m->cell_sep = false;
		m->space = false;
	} else if (m->space) {
		llm_buf_putc(b, ' ');
		m->space = false;
	}
}

static void em_text(struct emitter *m, const unsigned char *s)
{
	struct llm_buf *b = m->out;
	if (m->pre) {
		for (; *s; s++) {
			if (*s == '\r')
				continue;
			if (*s == '\n') {
				if (b->len > m->line_start) {
					llm_buf_putc(b, '\n');
					m->lines++;
					m->body_end = b->len;
				}
				m->line_start = b->len;
				continue;
			}
			if (b->len == m->line_start && m->prefix)
				em_begin_text(m);
			llm_buf_putc(b, (char)*s);
		}
		return;
	}
	const unsigned char *run = NULL;
	for (;; s++) {
		unsigned c = *s;
		bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0 ||
			     (c == 0xC2 && s[1] == 0xA0);
		if (space) {
			if (run) {
				llm_buf_append(b, run, (size_t)(s - run));
				run = NULL;
			}
			if (c == 0)
				break;
			if (c == 0xC2)
				s++;
			m->space = true;
			continue;
		}
		if (!run) {
			em_begin_text(m);
			run = s;
		}
	}
}

static void em_block_end(struct emitter *m)
{
	em_newline(m);
}

/* Emits the text of the subtree at index r. */
static void emit(struct ex *x, uint32_t r, struct emitter *m)
{
	xmlNode *root = x->v[r].node;
	xmlNode *cur = root;
	while (cur) {
		bool descend = false;
		if (cur->type == XML_ELEMENT_NODE) {
			uint32_t i = idx_of(cur);
			struct ninfo *e = i == UINT32_MAX ? NULL : &x->v[i];
			bool skip = !e || (e->flags & F_REMOVED);
			enum tag t = e ? (enum tag)e->tag : T_OTHER;
			if (!skip && cur != root && link_dense(x, e)) {
				skip = true;
				x->info->pruned++;
			}
			if (!skip && ((t == T_TABLE && !x->o->keep_tables) ||
				      ((t == T_UL || t == T_OL || t == T_DL) && !x->o->keep_lists)))
				skip = true;
			if (t == T_BR && e && !(e->flags & F_REMOVED)) {
				em_newline(m);
			} else if (!skip) {
				switch (t) {
				case T_LI:
					em_newline(m);
					m->prefix = "- ";
					break;
				case T_TR:
					em_newline(m);
					break;
				case T_TD: case T_TH:
					if (m->out->len > m->line_start)
						m->cell_sep = true;
					break;
				case T_H:
					em_newline(m);
					m->line_heading = true;
					break;
				case T_PRE:
					em_newline(m);
					m->pre++;
					break;
				default:
					if (tag_is_block(t))
						em_newline(m);
					break;
				}
				descend = cur->children != NULL;
				if (!descend && tag_is_block(t))
					em_block_end(m);
				if (!descend && t == T_PRE)
					m->pre--;
			}
		} else if ((cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) && cur->content) {
			em_text(m, cur->content);
		}
		if (descend) {
			cur = cur->children;
			continue;
		}
		for (;;) {
			if (cur == root) {
				cur = NULL;
				break;
			}
			if (cur->next) {
				cur = cur->next;
				break;
			}
			cur = cur->parent;
			/* the parent is complete */
			if (cur->type == XML_ELEMENT_NODE) {
				uint32_t i = idx_of(cur);
				enum tag t = i == UINT32_MAX ? T_OTHER : (enum tag)x->v[i].tag;
				if (t == T_PRE && m->pre > 0)
					m->pre--;
				if (t == T_TD || t == T_TH) {
					/* cells share their row's line, joined by " | " */
					if (m->out->len > m->line_start)
						m->cell_sep = true;
				} else if (tag_is_block(t)) {
					em_block_end(m);
				}
			}
		}
	}
	em_newline(m);
}

/* ------------------------------------------------------------------ */
/* driver                                                              */

static void emitter_init(struct emitter *m, struct llm_buf *out)
{
	memset(m, 0, sizeof(*m));
	m->out = out;
	m->start = out->len;
	m->line_start = out->len;
	m->body_end = out->len;
}

/* Drops trailing heading lines (titles left without their section). */
static void emitter_finish(struct emitter *m)
{
	struct llm_buf *b = m->out;
	if (m->body_end > m->start && m->body_end < b->len)
		b->len = m->body_end;
	while (b->len > m->start && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' '))
		b->len--;
	if (b->data)
		b->data[b->len] = '\0';
}

static size_t emit_set(struct ex *x, const uint32_t *roots, size_t nroots, struct llm_buf *out)
{
	struct emitter m;
	emitter_init(&m, out);
	for (size_t k = 0; k < nroots; k++)
		emit(x, roots[k], &m);
	emitter_finish(&m);
	x->info->lines = m.lines;
	return out->len - m.start;
}

static uint32_t find_body(const struct ex *x)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->v[i].tag == T_BODY && !(x->v[i].flags & F_REMOVED))
			return (uint32_t)i;
	return x->n ? 0 : UINT32_MAX;
}

void llm_html_global_init(void)
{
	xmlInitParser();
}

void llm_html_opts_default(struct llm_html_opts *o)
{
	o->keep_tables = true;
	o->keep_lists = true;
	o->prune_links = true;
	o->min_root_chars = 100;
	o->descend_share = 0.75;
}

const char *llm_html_method_name(enum llm_html_method m)
{
	static const char *const names[] = {"none", "selector", "descent", "body"};
	return (unsigned)m < 4 ? names[m] : "?";
}

int llm_html_extract(const char *html, size_t n, const struct llm_html_opts *o, struct llm_buf *out,
		     struct llm_html_info *info)
{
	struct llm_html_info dummy;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	struct llm_html_opts defo;
	if (!o) {
		llm_html_opts_default(&defo);
		o = &defo;
	}
	if (n > INT_MAX)
		n = INT_MAX;
	if (n == 0)
		return 0;
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
		   HTML_PARSE_COMPACT | HTML_PARSE_NODEFDTD | HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE;
	htmlDocPtr doc = htmlReadMemory(html, (int)n, NULL, "UTF-8", opts);
	if (!doc)
		return -1;
	xmlNode *root = xmlDocGetRootElement(doc);
	if (!root) {
		xmlFreeDoc(doc);
		return 0;
	}
	struct ex x = {.o = o, .info = info};
	gather(&x, root);
	info->elements = x.n;

	/* 1. selector root */
	uint32_t sel = UINT32_MAX;
	for (int g = 1; g <= 5 && sel == UINT32_MAX; g++)
		for (size_t i = 0; i < x.n; i++)
			if (x.v[i].group == g && !(x.v[i].flags & F_REMOVED) && x.v[i].text >= o->min_root_chars) {
				sel = (uint32_t)i;
				break;
			}
	/* 2. text-mass descent: from the body, go down into the child that holds
	 * most of the non-link text while it holds at least descend_share of
	 * its parent's; boilerplate is already gone, so what remains is the
	 * smallest container of the page's prose */
	uint32_t rset[1];
	size_t nr = 0;
	{
		uint32_t cur = find_body(&x);
		while (cur != UINT32_MAX) {
			uint32_t mass = x.v[cur].text - x.v[cur].link, next = UINT32_MAX;
			for (xmlNode *s = x.v[cur].node->children; s; s = s->next) {
				if (s->type != XML_ELEMENT_NODE)
					continue;
				uint32_t i = idx_of(s);
				if (i == UINT32_MAX || (x.v[i].flags & F_REMOVED))
					continue;
				if ((double)(x.v[i].text - x.v[i].link) >= o->descend_share * mass) {
					/* only into containers of blocks: stopping above a single
					 * paragraph keeps its sibling paragraphs */
					if (is_container(&x.v[i]))
						next = i;
					break;
				}
			}
			if (next == UINT32_MAX)
				break;
			cur = next;
		}
		if (cur != UINT32_MAX && x.v[cur].text > 0)
			rset[nr++] = cur;
	}
	size_t before = out->len;
	size_t len_sel = 0, len_read = 0;
	struct llm_buf alt = LLM_BUF_INIT;
	if (sel != UINT32_MAX)
		len_sel = emit_set(&x, &sel, 1, out);
	if (nr)
		len_read = emit_set(&x, rset, nr, &alt);
	/* trafilatura's comparison with its fallback: the other result wins when
	 * over twice as long */
	bool use_read = nr && (len_sel == 0 || len_read > 2 * len_sel);
	if (use_read) {
		out->len = before;
		llm_buf_append(out, alt.data, alt.len);
		info->method = LLM_HTML_DESCENT;
	} else if (len_sel) {
		info->method = LLM_HTML_SELECTOR;
	}
	llm_buf_free(&alt);
	if (out->len == before) {
		uint32_t body = find_body(&x);
		if (body != UINT32_MAX && emit_set(&x, &body, 1, out) > 0)
			info->method = LLM_HTML_BODY;
	}
	if (out->data)
		out->data[out->len] = '\0';
	for (size_t i = 0; i < x.n; i++)
		x.v[i].node->_private = NULL;
	free(x.v);
	xmlFreeDoc(doc);
	return 0;
}
