/*
 * Out of memory over a whole seed call (errors that travel back).
 *
 * A host drives the seed machine (examples/synergia_rdv) through its happy
 * path. Each step of the call is what a host does between two events: feed
 * the event (or start the call), pull the commands, save a snapshot and go
 * on from a session restored from it (as a host that moves its calls between
 * processes does). The load of the machine and the creation of the session
 * are steps too.
 *
 * The sweep refuses, in each step, each of its allocations in turn, one at a
 * time (the session's or the machine's allocator, and jansson's, routed
 * through tests/failing_mem.c), starting each time from the snapshot taken
 * before the step. Each time, either a call returns IVRSM_ENOMEM and the
 * host does what docs/runtime.md says (free the session, restore the last
 * snapshot, do the step again), or the refusal changed nothing; in both
 * cases the step must give exactly what it gives without failures: the same
 * commands, byte for byte, and the same snapshot. No other code is ever
 * returned, and nothing leaks.
 *
 * IVRSM_OOM_STRIDE=k refuses only every k-th allocation (for valgrind runs).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_driver.h"
#include "failing_mem.h"
#include "failing_pool.h"
#include "model.h"
#include "session.h"

static const char *const script[] = {
    "dtmf 1",                            /* take_appointment → phone capture */
    "dtmf 0612345678#",                  /* phone → request otp → verify otp */
    "say un deux trois quatre cinq six", /* otp → verify → consent */
    "say oui",                           /* consent → channel */
    "dtmf 2",                            /* sms → persist prefs → upcoming list → router */
    "say le premier",                    /* choose_first → detail → detail router */
    "say je veux déplacer",              /* reschedule → preferences */
    "dtmf 1",                            /* morning → mode */
    "say en visio",                      /* video → date window */
    "say lundi prochain",                /* date → preferences → slots → choose */
    "dtmf 2",                            /* second slot → select → confirmation */
    "say partager",                      /* share → goodbye */
    NULL,
};

static failing_mem fm;
static ivrsm_machine *machine; /* loaded with the C library's allocator: not swept but once */

/* The host's own work (its record, its checks) is not the library's: never refused. */
static failing_mode paused;
static void pause_failures(void)
{
    paused = fm.mode;
    fm.mode = FAILING_OFF;
}
static void resume_failures(void)
{
    fm.mode = paused;
}

static ivrsm_session_options options(void)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.mem = &fm.mem;
    o.call_id = "call-1";
    o.session_id = "sess-1";
    return o;
}

/* What one step gave: its commands as JSON lines, and the snapshot after it. */
typedef struct outcome {
    char *commands;
    char *snapshot;
    ivrsm_event answer; /* the result the last command waits for (type 0: none) */
} outcome;

static void outcome_free(outcome *o)
{
    free(o->commands);
    ivrsm_free(o->snapshot);
    memset(o, 0, sizeof(*o));
}

static const canned *large_list; /* an answer to list_appointments instead of the seed's */

static const canned *answer_for(const char *endpoint)
{
    if (large_list && endpoint && !strcmp(endpoint, large_list->endpoint))
        return large_list;
    for (const canned *r = seed_responses; r->endpoint; r++)
        if (endpoint && !strcmp(r->endpoint, endpoint))
            return r;
    return NULL;
}

static const char *last_out; /* the call that last returned IVRSM_ENOMEM */
static long refusing;        /* the allocation of the step being refused */
static long kept;            /* blocks the host keeps meanwhile (its snapshots) */

/* A call's answer: 0, or IVRSM_ENOMEM, only ever when an allocation was refused. */
static bool ran_out(int rc, const char *what)
{
    if (rc == IVRSM_ENOMEM)
        last_out = what;
    ck_assert_msg(rc == 0 || rc == IVRSM_ENOMEM, "%s returned %s", what, ivrsm_strerror(rc));
    ck_assert_msg(rc == 0 || fm.refused, "%s returned IVRSM_ENOMEM, nothing refused", what);
    return rc != 0;
}

