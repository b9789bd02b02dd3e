/*
 * git.h: the few git operations llmake needs, through libgit2: the state of
 * the code (HEAD, dirty flag, hash of the uncommitted diff), commits of
 * files onto a dedicated ref that never touch the user's branch, index or
 * work tree, and reads back from that ref.
 */
#ifndef LLM_GIT_H
#define LLM_GIT_H

#include <stdbool.h>
#include <stddef.h>

#include "files.h"

struct llm_git_state {
	char sha[41];       /* HEAD commit, "" on an unborn branch */
	bool dirty;         /* tracked files differ from HEAD (index or work tree) */
	char diff_hash[17]; /* xxh3 of the patch HEAD -> work tree, "" when clean */
	char *diff;         /* that patch (caller frees via llm_git_state_free) */
	char *workdir;      /* the repository's work tree */
};
/* Fills st for the repository containing path.  0, or 1 when path is not
 * in a git repository (nothing printed), or -1 on error (printed). */
int llm_git_state(const char *path, struct llm_git_state *st);
void llm_git_state_free(struct llm_git_state *st);

struct llm_git_file {
	const char *path; /* inside the tree: "runs/abc/run.json" */
	const void *data;
	size_t len;
};
/* Commits the files onto ref (created if missing): the new tree is the
 * ref's tree with these paths added or replaced, its parent the ref's tip.
 * Safe against concurrent writers (retries when the ref moved).  Writes
 * the commit id (40 hex + NUL) into oid.  0 or -1 (printed). */
int llm_git_commit_files(const char *path, const char *ref, const struct llm_git_file *files,
			 int n, const char *message, char oid[41]);
/* Reads the blob at file in ref's tree.  0, 1 when the ref or the file
 * does not exist, -1 on error (printed).  Caller frees *data. */
int llm_git_read(const char *path, const char *ref, const char *file, char **data, size_t *len);
/* Names of the entries of directory dir in ref's tree, sorted.  0, 1 when
 * missing, -1 on error. */
int llm_git_ls(const char *path, const char *ref, const char *dir, struct llm_strv *names);
/* The top of the work tree containing path (caller frees), or NULL. */
char *llm_git_toplevel(const char *path);

#endif
