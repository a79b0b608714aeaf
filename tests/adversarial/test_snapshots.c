/*
 * Snapshots read back from a store someone else can write: every field a session's own
 * snapshot holds, tampered one at a time. A snapshot is restored exactly or refused with
 * IVRSM_ESNAPSHOT; never restored with a counter that undoes the bounds of a call (a
 * no-input counter of -1000000 gave a silent caller a million re-prompts), nor with a
 * command id that wraps.
 */
#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adv_session.h"
#include "ivrsm/ivrsm.h"

/* A question that re-prompts a silent caller twice, then says goodbye; a retry state that
 * hands the caller's input on to it. */
static const char machine_yaml[] = "machine: snapshots\n"
                                   "version: \"1\"\n"
                                   "globals:\n"
                                   "  max_consecutive_failures: 3\n"
                                   "intents:\n"
                                   "  yes: {dtmf: [\"1\"]}\n"
                                   "states:\n"
                                   "  ask:\n"
                                   "    type: prompt_and_listen\n"
                                   "    prompt: Press 1.\n"
                                   "    routes:\n"
                                   "      - {when_intent: yes, next: bye}\n"
                                   "    noinput: {max: 2, next: bye}\n"
                                   "    fallback: {next: bye}\n"
                                   "  bye:\n"
                                   "    type: prompt_end\n"
                                   "    prompt: Bye.\n";

static ivrsm_machine *machine;

static void setup(void)
{
    machine = adv_load(machine_yaml);
}

static void teardown(void)
{
    ivrsm_machine_unref(machine);
}

/* The snapshot of a call waiting for its first answer, as a JSON object. */
static json_t *asking(void)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.session_id = "s-snap";
    ivrsm_session *s = adv_start(machine, &o);
    adv_drain(s);
    char *text = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &text), 0);
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ivrsm_free(text);
    ivrsm_session_free(s);
    return j;
}

static int restore(json_t *j, ivrsm_session **out, ivrsm_error *err)
{
    char *text = json_dumps(j, JSON_COMPACT);
    ck_assert_ptr_nonnull(text);
    *out = NULL;
    int rc = ivrsm_session_restore(machine, text, NULL, out, err);
    free(text);
    return rc;
}

typedef struct tamper {
    const char *name;
    const char *object; /* NULL: the snapshot itself; else one of its objects */
    const char *key;
    const char *value; /* JSON */
    const char *fragment;
} tamper;

static const tamper tampers[] = {
    {"negative no-input counter", "counters", "noinput", "-1000000", "a counter is not a count"},
    {"negative failures in a row", "counters", "consecutive_failures", "-2147483648",
     "a counter is not a count"},
    {"counter past a C int", "counters", "escalations", "1099511627776",
     "a counter is not a count"},
    {"counter that would overflow at the next failure", "counters", "nomatch", "2147483647",
     "a counter is not a count"},
    {"counter as a real", "counters", "otp_failures", "1.5", "a counter is not a count"},
    {"counter as a string", "counters", "retries", "\"2\"", "a counter is not a count"},
    {"negative visits", "visits", "ask", "-1", "a count of visits"},
    {"visits past 65535", "visits", "ask", "70000", "a count of visits"},
    {"negative next_id", NULL, "next_id", "-1", "next_id or pending_id is not a command id"},
    {"next_id past 2**53", NULL, "next_id", "18014398509481984",
     "next_id or pending_id is not a command id"},
    {"pending_id not yet given", NULL, "pending_id", "7", "pending_id is not an id given"},
    {"negative recent_pos", NULL, "recent_pos", "-1", "recent_pos is not a position"},
    {"input handed on of an unknown type", NULL, "carry", "{\"type\": 99, \"text\": \"1\"}",
     "the input handed on is not keys or words"},
    {"input handed on without its text", NULL, "carry", "{\"type\": 1}",
     "the input handed on is not keys or words"},
    {"a state the machine no longer has", NULL, "state", "\"ask_v1\"", "unknown state"},
};

START_TEST(test_tampered_field_is_refused)
{
    const tamper *t = &tampers[_i];
    json_t *j = asking();
    json_t *where = t->object ? json_object_get(j, t->object) : j;
    ck_assert_ptr_nonnull(where);
    json_t *value = json_loads(t->value, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(value);
    json_object_set_new(where, t->key, value);
    ivrsm_session *s = NULL;
    ivrsm_error err;
    int rc = restore(j, &s, &err);
    ck_assert_msg(rc == IVRSM_ESNAPSHOT, "%s: restored (%d)", t->name, rc);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.message, t->fragment), "%s: \"%s\" lacks \"%s\"", t->name, err.message,
                  t->fragment);
    json_decref(j);
}
END_TEST

