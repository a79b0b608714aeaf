/*
 * A machine document as written, with the line of every node (`ivrsm view`,
 * `ivrsm paths`), read by the library's document reader (ivrsm_document_*):
 * the same YAML 1.2 core schema, bounds and errors as machines and scenarios.
 */
#ifndef IVRSM_CLI_YAMLDOC_H
#define IVRSM_CLI_YAMLDOC_H

#include <jansson.h>
#include <stddef.h>

#include "ivrsm/ivrsm.h"

/*
 * Read the document at `path` with the library's reader (ivrsm_document_*).
 * NULL with "PATH:LINE:COL: message" (or "PATH: message") in err.
 */
ivrsm_document *yamldoc_load(const char *path, char *err, size_t errlen);

/*
 * Read the file at `path` (at most max_bytes, and within the library's
 * bounds) as a JSON value, and the line of every node in *lines: an object
 * mapping JSON pointers ("/states/menu", "/states/menu/routes/0") to 1-based
 * lines ("" is the root). Returns the value (new reference) or NULL with
 * "PATH:LINE:COL: message" (or "PATH: message") in err.
 */
json_t *yamldoc_load_lines(const char *path, size_t max_bytes, json_t **lines, char *err,
                           size_t errlen);

#endif
