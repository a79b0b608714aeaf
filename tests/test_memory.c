/*
 * What a session holds between events: a question rendered for the call is
 * held once (the session and the ask command share its words), whatever
 * the host pulls or leaves queued, and asked again without a copy. Run
 * under AddressSanitizer by the sanitized suite: a word freed too early
 * would be read here.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

/* A question with the caller's data in it, re-asked (no prompt of its own) by a listen state. */
static const char *const machine_yaml =
    "machine: held\nversion: \"1\"\nlocale: fr-FR\n"
    "globals:\n  max_noinput: 5\n  max_nomatch: 5\n"
    "  limits: { max_consecutive_failures: 50, max_state_visits: 50 }\n"
    "states:\n"
    "  ask:\n    type: prompt_and_listen\n"
    "    prompt_template: \"Bonjour {{ctx.name}}, tapez 1 ou 2.\"\n"
    "    routes:\n"
    "      - when_text: \"un\"\n        set: { name: \"Léa\" }\n        next: ask\n"
    "      - when_text: \"deux\"\n        next: listen\n"
    "  listen:\n    type: listen\n"
    "    routes:\n      - when_text: \"trois\"\n        next: ask\n";

static ivrsm_machine *load(void)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_msg(ivrsm_machine_load_buffer(machine_yaml, strlen(machine_yaml), IVRSM_FORMAT_YAML,
                                            "held.yaml", &m, &err) == 0,
                  "%d:%d %s", err.line, err.column, err.message);
    return m;
}

static ivrsm_session *start(ivrsm_machine *m)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"name\":\"Ana\"}";
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    return s;
}

static void feed(ivrsm_session *s, ivrsm_event_type type, const char *text)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = type;
    ev.text = text;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
}

/* Pull every command; each ask must say `want`. Returns how many asks there were. */
static int pull_asks(ivrsm_session *s, const char *want)
{
    int asks = 0;
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(s)) != NULL) {
        if (c->type != IVRSM_COMMAND_ASK)
            continue;
        ck_assert_str_eq(c->text, want);
        ck_assert_int_eq(c->part_count, 1);
        ck_assert_str_eq(c->parts[0].text, want);
        asks++;
    }
    return asks;
}

START_TEST(test_question_asked_again_after_it_was_pulled)
{
    ivrsm_machine *m = load();
    ivrsm_session *s = start(m);
    ck_assert_int_eq(pull_asks(s, "Bonjour Ana, tapez 1 ou 2."), 1);
    feed(s, IVRSM_EVENT_SPEECH, "deux"); /* listen: the question is asked again */
    ck_assert_int_eq(pull_asks(s, "Bonjour Ana, tapez 1 ou 2."), 1);
    feed(s, IVRSM_EVENT_NOINPUT, NULL);
    ck_assert_int_eq(pull_asks(s, "Bonjour Ana, tapez 1 ou 2."), 1);
    feed(s, IVRSM_EVENT_SPEECH, "trois"); /* back: a new rendering */
    ck_assert_int_eq(pull_asks(s, "Bonjour Ana, tapez 1 ou 2."), 1);
    feed(s, IVRSM_EVENT_SPEECH, "un");
    ck_assert_int_eq(pull_asks(s, "Bonjour Léa, tapez 1 ou 2."), 1);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A host that never pulls: questions pile up in the queue, each keeps its words. */
START_TEST(test_questions_left_queued_keep_their_words)
{
    ivrsm_machine *m = load();
    ivrsm_session *s = start(m);
    feed(s, IVRSM_EVENT_SPEECH, "deux"); /* the same words asked again, shared */
    feed(s, IVRSM_EVENT_NOINPUT, NULL);
    feed(s, IVRSM_EVENT_SPEECH, "trois"); /* a new rendering replaces the last question */
    feed(s, IVRSM_EVENT_SPEECH, "un");
    const char *const want[] = {"Bonjour Ana, tapez 1 ou 2.", "Bonjour Ana, tapez 1 ou 2.",
                                "Bonjour Ana, tapez 1 ou 2.", "Bonjour Ana, tapez 1 ou 2.",
                                "Bonjour Léa, tapez 1 ou 2."};
    size_t n = 0;
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(s)) != NULL) {
        if (c->type != IVRSM_COMMAND_ASK)
            continue;
        ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
        ck_assert_str_eq(c->text, want[n]);
        ck_assert_str_eq(c->parts[0].text, want[n]);
        n++;
    }
    ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
    /* Saved and restored with questions queued: the copy says the same. */
    feed(s, IVRSM_EVENT_SPEECH, "deux");
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ivrsm_session *r = NULL;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, NULL, &r, NULL), 0);
    ck_assert_int_eq(pull_asks(r, "Bonjour Léa, tapez 1 ou 2."), 1);
    ck_assert_int_eq(pull_asks(s, "Bonjour Léa, tapez 1 ou 2."), 1);
    feed(r, IVRSM_EVENT_NOINPUT, NULL);
    ck_assert_int_eq(pull_asks(r, "Bonjour Léa, tapez 1 ou 2."), 1);
    ivrsm_free(snap);
    ivrsm_session_free(r);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A question rendered for the call is held once: by the session, not copied per ask. */
START_TEST(test_question_held_once)
{
    ivrsm_machine *m = load();
    ivrsm_session *s = start(m);
    pull_asks(s, "Bonjour Ana, tapez 1 ou 2.");
    size_t before = ivrsm_session_memory(s);
    feed(s, IVRSM_EVENT_SPEECH, "deux");
    pull_asks(s, "Bonjour Ana, tapez 1 ou 2.");
    feed(s, IVRSM_EVENT_NOINPUT, NULL);
    pull_asks(s, "Bonjour Ana, tapez 1 ou 2.");
    ck_assert_uint_eq(ivrsm_session_memory(s), before);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

static Suite *memory_suite(void)
{
    Suite *s = suite_create("memory");
    TCase *tc = tcase_create("held");
    tcase_add_test(tc, test_question_asked_again_after_it_was_pulled);
    tcase_add_test(tc, test_questions_left_queued_keep_their_words);
    tcase_add_test(tc, test_question_held_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(memory_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
