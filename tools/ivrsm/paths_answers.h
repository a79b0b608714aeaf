/*
 * Backend answers made up from the machine itself, for `ivrsm paths` without
 * --responses: an action's outcome reads its answer (`{{resp.first_name}}`,
 * `set: { meters: "{{resp.meters}}" }`) and the states after read what the
 * outcome kept (`{{ctx.meters[1].label}}`, `path: { meter: "{{ctx.meter}}" }`).
 * An answer that holds every path so read, lists as long as the highest
 * index read, and values of the kind their format says (a date for `| date`,
 * an amount for `| money`), lets the call go on as it would with a real
 * backend: a list to choose from, an id for the next request.
 */
#ifndef IVRSM_CLI_PATHS_ANSWERS_H
#define IVRSM_CLI_PATHS_ANSWERS_H

#include <jansson.h>
#include <stdint.h>

/*
 * The body of an answer to the action of state `state` taken by the outcome
 * block `outcome` (the state's "on_success", "on_fail", or a key of its
 * on_status such as "422"), as the machine reads it: every `resp.PATH` the
 * block's templates and conditions read, and, for a `set` value that is
 * exactly "{{resp.PATH}}" into KEY, every `ctx.KEY...` the document reads
 * (PATH's fields and indices). A new value (an object, or a list when the
 * block reads resp[0]), the empty object when the block reads nothing of the
 * answer; NULL when memory runs out. `now_ms` dates the
 * dates it makes up (days after it).
 */
json_t *pa_answer_body(const json_t *doc, const char *state, const char *outcome, int64_t now_ms);

/*
 * The answers of pa_answer_body() for every action of the document, in the
 * format of `ivrsm sim --responses`: endpoint name (or "METHOD /path" for a
 * call written with a path that has no parameter) → {"status": 200, "body":
 * ...}, the bodies of the states that call one endpoint merged. A call whose
 * path has parameters and names no endpoint gets none. A new object, NULL
 * when memory runs out.
 */
json_t *pa_made_up_responses(const json_t *doc, int64_t now_ms);

/* The outcome block of the state's action by its name (see pa_answer_body()), or NULL. */
const json_t *pa_outcome_block(const json_t *doc, const char *state, const char *outcome);

#endif
