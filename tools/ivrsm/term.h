/*
 * Terminal output of the call commands (sim, test, replay): colours, and the
 * readable one-line-per-thing rendering of commands and caller lines
 * ("IVR  › Bonjour…", "ASK  [dtmf 1 digit | speech] · menu", "HTTP PUT /x → 200").
 */
#ifndef IVRSM_CLI_TERM_H
#define IVRSM_CLI_TERM_H

#include <jansson.h>
#include <stdbool.h>
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
 * Render one command record (the JSON form of a command with its result, as
 * built by the driver: "type", "text", "method", "path", "status"...) as
 * readable lines, each ending with '\n' and starting with `indent`.
 * Returns a new string (free()), or NULL when out of memory.
 */
char *term_render_command(const json_t *record, const char *indent, bool color);

/* Render a caller line ("dtmf 1") the same way: "YOU  dtmf 1". New string or NULL. */
char *term_render_input(const char *line, const char *indent, bool color);

#endif
