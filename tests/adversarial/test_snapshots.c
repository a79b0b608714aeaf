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
    return suite;
}

int main(void)
{
    return adv_run(snapshots_suite());
}