/* Counters at their bounds restore, and the call still ends within the machine's bounds. */
START_TEST(test_counters_at_their_bounds_restore)
{
    json_t *j = asking();
    json_object_set_new(json_object_get(j, "counters"), "noinput", json_integer(INT_MAX - 1));
    json_object_set_new(json_object_get(j, "visits"), "ask", json_integer(65535));
    ivrsm_session *s = NULL;
    ivrsm_error err;
    ck_assert_msg(restore(j, &s, &err) == 0, "%s", err.message);
    adv_feed(s, IVRSM_EVENT_NOINPUT, NULL);
    adv_drain(s);
    ck_assert(ivrsm_session_ended(s));
    ivrsm_session_free(s);
    json_decref(j);
}
END_TEST

/* A silent caller of a restored call gets the machine's re-prompts, not more: the snapshot's
 * counters are the call's. */
START_TEST(test_restored_silent_caller_is_bounded)
{
    json_t *j = asking();
    json_object_set_new(json_object_get(j, "counters"), "noinput", json_integer(1));
    ivrsm_session *s = NULL;
    ivrsm_error err;
    ck_assert_msg(restore(j, &s, &err) == 0, "%s", err.message);
    int events = 0;
    while (!ivrsm_session_ended(s) && events < 10) {
        adv_feed(s, IVRSM_EVENT_NOINPUT, NULL);
        adv_drain(s);
        events++;
    }
    ck_assert_int_eq(events, 1);
    ivrsm_session_free(s);
    json_decref(j);
}
END_TEST

/* ------------------------------------------------------------ damaged bytes */

/* A call that keyed its one-time code and sends it to the backend with the member's token; a
 * menu after. Its snapshots hold both secrets, in ctx, in the pending request's body and in
 * its Authorization header. */
static const char guarded_yaml[] = "machine: guarded\n"
                                   "version: '1'\n"
                                   "locale: en-US\n"
                                   "intents:\n"
                                   "  again: {dtmf: ['1']}\n"
                                   "states:\n"
                                   "  code:\n"
                                   "    type: prompt_and_listen\n"
                                   "    prompt: Key your code.\n"
                                   "    collect: {mode: otp, length: 6}\n"
                                   "    next: check\n"
                                   "  check:\n"
                                   "    type: action_then_prompt\n"
                                   "    action:\n"
                                   "      call: POST /verify\n"
                                   "      headers: {Authorization: 'Bearer {{ctx.token}}'}\n"
                                   "      body: {code: '{{ctx.otp}}'}\n"
                                   "    on_success: {prompt: 'Hello {{resp.name}}.', next: menu}\n"
                                   "    on_fail: {next: bye}\n"
                                   "  menu:\n"
                                   "    type: prompt_and_listen\n"
                                   "    prompt: Press 1 to start again.\n"
                                   "    routes:\n"
                                   "      - {when_intent: again, next: code}\n"
                                   "    fallback: {next: bye}\n"
                                   "  bye: {type: prompt_end, prompt: Bye.}\n";

#define GUARDED_OTP "987654"
#define GUARDED_TOKEN "Zq7vKx9Wp3"

/* The id of the http command s emits now (0: none); every command is pulled. */
static uint64_t pull_http(ivrsm_session *s)
{
    const ivrsm_command *c;
    uint64_t id = 0;
    while ((c = ivrsm_session_next_command(s)))
        if (c->type == IVRSM_COMMAND_HTTP)
            id = c->id;
    return id;
}

/* The snapshots of a guarded call at three points: asking for the code, waiting for the
 * backend to check it, in the menu after (the code forgotten). Each ivrsm_free()d. */
