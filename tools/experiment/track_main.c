/*
 * track_main.c: llmake-track, records a finished experiment run.
 *
 *   llmake-track --plan OUT/plans/EXP.json -o OUT/runs/EXP/RUNKEY.json
 *
 * Builds the run record (run id, experiment, resolved config, stage keys,
 * code SHA + dirty flag + hash of the uncommitted diff, metrics final and as
 * curves, wall time, host) from the plan and the stage outputs, commits it
 * onto refs/llmake/runs of the project's git repository (the user's branch,
 * index and work tree are never touched), and writes it to -o.  Outside a
 * git repository, or with --no-git / LLMAKE_TRACK_GIT=0, only -o is written.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "config.h"
#include "git.h"
#include "log.h"
#include "track.h"
#include "util.h"
#include "version.h"

static const char usage[] =
	"usage: llmake-track --plan PLAN -o RECORD [--repo DIR] [--no-git]\n"
	"Records a finished run: writes RECORD and commits it onto refs/llmake/runs.\n"
	"  --plan FILE   the experiment's plan (OUT/plans/EXP.json)\n"
	"  -o FILE       where to write the run record (JSON)\n"
	"  --repo DIR    the git repository (default: the plan's project root)\n"
	"  --no-git      do not commit (also LLMAKE_TRACK_GIT=0)\n"
	"  -q            only errors\n";

int main(int argc, char **argv)
{
	const char *plan_path = NULL, *out = NULL, *repo = NULL;
	bool git = true, quiet = false;
	const char *e = getenv("LLMAKE_TRACK_GIT");
	if (e && strcmp(e, "0") == 0)
		git = false;
	enum { O_PLAN = 1000, O_REPO, O_NOGIT, O_VERSION };
	static const struct option longopts[] = {
		{"plan", required_argument, NULL, O_PLAN}, {"output", required_argument, NULL, 'o'},
		{"repo", required_argument, NULL, O_REPO}, {"no-git", no_argument, NULL, O_NOGIT},
		{"quiet", no_argument, NULL, 'q'},         {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, O_VERSION}, {NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (c) {
		case O_PLAN: plan_path = optarg; break;
		case 'o': out = optarg; break;
		case O_REPO: repo = optarg; break;
		case O_NOGIT: git = false; break;
		case 'q': quiet = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case O_VERSION: printf("llmake-track %s\n", llm_version_string()); return 0;
		default: fputs("(see llmake-track --help)\n", stderr); return 2;
		}
	}
	if (!plan_path || !out || optind != argc) {
		fputs("usage error: llmake-track needs --plan PLAN and -o RECORD and no other arguments "
		      "(see llmake-track --help)\n", stderr);
		return 2;
	}
	if (quiet)
		llm_log_set_level(LLM_LOG_ERROR);
	cJSON *plan = llm_json_read_file(plan_path);
	if (!plan)
		return 1;
	cJSON *rec = llm_track_record(plan);
	int rc = 1;
	if (!rec)
		goto out;
	const cJSON *root = cJSON_GetObjectItemCaseSensitive(plan, "root");
	if (!repo)
		repo = cJSON_IsString(root) ? root->valuestring : ".";
	char *top = git ? llm_git_toplevel(repo) : NULL;
	if (git && !top)
		llm_warn("'%s' is not in a git repository: run %s recorded in '%s' only", repo,
			 cJSON_GetObjectItemCaseSensitive(rec, "run_id")->valuestring, out);
	if (top && llm_track_commit(top, rec) != 0) {
		free(top);
		goto out;
	}
	free(top);
	char *text = cJSON_Print(rec);
	size_t n = strlen(text);
	text = llm_realloc(text, n + 2);
	text[n] = '\n';
	text[n + 1] = '\0';
	if (llm_atomic_write_file(out, text, n + 1) == 0) {
		const cJSON *commit = cJSON_GetObjectItemCaseSensitive(rec, "commit");
		if (!quiet)
			fprintf(stderr, "llmake: run %s recorded%s%s%s\n",
				cJSON_GetObjectItemCaseSensitive(rec, "run_id")->valuestring,
				cJSON_IsString(commit) ? " as commit " : "",
				cJSON_IsString(commit) ? commit->valuestring : "",
				cJSON_IsString(commit) ? " on " LLM_TRACK_REF : "");
		rc = 0;
	}
	free(text);
out:
	cJSON_Delete(rec);
	cJSON_Delete(plan);
	return rc;
}
