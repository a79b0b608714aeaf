/*
 * YAML documents read with libfyaml, for the files the tool reads itself:
 * scenarios (scenario.c) and machines as written, with the line of every
 * node (`ivrsm view`, `ivrsm paths`). Scalars are typed by the YAML 1.2 core
 * schema (`yes` is a string), as the library reads machines.
 */
#ifndef IVRSM_CLI_YAMLDOC_H
#define IVRSM_CLI_YAMLDOC_H

#include <jansson.h>
#include <libfyaml.h>
#include <stdbool.h>
#include <stddef.h>

/* 1-based line and column of a node: a scalar's own, else its first scalar's; 0 unknown. */
void yamldoc_node_pos(struct fy_node *n, int *line, int *column);

/* A plain scalar's text as a JSON number (integer, 0x/0o, real), or NULL when it is not one. */
json_t *yamldoc_plain_number(const char *text);

/* Whether a plain scalar is one of `words` (NULL-terminated). */
bool yamldoc_plain_is(struct fy_node *n, const char *const *words);
extern const char *const yamldoc_null_words[];
extern const char *const yamldoc_true_words[];
extern const char *const yamldoc_false_words[];

/*
 * Parse a document (YAML 1.2; JSON is read as the YAML it is), aliases and
 * merge keys resolved. On failure NULL with "PATH:LINE:COL: invalid YAML: …"
 * in err. *diagp receives libfyaml's diagnostic object, to be destroyed with
 * fy_diag_destroy() after the document (even on failure, when set).
 */
struct fy_document *yamldoc_parse(const char *path, const char *data, size_t len, char *err,
                                  size_t errlen, struct fy_diag **diagp);

/*
 * Read the file at `path` (at most max_bytes) as a JSON value, and the line
 * of every node in *lines: an object mapping JSON pointers ("/states/menu",
 * "/states/menu/routes/0") to 1-based lines ("" is the root). Returns the
 * value (new reference) or NULL with a message in err.
 */
json_t *yamldoc_load_lines(const char *path, size_t max_bytes, json_t **lines, char *err,
                           size_t errlen);

#endif