/* Pull the step's commands into out->commands; the answer the last one waits for. */
static void pull(ivrsm_session *s, outcome *out)
{
    size_t len = 0;
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(s)) != NULL) {
        pause_failures();
        char *text = ivrsm_command_to_json(c);
        ck_assert_ptr_nonnull(text);
        out->commands = realloc(out->commands, len + strlen(text) + 2);
        len += (size_t)sprintf(out->commands + len, "%s\n", text);
        ivrsm_free(text);
        resume_failures();
        memset(&out->answer, 0, sizeof(out->answer));
        out->answer.size = sizeof(out->answer);
        if (c->type == IVRSM_COMMAND_HTTP) {
            const canned *r = answer_for(c->http.endpoint);
            out->answer.type = IVRSM_EVENT_ACTION_RESULT;
            out->answer.command_id = c->id;
            out->answer.status = r ? r->status : 200;
            out->answer.body = r ? r->body : "{}";
        } else if (c->type == IVRSM_COMMAND_HANDOFF) {
            out->answer.type = IVRSM_EVENT_HANDOFF_RESULT;
            out->answer.command_id = c->id;
            out->answer.ok = 1;
        }
    }
}

/*
 * One step from the snapshot `before` (NULL: a new session, started): the
 * event fed (ev NULL: start), the commands pulled, a snapshot saved and a
 * session restored from it. Returns IVRSM_ENOMEM as soon as a call does
 * (nothing is left allocated then), else 0 with *out filled.
 */
static int try_step(const char *before, const ivrsm_event *ev, outcome *out)
{
    memset(out, 0, sizeof(*out));
    ivrsm_session_options o = options();
    ivrsm_session *s = NULL;
    ivrsm_error err;
    int rc = before ? ivrsm_session_restore(machine, before, &o, &s, &err)
                    : ivrsm_session_new(machine, &o, &s, &err);
    if (ran_out(rc, before ? "restore" : "session_new")) {
        ck_assert_ptr_null(s);
        return rc;
    }
    rc = ev ? ivrsm_session_feed(s, ev) : ivrsm_session_start(s);
    if (ran_out(rc, ev ? "feed" : "start")) {
        /* The documented state: the step's commands withdrawn, nothing saved, nothing fed. */
        ck_assert_ptr_null(ivrsm_session_next_command(s));
        char *snap = NULL;
        ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), IVRSM_ENOMEM);
        ck_assert_ptr_null(snap);
        if (ev)
            ck_assert_int_eq(ivrsm_session_feed(s, ev), IVRSM_ENOMEM);
        ivrsm_session_free(s);
        return rc;
    }
    pull(s, out);
    /* Pulling may have failed too (the pending command is kept aside for snapshots). */
    rc = ivrsm_session_snapshot(s, &out->snapshot);
    ivrsm_session_free(s);
    if (ran_out(rc, "snapshot")) {
        outcome_free(out);
        return rc;
    }
    s = NULL;
    rc = ivrsm_session_restore(machine, out->snapshot, &o, &s, &err);
    ivrsm_session_free(s);
    if (ran_out(rc, "restore")) {
        outcome_free(out);
        return rc;
    }
    return 0;
}

/* A step as a host does it: after IVRSM_ENOMEM, again from the last snapshot. */
static void host_step(const char *before, const ivrsm_event *ev, outcome *out)
{
    while (try_step(before, ev, out) != 0)
        ck_assert_msg(fm.live == kept,
                      "allocation %ld refused: %s ran out of memory, %ld blocks left", refusing,
                      last_out, fm.live - kept);
}

static void same_outcome(const outcome *got, const outcome *want, long n, const char *what)
{
    ck_assert_msg(!strcmp(got->commands ? got->commands : "", want->commands ? want->commands : ""),
                  "%s, allocation %ld refused: other commands:\n%.1500s\n---\n%.1500s", what, n,
                  got->commands ? got->commands : "", want->commands ? want->commands : "");
    size_t at = 0;
    while (got->snapshot[at] && got->snapshot[at] == want->snapshot[at])
        at++;
    size_t from = at > 80 ? at - 80 : 0;
    ck_assert_msg(!got->snapshot[at] && !want->snapshot[at],
                  "%s, allocation %ld refused: another session afterwards:\n%.300s\n---\n%.300s",
                  what, n, got->snapshot + from, want->snapshot + from);
}

