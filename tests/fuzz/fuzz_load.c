/*
 * Fuzz target: the loader and the checker on arbitrary bytes, read as YAML
 * and as JSON.
 *
 * Invariants: no crash, leak or hang; every diagnostic has a rule, a path and
 * a one-line message; the loader's error carries the code it returned and a
 * one-line message; a document loads exactly when the checker finds no error
 * in it; a machine that loads answers its accessors, and a session on it,
 * walked a little with answers that succeed and then fed nothing but
 * failures (silence, no-match, failed actions and handoffs), ends within a
 * bounded number of events, whatever the machine says; after every event the
 * session saves to a snapshot that restores to the same snapshot.
 */
#include <math.h>
#include <string.h>

#include "fuzz_util.h"
#include "ivrsm/ivrsm.h"

/* Events of nothing but failures after which any call must have ended. */
#define FAILURE_EVENTS_MAX 200
/* Answers that succeed, fed first to walk the machine. */
#define SUCCESS_EVENTS_MAX 24
/* Commands one event may produce: far above what any bounded step can emit. */
#define COMMANDS_PER_EVENT_MAX 256

static int nul_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static void check_diagnostics(const ivrsm_diagnostics *d)
{
    size_t count = ivrsm_diagnostics_count(d);
    size_t errors = 0;
    for (size_t i = 0; i < count; i++) {
        const ivrsm_diagnostic *g = ivrsm_diagnostics_get(d, i);
        FUZZ_CHECK(g != NULL, "diagnostic %zu of %zu", i, count);
        FUZZ_CHECK(g->severity == IVRSM_SEVERITY_ERROR || g->severity == IVRSM_SEVERITY_WARNING,
                   "severity %d", (int)g->severity);
        FUZZ_CHECK(g->path && g->rule && g->message, "diagnostic %zu lacks a field", i);
        FUZZ_CHECK(*g->rule && *g->message, "diagnostic %zu: empty rule or message", i);
        FUZZ_CHECK(!strpbrk(g->message, "\n\r\v\f"), "multi-line message: %s", g->message);
        FUZZ_CHECK(g->line >= 0 && g->column >= 0, "position %d:%d", g->line, g->column);
        if (g->severity == IVRSM_SEVERITY_ERROR)
            errors++;
    }
    FUZZ_CHECK(errors == ivrsm_diagnostics_error_count(d), "%zu errors counted, %zu listed",
               ivrsm_diagnostics_error_count(d), errors);
    FUZZ_CHECK(ivrsm_diagnostics_get(d, count) == NULL, "diagnostic past the end");
    FUZZ_CHECK(ivrsm_diagnostics_file(d) != NULL, "no file name");
}

static void check_accessors(const ivrsm_machine *m)
{
    FUZZ_CHECK(ivrsm_machine_name(m) && ivrsm_machine_version(m), "name or version missing");
    size_t n = ivrsm_machine_state_count(m);
    FUZZ_CHECK(n > 0, "a machine without states loaded");
    FUZZ_CHECK(ivrsm_machine_initial_state(m) < n, "initial state out of range");
    for (size_t i = 0; i < n; i++) {
        const char *name = ivrsm_machine_state_name(m, i);
        FUZZ_CHECK(name && ivrsm_machine_state_type(m, i), "state %zu unnamed or untyped", i);
        FUZZ_CHECK(ivrsm_machine_state_index(m, name) == (int)i, "state %s not found by name",
                   name);
    }
    FUZZ_CHECK(ivrsm_machine_state_name(m, n) == NULL, "state past the end");
    FUZZ_CHECK(ivrsm_machine_memory(m) > 0, "no memory accounted");
}

/* The failure answering what the session waits for (last_blocking: the command). */
static ivrsm_event failure_for(const ivrsm_command *last_blocking, unsigned turn)
{
    ivrsm_event ev = {0};
    ev.confidence = -1;
    if (last_blocking && last_blocking->type == IVRSM_COMMAND_HTTP) {
        ev.type = IVRSM_EVENT_ACTION_RESULT;
        ev.command_id = last_blocking->id;
        ev.status = (turn % 2) ? 500 : 0;
        ev.error = (turn % 2) ? NULL : "timeout";
    } else if (last_blocking && last_blocking->type == IVRSM_COMMAND_HANDOFF) {
        ev.type = IVRSM_EVENT_HANDOFF_RESULT;
        ev.command_id = last_blocking->id;
        ev.ok = 0;
    } else {
        ev.type = (turn % 2) ? IVRSM_EVENT_NOMATCH : IVRSM_EVENT_NOINPUT;
    }
    return ev;
}

