/*
 * Shared by the validator's files: validate.c (entry point and per-state
 * rules) and validate_graph.c (transitions, input-free cycles, reachability).
 */
#ifndef IVRSM_VALIDATE_H
#define IVRSM_VALIDATE_H

#include "compile.h"
#include "graph.h"

typedef struct vctx {
    const struct ivrsm_machine *m;
    const compile_info *info;
    ivrsm_diagnostics *diag;
    char path[1024];
    size_t guesses_left; /* "did you mean" guesses among many keys, bounded per check */
    bool sets_unknown;   /* a state has an error of its own: the ctx keys set are not all known */
} vctx;

/* Length of "{ctx.a.b}" at t (single braces around a ctx, resp or globals path), or 0. */
size_t ivrsm_v_single_brace_ref(const char *t);
/* Values stored or sent as written that name the call's data: a path without its braces,
 * single braces (validate_values.c). */
void ivrsm_v_check_literal_values(vctx *v);

/* The map of state i in the document, or NULL when it is not a map. */
const dom_node *ivrsm_v_state_node(const vctx *v, size_t i);
/* "states.NAME" or "states.NAME.SUFFIX", written into v->path. */
const char *ivrsm_v_state_path(vctx *v, size_t i, const char *suffix);
/* Record a diagnostic (errors count as IVRSM_EMACHINE). */
void ivrsm_v_report(vctx *v, ivrsm_severity sev, int line, int column, const char *path,
                    const char *rule, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
#define WARN(v, line, column, path, rule, ...)                                                     \
    ivrsm_v_report(v, IVRSM_SEVERITY_WARNING, line, column, path, rule, __VA_ARGS__)
/* The value under n.a (or n.a.b when b is not NULL), or NULL. */
const dom_node *ivrsm_v_dig(const dom_node *n, const char *a, const char *b);
/* Does globals hold `path` ("a.b[0].c")? A key too long to look up counts as held. */
bool ivrsm_v_globals_has(const json_t *g, const char *path);
/* Whether field[0..len) names a field of now: date, time, hour, minute, weekday, open
 * (open exists only with globals.hours: the callers say so in their own words). */
bool ivrsm_v_now_field(const char *field, size_t len);
/* Where edge e of state i is written (its `next` node), with the path below the state in sub. */
const dom_node *ivrsm_v_edge_node(const vctx *v, size_t i, const ivrsm_transition *e, char *sub,
                                  size_t cap);

/* input-free-cycle (error). */
void ivrsm_v_check_cycles(vctx *v);
/* condition-never-true, unknown-path (errors), if-never-true (warning, when `warnings`). */
void ivrsm_v_check_conditions(vctx *v, bool warnings);
/* unreachable-state (warning). */
void ivrsm_v_check_reachable(vctx *v);
/* language-missing (warning, validate_language.c). */
void ivrsm_v_check_languages(vctx *v);

#endif
