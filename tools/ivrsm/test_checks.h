/*
 * The expectations of `ivrsm test` scenarios (expect: steps), checked
 * against what a call did since the caller's last input.
 */
#ifndef IVRSM_CLI_TEST_CHECKS_H
#define IVRSM_CLI_TEST_CHECKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "scenario.h"

/* What the call looks like when an expect: step runs. */
typedef struct check_view {
    const json_t *records; /* full command records (drv_report.full) since the last caller input */
    const json_t *recent;  /* the last few shown records (drv_report.shown), for diffs */
    const char *state;     /* current state, or NULL */
    const json_t *ctx;     /* the session's ctx */
    const char *end_kind;  /* "hangup", "handoff", or NULL while the call goes on */
} check_view;

/*
 * Check every field of `e`, printing one "  ✓ expect ..." or "  ✗ expect ..."
 * line per check to `out`, each failure followed by what was expected, what
 * happened and the last commands. `where` ("file:line") is printed with
 * failures. Adds the number of checks to *total and returns the number that
 * failed.
 */
int checks_run(FILE *out, const scn_expect *e, const check_view *v, const char *where, bool color,
               int *total);

/*
 * Decode a URL query ("a=1&b=x%20y") into a JSON object of strings (a key
 * given twice keeps its last value). New reference; an empty object for NULL.
 */
json_t *checks_query_decode(const char *query);

#endif
