/*
 * The exploration behind `ivrsm paths`: calls of a machine searched
 * breadth first, from the start, over every caller input and backend answer
 * that can make a difference, until every transition of the machine (its
 * own list, as `ivrsm test --coverage` counts them) has been taken or the
 * search has run out of new situations.
 *
 * A situation is a session waiting for something (the caller, an http
 * answer, a handoff answer), saved with ivrsm_session_snapshot(); two
 * situations with the same state, counters, ctx and last response are the
 * same, so the search ends on any machine. Being breadth first, the first
 * call found to take a transition is one of the shortest.
 */
#ifndef IVRSM_CLI_PATHS_EXPLORE_H
#define IVRSM_CLI_PATHS_EXPLORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coverage.h"
#include "driver.h"
#include "ivrsm/ivrsm.h"

/* What a step of a call is: the caller's input, an http answer, a handoff answer. */
typedef enum px_step_kind { PX_START = 0, PX_INPUT, PX_HTTP, PX_HANDOFF } px_step_kind;

/* One situation reached, and the step that reached it from its parent. */
typedef struct px_node {
    size_t parent; /* SIZE_MAX for the start */
    px_step_kind kind;
    drv_input input; /* PX_INPUT */
    char *http_key;  /* PX_HTTP: the responses key (endpoint, or "METHOD /path") */
    json_t *answer;  /* PX_HTTP: {"status", "body"} or {"error"} as a scenario writes it */
    int handoff_ok;  /* PX_HANDOFF */
    json_t *ctx;     /* PX_START: the initial ctx of the call (an object, maybe empty) */
    int64_t now_ms;  /* the clock of the call (its start's) */
    size_t inputs;   /* caller inputs from the start to here */
    size_t *edges;   /* transitions taken by this step (indices in the edge list) */
    size_t edge_count;
    char *snapshot; /* the session, waiting; NULL once the call has ended */
} px_node;

typedef struct px_options {
    ivrsm_machine *machine;
    const json_t *doc; /* the machine document as written (intents' keys and words) */
    const json_t
        *responses;      /* answers to offer per endpoint, the format of sim --responses; or NULL */
    const char *backend; /* a live backend asked for answers instead, or NULL */
    const json_t *initial_ctxs; /* the ctx values calls may start with (paths_data.h); NULL: {} */
    int64_t now_ms;             /* the clock of the calls */
    const int64_t *clocks;      /* more clocks to start calls at (a machine that reads now) */
    size_t clock_count;
    const char *call_id;
    size_t max_nodes;  /* situations explored at most */
    size_t max_inputs; /* caller inputs in one call at most */
} px_options;

typedef struct px_result {
    cov_edge *edges; /* the machine's transitions (cov_static_edges()) */
    size_t edge_count;
    size_t *first; /* per edge: the node whose step first took it, SIZE_MAX when none */
    px_node *nodes;
    size_t node_count;
    bool *state_reached; /* per state: a call entered it */
    bool exhausted;      /* the search ran out of new situations (else: the budget) */
    char **why_not;      /* per edge: what was tried from its state, when it was reached */
} px_result;

/* Explore. 0, or -1 with a message in err (the backend cannot be used, out of memory). */
int px_explore(const px_options *o, px_result *r, char *err, size_t errlen);

void px_result_free(px_result *r);

#endif
