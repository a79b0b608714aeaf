/*
 * Scenario files of `ivrsm test`: a scripted call in YAML (format in
 * docs/cli.md). The loader checks every key and value and reports mistakes
 * as "FILE:LINE:COL: message".
 */
#ifndef IVRSM_CLI_SCENARIO_H
#define IVRSM_CLI_SCENARIO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver.h"

/* An HTTP request sent to the backend before the call (setup:). */
typedef struct scn_request {
    int line;
    char *method; /* upper case */
    char *path;   /* as written, may hold "?query" */
    json_t *body; /* or NULL */
} scn_request;

/* expect: http: one expected http command. Unset fields match anything. */
typedef struct scn_http_expect {
    char *endpoint; /* endpoint name, or NULL */
    char *method;   /* or NULL */
    char *path;     /* or NULL */
    json_t *body;   /* subset of the request body, or NULL */
    json_t *query;  /* subset of the decoded query parameters, or NULL */
    int status;     /* the result's status, -1 for any */
} scn_http_expect;

typedef enum scn_ended {
    SCN_ENDED_UNSET = 0,
    SCN_ENDED_NO,     /* ended: false */
    SCN_ENDED_ANY,    /* ended: true */
    SCN_ENDED_HANGUP, /* ended: hangup */
    SCN_ENDED_HANDOFF /* ended: handoff */
} scn_ended;

/* One expect: step; each field is checked only when given. */
typedef struct scn_expect {
    char *state;
    char **says; /* substrings that some say/ask/handoff text must contain */
    size_t says_count;
    char **not_says; /* substrings that no such text may contain */
    size_t not_says_count;
    char **plays; /* substrings that some recording played (a `play` part's URI) must contain */
    size_t plays_count;
    char *language;        /* every say/ask/handoff since the last input carries this language */
    int ask;               /* -1 unset; 1: an ask was emitted; 0: none */
    json_t *ask_fields;    /* ask: {min_digits: 7, ...}: fields the last ask must have */
    scn_http_expect *http; /* each must match a distinct http command, in order */
    size_t http_count;
    bool no_http;        /* http: [] or http: false: no http command at all */
    json_t *ctx;         /* subset of the session's ctx, or NULL */
    int handoff;         /* -1 unset; 1: a handoff was emitted; 0: none */
    char *handoff_queue; /* its queue, or NULL for any */
    scn_ended ended;
} scn_expect;

typedef struct scn_step {
    int line;
    int column;
    bool is_expect;
    drv_input input;   /* a caller line, when !is_expect */
    scn_expect expect; /* when is_expect */
} scn_step;

typedef struct scenario {
    char *file;    /* as given on the command line */
    char *name;    /* name:, or the file name */
    char *machine; /* the machine's path, resolved against the scenario's directory */
    int machine_line;
    int machine_column;
    bool has_now;
    int64_t now_ms;
    char *now_text; /* now: as written when it is a text, or NULL */
    int now_line;
    int now_column;
    char *call_id;        /* or NULL */
    char *session_id;     /* or NULL */
    json_t *ctx;          /* initial ctx (an object), or NULL */
    int handoff_ok;       /* handoff: ok (1, default) | fail (0); a list's first answer */
    int *handoff_answers; /* handoff: [ok, fail...]: answers in turn, the last repeating; or NULL */
    size_t handoff_count;
    json_t *responses; /* canned http answers (the format of sim --responses), or NULL */
    json_t *responses_at; /* each key of responses → [line, column], or NULL */
    scn_request *setup;
    size_t setup_count;
    scn_step *steps;
    size_t step_count;
} scenario;

/*
 * Load and check a scenario file.
 * Returns the scenario (scenario_free()), or NULL with "FILE:LINE:COL: message"
 * (or "FILE: message") in err.
 */
scenario *scenario_load(const char *path, char *err, size_t errlen);

void scenario_free(scenario *s);

#endif
