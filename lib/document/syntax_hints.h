/*
 * Hints for the usual syntax mistakes, added to the parsers' own messages:
 * a YAML line indented wrongly (libfyaml says "invalid multiline plain key"
 * or "wrongly indented sequence item") and a comment in JSON (jansson says
 * "string or '}' expected near '/'").
 */
#ifndef IVRSM_SYNTAX_HINTS_H
#define IVRSM_SYNTAX_HINTS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * For a libfyaml error `message` at `line` of data[0..len): when it is one
 * that a wrong indentation causes, writes into out (cap bytes) a hint that
 * names the lines and their indentation, and returns true. Else false.
 */
bool ivrsm_yaml_indent_hint(const char *data, size_t len, int line, const char *message, char *out,
                            size_t cap);

/*
 * For a libfyaml error `message` at `line` of data[0..len) that a text's own
 * characters cause (a quote inside a quoted text, ': ' inside a plain one:
 * `prompt: Hours: 9 to 5.`), writes into out (cap bytes) how to write the
 * text, and returns true. Else false. Tried before ivrsm_yaml_indent_hint().
 */
bool ivrsm_yaml_text_hint(const char *data, size_t len, int line, const char *message, char *out,
                          size_t cap);

/*
 * Whether the JSON text has a comment ("//", "/ *" or "#" outside strings)
 * at byte `offset` or starting on the same line before it: then *comment_line
 * and *comment_column (1-based, in characters) say where it starts.
 */
bool ivrsm_json_comment_at(const char *data, size_t len, size_t offset, int *comment_line,
                           int *comment_column);

#endif