static void guarded_snapshots(ivrsm_machine *m, char *out[3])
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.session_id = "s-guarded";
    o.ctx_json = "{\"token\": \"" GUARDED_TOKEN "\", \"member\": \"m-17\"}";
    ivrsm_session *s = adv_start(m, &o);
    adv_drain(s);
    out[0] = adv_snapshot(s);
    adv_feed(s, IVRSM_EVENT_DTMF, GUARDED_OTP);
    uint64_t id = pull_http(s);
    ck_assert_uint_ne(id, 0);
    out[1] = adv_snapshot(s);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_ACTION_RESULT;
    ev.command_id = id;
    ev.status = 200;
    ev.body = "{\"name\": \"Ann\", \"amount\": 12.50, \"list\": [1, null, true]}";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    adv_drain(s);
    ck_assert_str_eq(ivrsm_session_state(s), "menu");
    out[2] = adv_snapshot(s);
    ivrsm_session_free(s);
}

/* What a restored session waits for, from its own snapshot: its phase and pending id. */
static const char *waits_for(const char *snap, uint64_t *pending)
{
    static char phase[16];
    json_t *j = json_loads(snap, 0, NULL);
    ck_assert_ptr_nonnull(j);
    snprintf(phase, sizeof phase, "%s", json_string_value(json_object_get(j, "phase")));
    *pending = (uint64_t)json_integer_value(json_object_get(j, "pending_id"));
    json_decref(j);
    return phase;
}

/* A session restored from damaged bytes: it saves a snapshot that restores as itself, and fed
 * nothing but failures it ends within the machine's bounds, every event answered with a
 * documented code. */
static void check_restored(ivrsm_machine *m, ivrsm_session *s, const char *what)
{
    char *snap = adv_snapshot(s);
    ivrsm_session *twin = NULL;
    ivrsm_error err;
    ck_assert_msg(ivrsm_session_restore(m, snap, NULL, &twin, &err) == 0,
                  "%s: its own snapshot does not restore: %s", what, err.message);
    char *again = adv_snapshot(twin);
    ck_assert_msg(!strcmp(snap, again), "%s: restored as another:\n%s\n%s", what, snap, again);
    ivrsm_free(again);
    ivrsm_session_free(twin);
    int events = 0;
    for (; !ivrsm_session_ended(s) && events < 200; events++) {
        uint64_t pending;
        const char *phase = waits_for(snap, &pending);
        ivrsm_event ev = IVRSM_EVENT_INIT;
        int rc;
        if (!strcmp(phase, "new")) {
            rc = ivrsm_session_start(s);
        } else {
            ev.type = !strcmp(phase, "http")      ? IVRSM_EVENT_ACTION_RESULT
                      : !strcmp(phase, "handoff") ? IVRSM_EVENT_HANDOFF_RESULT
                                                  : IVRSM_EVENT_NOINPUT;
            ev.command_id = pending;
            ev.error = ev.type == IVRSM_EVENT_ACTION_RESULT ? "timeout" : NULL;
            rc = ivrsm_session_feed(s, &ev);
        }
        ck_assert_msg(rc == 0 || rc == IVRSM_EENDED, "%s: event %d in phase %s: %s", what, events,
                      phase, ivrsm_strerror(rc));
        adv_drain(s);
        ivrsm_free(snap);
        snap = adv_snapshot(s);
    }
    ivrsm_free(snap);
    ck_assert_msg(ivrsm_session_ended(s), "%s: still going after %d failures", what, events);
}

/* One damaged snapshot: restored (and then sound) or refused with IVRSM_ESNAPSHOT or
 * IVRSM_ELIMIT and a message that says so without a byte of the call's secrets; every byte
 * given back either way. */
static void restore_damaged(ivrsm_machine *m, const char *original, const char *text, size_t len,
                            const char *what)
{
    adv_count count = {0};
    ivrsm_mem mem = adv_counting(&count);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.mem = &mem;
    ivrsm_session *s = NULL;
    ivrsm_error err;
    memset(&err, 0, sizeof err);
    int rc = ivrsm_session_restore(m, text, &o, &s, &err);
    if (rc == 0) {
        check_restored(m, s, what);
        ivrsm_session_free(s);
    } else {
        ck_assert_msg(rc == IVRSM_ESNAPSHOT || rc == IVRSM_ELIMIT, "%s: %s", what,
                      ivrsm_strerror(rc));
        ck_assert_ptr_null(s);
        ck_assert_msg(err.code == rc && !strncmp(err.message, "snapshot: ", 10), "%s: '%s'", what,
                      err.message);
        ck_assert_msg(!adv_quotes_secret(err.message, original, text, len, GUARDED_OTP) &&
                          !adv_quotes_secret(err.message, original, text, len, GUARDED_TOKEN),
                      "%s: the message quotes a secret: %s", what, err.message);
    }
    ck_assert_msg(count.now == 0, "%s: %zu bytes kept", what, count.now);
}