static long stride(void)
{
    const char *s = getenv("IVRSM_OOM_STRIDE");
    long k = s ? atol(s) : 1;
    return k > 0 ? k : 1;
}

/* Every allocation of a step refused in turn. Returns how many there were. */
static long sweep_step(const char *before, const ivrsm_event *ev, const outcome *want,
                       const char *what)
{
    kept = fm.live;
    long n = 0;
    for (;; n += stride()) {
        outcome got;
        refusing = n;
        failing_mem_fail_one(&fm, n);
        host_step(before, ev, &got);
        bool refused = fm.refused;
        failing_mem_off(&fm);
        same_outcome(&got, want, n, what);
        outcome_free(&got);
        ck_assert_msg(fm.live == kept, "%s, allocation %ld refused: %ld blocks not given back",
                      what, n, fm.live - kept);
        if (!refused)
            return n; /* past the step's last allocation */
    }
}

static ivrsm_event caller_event(const char *line, char *id, size_t id_size, int number)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    snprintf(id, id_size, "ev-%d", number);
    ev.event_id = id;
    ev.confidence = -1;
    ev.type = !strncmp(line, "dtmf ", 5) ? IVRSM_EVENT_DTMF : IVRSM_EVENT_SPEECH;
    ev.text = strchr(line, ' ') + 1;
    return ev;
}

/* The sweep over a call of `lines`; its last command must be of type `last`. */
static void sweep_call(const char *const *lines, const char *last)
{
    failing_mem_init(&fm);
    failing_mem_jansson_route(&fm);
    machine = load_source_file("examples/synergia_rdv/machine.yaml");
    long refused = 0, steps = 0;

    /* Start, then each caller event and each backend answer it leads to. */
    outcome want;
    char type[32];
    snprintf(type, sizeof(type), "\"type\":\"%s\"", last);
    host_step(NULL, NULL, &want);
    bool ended_with = want.commands && strstr(want.commands, type);
    refused += sweep_step(NULL, NULL, &want, "start");
    steps++;
    int events = 0;
    for (const char *const *line = lines; *line; line++) {
        char id[16];
        ivrsm_event ev = caller_event(*line, id, sizeof(id), ++events);
        for (;;) {
            char *before = want.snapshot;
            want.snapshot = NULL;
            ivrsm_event answer = want.answer;
            outcome_free(&want);
            const ivrsm_event *next = answer.type ? &answer : &ev;
            host_step(before, next, &want);
            ended_with |= want.commands && strstr(want.commands, type);
            refused += sweep_step(before, next, &want, *line);
            steps++;
            ivrsm_free(before);
            if (!want.answer.type)
                break;
        }
    }
    ck_assert_msg(ended_with, "the call never sent a %s", last);
    outcome_free(&want);
    ivrsm_machine_unref(machine);
    ck_assert(!fm.misused);
    ck_assert_int_gt(refused, 100 / stride());
    fprintf(stderr, "oom: %ld allocations of %ld steps refused in turn\n", refused, steps);
    failing_mem_jansson_release();
}

START_TEST(every_allocation_of_a_seed_call_refused_in_turn)
{
    sweep_call(script, "hangup");
}
END_TEST

/* A caller who asks for an agent at once: the handoff (its context, redacted ctx). */
START_TEST(every_allocation_of_a_handoff_refused_in_turn)
{
    static const char *const to_agent[] = {"dtmf 0", NULL};
    sweep_call(to_agent, "handoff");
}
END_TEST

/*
 * An answer larger than the stack storage it is first read into (IVRSM_VSTORE_SCRATCH): the
 * read moves it to the session's heap; ctx then holds a list larger than the storage its
 * compaction copies through, so that copy is on the heap too.
 */