/*
 * Drain the commands; remember the last one that waits for an answer (its
 * type and id: the command itself is only valid until the next call).
 */
static void drain(ivrsm_session *s, ivrsm_command *last_blocking)
{
    const ivrsm_command *c;
    int n = 0;
    while ((c = ivrsm_session_next_command(s))) {
        FUZZ_CHECK(++n <= COMMANDS_PER_EVENT_MAX, "more than %d commands for one event",
                   COMMANDS_PER_EVENT_MAX);
        if (c->type == IVRSM_COMMAND_ASK || c->type == IVRSM_COMMAND_HTTP ||
            c->type == IVRSM_COMMAND_HANDOFF) {
            memset(last_blocking, 0, sizeof(*last_blocking));
            last_blocking->type = c->type;
            last_blocking->id = c->id;
        }
    }
}

/*
 * An answer that moves the call on, picked by `turn` and the document's
 * hash so that different machines take different routes: keyed choices,
 * speech, backend successes (some with lists and counts templates read),
 * successful handoffs.
 */
static ivrsm_event success_for(const ivrsm_command *last_blocking, unsigned turn)
{
    static const char *const keys[] = {"1", "2", "0", "3", "#", "9", "0612345678#", "123456#"};
    static const char *const speech[] = {"oui", "non", "conseiller", "demain", "rendez-vous"};
    static const char *const bodies[] = {
        "{}", "{\"count\":0,\"items\":[]}",
        "{\"count\":2,\"appointments\":[{\"id\":\"a1\"},{\"id\":\"a/2\"}],\"slots\":[{\"id\":1}]}",
        ""};
    ivrsm_event ev = {0};
    ev.confidence = -1;
    if (last_blocking && last_blocking->type == IVRSM_COMMAND_HTTP) {
        ev.type = IVRSM_EVENT_ACTION_RESULT;
        ev.command_id = last_blocking->id;
        ev.status = 200;
        ev.body = bodies[turn % 4];
    } else if (last_blocking && last_blocking->type == IVRSM_COMMAND_HANDOFF) {
        ev.type = IVRSM_EVENT_HANDOFF_RESULT;
        ev.command_id = last_blocking->id;
        ev.ok = (int)(turn & 1);
    } else if (turn % 3 == 2) {
        ev.type = IVRSM_EVENT_SPEECH;
        ev.text = speech[turn % 5];
        if (turn % 7 == 5)
            ev.confidence = NAN; /* a host passing on garbage */
    } else {
        ev.type = IVRSM_EVENT_DTMF;
        ev.text = keys[turn % 8];
    }
    return ev;
}

static char *snapshot_of(const ivrsm_session *s)
{
    char *snap = NULL;
    int rc = ivrsm_session_snapshot(s, &snap);
    FUZZ_CHECK(rc == 0 && snap, "snapshot failed: %s", ivrsm_strerror(rc));
    return snap;
}

/*
 * Save the call and restore it: the restored session must save to the same
 * snapshot. Every third time the call goes on with the restored session.
 */
static void save_and_restore(ivrsm_session **s, const ivrsm_session_options *o, unsigned turn)
{
    char *snap = snapshot_of(*s);
    ivrsm_session *restored = NULL;
    ivrsm_error err;
    int rc = ivrsm_session_restore(ivrsm_session_machine(*s), snap, o, &restored, &err);
    FUZZ_CHECK(rc == 0, "restore of a fresh snapshot failed: %s", err.message);
    char *again = snapshot_of(restored);
    FUZZ_CHECK(!strcmp(snap, again), "snapshot changed by a restore:\n  %s\n  %s", snap, again);
    ivrsm_free(snap);
    ivrsm_free(again);
    if (turn % 3 == 0) {
        ivrsm_session_free(*s);
        *s = restored;
    } else {
        ivrsm_session_free(restored);
    }
}

