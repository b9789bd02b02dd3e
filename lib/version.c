/*
 * version.c: formats the build stamp (the values come from the generated
 * build/<mode>/gen/version.c).
 */
#include "version.h"

#include <stdio.h>

const char *llm_version_string(void)
{
	static char buf[96];
	if (!buf[0])
		snprintf(buf, sizeof(buf), "%s (git %s%s)", llm_version, llm_git_sha,
			 llm_git_dirty ? ", dirty" : "");
	return buf;
}