START_TEST(every_allocation_of_a_large_answer_refused_in_turn)
{
    static const char *const to_list[] = {
        "dtmf 1",  "dtmf 0612345678#", "say un deux trois quatre cinq six",
        "say oui", "dtmf 2",           NULL};
    static char body[4096];
    size_t n = (size_t)snprintf(body, sizeof body, "{\"count\":8,\"appointments\":[");
    for (int i = 1; i <= 8; i++)
        n += (size_t)snprintf(body + n, sizeof body - n, "%s{\"id\":\"apt-%d-%0300d\"}",
                              i > 1 ? "," : "", i, i);
    snprintf(body + n, sizeof body - n, "],\"summary_voice\":\"Premier rendez-vous.\"}");
    static canned big = {"list_appointments", 200, body};
    large_list = &big;
    sweep_call(to_list, "ask");
    large_list = NULL;
}
END_TEST

/*
 * The command pulled last is released at the next call into the session, the awaited one kept
 * in its slot for snapshots: freeing the session right after pulling an http command, before
 * any other call, gives back all it holds (the kept command included).
 */
START_TEST(a_session_freed_after_pulling_its_request_leaves_nothing)
{
    failing_mem_init(&fm);
    machine = load_source_file("examples/synergia_rdv/machine.yaml");
    for (int pulls_after = 0; pulls_after < 2; pulls_after++) {
        ivrsm_session_options o = options();
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(machine, &o, &s, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        const ivrsm_command *c;
        char id[16];
        for (int i = 0; i < 2; i++) { /* the phone number leads to the code's request */
            while (ivrsm_session_next_command(s))
                ;
            ivrsm_event ev = caller_event(script[i], id, sizeof id, i + 1);
            ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
        }
        while ((c = ivrsm_session_next_command(s)) != NULL && c->type != IVRSM_COMMAND_HTTP)
            ;
        ck_assert_ptr_nonnull(c);
        if (pulls_after) /* kept aside by the next pull, then freed with the session */
            ck_assert_ptr_null(ivrsm_session_next_command(s));
        ivrsm_session_free(s);
        ck_assert_int_eq(fm.live, 0);
    }
    ivrsm_machine_unref(machine);
    ck_assert(!fm.misused);
}
END_TEST

/* The load of the seed: each allocation refused in turn gives IVRSM_ENOMEM (never a
 * diagnostic about the document), nothing left; loaded again, the same machine. */
START_TEST(every_allocation_of_the_seed_load_refused_in_turn)
{
    failing_mem_init(&fm);
    failing_mem_jansson_route(&fm);
    char path[1024];
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.yaml", root ? root : ".");
    ivrsm_load_options o = IVRSM_LOAD_OPTIONS_INIT;
    o.mem = &fm.mem;
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_file_opts(path, IVRSM_FORMAT_AUTO, &o, &m, &err), 0);
    size_t states = ivrsm_machine_state_count(m);
    ivrsm_machine_unref(m);
    long n = 0;
    for (;; n += stride()) {
        m = NULL;
        failing_mem_fail_one(&fm, n);
        int rc = ivrsm_machine_load_file_opts(path, IVRSM_FORMAT_AUTO, &o, &m, &err);
        bool refused = fm.refused;
        failing_mem_off(&fm);
        ck_assert_msg(rc == 0 || rc == IVRSM_ENOMEM, "allocation %ld refused: %s: %s at %s", n,
                      ivrsm_strerror(rc), err.message, err.path);
        ck_assert_msg(rc == 0 || refused, "IVRSM_ENOMEM with nothing refused");
        if (rc == 0) {
            ck_assert_uint_eq(ivrsm_machine_state_count(m), states);
            ivrsm_machine_unref(m);
        } else {
            ck_assert_ptr_null(m);
        }
        ck_assert_msg(fm.live == 0, "allocation %ld refused: %ld blocks left", n, fm.live);
        if (!refused)
            break;
    }
    ck_assert(!fm.misused);
    /* The sweep went through the whole load (about 240 allocations: templates are built on
     * the stack, their blocks in the machine's arena). */
    ck_assert_int_gt(n, 200 / stride());
    failing_mem_jansson_release();
}
END_TEST

