/*
 * The data of the page that `ivrsm view` writes: the machine's states and
 * transitions (its one list, ivrsm_machine_transition()), the document as
 * written with the line of every node, the traces to replay and the
 * coverage to colour. The page's script reads it (format: view_data.c).
 */
#ifndef IVRSM_CLI_VIEW_DATA_H
#define IVRSM_CLI_VIEW_DATA_H

#include <jansson.h>
#include <stddef.h>

#include "ivrsm/ivrsm.h"

/* Bounds on the files read: a trace or a coverage file larger than this is refused. */
#define VIEW_MAX_FILE_BYTES (64u * 1024u * 1024u)

/*
 * Build the data. `traces` are JSON-lines trace files (every record is
 * redacted again with the machine's rules before it goes into the page);
 * `coverage` (may be NULL) the output of `ivrsm test --coverage --json`,
 * whose entry for this machine is used. Returns a new object, or NULL with
 * "FILE:LINE: message" in err.
 */
json_t *view_data_build(const ivrsm_machine *m, const char *machine_path, const char *const *traces,
                        size_t trace_count, const char *coverage, char *err, size_t errlen);

#endif
