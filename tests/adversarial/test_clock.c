/*
 * A host clock outside the years 1 to 9999 (a clock that was never set, a
 * sign error, INT64_MIN or INT64_MAX as "no time"). The session never reads
 * a clock itself and cannot know a better time: ivrsm_session_start() and
 * ivrsm_session_feed() read the clock first and refuse such a time with
 * IVRSM_EINVAL, the session as it was (the same snapshot, the event id not
 * taken), so that the host can feed the event again once its clock is right.
 * The first and last millisecond of the range are taken, said and saved.
 *
 * A start or an event reads the clock once, there: every use of the time in
 * the step (now.*, the opening hours, a date said, a trace record's time) is
 * the one whose bounds were checked, and a later read that would have left the
 * calendar is never made.
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

/* Each trace record's time, in order, to check that they are the step's. */
static int64_t trace_times[64];
static int trace_count;
static void time_of_record(void *user, const char *record)
{
    (void)user;
    const char *t = strstr(record, "\"t\":");
    ck_assert_msg(t != NULL, "a record without its time: %s", record);
    if (trace_count < (int)(sizeof trace_times / sizeof *trace_times))
        trace_times[trace_count++] = strtoll(t + 4, NULL, 10);
}

/* Every record since the last reset has the time t. */
static void records_are_at(int64_t t)
{
    ck_assert_int_gt(trace_count, 0);
    for (int i = 0; i < trace_count; i++)
        ck_assert_int_eq(trace_times[i], t);
    trace_count = 0;
}

/*
 * A start or an event reads the clock once, where its bounds are checked: a clock whose
 * later reads would leave the calendar (or only move on) is not read again, and every use
 * in the step (now.date, the opening hours, "tomorrow", each trace record's t) has the time
 * that was checked.
 */
START_TEST(clock_is_read_once_a_step)
{
    ivrsm_machine *m = load();
    ivrsm_error err;
    const int64_t later = outside[_i].ms;
    const int64_t wednesday = 1795597200000LL; /* 2026-11-25 10:00 in Paris */
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.clock = test_clock;
    o.trace = time_of_record;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    trace_count = 0;
    set_clock(wednesday, later);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    ck_assert_int_eq(clock_reads, 1);
    ck_assert_str_eq(next_text(s), "Today is Wednesday, November 25th, 10:00. Which day?");
    records_are_at(wednesday);

    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_NOINPUT;
    set_clock(wednesday + 60000, later);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_int_eq(clock_reads, 1);
    ck_assert_str_eq(next_text(s), "Today is Wednesday, November 25th, 10:01. Which day?");
    records_are_at(wednesday + 60000);

    /* Saved and restored as itself: the reading is the step's, not the call's. */
    char *snap = adv_snapshot(s);
    ivrsm_session *r;
    o.trace = NULL;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, &o, &r, &err), 0);
    char *again = adv_snapshot(r);
    ck_assert_str_eq(snap, again);
    ivrsm_free(snap);
    ivrsm_free(again);
    ivrsm_session_free(r);

    /* "tomorrow" is the day after the time checked, whatever a later read would say. */
    ev = (ivrsm_event)IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_SPEECH;
    ev.text = "tomorrow";
    ev.confidence = 0.9;
    set_clock(wednesday, later);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_int_eq(clock_reads, 1);
    ck_assert_str_eq(next_text(s), "Noted.");
    records_are_at(wednesday);
    char *ctx = ivrsm_session_ctx_json(s);
    ck_assert_msg(strstr(ctx, "\"day_from\":\"2026-11-26\",\"day_to\":\"2026-11-26\"") != NULL, "%s", ctx);
    ivrsm_free(ctx);
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
    tcase_add_loop_test(tc, clock_is_read_once_a_step, 0, n_outside);
    suite_add_tcase(suite, tc);
    return adv_run(suite);
}
