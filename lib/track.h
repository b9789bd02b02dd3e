/*
 * track.h: run records: what a finished experiment run was (config, stage
 * keys, code state, metrics final and as curves, wall time, host), built
 * from its plan and the stages' outputs, and stored as commits on
 * refs/llmake/runs (see git.h) so that plain git can read them:
 *   git log refs/llmake/runs
 *   git show refs/llmake/runs:runs/ID/run.json
 * Tree layout of the ref: runs/ID/run.json (the record without curves),
 * runs/ID/curves.json ({"stage": {"series": [[step, value], ...]}}),
 * runs/ID/config.json (the resolved spec), runs/ID/uncommitted.diff (when
 * the code was dirty).  "timing" lists the metrics that measure speed
 * (tokens/s, MFU), which a reproduction does not expect to match.
 */
#ifndef LLM_TRACK_H
#define LLM_TRACK_H

#include <cjson/cJSON.h>

#define LLM_TRACK_REF "refs/llmake/runs"

/* Reads a metrics JSON-lines file (one object per line, "step" the x
 * axis, else the line number) into {"series": [[x, y], ...]} for every
 * numeric field.  NULL (printed) when unreadable. */
cJSON *llm_track_read_curves(const char *path);
/* Flattens the numeric leaves of a JSON file (of its object key, when key
 * is not NULL) into {"prefix.a.b": v}; an object {"value", "stderr", ...}
 * becomes "prefix.a" and "prefix.a_stderr". */
int llm_track_read_final(const char *path, const char *key, const char *prefix, cJSON *metrics);
/* Builds the record of a finished run from its plan.  NULL (printed) when
 * a stage is not done. */
cJSON *llm_track_record(const cJSON *plan);
/* Commits the record onto LLM_TRACK_REF in the repository at repo_path;
 * stores the commit id as "commit" in record.  0 or -1. */
int llm_track_commit(const char *repo_path, cJSON *record);
/* Loads run ID (a unique prefix is enough) from the ref, with its curves
 * under "curves".  NULL (printed) when unknown or ambiguous. */
cJSON *llm_track_load(const char *repo_path, const char *id);
/* Every run on the ref (records without curves), oldest first. */
cJSON *llm_track_list(const char *repo_path);
/* Formats a metric value the same way everywhere (%.6g, or %.17g exact). */
void llm_track_fmt(double v, char *out, int exact);

#endif
