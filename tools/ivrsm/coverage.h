/*
 * Coverage of a machine by test scenarios (`ivrsm test --coverage`): which
 * states were visited and which of the machine's static transitions were
 * exercised, counted from the sessions' trace records.
 *
 * The transitions are the machine's own list (ivrsm_machine_transition()),
 * the one `ivrsm graph` draws and the validator walks. Escalations (bounds
 * reached, handoff disabled or failed) are decided at run time and are
 * listed apart when seen.
 */
#ifndef IVRSM_CLI_COVERAGE_H
#define IVRSM_CLI_COVERAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ivrsm/ivrsm.h"

/* One transition of the machine (ivrsm_machine_transition()), routes told apart by label. */
typedef struct cov_edge {
    size_t from;
    size_t to;
    ivrsm_transition_kind kind;
    const char *label; /* a route: the intent name or the when_text phrase; else NULL */
    size_t label_len;
} cov_edge;

/*
 * The machine's transitions without duplicates (two routes of one intent to
 * one state are one edge: a trace cannot tell them apart), in state order.
 * Returns 0 with a malloc'd array (free()) and its length, or -1 when out of memory.
 */
int cov_static_edges(const ivrsm_machine *m, cov_edge **out, size_t *count);

/*
 * What a transition record's reason means: "dtmf:yes" and "intent:yes" are
 * the route of intent yes (via dtmf / via speech or intent), "text:partager"
 * the when_text route, "success", "fail", "noinput", "nomatch", "fallback",
 * "retry", "next" and "collected" (NEXT) the others (a "success" or "fail"
 * that went on to the state's next counts as that NEXT transition when the
 * machine lists no outcome transition to it). Returns 0 and fills
 * kind, the label (for routes, pointing into reason) and via ("dtmf",
 * "intent", "text" or NULL); -1 for a reason that is no static transition
 * ("start", "escalation:...", "handoff failed"...).
 */
int cov_reason_parse(const char *reason, ivrsm_transition_kind *kind, const char **label,
                     size_t *label_len, const char **via);

/*
 * The index in `edges` of the transition from state `from` to state `to`
 * of this kind and label, an outcome that went on to the state's next
 * counting as that NEXT transition; -1 when there is none.
 */
int cov_edge_find(const cov_edge *edges, size_t count, size_t from, size_t to,
                  ivrsm_transition_kind kind, const char *label, size_t label_len);

/*
 * The index in `edges` of the transition a trace record took (its from, to
 * and reason, see cov_reason_parse()), with *via as there; -1 for a record
 * that is no static transition (an escalation, the start).
 */
int cov_edge_of_record(const ivrsm_machine *m, const cov_edge *edges, size_t count,
                       const char *from, const char *to, const char *reason, const char **via);

typedef struct cov_tally cov_tally;

/* A tally for the machine loaded from `path` (the name is kept for the report). */
cov_tally *cov_tally_new(ivrsm_machine *m, const char *path);

/* Count one trace record (JSON text) of a session on this machine. Others are ignored. */
void cov_tally_record(cov_tally *t, const char *record);

/* Count one finished scenario run. */
void cov_tally_scenario(cov_tally *t);

/*
 * Print the report: states visited and transitions exercised as counts and
 * percentages, the transitions exercised (with how), the run-time
 * escalations seen, the states never visited and, when `all`, the
 * transitions never exercised.
 */
void cov_tally_print(const cov_tally *t, FILE *out, bool all, bool color);

/*
 * The tally as JSON (`ivrsm test --coverage --json`, read by `ivrsm view`):
 * {"machine": path, "name", "version", "scenarios": N,
 *  "summary": {"states", "states_visited", "transitions", "transitions_exercised"},
 *  "states": [{"name", "type", "visits"}] in machine order,
 *  "transitions": [{"from", "to", "kind", "label"?, "hits", "via": ["dtmf"|"intent"|"text"]}]
 *  in the order of the machine's list, "runtime": [{"from", "to", "reason", "hits"}]}.
 * A new reference, or NULL when out of memory.
 */
json_t *cov_tally_json(const cov_tally *t);

/* The machine of a tally (not a new reference) and its path. */
ivrsm_machine *cov_tally_machine(const cov_tally *t);
const char *cov_tally_path(const cov_tally *t);

void cov_tally_free(cov_tally *t);

#endif
