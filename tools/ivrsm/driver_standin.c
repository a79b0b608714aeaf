/*
 * Stand-ins for secret caller inputs.
 *
 * The library hides what a caller says or keys in a state that collects an
 * OTP, so a trace cannot hold the real code. To keep such a call
 * replayable, the sim looks for a made-up input of the same type (the code
 * with every digit changed, or a string of zeros as long as the ask allows)
 * that makes the session do exactly what the real one did: both are fed to
 * sessions restored from a snapshot of the live one, and the records they
 * produce are compared with secrets hidden. The first candidate that
 * matches is written to the trace instead of the code.
 */
#include <stdlib.h>
#include <string.h>

#include "driver_int.h"

static void probe_trace(void *user, const char *text)
{
    json_t *rec = json_loads(text, 0, NULL);
    if (!rec)
        return;
    /* Keep "kind": a note and a command must not match each other. */
    for (const char *const *k = drv_trace_envelope; *k; k++)
        if (strcmp(*k, "kind") != 0)
            json_object_del(rec, *k);
    json_array_append_new(user, rec);
}

/* The records that feeding `in` to a session restored from `snap` produces, or NULL. */
static json_t *probe(drv *d, const char *snap, const drv_input *in)
{
    json_t *log = json_array();
    if (!log)
        return NULL;
    ivrsm_session_options o = d->opts;
    o.trace = probe_trace;
    o.trace_user = log;
    ivrsm_session *s = NULL;
    if (ivrsm_session_restore(d->m, snap, &o, &s, NULL) != 0) {
        json_decref(log);
        return NULL;
    }
    ivrsm_event ev = {.type = in->type, .text = in->text, .confidence = in->confidence};
    if (ivrsm_session_feed(s, &ev) != 0) {
        json_decref(log);
        log = NULL;
    }
    while (log && ivrsm_session_next_command(s))
        ;
    ivrsm_session_free(s);
    return log;
}

/* The same records, secrets hidden (two arrays: drv_json_match_redacted compares them). */
static bool same_records(const json_t *a, const json_t *b)
{
    return drv_json_match_redacted(a, b, NULL);
}

/* `text` with every ASCII digit replaced by `digit`. */
static char *digits_replaced(const char *text, char digit)
{
    char *c = strdup(text);
    for (char *p = c; p && *p; p++)
        if (*p >= '0' && *p <= '9')
            *p = digit;
    return c;
}

static char *repeated(char digit, int n)
{
    if (n <= 0 || n > 64)
        return NULL;
    char *c = malloc((size_t)n + 1);
    if (c) {
        memset(c, digit, (size_t)n);
        c[n] = '\0';
    }
    return c;
}

#define CANDIDATES 5

int drv_find_stand_in(drv *d, const drv_input *in, drv_input *out)
{
    char *snap = NULL;
    if (ivrsm_session_snapshot(d->s, &snap) != 0)
        return -1;
    json_t *real = probe(d, snap, in);
    char *candidates[CANDIDATES] = {
        digits_replaced(in->text, '0'),
        digits_replaced(in->text, '1'),
        repeated('0', d->ask_max_digits),
        repeated('1', d->ask_max_digits),
        strdup(in->type == IVRSM_EVENT_DTMF ? "00" : "euh"), /* for a code that did not parse */
    };
    int found = -1;
    for (int i = 0; real && found < 0 && i < CANDIDATES; i++) {
        if (!candidates[i] || !strcmp(candidates[i], in->text))
            continue;
        drv_input candidate = {in->type, candidates[i], in->confidence};
        json_t *got = probe(d, snap, &candidate);
        if (got && same_records(real, got)) {
            *out = candidate;
            candidates[i] = NULL; /* now owned by *out */
            found = 0;
        }
        json_decref(got);
    }
    for (int i = 0; i < CANDIDATES; i++)
        free(candidates[i]);
    json_decref(real);
    ivrsm_free(snap);
    return found;
}
