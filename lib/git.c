/*
 * git.c: code state, commits onto a private ref, and reads back, with
 * libgit2.  Nothing here touches HEAD, the index or the work tree: blobs
 * and trees go straight into the object database and only the named ref
 * moves.
 */
#include "git.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "hash.h"
#include "util.h"

static void git_init_once(void)
{
	static int done;
	if (!done) {
		git_libgit2_init();
		done = 1;
	}
}

static int git_fail(const char *what, const char *subject)
{
	const git_error *e = git_error_last();
	return llm_error("'%s': %s failed: %s", subject, what, e && e->message ? e->message : "unknown error");
}

static git_repository *open_repo(const char *path, bool quiet)
{
	git_init_once();
	git_repository *repo = NULL;
	if (git_repository_open_ext(&repo, path, 0, NULL) != 0) {
		if (!quiet)
			git_fail("opening the git repository", path);
		return NULL;
	}
	return repo;
}

char *llm_git_toplevel(const char *path)
{
	git_repository *repo = open_repo(path, true);
	if (!repo)
		return NULL;
	const char *wd = git_repository_workdir(repo);
	char *r = wd ? llm_strdup(wd) : NULL;
	size_t n = r ? strlen(r) : 0;
	if (n > 1 && r[n - 1] == '/')
		r[n - 1] = '\0';
	git_repository_free(repo);
	return r;
}

/* ----------------------------------------------------------- code state */

static int diff_print_cb(const git_diff_delta *d, const git_diff_hunk *h, const git_diff_line *l,
			 void *payload)
{
	(void)d;
	(void)h;
	struct llm_buf *b = payload;
	if (l->origin == GIT_DIFF_LINE_CONTEXT || l->origin == GIT_DIFF_LINE_ADDITION ||
	    l->origin == GIT_DIFF_LINE_DELETION)
		llm_buf_putc(b, l->origin);
	llm_buf_append(b, l->content, l->content_len);
	return 0;
}

int llm_git_state(const char *path, struct llm_git_state *st)
{
	memset(st, 0, sizeof(*st));
	git_repository *repo = open_repo(path, true);
	if (!repo)
		return 1;
	int rc = -1;
	git_object *head = NULL;
	git_tree *tree = NULL;
	git_diff *diff = NULL;
	const char *wd = git_repository_workdir(repo);
	st->workdir = llm_strdup(wd ? wd : path);
	if (git_revparse_single(&head, repo, "HEAD^{commit}") == 0) {
		git_oid_tostr(st->sha, sizeof(st->sha), git_object_id(head));
		if (git_commit_tree(&tree, (git_commit *)head) != 0) {
			git_fail("reading HEAD's tree", path);
			goto out;
		}
	}
	git_diff_options opts;
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	/* untracked files are not part of "dirty", as in the build's version stamp */
	if (git_diff_tree_to_workdir_with_index(&diff, repo, tree, &opts) != 0) {
		git_fail("diffing HEAD against the work tree", path);
		goto out;
	}
	struct llm_buf patch = LLM_BUF_INIT;
	if (git_diff_print(diff, GIT_DIFF_FORMAT_PATCH, diff_print_cb, &patch) != 0) {
		llm_buf_free(&patch);
		git_fail("printing the uncommitted diff", path);
		goto out;
	}
	st->dirty = git_diff_num_deltas(diff) > 0;
	if (st->dirty)
		llm_hash_hex(llm_hash64(patch.data, patch.len, 0), st->diff_hash);
	st->diff = patch.data ? patch.data : llm_strdup("");
	rc = 0;
out:
	git_diff_free(diff);
	git_tree_free(tree);
	git_object_free(head);
	git_repository_free(repo);
	if (rc != 0)
		llm_git_state_free(st);
	return rc;
}

void llm_git_state_free(struct llm_git_state *st)
{
	free(st->diff);
	free(st->workdir);
	st->diff = NULL;
	st->workdir = NULL;
}

/* -------------------------------------------------------------- commits */

/* Returns the tree id of base (may be NULL) with blob placed at path. */
static int tree_put(git_repository *repo, const git_tree *base, const char *path, const git_oid *blob,
		    git_oid *out)
{
	git_treebuilder *tb = NULL;
	if (git_treebuilder_new(&tb, repo, base) != 0)
		return -1;
	int rc = -1;
	const char *slash = strchr(path, '/');
	if (!slash) {
		rc = git_treebuilder_insert(NULL, tb, path, blob, GIT_FILEMODE_BLOB);
	} else {
		char *dir = llm_strndup(path, (size_t)(slash - path));
		git_tree *sub = NULL;
		const git_tree_entry *e = base ? git_tree_entry_byname(base, dir) : NULL;
		if (e && git_tree_entry_type(e) == GIT_OBJECT_TREE &&
		    git_tree_lookup(&sub, repo, git_tree_entry_id(e)) != 0)
			sub = NULL;
		git_oid subid;
		if (tree_put(repo, sub, slash + 1, blob, &subid) == 0)
			rc = git_treebuilder_insert(NULL, tb, dir, &subid, GIT_FILEMODE_TREE);
		git_tree_free(sub);
		free(dir);
	}
	if (rc == 0)
		rc = git_treebuilder_write(out, tb);
	git_treebuilder_free(tb);
	return rc;
}

static git_signature *signature(git_repository *repo)
{
	git_signature *sig = NULL;
	if (git_signature_default(&sig, repo) == 0)
		return sig;
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	char *email = llm_asprintf("llmake@%s", host);
	if (git_signature_now(&sig, "llmake", email) != 0)
		sig = NULL;
	free(email);
	return sig;
}

