/*
 * A host clock outside the years 1 to 9999 (a clock that was never set, a
 * sign error, INT64_MIN or INT64_MAX as "no time"). The session never reads
 * a clock itself and cannot know a better time: ivrsm_session_start() and
 * ivrsm_session_feed() read the clock first and refuse such a time with
 * IVRSM_EINVAL, the session as it was (the same snapshot, the event id not
 * taken), so that the host can feed the event again once its clock is right.
 * The first and last millisecond of the range are taken, said and saved.
 *
 * A clock whose later reads within one event leave the range (the first was
 * in it) still runs the call within bounds (no overflow under UBSan): a date
 * in words for a year of four digits (0 to 9999, lib/collect/say.c), its
 * ISO-like text otherwise, a spoken date taken or asked for again, saved and
 * restored as itself, and ended when fed only failures.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adv_session.h"
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

/* The clock's first read of each start or event gives `first`, later ones `later`: the check
 * the API makes reads first. `reads` counts them; the test resets it before each call. */
static int64_t clock_first, clock_later;
static int clock_reads;
static int64_t test_clock(void *user)
{
    (void)user;
    return clock_reads++ == 0 ? clock_first : clock_later;
}

static void set_clock(int64_t first, int64_t later)
{
    clock_first = first;
    clock_later = later;
    clock_reads = 0;
}

/* The first millisecond of year 1 and the last of year 9999, UTC, and times past them. */
#define YEAR_1_MS (-62135596800000LL)
#define YEAR_10000_MS 253402300800000LL

static const struct {
    int64_t ms;
    int in_range; /* in the machine's zone (Paris: UTC+1 in winter): said in words */
} outside[] = {
    {INT64_MIN, 0},
    {INT64_MIN / 2, 0},
    {YEAR_1_MS - 3600001, 1}, /* 31 December of year 0 in Paris: four digits, said */
    {YEAR_1_MS - 366LL * 86400000 - 3600001, 0}, /* 31 December of year -1 */
    {YEAR_1_MS - 1, 1},
    {YEAR_10000_MS, 0},
    {INT64_MAX / 2, 0},
    {INT64_MAX, 0},
};

/* The same in the session's zone as at the edges of the range: in it, the API takes them. */
static const int64_t inside[] = {YEAR_1_MS, YEAR_10000_MS - 1, 0, 1795597200000LL};

static ivrsm_machine *load(void)
{
    return adv_load(machine_yaml);
}

/* A session of m on test_clock, not started. */
static ivrsm_session *clocked_session(ivrsm_machine *m)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.clock = test_clock;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    return s;
}

static const char *next_text(ivrsm_session *s)
{
    static char said[512];
    said[0] = 0;
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(s)))
        if (c->text && !said[0])
            snprintf(said, sizeof said, "%s", c->text);
    return said;
}

START_TEST(clock_outside_the_calendar_is_refused)
{
    ivrsm_machine *m = load();
    ivrsm_session *s = clocked_session(m);

    /* Not started, and no command: the session waits for a start with a right clock. */
    char *before = adv_snapshot(s);
    set_clock(outside[_i].ms, outside[_i].ms);
    ck_assert_int_eq(ivrsm_session_start(s), IVRSM_EINVAL);
    ck_assert_ptr_null(ivrsm_session_next_command(s));
    ck_assert_ptr_null(ivrsm_session_state(s));
    char *after = adv_snapshot(s);
    ck_assert_str_eq(before, after);
    ivrsm_free(before);
    ivrsm_free(after);

    set_clock(1795597200000LL, 1795597200000LL); /* 2026-11-25 10:00 in Paris */
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    ck_assert_str_eq(next_text(s), "Today is Wednesday, November 25th, 10:00. Which day?");

    /* An event: refused whole, its id not taken; then taken as if first given. */
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_SPEECH;
    ev.text = "tomorrow";
    ev.confidence = 0.9;
    ev.event_id = "e-1";
    before = adv_snapshot(s);
    set_clock(outside[_i].ms, outside[_i].ms);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), IVRSM_EINVAL);
    ck_assert_ptr_null(ivrsm_session_next_command(s));
    after = adv_snapshot(s);
    ck_assert_str_eq(before, after);
    ivrsm_free(before);
    ivrsm_free(after);
    /* A hangup too: the call is not lost to a wrong clock. */
    ivrsm_event hangup = IVRSM_EVENT_INIT;
    hangup.type = IVRSM_EVENT_HANGUP;
    set_clock(outside[_i].ms, outside[_i].ms);
    ck_assert_int_eq(ivrsm_session_feed(s, &hangup), IVRSM_EINVAL);
    ck_assert(!ivrsm_session_ended(s));

    set_clock(1795597200000LL, 1795597200000LL);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_str_eq(next_text(s), "Noted.");
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(clock_at_the_edges_is_taken)
{
    ivrsm_machine *m = load();
    ivrsm_session *s = clocked_session(m);
    set_clock(inside[_i], inside[_i]);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const char *said = next_text(s);
    ck_assert_msg(strncmp(said, "Today is ", 9) == 0 && strstr(said, "Which day?"), "%s", said);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_NOINPUT;
    set_clock(inside[_i], inside[_i]);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_ptr_nonnull(strstr(next_text(s), "Which day?"));
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* Past the API's check: a clock whose later reads of one event leave the calendar. */
START_TEST(clock_leaving_the_calendar_within_an_event_stays_bounded)
{
    ivrsm_machine *m = load();
    ivrsm_error err;
    const int64_t ms = outside[_i].ms;
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.clock = test_clock;
    ivrsm_session *s = clocked_session(m);
    set_clock(0, ms);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    const char *said = next_text(s);
    ck_assert_msg(strncmp(said, "Today is ", 9) == 0 && strstr(said, "Which day?"), "%s", said);
    /* A date in words has no digit but the day's and the year's; outside, its ISO-like text. */
    int iso = strchr(said + 9, '-') != NULL;
    ck_assert_msg(iso == !outside[_i].in_range, "%lld: %s", (long long)ms, said);

    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_SPEECH;
    ev.text = "tomorrow";
    ev.confidence = 0.9;
    set_clock(0, ms);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    said = next_text(s);
    /* Taken (a day after year -1's last is a calendar day), or asked again (past the days the
     * collector counts, as at INT64_MIN): nothing else. */
    ck_assert_msg(strstr(said, "Which day?") || !strcmp(said, "Noted."), "%s", said);

    /* Saved and restored as itself. */
    char *snap = adv_snapshot(s);
    ivrsm_session *r;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, &o, &r, &err), 0);
    char *again = adv_snapshot(r);
    ck_assert_str_eq(snap, again);
    ivrsm_free(snap);
    ivrsm_free(again);
    ivrsm_session_free(r);

    /* Fed only silence, the call ends. */
    ev = (ivrsm_event)IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_NOINPUT;
    for (int i = 0; i < 50 && !ivrsm_session_ended(s); i++) {
        set_clock(0, ms);
        int rc = ivrsm_session_feed(s, &ev);
        ck_assert_msg(rc == 0 || rc == IVRSM_EENDED, "feed: %d", rc);
        next_text(s);
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
    const int n_outside = (int)(sizeof outside / sizeof *outside);
    tcase_add_loop_test(tc, clock_outside_the_calendar_is_refused, 0, n_outside);
    tcase_add_loop_test(tc, clock_at_the_edges_is_taken, 0, (int)(sizeof inside / sizeof *inside));
    tcase_add_loop_test(tc, clock_leaving_the_calendar_within_an_event_stays_bounded, 0, n_outside);
    suite_add_tcase(suite, tc);
    return adv_run(suite);
}
