/*
 * The data a call starts with, for `ivrsm paths`: routes on conditions
 * (`when: ctx.balance < 0`) are taken only when the ctx holds the right
 * values, and many such values come from the host (the caller's number, an
 * account looked up before the call). The conditions of the machine are read
 * for the ctx values they compare, and each becomes an initial ctx that a
 * generated call may start with (the `ctx:` of its scenario).
 */
#ifndef IVRSM_CLI_PATHS_DATA_H
#define IVRSM_CLI_PATHS_DATA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ivrsm/ivrsm.h"

/*
 * The initial ctx values worth trying, read from the `when:` of every route
 * of the document (as written): a list of JSON objects, the empty one first,
 * then one per value that makes a comparison true or false — `ctx.x == V`:
 * x = V; `ctx.x < N` (and <=, >, >=): x = N-1, N, N+1; `ctx.x` alone or
 * `!ctx.x`: x = true; `ctx.x > ctx.y`: x and y 0 or 1. A compared value may be a literal or
 * `globals.PATH`. Dotted paths set nested objects; indexed ones are left out. A new reference,
 * never NULL unless memory runs out.
 */
json_t *pd_initial_ctxs(const json_t *doc);

/*
 * The comparisons the conditions of the document make on ctx values, each
 * [path, op, value] (`ctx.survey.nps <= 6`: ["survey.nps", "<=", 6]; value
 * null and op "" for `ctx.x` alone; [path, op, null, other] for a comparison
 * of two ctx values, `ctx.amount > ctx.ceiling`). A new reference, never
 * NULL unless memory runs out.
 */
json_t *pd_condition_atoms(const json_t *doc);

/*
 * How a ctx falls on each atom: one character per atom, 'm' the path is
 * missing or null, 't' / 'f' truthy or not (an atom alone), '<' '=' '>' a
 * number (or a string that writes one) against the atom's number, '=' '!'
 * any other value equal to the atom's or not. Two situations whose ctx has
 * the same class take the same routes on data. A new string (free()), NULL
 * when memory runs out.
 */
char *pd_condition_class(const json_t *atoms, const json_t *ctx);

/*
 * More clocks to start calls at, when the machine reads now.* (none
 * otherwise): twelve hours on, each other day of the week, and each of
 * globals.hours.closed_dates, at the time of day of now_ms; then, on the
 * machine's own clock (m's timezone), a time inside each range of
 * globals.hours.open and times just outside it, on the first day from today
 * that the range's days name, and times on either side of each `now.hour`
 * and `now.time` comparison of the document, today. Writes at most cap (at
 * least 7) distinct clocks into out; returns how many.
 */
size_t pd_clocks(const json_t *doc, const ivrsm_machine *m, int64_t now_ms, int64_t *out,
                 size_t cap);

/* v as a value of an input's type: a condition's candidate (true, 3) for a string input is
 * "x", "3"; for a number, 1 or the number... New reference. */
json_t *pd_as_type(const char *type, const json_t *v);
/* A plain value of an input's type ("string" → "", "number" → 0...), for a required input. */
json_t *pd_plain_value(const char *type);

/* {a: {b: value}} for the dotted path "a.b", taking value over; NULL (value dropped) for an
 * empty path or one with an index. */
json_t *pd_object_at(const char *path, json_t *value);
/* Remove the value at dotted `path` ("a.b") of a JSON object, when there is one. */
void pd_delete_at(json_t *o, const char *path);
/* Append v (taken over) to the JSON array list, unless an equal value is in it already. */
void pd_append_unique(json_t *list, json_t *v);
/* The value at dotted `path` ("a.b") of a JSON object, or NULL. Not a new reference. */
const json_t *pd_value_at(const json_t *o, const char *path);

#endif