/*
 * JSON text from outside the library: a host's ctx_json and ivrsm_ctx_set_json(). jansson
 * does not tell memory that ran out from text that is not JSON (a string it cannot copy is
 * an "invalid token", a real it cannot make is "out of range", a buffer it cannot grow loses a
 * byte), so each allocation refused in turn must give IVRSM_ENOMEM, never IVRSM_EINVAL, or the
 * very result given without failures.
 */
static const char rich_ctx[] =
    "{\"customer\": {\"name\": \"Ana \\u00e9lise O'Brien de la Fontaine-Saint-Marc\","
    " \"tags\": [\"vip\", \"late payer\", {\"since\": 2019}], \"balance\": 1250.50, \"n\": -3},"
    " \"flag\": true, \"nothing\": null, \"ratio\": 2.5e-3,"
    " \"note\": \"a note long enough to make the reader grow its buffer more than once, "
    "with an escape \\\" and \\\\ and \\n inside\", \"empty\": {}, \"list\": []}";

/* One call of `what` with the n-th allocation refused (jansson's or the library's). */
typedef int (*json_step)(char **out);

static int session_with_rich_ctx(char **out)
{
    ivrsm_session_options o = options();
    o.ctx_json = rich_ctx;
    ivrsm_session *s = NULL;
    ivrsm_error err = {0};
    int rc = ivrsm_session_new(machine, &o, &s, &err);
    if (rc == 0) {
        pause_failures();
        *out = ivrsm_session_ctx_json(s);
        resume_failures();
        ivrsm_session_free(s);
    }
    return rc;
}

static int set_in_rich_ctx(char **out)
{
    return ivrsm_ctx_set_json(rich_ctx, "customer.address.city",
                              "{\"zip\": \"75001\", \"lines\": [\"1 rue de la Paix\", \"bât. B\"]}",
                              out);
}

/* Each allocation of `step` refused in turn (it makes more than `least`): the same result or
 * IVRSM_ENOMEM, nothing left. */
static void sweep_json_step(json_step step, const char *what, long least)
{
    failing_mem_init(&fm);
    failing_mem_jansson_route(&fm);
    char *want = NULL;
    ck_assert_int_eq(step(&want), 0);
    ck_assert_ptr_nonnull(want);
    long kept = fm.live; /* want, when the session's allocator made it */
    long n = 0;
    for (;; n++) {
        char *got = NULL;
        failing_mem_fail_one(&fm, n);
        int rc = step(&got);
        bool refused = fm.refused;
        failing_mem_off(&fm);
        ck_assert_msg(rc == 0 || rc == IVRSM_ENOMEM, "%s, allocation %ld refused: %s", what, n,
                      ivrsm_strerror(rc));
        ck_assert_msg(rc == 0 || refused, "%s: IVRSM_ENOMEM with nothing refused", what);
        if (rc == 0)
            ck_assert_msg(got && !strcmp(got, want), "%s, allocation %ld refused: %s", what, n,
                          got ? got : "(null)");
        ivrsm_free(got);
        ck_assert_msg(fm.live == kept, "%s, allocation %ld refused: %ld blocks left", what, n,
                      fm.live - kept);
        if (!refused)
            break;
    }
    ivrsm_free(want);
    ck_assert(!fm.misused);
    ck_assert_int_gt(n, least);
    failing_mem_jansson_release();
}

static int64_t wednesday_morning(void *user)
{
    (void)user;
    return 1764147600000LL; /* 2025-11-26T09:00:00Z, open */
}

