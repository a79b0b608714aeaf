/*
 * Scenario files from an exploration (`ivrsm paths`): the fewest shortest
 * calls that together take every transition found, each checked by running
 * it as `ivrsm test` would, written in the scenario format; and the
 * transitions no call took, with the reason.
 */
#ifndef IVRSM_CLI_PATHS_WRITE_H
#define IVRSM_CLI_PATHS_WRITE_H

#include <stdio.h>

#include "paths_explore.h"

typedef struct pw_options {
    const px_options *explore;
    const char *machine_path; /* as given; scenarios name it relative to dir */
    const char *dir;          /* where the scenarios go (created when missing) */
    size_t budget;            /* the search's budget, for the report */
} pw_options;

/*
 * Write the scenarios of `r` into o->dir (removing scenarios generated
 * before that this run does not write again), dir/unreachable.txt when some
 * transitions are unreachable, and a report on `out`. Returns 0, or -1
 * with a message in err (an I/O error, a call that does not replay).
 */
int pw_write(const pw_options *o, const px_result *r, FILE *out, char *err, size_t errlen);

#endif
