/*
 * llmake: the dispatcher.  `llmake filter ARGS` runs llmake-filter ARGS from
 * the directory of this binary (then from PATH), like git runs its commands.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "files.h"
#include "util.h"
#include "version.h"

static char *self_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return llm_strdup(".");
	buf[n] = '\0';
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = '\0';
	return llm_strdup(buf);
}

static void list_commands(const char *dir, struct llm_strv *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "llmake-", 7) == 0 && !strchr(e->d_name, '.'))
			llm_strv_push(out, e->d_name + 7);
	closedir(d);
	llm_strv_sort(out);
}

static int usage(const char *dir, FILE *fp, int rc)
{
	struct llm_strv cmds = {0};
	list_commands(dir, &cmds);
	fprintf(fp, "usage: llmake COMMAND [ARGS...]\n\n"
		    "Runs llmake-COMMAND; 'llmake COMMAND --help' describes one.\n\ncommands:\n");
	for (int i = 0; i < cmds.n; i++)
		fprintf(fp, "  %s\n", cmds.v[i]);
	llm_strv_free(&cmds);
	return rc;
}

static int dispatch(const char *dir, int argc, char **argv);

int main(int argc, char **argv)
{
	char *dir = self_dir();
	int rc = dispatch(dir, argc, argv);
	free(dir);
	return rc;
}

static int dispatch(const char *dir, int argc, char **argv)
{
	if (argc < 2)
		return usage(dir, stderr, 2);
	const char *cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		if (argc > 2 && strcmp(cmd, "help") == 0) {
			cmd = argv[2];
			char *prog = llm_asprintf("%s/llmake-%s", dir, cmd);
			char *args[] = {prog, "--help", NULL};
			execv(prog, args);
			free(prog);
			return usage(dir, stderr, 2);
		}
		return usage(dir, stdout, 0);
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("llmake %s\n", llm_version_string());
		return 0;
	}
	if (cmd[0] == '-' || strchr(cmd, '/')) {
		fprintf(stderr, "usage error: unknown option '%s'\n", cmd);
		return usage(dir, stderr, 2);
	}
	char *prog = llm_asprintf("%s/llmake-%s", dir, cmd);
	argv[1] = prog;
	execv(prog, argv + 1);
	char *name = llm_asprintf("llmake-%s", cmd);
	argv[1] = name;
	execvp(name, argv + 1);
	struct llm_strv cmds = {0};
	list_commands(dir, &cmds);
	const char **names = llm_calloc((size_t)cmds.n + 1, sizeof(*names));
	for (int i = 0; i < cmds.n; i++)
		names[i] = cmds.v[i];
	const char *hint = llm_did_you_mean(cmd, names);
	fprintf(stderr, "usage error: '%s' is not an llmake command%s%s%s\nhint: see 'llmake help'\n", cmd,
		hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
	free(names);
	llm_strv_free(&cmds);
	free(prog);
	free(name);
	return 2;
}