int llm_git_commit_files(const char *path, const char *ref, const struct llm_git_file *files,
			 int n, const char *message, char oid[41])
{
	git_repository *repo = open_repo(path, false);
	if (!repo)
		return -1;
	int rc = -1;
	git_signature *sig = signature(repo);
	if (!sig) {
		git_fail("making a commit signature", path);
		goto out;
	}
	char last[256] = "";
	for (int attempt = 0; attempt < 50; attempt++) {
		git_reference *r = NULL;
		git_commit *parent = NULL;
		git_tree *base = NULL, *tree = NULL;
		int e = git_reference_lookup(&r, repo, ref);
		if (e == 0) {
			if (git_commit_lookup(&parent, repo, git_reference_target(r)) != 0 ||
			    git_commit_tree(&base, parent) != 0) {
				git_fail("reading the tip of the ref", ref);
				git_reference_free(r);
				git_commit_free(parent);
				goto out;
			}
		} else if (e != GIT_ENOTFOUND) {
			git_fail("looking up the ref", ref);
			goto out;
		}
		int bad = 0;
		git_tree *cur = base;
		for (int i = 0; i < n && !bad; i++) {
			git_oid bid, nt;
			if (git_blob_create_from_buffer(&bid, repo, files[i].data, files[i].len) != 0 ||
			    tree_put(repo, cur, files[i].path, &bid, &nt) != 0) {
				bad = 1;
				break;
			}
			git_tree *next = NULL;
			if (git_tree_lookup(&next, repo, &nt) != 0) {
				bad = 1;
				break;
			}
			if (cur != base)
				git_tree_free(cur);
			cur = next;
		}
		tree = cur != base ? cur : NULL;
		git_oid cid;
		const git_commit *parents[1] = {parent};
		/* the commit first, then a compare-and-swap of the ref under its lock:
		 * git_commit_create's own update_ref checks the tip before locking */
		int ce = bad ? -1
			     : git_commit_create(&cid, repo, NULL, sig, sig, NULL, message,
						 tree ? tree : base, parent ? 1 : 0, parents);
		if (ce == 0) {
			git_reference *nr = NULL;
			ce = parent ? git_reference_create_matching(&nr, repo, ref, &cid, 1,
								    git_commit_id(parent), "llmake run")
				    : git_reference_create(&nr, repo, ref, &cid, 0, "llmake run");
			git_reference_free(nr);
		}
		git_tree_free(tree);
		git_tree_free(base);
		git_commit_free(parent);
		git_reference_free(r);
		if (bad) {
			git_fail("writing the run's files", path);
			goto out;
		}
		if (ce == 0) {
			git_oid_tostr(oid, 41, &cid);
			rc = 0;
			goto out;
		}
		/* another writer moved or holds the ref (a parallel sweep): retry on
		 * its new tip; libgit2 reports a held lock file as a plain error on
		 * some paths, so every failure is retried and the last one reported */
		const git_error *ge = git_error_last();
		snprintf(last, sizeof(last), "%s", ge && ge->message ? ge->message : "unknown error");
		struct timespec ts = {0, 10000000L * (attempt % 20 + 1)};
		nanosleep(&ts, NULL);
	}
	llm_error("'%s': committing onto the ref failed 50 times; last error: %s", ref, last);
out:
	git_signature_free(sig);
	git_repository_free(repo);
	return rc;
}

/* ---------------------------------------------------------------- reads */

static int ref_tree(git_repository *repo, const char *ref, git_tree **tree)
{
	git_object *obj = NULL;
	char *spec = llm_asprintf("%s^{tree}", ref);
	int e = git_revparse_single(&obj, repo, spec);
	free(spec);
	if (e != 0)
		return 1;
	*tree = (git_tree *)obj;
	return 0;
}

int llm_git_read(const char *path, const char *ref, const char *file, char **data, size_t *len)
{
	git_repository *repo = open_repo(path, false);
	if (!repo)
		return -1;
	git_tree *tree = NULL;
	int rc = 1;
	if (ref_tree(repo, ref, &tree) == 0) {
		git_tree_entry *e = NULL;
		if (git_tree_entry_bypath(&e, tree, file) == 0) {
			git_blob *blob = NULL;
			if (git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
			    git_blob_lookup(&blob, repo, git_tree_entry_id(e)) == 0) {
				size_t n = (size_t)git_blob_rawsize(blob);
				*data = llm_malloc(n + 1);
				memcpy(*data, git_blob_rawcontent(blob), n);
				(*data)[n] = '\0';
				if (len)
					*len = n;
				rc = 0;
				git_blob_free(blob);
			}
			git_tree_entry_free(e);
		}
		git_tree_free(tree);
	}
	git_repository_free(repo);
	return rc;
}

int llm_git_ls(const char *path, const char *ref, const char *dir, struct llm_strv *names)
{
	git_repository *repo = open_repo(path, false);
	if (!repo)
		return -1;
	git_tree *tree = NULL, *sub = NULL;
	int rc = 1;
	if (ref_tree(repo, ref, &tree) == 0) {
		git_tree_entry *e = NULL;
		if (git_tree_entry_bypath(&e, tree, dir) == 0) {
			if (git_tree_entry_type(e) == GIT_OBJECT_TREE &&
			    git_tree_lookup(&sub, repo, git_tree_entry_id(e)) == 0) {
				size_t n = git_tree_entrycount(sub);
				for (size_t i = 0; i < n; i++)
					llm_strv_push(names, git_tree_entry_name(git_tree_entry_byindex(sub, i)));
				llm_strv_sort(names);
				rc = 0;
				git_tree_free(sub);
			}
			git_tree_entry_free(e);
		}
		git_tree_free(tree);
	}
	git_repository_free(repo);
	return rc;
}
