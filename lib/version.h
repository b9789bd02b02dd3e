/* version.h: the version, git SHA and dirty flag stamped in at build time. */
#ifndef LLM_VERSION_H
#define LLM_VERSION_H

extern const char llm_version[];
extern const char llm_git_sha[];
extern const int llm_git_dirty;

/* "0.1.0 (git 0123456789ab, dirty)" */
const char *llm_version_string(void);

#endif