/* A machine that reads now.*: the session's `now` made at the first event, then a key fed. */
static int call_reading_now(char **out)
{
    ivrsm_session_options o = options();
    o.clock = wednesday_morning;
    ivrsm_session *s = NULL;
    ivrsm_error err = {0};
    int rc = ivrsm_session_new(machine, &o, &s, &err);
    if (rc != 0)
        return rc;
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "0";
    const ivrsm_command *c;
    rc = ivrsm_session_start(s);
    while (rc == 0 && (c = ivrsm_session_next_command(s)) != NULL)
        ;
    if (rc == 0)
        rc = ivrsm_session_feed(s, &ev);
    while (rc == 0 && (c = ivrsm_session_next_command(s)) != NULL)
        ;
    if (rc == 0) { /* where the call went and what it said, now.time included */
        pause_failures();
        ck_assert_int_eq(ivrsm_session_snapshot(s, out), 0);
        resume_failures();
    }
    ivrsm_session_free(s);
    return rc;
}

START_TEST(every_allocation_reading_now_refused_in_turn)
{
    machine = load_source_file("tests/format/hours.yaml");
    /* 5 allocations: the machine's static messages are shown, not copied. */
    sweep_json_step(call_reading_now, "a call reading now", 4);
    ivrsm_machine_unref(machine);
}
END_TEST

/* A text with secrets at several depths, redacted (ivrsm_machine_redact_text). */
static int redact_rich_text(char **out)
{
    return ivrsm_machine_redact_text(
        machine,
        "{\"otp\": \"482913\", \"customer\": {\"name\": \"Ana\", \"session_token\": \"t-1\", "
        "\"cards\": [{\"pin\": 1234, \"label\": \"main\"}, {\"pin\": null}]}, \"n\": 2.5}",
        out);
}

START_TEST(every_allocation_reading_ctx_json_refused_in_turn)
{
    machine = load_source_file("examples/synergia_rdv/machine.yaml");
    sweep_json_step(session_with_rich_ctx, "ivrsm_session_new", 10);
    /* jansson said "not JSON" of memory that ran out here (the text was read with json_loads):
     * each refused allocation gives IVRSM_ENOMEM, never IVRSM_EINVAL. */
    sweep_json_step(redact_rich_text, "ivrsm_machine_redact_text", 10);
    char *clean = NULL;
    ck_assert_int_eq(redact_rich_text(&clean), 0);
    ck_assert_str_eq(clean,
                     "{\"otp\":\"***\",\"customer\":{\"name\":\"Ana\",\"session_token\":"
                     "\"***\",\"cards\":[{\"pin\":\"***\",\"label\":\"main\"},{\"pin\":null}]},"
                     "\"n\":2.5}");
    ivrsm_free(clean);
    ck_assert_int_eq(ivrsm_machine_redact_text(machine, "{not json", &clean), IVRSM_EINVAL);
    ck_assert_ptr_null(clean);
    ck_assert_int_eq(ivrsm_machine_redact_text(machine, NULL, &clean), IVRSM_EINVAL);
    ivrsm_machine_unref(machine);
    sweep_json_step(set_in_rich_ctx, "ivrsm_ctx_set_json", 10);
}
END_TEST

/*
 * A request body larger than the storage its text is worked out in at load (more holes and
 * more text than the stack holds), and a message of says and recordings in turn (more parts
 * than a speech block's first room, joins after it grows): the load, the request and the
 * words, each allocation refused in turn, give IVRSM_ENOMEM or exactly what they give without
 * failures, and leave nothing.
 */
