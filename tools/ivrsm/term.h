/*
 * Terminal output of the call commands (sim, test, replay): colours, and the
 * readable one-line-per-thing rendering of commands and caller lines
 * ("IVR  › Bonjour…", "ASK  [dtmf 1 digit | speech] · menu", "HTTP PUT /x → 200").
 */
#ifndef IVRSM_CLI_TERM_H
#define IVRSM_CLI_TERM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum term_color {
    TERM_RESET = 0,
    TERM_BOLD,
    TERM_DIM,
    TERM_RED,
    TERM_GREEN,
    TERM_YELLOW,
    TERM_BLUE,
    TERM_MAGENTA,
    TERM_CYAN
} term_color;

/*
 * Whether output to `f` should be coloured: it is a terminal, NO_COLOR is
 * unset or empty (https://no-color.org) and TERM is not "dumb".
 */
bool term_wants_color(FILE *f);

/* The escape sequence of `c`, or "" when `on` is false. Static storage. */
const char *term_sgr(bool on, term_color c);

/*
 * Write `s` (NULL: nothing) for a person to read on a terminal: the texts
 * shown come from the machine, the backend and the caller, and none of them
 * may drive the terminal. Control characters (C0, DEL, C1 such as U+009B, the
 * 8-bit CSI), the bidirectional overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069) and bytes that are no UTF-8 are written as escapes: "\u001b",
 * "\n", "\u009b", "\u202e", "\xff". Inside a JSON text (whose C0 controls
 * are escaped already) this keeps it JSON.
 */
void term_put(FILE *out, const char *s);

/* term_put(), its line breaks kept: a text of several lines (a JSON value indented). */
void term_put_lines(FILE *out, const char *s);

/*
 * Whether the character at `s` is one term_put() escapes (a control character
 * or a bidirectional one; `s` must not be at its end): its length in bytes,
 * with its code point in *cp; 0 for any other, and for bytes that are no UTF-8.
 * For outputs with escapes of their own (DOT, Mermaid).
 */
size_t term_acting_at(const char *s, uint32_t *cp);

/* term_put() into a new string (free()), or NULL when out of memory. */
char *term_clean(const char *s);

/*
 * Render one command record (the JSON form of a command with its result, as
 * built by the driver: "type", "text", "method", "path", "status"...) as
 * readable lines, each ending with '\n' and starting with `indent`.
 * Returns a new string (free()), or NULL when out of memory.
 */
char *term_render_command(const json_t *record, const char *indent, bool color);

/* Render a caller line ("dtmf 1") the same way: "YOU  dtmf 1". New string or NULL. */
char *term_render_input(const char *line, const char *indent, bool color);

#endif
