/* report.h: the HTML report of a sweep (loss curves as SVG, eval table with
 * standard errors, config differences). */
#ifndef LLM_EXP_REPORT_H
#define LLM_EXP_REPORT_H

#include "exp.h"

/* Writes the report of sweep NAME to path (NULL = OUT/reports/NAME.html)
 * from the run records of its variants.  Returns 0 or 1 (printed). */
int exp_report(const struct exp_env *env, const char *sweep, const char *path);

#endif
