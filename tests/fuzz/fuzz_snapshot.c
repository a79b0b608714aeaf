/*
 * Fuzz target: ivrsm_session_restore() on arbitrary bytes, on the seed
 * machine (examples/synergia_rdv), then a few events of every kind.
 *
 * Invariants: no crash, leak or hang; a refused snapshot gives
 * IVRSM_ESNAPSHOT (or IVRSM_EINVAL / IVRSM_ENOMEM) with a message; a
 * restored session saves to a snapshot that restores to the same snapshot
 * again; its queued commands have a JSON form; feed answers only with the
 * documented codes; and, fed nothing but failures afterwards, the call ends
 * within FAILURE_EVENTS_MAX events whatever the snapshot said.
 */
#include <jansson.h>
#include <string.h>

#include "fuzz_util.h"
#include "ivrsm/ivrsm.h"

#ifndef IVRSM_FUZZ_SEED_MACHINE
#define IVRSM_FUZZ_SEED_MACHINE "examples/synergia_rdv/machine.yaml"
#endif

#define FAILURE_EVENTS_MAX 200
#define COMMANDS_PER_EVENT_MAX 256

static ivrsm_machine *seed_machine;

static int64_t fixed_clock(void *user)
{
    (void)user;
    return 1717408800000; /* 2024-06-03 10:00 UTC */
}

static char *snapshot_of(const ivrsm_session *s)
{
    char *snap = NULL;
    int rc = ivrsm_session_snapshot(s, &snap);
    FUZZ_CHECK(rc == 0 && snap, "snapshot failed: %s", ivrsm_strerror(rc));
    return snap;
}

/* What the session waits for, as its own snapshot says: phase and pending id. */
typedef struct waiting {
    char phase[16];
    uint64_t pending_id;
} waiting;

static waiting waiting_of(const ivrsm_session *s)
{
    waiting w = {"", 0};
    char *snap = snapshot_of(s);
    json_t *j = json_loads(snap, 0, NULL);
    FUZZ_CHECK(j != NULL, "a snapshot is not JSON: %s", snap);
    const char *phase = json_string_value(json_object_get(j, "phase"));
    FUZZ_CHECK(phase != NULL, "a snapshot without a phase");
    snprintf(w.phase, sizeof(w.phase), "%s", phase);
    w.pending_id = (uint64_t)json_integer_value(json_object_get(j, "pending_id"));
    json_decref(j);
    ivrsm_free(snap);
    return w;
}

static void drain(ivrsm_session *s)
{
    const ivrsm_command *c;
    int n = 0;
    while ((c = ivrsm_session_next_command(s))) {
        FUZZ_CHECK(++n <= COMMANDS_PER_EVENT_MAX, "more than %d commands at once",
                   COMMANDS_PER_EVENT_MAX);
        char *json = ivrsm_command_to_json(c);
        FUZZ_CHECK(json != NULL, "command %llu has no JSON form", (unsigned long long)c->id);
        ivrsm_free(json);
    }
}

static void feed(ivrsm_session *s, const ivrsm_event *ev)
{
    int rc = ivrsm_session_feed(s, ev);
    FUZZ_CHECK(rc == 0 || rc == IVRSM_ESTALE || rc == IVRSM_EUNEXPECTED || rc == IVRSM_EENDED ||
                   rc == IVRSM_ESTATE || rc == IVRSM_EDUPLICATE,
               "feed returned %s", ivrsm_strerror(rc));
    drain(s);
}

