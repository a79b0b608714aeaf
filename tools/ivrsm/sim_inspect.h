/*
 * The lines of `ivrsm sim` that look at the call instead of speaking in it:
 * ":ctx" (the call's context, secrets masked), ":state" (the state, what the
 * session waits for, its counters and the last states) and ":help".
 */
#ifndef IVRSM_CLI_SIM_INSPECT_H
#define IVRSM_CLI_SIM_INSPECT_H

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"

/* The commands, for help texts: ":ctx | :state | :help". */
extern const char sim_inspect_syntax[];

/*
 * When `line` (blanks around it ignored) is an inspection command, run it on
 * the driver's session, printing to stdout: readable (with colours when
 * `color`) or as one JSON object ("type": "ctx" or "state") when `json`.
 * Returns 1 when it was one, 0 when the line is a caller line, -1 for an
 * unknown ":word" with a one-line reason in err.
 */
int sim_inspect(const char *line, drv *d, const ivrsm_machine *m, bool json, bool color, char *err,
                size_t errlen);

#endif
