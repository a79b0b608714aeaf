/*
 * A host clock that gives a time outside the years 1 to 9999 (a clock that
 * was never set, a sign error, INT64_MIN or INT64_MAX as "no time"). The
 * session never reads a clock itself and cannot know a better time: it
 * goes on, within bounds, with the time it is given. Checked here, for
 * every such time and for the first and last millisecond of the range:
 * the call starts, says its prompt, is saved and restored as itself, and
 * ends when fed only failures; a date is said in words for a year of four
 * digits (0 to 9999, lib/collect/say.c), and otherwise written as the
 * ISO-like text of its date (ivrsm_civil's year, any number of digits, a
 * sign), which no locale says; a date the caller says is taken or asked
 * for again.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

static const char machine_yaml[] =
    "machine: clock\nversion: '1'\nlocale: en-US\ntimezone: Europe/Paris\n"
    "globals:\n  hours: {open: {mon-fri: '09:00-18:00'}}\n"
    "states:\n"
    "  ask_day:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Today is {{now.date | date}}, {{now.time}}. Which day?'\n"
    "    collect: {mode: date_nl, target: day}\n"
    "    next: said\n"
    "  said: {type: prompt_end, prompt: 'Noted.'}\n";

static int64_t clock_value;
static int64_t fixed_clock(void *user)
{
    (void)user;
    return clock_value;
}

/* The first millisecond of year 1 and the last of year 9999, UTC, and times past them. */
#define YEAR_1_MS (-62135596800000LL)
#define YEAR_10000_MS 253402300800000LL

static const struct {
    int64_t ms;
    int in_range; /* in the machine's zone (Paris: UTC+1 in winter) */
} clocks[] = {
    {INT64_MIN, 0},
    {INT64_MIN / 2, 0},
    {YEAR_1_MS - 3600001, 1}, /* 31 December of year 0 in Paris: four digits, said */
    {YEAR_1_MS - 366LL * 86400000 - 3600001, 0}, /* 31 December of year -1 */
    {YEAR_1_MS, 1},
    {YEAR_10000_MS - 3600001, 1}, /* 31 December 9999 in Paris */
    {YEAR_10000_MS, 0},
    {INT64_MAX / 2, 0},
    {INT64_MAX, 0},
};

static const char *next_text(ivrsm_session *s, int *ended)
{
    static char said[512];
    said[0] = 0;
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(s))) {
        if (c->text && !said[0])
            snprintf(said, sizeof said, "%s", c->text);
        if (c->type == IVRSM_COMMAND_HANGUP)
            *ended = 1;
    }
    return said;
}

START_TEST(clock_outside_the_calendar)
{
    ivrsm_machine *m;
    ivrsm_error err;
    ck_assert_msg(ivrsm_machine_load_buffer(machine_yaml, sizeof machine_yaml - 1,
                                            IVRSM_FORMAT_YAML, "clock.yaml", &m, &err) == 0,
                  "%s", err.message);
    clock_value = clocks[_i].ms;
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.clock = fixed_clock;
    ivrsm_session *s;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    int ended = 0;
    const char *said = next_text(s, &ended);
    ck_assert_msg(strncmp(said, "Today is ", 9) == 0 && strstr(said, "Which day?"), "%s", said);
    /* A date in words has no digit but the day's and the year's; outside, its ISO-like text. */
    int iso = strchr(said + 9, '-') != NULL;
    ck_assert_msg(iso == !clocks[_i].in_range, "%lld: %s", (long long)clocks[_i].ms, said);

    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_SPEECH;
    ev.text = "tomorrow";
    ev.confidence = 0.9;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    said = next_text(s, &ended);
    /* Taken (a day after year -1's last is a calendar day), or asked again (past the days the
     * collector counts, as at INT64_MIN): nothing else. */
    ck_assert_msg(strstr(said, "Which day?") || !strcmp(said, "Noted."), "%s", said);

    /* Saved and restored as itself. */
    char *snap = NULL, *again = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ivrsm_session *r;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, &o, &r, &err), 0);
    ck_assert_int_eq(ivrsm_session_snapshot(r, &again), 0);
    ck_assert_str_eq(snap, again);
    ivrsm_free(snap);
    ivrsm_free(again);
    ivrsm_session_free(r);

    /* Fed only silence, the call ends. */
    ev = (ivrsm_event)IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_NOINPUT;
    for (int i = 0; i < 50 && !ivrsm_session_ended(s); i++) {
        int rc = ivrsm_session_feed(s, &ev);
        ck_assert_msg(rc == 0 || rc == IVRSM_EENDED, "feed: %d", rc);
        next_text(s, &ended);
    }
    ck_assert(ivrsm_session_ended(s));
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("clock");
    TCase *tc = tcase_create("outside");
    tcase_add_loop_test(tc, clock_outside_the_calendar, 0, sizeof clocks / sizeof *clocks);
    suite_add_tcase(suite, tc);
    SRunner *r = srunner_create(suite);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