/* One event of each kind, answering what the session says it waits for. */
static void feed_each_kind(ivrsm_session *s)
{
    static const char *const texts[] = {"1", "oui", "operator", "0612345678#"};
    ivrsm_event ev = {0};
    ev.confidence = -1;
    ev.event_id = "x1";
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = texts[0];
    feed(s, &ev);
    ev.event_id = "x1"; /* a redelivery */
    feed(s, &ev);
    ev.event_id = NULL;
    ev.type = IVRSM_EVENT_SPEECH;
    ev.text = texts[1];
    ev.confidence = 0.9;
    feed(s, &ev);
    ev.type = IVRSM_EVENT_INTENT;
    ev.text = texts[2];
    feed(s, &ev);
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = texts[3];
    feed(s, &ev);
    waiting w = waiting_of(s);
    memset(&ev, 0, sizeof(ev));
    ev.type = IVRSM_EVENT_ACTION_RESULT;
    ev.command_id = w.pending_id;
    ev.status = 200;
    ev.body = "{\"count\":1,\"appointments\":[{\"id\":\"a1\"}]}";
    feed(s, &ev);
    w = waiting_of(s);
    memset(&ev, 0, sizeof(ev));
    ev.type = IVRSM_EVENT_HANDOFF_RESULT;
    ev.command_id = w.pending_id;
    ev.ok = 0;
    feed(s, &ev);
}

/* Failures only, answering what the session waits for: the call must end. */
static void fail_until_ended(ivrsm_session *s)
{
    for (unsigned turn = 0; !ivrsm_session_ended(s) && turn < FAILURE_EVENTS_MAX; turn++) {
        waiting w = waiting_of(s);
        ivrsm_event ev = {0};
        ev.confidence = -1;
        if (!strcmp(w.phase, "new")) {
            FUZZ_CHECK(ivrsm_session_start(s) == 0, "start of a restored new session");
            drain(s);
            continue;
        }
        if (!strcmp(w.phase, "http")) {
            ev.type = IVRSM_EVENT_ACTION_RESULT;
            ev.status = 503;
        } else if (!strcmp(w.phase, "handoff")) {
            ev.type = IVRSM_EVENT_HANDOFF_RESULT;
        } else {
            ev.type = turn % 2 ? IVRSM_EVENT_NOMATCH : IVRSM_EVENT_NOINPUT;
        }
        ev.command_id = w.pending_id;
        int rc = ivrsm_session_feed(s, &ev);
        FUZZ_CHECK(rc == 0, "failure event refused in phase %s: %s (state %s)", w.phase,
                   ivrsm_strerror(rc), ivrsm_session_state(s));
        drain(s);
    }
    FUZZ_CHECK(ivrsm_session_ended(s), "call still running after %d failures (state %s)",
               FAILURE_EVENTS_MAX, ivrsm_session_state(s));
}

static ivrsm_session *restore(const char *text, int *rc)
{
    ivrsm_session_options o = {0};
    o.clock = fixed_clock;
    ivrsm_session *s = NULL;
    ivrsm_error err;
    memset(&err, 0, sizeof(err));
    *rc = ivrsm_session_restore(seed_machine, text, &o, &s, &err);
    if (*rc != 0) {
        FUZZ_CHECK(s == NULL, "a session returned on failure");
        FUZZ_CHECK(*rc == IVRSM_ESNAPSHOT || *rc == IVRSM_ENOMEM, "restore returned %s",
                   ivrsm_strerror(*rc));
        FUZZ_CHECK(*rc != IVRSM_ESNAPSHOT || (err.code == *rc && err.message[0]),
                   "refused without a message");
    }
    return s;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *path = getenv("IVRSM_FUZZ_MACHINE");
    if (!path)
        path = IVRSM_FUZZ_SEED_MACHINE;
    ivrsm_error err;
    if (ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &seed_machine, &err) != 0) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, err.line, err.column, err.message);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup(data, size);
    int rc;
    ivrsm_session *s = restore(text, &rc);
    free(text);
    if (!s)
        return 0;

    /* Saved again, the session restores to the very same snapshot. */
    char *first = snapshot_of(s);
    ivrsm_session *again = restore(first, &rc);
    FUZZ_CHECK(again != NULL, "a restored session's own snapshot is refused: %s", first);
    char *second = snapshot_of(again);
    FUZZ_CHECK(!strcmp(first, second), "snapshot not stable:\n  %s\n  %s", first, second);
    ivrsm_free(first);
    ivrsm_free(second);
    ivrsm_session_free(again);

    ivrsm_session_start(s); /* IVRSM_ESTATE unless the snapshot was of a new session */
    drain(s);
    feed_each_kind(s);
    fail_until_ended(s);
    ivrsm_session_free(s);
    return 0;
}