static void feed_taken(ivrsm_session **s, const ivrsm_session_options *o, const ivrsm_event *ev,
                       ivrsm_command *last, unsigned turn)
{
    int rc = ivrsm_session_feed(*s, ev);
    FUZZ_CHECK(rc == 0, "event type %d refused: %s (state %s)", (int)ev->type, ivrsm_strerror(rc),
               ivrsm_session_state(*s));
    drain(*s, last);
    save_and_restore(s, o, turn);
}

/*
 * Start a call on the machine, walk it a little with answers that succeed,
 * then feed it failures only: it must end. The call runs with the default
 * bounds (a machine may loosen its own up to 65535 visits per state), and is
 * saved and restored after every event.
 */
static void run_call(ivrsm_machine *m, uint32_t seed)
{
    ivrsm_limits limits = {.max_consecutive_failures = 6,
                           .max_state_visits = 12,
                           .max_steps_per_event = 32,
                           .otp_max_attempts = 5};
    ivrsm_session_options o = {0};
    o.call_id = "fuzz";
    o.limits = &limits;
    ivrsm_session *s;
    if (ivrsm_session_new(m, &o, &s, NULL) != 0)
        return;
    FUZZ_CHECK(ivrsm_session_start(s) == 0, "start failed");
    ivrsm_command last = {0};
    drain(s, &last);
    for (unsigned turn = 0; !ivrsm_session_ended(s) && turn < SUCCESS_EVENTS_MAX; turn++) {
        ivrsm_event ev = success_for(last.type ? &last : NULL, turn + seed);
        feed_taken(&s, &o, &ev, &last, turn);
    }
    for (unsigned turn = 0; !ivrsm_session_ended(s) && turn < FAILURE_EVENTS_MAX; turn++) {
        ivrsm_event ev = failure_for(last.type ? &last : NULL, turn);
        feed_taken(&s, &o, &ev, &last, turn);
    }
    FUZZ_CHECK(ivrsm_session_ended(s), "call still running after %d failures (state %s)",
               FAILURE_EVENTS_MAX, ivrsm_session_state(s));
    ivrsm_session_free(s);
}

/* FNV-1a of the document: which answers its call gets. */
static uint32_t document_seed(const char *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ (unsigned char)data[i]) * 16777619u;
    return h % 1024;
}

static void fuzz_format(const char *data, size_t size, ivrsm_format format)
{
    ivrsm_diagnostics *d = NULL;
    int rc = ivrsm_machine_check_buffer(data, size, format, "fuzz", &d);
    FUZZ_CHECK(rc == 0 || rc == IVRSM_ENOMEM, "check_buffer: %s", ivrsm_strerror(rc));
    size_t check_errors = 0;
    if (rc == 0) {
        check_diagnostics(d);
        check_errors = ivrsm_diagnostics_error_count(d);
        ivrsm_diagnostics_free(d);
    }

    ivrsm_machine *m = NULL;
    ivrsm_error err;
    rc = ivrsm_machine_load_buffer(data, size, format, "fuzz", &m, &err);
    if (rc != 0) {
        FUZZ_CHECK(m == NULL, "machine returned on failure");
        FUZZ_CHECK(err.code == rc, "error code %d, returned %d", err.code, rc);
        FUZZ_CHECK(nul_terminated(err.message, sizeof(err.message)) && err.message[0],
                   "empty or unterminated error message");
        FUZZ_CHECK(!strpbrk(err.message, "\n\r\v\f"), "multi-line message: %s", err.message);
        FUZZ_CHECK(nul_terminated(err.path, sizeof(err.path)), "unterminated error path");
        FUZZ_CHECK(nul_terminated(err.file, sizeof(err.file)), "unterminated file name");
        FUZZ_CHECK(rc == IVRSM_ESYNTAX || rc == IVRSM_EMACHINE || rc == IVRSM_ELIMIT ||
                       rc == IVRSM_ENOMEM,
                   "unexpected load error %s", ivrsm_strerror(rc));
        FUZZ_CHECK(check_errors > 0, "load failed (%s: %s) but the check found no error",
                   ivrsm_strerror(rc), err.message);
        return;
    }
    FUZZ_CHECK(check_errors == 0, "machine loaded but the check found %zu errors", check_errors);
    check_accessors(m);
    run_call(m, document_seed(data, size));
    ivrsm_machine_unref(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_format((const char *)data, size, IVRSM_FORMAT_YAML);
    fuzz_format((const char *)data, size, IVRSM_FORMAT_JSON);
    return 0;
}
