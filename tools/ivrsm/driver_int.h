/*
 * Inside the call driver: its state, shared by driver.c (executing
 * commands) and driver_standin.c (stand-ins for secret inputs).
 */
#ifndef IVRSM_CLI_DRIVER_INT_H
#define IVRSM_CLI_DRIVER_INT_H

#include "driver.h"
#include "ivrsm/http_curl.h"

struct drv {
    drv_config cfg; /* a copy; the strings it points at belong to the caller */
    ivrsm_machine *m;
    ivrsm_session *s;
    ivrsm_session_options opts; /* also used for every restore */
    ivrsm_http *http;           /* the live backend, or NULL */
    int64_t now_ms;
    json_t *shown;        /* the library's trace records of commands not executed yet */
    json_t *last_result;  /* the library's trace record of the last action result */
    json_t *canned_uses;  /* canned answer key → times used */
    size_t handoffs_used; /* answers taken from cfg.handoff_answers */
    int ask_max_digits;   /* max_digits of the last ask */
    char ask_terminators[16]; /* terminators of the last ask */
    const char *end_kind;
    size_t events;
    bool no_backend; /* the last failure: an http command with neither backend nor answer */
    char error[512];
};

/* Fields of a trace record that say when and where it was written, not what:
 * "kind", "seq", "t", "session". NULL-terminated. */
extern const char *const drv_trace_envelope[];

/* The JSON form of a command, nothing hidden (see drv_report.full). New reference or NULL. */
json_t *drv_command_json(const ivrsm_command *c);

/*
 * Find a stand-in for the secret input `in` (an OTP): a made-up input of the
 * same type that leads the session to the same records (secrets hidden) as
 * `in` does, tried on sessions restored from a snapshot of the current one.
 * Returns 0 with *out filled (drv_input_clear() it), or -1 when none fits.
 */
int drv_find_stand_in(drv *d, const drv_input *in, drv_input *out);

#endif