static const char *const big_yaml =
    "machine: big\nversion: \"1\"\nlocale: fr-FR\nstates:\n"
    "  send:\n    type: action_then_prompt\n    action:\n      call: \"PUT /x/{id}\"\n"
    "      path: { id: \"{{ctx.a}}\" }\n      headers: { Authorization: \"Bearer {{ctx.a}}\" }\n"
    "      body:\n"
    "        f0: \"{{ctx.a}}\"\n        f1: \"{{ctx.n}}\"\n        f2: \"x {{ctx.a}}\"\n"
    "        f3: \"{{ctx.a}}\"\n        f4: \"{{ctx.n}}\"\n        f5: \"x {{ctx.a}}\"\n"
    "        f6: \"{{ctx.a}}\"\n        f7: \"{{ctx.n}}\"\n        f8: \"x {{ctx.a}}\"\n"
    "        f9: \"{{ctx.a}}\"\n        g0: \"{{ctx.n}}\"\n        g1: \"x {{ctx.a}}\"\n"
    "        g2: \"{{ctx.a}}\"\n        g3: \"{{ctx.n}}\"\n        g4: \"x {{ctx.a}}\"\n"
    "        g5: [\"{{ctx.a}}\", \"{{ctx.n}}\", { h: \"{{ctx.a}}\" }]\n"
    "        text: \"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor "
    "in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur "
    "sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est "
    "laborum. Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium.\"\n"
    "    on_success:\n      prompt:\n        - say: \"Bonjour {{ctx.a}}.\"\n"
    "        - play: \"ivr/{{ctx.a}}.wav\"\n        - say: \"Deux.\"\n"
    "        - play: ivr/deux.wav\n        - say: \"Trois {{ctx.n}}.\"\n"
    "        - play: ivr/trois.wav\n        - say: \"Quatre.\"\n      next: menu\n"
    "  menu:\n    type: prompt_and_listen\n"
    "    prompt: \"Le menu de {{ctx.a}}, une phrase assez longue pour faire grandir le bloc.\"\n"
    "    routes:\n      - when_text: \"fin\"\n        next: bye\n"
    "  bye:\n    type: prompt_end\n    prompt: \"Au revoir.\"\n";

/* Load, start, pull, answer, pull: the commands as JSON lines, or NULL with *rc the code. */
static char *big_call(const ivrsm_load_options *lo, int *rc)
{
    ivrsm_machine *m = NULL;
    ivrsm_session *s = NULL;
    char *out = NULL;
    ivrsm_error err;
    *rc = ivrsm_machine_load_buffer_opts(big_yaml, strlen(big_yaml), IVRSM_FORMAT_YAML, "big.yaml",
                                         lo, &m, &err);
    if (*rc != 0)
        return NULL;
    ivrsm_session_options o = options();
    o.ctx_json = "{\"a\": \"al\\\"ice\", \"n\": 42}";
    if ((*rc = ivrsm_session_new(m, &o, &s, NULL)) == 0 && (*rc = ivrsm_session_start(s)) == 0) {
        pause_failures();
        json_t *lines = json_array();
        resume_failures();
        const ivrsm_command *c;
        uint64_t id = 0;
        while ((c = ivrsm_session_next_command(s)) != NULL) {
            pause_failures();
            json_array_append_new(lines,
                                  json_pack("{s:s?, s:s?, s:s?}", "path", c->http.path, "body",
                                            c->http.body, "key", c->http.idempotency_key));
            resume_failures();
            id = c->id;
        }
        ivrsm_event ev = IVRSM_EVENT_INIT;
        ev.type = IVRSM_EVENT_ACTION_RESULT;
        ev.command_id = id;
        ev.status = 200;
        ev.body = "{}";
        if ((*rc = ivrsm_session_feed(s, &ev)) == 0) {
            while ((c = ivrsm_session_next_command(s)) != NULL) {
                pause_failures();
                char *j = ivrsm_command_to_json(c);
                json_array_append_new(lines, json_string(j));
                ivrsm_free(j);
                resume_failures();
            }
            pause_failures();
            out = json_dumps(lines, JSON_COMPACT);
            resume_failures();
        }
        pause_failures();
        json_decref(lines);
        resume_failures();
    }
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
    return out;
}