/* Each snapshot cut at every byte, and every byte of it with a bit flipped: the digit that
 * becomes another (0x01), a letter's case or a quote that becomes a space (0x20), a byte that
 * is no UTF-8 (0x80), and 0x04 between. */
START_TEST(test_damaged_at_every_byte)
{
    ivrsm_machine *m = adv_load(guarded_yaml);
    char *snaps[3];
    guarded_snapshots(m, snaps);
    static const unsigned char flips[] = {0x01, 0x04, 0x20, 0x80};
    for (int k = 0; k < 3; k++) {
        const char *original = snaps[k];
        size_t n = strlen(original);
        ck_assert_msg(strstr(original, GUARDED_TOKEN) && (k != 1 || strstr(original, GUARDED_OTP)),
                      "snapshot %d lacks a secret: %s", k, original);
        char *text = malloc(n + 1);
        ck_assert_ptr_nonnull(text);
        for (size_t i = 0; i < n; i++) {
            char what[64];
            memcpy(text, original, i);
            text[i] = '\0';
            snprintf(what, sizeof what, "snapshot %d cut at %zu", k, i);
            restore_damaged(m, original, text, i, what);
            memcpy(text, original, n + 1);
            for (size_t f = 0; f < sizeof flips; f++) {
                text[i] = (char)(original[i] ^ flips[f]);
                snprintf(what, sizeof what, "snapshot %d, byte %zu ^ 0x%02x", k, i, flips[f]);
                restore_damaged(m, original, text, n, what);
            }
        }
        free(text);
        ivrsm_free(snaps[k]);
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* Another machine's snapshot, another version's, and one of a machine that lost a state. */
START_TEST(test_other_machines_snapshot_is_refused)
{
    ivrsm_machine *m = adv_load(guarded_yaml);
    char *snaps[3];
    guarded_snapshots(m, snaps);
    static const struct {
        const char *from, *to, *says;
    } others[] = {
        {"machine: guarded", "machine: guarded2", "taken on another machine or version"},
        {"version: '1'", "version: '2'", "taken on another machine or version"},
        {"version: '1'", "version: '1.0'", "taken on another machine or version"},
    };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        char yaml[sizeof guarded_yaml + 16];
        const char *at = strstr(guarded_yaml, others[i].from);
        ck_assert_ptr_nonnull(at);
        snprintf(yaml, sizeof yaml, "%.*s%s%s", (int)(at - guarded_yaml), guarded_yaml,
                 others[i].to, at + strlen(others[i].from));
        ivrsm_machine *other = adv_load(yaml);
        for (int k = 0; k < 3; k++) {
            ivrsm_session *s = NULL;
            ivrsm_error err;
            ck_assert_int_eq(ivrsm_session_restore(other, snaps[k], NULL, &s, &err),
                             IVRSM_ESNAPSHOT);
            ck_assert_ptr_null(s);
            ck_assert_msg(strstr(err.message, others[i].says), "%s", err.message);
        }
        ivrsm_machine_unref(other);
    }
    for (int k = 0; k < 3; k++)
        ivrsm_free(snaps[k]);
    ivrsm_machine_unref(m);
}
END_TEST

/* ------------------------------------------------------------------ ctx's bound */

/* A form of three spoken answers, each under its own key, after a menu that sets nothing. */
static const char form_yaml[] = "machine: form\n"
                                "version: '1'\n"
                                "locale: en-US\n"
                                "states:\n"
                                "  q1:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: First?\n"
                                "    collect: {mode: free_speech_or_no, target: a1}\n"
                                "    next: q2\n"
                                "  q2:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: Second?\n"
                                "    collect: {mode: free_speech_or_no, target: a2}\n"
                                "    next: q3\n"
                                "  q3:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: Third?\n"
                                "    collect: {mode: free_speech_or_no, target: a3}\n"
                                "    next: end\n"
                                "  end:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: Anything else?\n"
                                "    fallback: {next: bye}\n"
                                "  bye: {type: prompt_end, prompt: Bye.}\n";

/* A ctx_json of one string of `bytes` bytes under "big" (free() it). */
static char *big_ctx(size_t bytes)
{
    char *text = malloc(bytes + 32);
    ck_assert_ptr_nonnull(text);
    int n = snprintf(text, 32, "{\"big\": \"");
    memset(text + n, 'x', bytes);
    snprintf(text + n + bytes, 32, "\"}");
    return text;
}

/* A call whose host gave a ctx just within IVRSM_MAX_CTX_BYTES, and whose caller then said
 * three long answers: its ctx passed the bound by them (a collect is the caller's, not a
 * `set:`), and its snapshot restores. */
START_TEST(test_ctx_a_call_reached_restores)
{
    ivrsm_machine *m = adv_load(form_yaml);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    char *ctx = big_ctx(IVRSM_MAX_CTX_BYTES - 512);
    o.ctx_json = ctx;
    ivrsm_session *s = adv_start(m, &o);
    free(ctx);
    adv_drain(s);
    char said[IVRSM_MAX_INPUT_BYTES + 1];
    for (int i = 0; i < 3; i++) {
        memset(said, 'a' + i, sizeof said - 1);
        for (size_t k = 5; k < sizeof said - 1; k += 6)
            said[k] = ' ';
        said[sizeof said - 1] = '\0';
        adv_feed(s, IVRSM_EVENT_SPEECH, said);
        adv_drain(s);
    }
    ck_assert_str_eq(ivrsm_session_state(s), "end");
    char *snap = adv_snapshot(s);
    ivrsm_session *back = NULL;
    ivrsm_error err;
    ck_assert_msg(ivrsm_session_restore(m, snap, NULL, &back, &err) == 0, "%s", err.message);
    char *again = adv_snapshot(back);
    ck_assert(!strcmp(snap, again));
    ivrsm_free(again);
    ivrsm_free(snap);
    ivrsm_session_free(back);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A snapshot whose ctx holds more than any call of its machine may (written by hand, or by
 * another program): refused with IVRSM_ELIMIT, as ivrsm_session_new() refuses such a
 * ctx_json, and nothing kept. */
START_TEST(test_ctx_past_its_bound_is_refused)
{
    ivrsm_machine *m = adv_load(form_yaml);
    ivrsm_session *s = adv_start(m, NULL);
    adv_drain(s);
    char *snap = adv_snapshot(s);
    ivrsm_session_free(s);
    json_t *j = json_loads(snap, 0, NULL);
    ivrsm_free(snap);
    ck_assert_ptr_nonnull(j);
    static const size_t sizes[] = {IVRSM_MAX_CTX_BYTES + 1024 * 1024, 64u * 1024 * 1024};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char *big = malloc(sizes[i] + 1);
        ck_assert_ptr_nonnull(big);
        memset(big, 'x', sizes[i]);
        big[sizes[i]] = '\0';
        json_object_set_new(json_object_get(j, "ctx"), "big", json_string(big));
        free(big);
        char *text = json_dumps(j, JSON_COMPACT);
        ck_assert_ptr_nonnull(text);
        adv_count count = {0};
        ivrsm_mem mem = adv_counting(&count);
        ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
        o.mem = &mem;
        ivrsm_error err;
        s = NULL;
        ck_assert_int_eq(ivrsm_session_restore(m, text, &o, &s, &err), IVRSM_ELIMIT);
        free(text);
        ck_assert_ptr_null(s);
        ck_assert_int_eq(err.code, IVRSM_ELIMIT);
        ck_assert_msg(strstr(err.message, "ctx holds more than a call's ctx may"), "%s",
                      err.message);
        ck_assert_uint_eq(count.now, 0);
    }
    json_decref(j);
    ivrsm_machine_unref(m);
}
END_TEST

static Suite *snapshots_suite(void)
{
    Suite *suite = suite_create("snapshots");
    TCase *tc = tcase_create("tampered");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_tampered_field_is_refused, 0,
                        sizeof(tampers) / sizeof(tampers[0]));
    tcase_add_test(tc, test_counters_at_their_bounds_restore);
    tcase_add_test(tc, test_restored_silent_caller_is_bounded);
    suite_add_tcase(suite, tc);
    TCase *damaged = tcase_create("damaged");
    tcase_set_timeout(damaged, 240);
    tcase_add_test(damaged, test_damaged_at_every_byte);
    tcase_add_test(damaged, test_other_machines_snapshot_is_refused);
    tcase_add_test(damaged, test_ctx_a_call_reached_restores);
    tcase_add_test(damaged, test_ctx_past_its_bound_is_refused);
    suite_add_tcase(suite, damaged);
    return suite;
}

int main(void)
{
    return adv_run(snapshots_suite());
}
