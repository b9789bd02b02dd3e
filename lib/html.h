/*
 * html.h: main-content text extraction from HTML.
 *
 * The page is parsed with libxml2's HTML parser (the tree lxml, and so
 * trafilatura, sees), then:
 *   1. cleaning: script, style, nav, header, footer, aside, forms, media,
 *      hidden elements and blocks whose class/id name boilerplate (menus,
 *      sharing, cookie banners, related posts, comments...) are dropped;
 *   2. root choice: the first element named like an article body
 *      (article, .entry-content, #content, main, ...) that holds enough
 *      text, unless the text-mass descent below finds over twice as much;
 *      the descent starts at the body and goes into the child holding most
 *      of the non-link text while that child holds >= 75% of its parent's
 *      and is a container of blocks (never into a single paragraph);
 *      cleaning has removed the boilerplate, so this finds the smallest
 *      container of the prose; otherwise the whole body;
 *   3. pruning: link-dense divs, lists, paragraphs and tables (the rules of
 *      trafilatura's precision mode) and trailing headings are dropped;
 *   4. text: one line per heading, paragraph, list item ("- " prefix),
 *      table row (cells joined by " | ") and <br>; pre keeps its line
 *      breaks; other whitespace collapses to one space; entities are
 *      decoded by the parser.
 * Input must be UTF-8 (see charset.h); output is UTF-8 without NULs.
 * Thread-safe once llm_html_global_init() has run on the main thread.
 */
#ifndef LLM_HTML_H
#define LLM_HTML_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum llm_html_method {
	LLM_HTML_NONE,        /* nothing extracted */
	LLM_HTML_SELECTOR,    /* an element named like an article body */
	LLM_HTML_DESCENT,     /* smallest container of most of the text */
	LLM_HTML_BODY,        /* whole body (small or unstructured pages) */
};

struct llm_html_opts {
	bool keep_tables;   /* default true */
	bool keep_lists;    /* default true */
	bool prune_links;   /* link-density pruning (default true) */
	size_t min_root_chars; /* a selector root needs this much text (default 100) */
	double descend_share;  /* text-mass descent threshold (default 0.75) */
};

struct llm_html_info {
	enum llm_html_method method;
	size_t elements;        /* elements in the parsed tree */
	size_t removed;         /* subtrees dropped by cleaning */
	size_t pruned;          /* subtrees dropped for link density */
	size_t lines;           /* lines written */
};

/* Initialises libxml2 once; call from the main thread before workers. */
void llm_html_global_init(void);
void llm_html_opts_default(struct llm_html_opts *o);
/* Extracts the main text of html[0..n) (UTF-8) and appends it to out.
 * Returns 0 (out may hold nothing when the page has no main text) or -1
 * when the parser gave up (nothing appended). */
int llm_html_extract(const char *html, size_t n, const struct llm_html_opts *o, struct llm_buf *out,
		     struct llm_html_info *info);
const char *llm_html_method_name(enum llm_html_method m);

#endif