START_TEST(every_allocation_of_a_large_request_and_parts_refused_in_turn)
{
    failing_mem_init(&fm);
    failing_mem_jansson_route(&fm);
    ivrsm_load_options lo = IVRSM_LOAD_OPTIONS_INIT;
    lo.mem = &fm.mem;
    int rc;
    char *want = big_call(&lo, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_ptr_nonnull(strstr(want, "ivr/al\\\\\\\"ice.wav"));
    long n = 0;
    for (;; n += stride()) {
        failing_mem_fail_one(&fm, n);
        char *got = big_call(&lo, &rc);
        bool refused = fm.refused;
        failing_mem_off(&fm);
        ck_assert_msg(rc == 0 || rc == IVRSM_ENOMEM, "allocation %ld refused: %s", n,
                      ivrsm_strerror(rc));
        if (rc == 0)
            ck_assert_str_eq(got, want);
        free(got);
        ck_assert_msg(fm.live == 0, "allocation %ld refused: %ld blocks left", n, fm.live);
        if (!refused)
            break;
    }
    free(want);
    ck_assert(!fm.misused);
    /* The sweep went through the whole call, load included (about 50 allocations: templates
     * are compiled on the stack, their blocks in the machine's arena). */
    ck_assert_int_gt(n, 40 / stride());
    failing_mem_jansson_release();
}
END_TEST

/*
 * Under the C library's allocator a session's block comes from its machine's pool of chunks
 * (lib/base/pool.h). A chunk that cannot be mapped: a new session and a restored one are
 * IVRSM_ENOMEM, nothing is left, and the sessions made once memory is back run a call.
 */
START_TEST(a_session_whose_block_cannot_be_mapped)
{
    if (!ivrsm_s_pooled(ivrsm_mem_default()))
        return; /* AddressSanitizer: each session a block of the C library's */
    failing_mem_init(&fm);
    failing_pool_source src;
    failing_pool_source_init(&src, &fm);
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    m->session_pool = ivrsm_s_pool_new(m, &src.source);
    ck_assert_ptr_nonnull(m->session_pool);
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0); /* the snapshot to restore */
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ivrsm_session_free(s); /* its chunk stays, the spare: the next session needs no map */
    ck_assert_int_eq(src.mapped, 1);
    ivrsm_pool_free(m->session_pool);
    m->session_pool = ivrsm_s_pool_new(m, &src.source);
    ck_assert_int_eq(fm.live, 0);

    failing_mem_fail_from(&fm, 0);
    s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), IVRSM_ENOMEM);
    ck_assert_ptr_null(s);
    ck_assert(fm.refused);
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, NULL, &s, &err), IVRSM_ENOMEM);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(fm.live, 0);
    ck_assert_uint_eq(ivrsm_pool_live(m->session_pool), 0);

    failing_mem_off(&fm);
    ck_assert_int_eq(ivrsm_session_restore(m, snap, NULL, &s, &err), 0);
    ck_assert_int_eq(src.mapped, 1);
    ivrsm_session *t = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &t, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(t), 0);
    while (ivrsm_session_next_command(t))
        ;
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "1";
    ck_assert_int_eq(ivrsm_session_feed(t, &ev), 0);
    ck_assert_ptr_nonnull(ivrsm_session_next_command(t));
    ivrsm_session_free(t);
    ivrsm_session_free(s);
    ivrsm_free(snap);
    ivrsm_machine_unref(m); /* the pool with it: its chunk unmapped */
    ck_assert_int_eq(src.mapped, 0);
    ck_assert_int_eq(fm.live, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oom");
    TCase *tc = tcase_create("sweep");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, every_allocation_of_the_seed_load_refused_in_turn);
    tcase_add_test(tc, every_allocation_of_a_seed_call_refused_in_turn);
    tcase_add_test(tc, every_allocation_of_a_handoff_refused_in_turn);
    tcase_add_test(tc, every_allocation_of_a_large_answer_refused_in_turn);
    tcase_add_test(tc, a_session_freed_after_pulling_its_request_leaves_nothing);
    tcase_add_test(tc, every_allocation_of_a_large_request_and_parts_refused_in_turn);
    tcase_add_test(tc, a_session_whose_block_cannot_be_mapped);
    suite_add_tcase(s, tc);
    TCase *json = tcase_create("json");
    tcase_set_timeout(json, 300);
    tcase_add_test(json, every_allocation_reading_ctx_json_refused_in_turn);
    tcase_add_test(json, every_allocation_reading_now_refused_in_turn);
    suite_add_tcase(s, json);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
