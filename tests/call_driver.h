/*
 * A scripted call for tests and benchmarks: drives a session with caller
 * events and answers its http commands from canned responses (by endpoint
 * name), recording every command as a JSON line.
 */
#ifndef IVRSM_TEST_CALL_DRIVER_H
#define IVRSM_TEST_CALL_DRIVER_H

#include <jansson.h>
#include <stdbool.h>

#include "ivrsm/ivrsm.h"

/* An answer for an endpoint; several for one endpoint are used in turn, the
 * last repeating. Status 0: no answer, `body` is the transport error. */
typedef struct canned {
    const char *endpoint; /* NULL ends the table */
    int status;
    const char *body;
} canned;

#define CALL_CANNED_MAX 32

typedef struct call {
    ivrsm_session *s;
    const canned *responses; /* NULL: every http call answers 200 {} */
    int handoff_ok;          /* answer to handoff commands */
    json_t *log;             /* array of command JSON objects (ids included) */
    int http_calls;
    int events;               /* caller events fed */
    bool snapshot_each_event; /* snapshot + restore after every event */
    ivrsm_session_options opts;
    char last_text[2048]; /* text of the last say/ask/handoff */
    char last_type[16];
    char fail_endpoint[64];           /* endpoint answered with 503 (one at a time) */
    int canned_used[CALL_CANNED_MAX]; /* per entry of `responses`: times it was used */
    int64_t now_ms;                   /* the clock; 0: 2026-11-25T09:00:00Z, a Wednesday */
} call;

/* Load a machine from YAML text (fails the test on error). */
ivrsm_machine *load_yaml_text(const char *yaml);
/* Load a file under the source root, e.g. "examples/synergia_rdv/machine.yaml". */
ivrsm_machine *load_source_file(const char *relpath);
/* The seed machine with another initial state. */
ivrsm_machine *load_seed_at(const char *initial_state);

void call_init(call *c, ivrsm_machine *m, const char *ctx_json);
/* The same, the session allocating through mem (also once restored). */
void call_init_mem(call *c, ivrsm_machine *m, const char *ctx_json, const ivrsm_mem *mem);
/* Start and drain (answering http/handoff automatically). */
void call_start(call *c);
/* Feed one caller event ("dtmf 1", "say rendez-vous", "intent yes", "noinput",
 * "nomatch", "hangup"), then drain. Returns the feed's return code. */
int call_input(call *c, const char *line);
bool call_ended(const call *c);
const char *call_state(const call *c);
/* Number of logged commands of a type ("say", "ask", "http"...). */
int call_count(const call *c, const char *type);
/* The logged commands as one string (JSON lines), for comparing runs. Caller frees. */
char *call_transcript(const call *c);
void call_free(call *c);

/* Canned responses for the seed's endpoints, all successful. */
extern const canned seed_responses[];
/* A ctx that lets any seed state run (token, appointment, slots...). */
extern const char *seed_ctx;

#endif
