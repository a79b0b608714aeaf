/*
 * Machines a user may write that are valid, or nearly, but pathological:
 * as many states as a machine may have, a call of 100,000 events through
 * them, thousands of routes, a `set:` whose templates double a text forty
 * times in one step, retries of 10^9, a prompt of 1 MB, conditions nested
 * past the bound, decisions that go round without waiting for the caller.
 * Each is refused when it loads, with a message that says which bound, or
 * runs within bounds: memory that stays flat, a call that escalates with a
 * trace record that says why, every byte given back (docs/adversarial.md,
 * "Pathological machines").
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adv_session.h"
#include "ivrsm/ivrsm.h"

/* A growing text for the machines below; the test fails when memory runs out. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        ck_assert_int_ge(n, 0);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        ck_assert_ptr_nonnull(t->s);
    }
}

static const char header[] = "machine: p\nversion: '1'\nlocale: en-US\n";

/* `count` states in a ring, each asking "next" of the caller and going on to the next one. */
static char *ring_of_states(int count)
{
    text t = {0};
    put(&t, "%sstates:\n", header);
    for (int i = 0; i < count; i++)
        put(&t,
            "  s%d:\n    type: prompt_and_listen\n    prompt: 'State %d.'\n"
            "    routes:\n      - when_text: next\n        next: s%d\n",
            i, i, (i + 1) % count);
    return t.s;
}

START_TEST(as_many_states_as_allowed_and_a_call_of_100000_events)
{
    char *yaml = ring_of_states(IVRSM_MAX_STATES + 1);
    adv_refused(yaml, IVRSM_ELIMIT, "10000");
    free(yaml);

    yaml = ring_of_states(IVRSM_MAX_STATES);
    ivrsm_machine *m = adv_load(yaml);
    free(yaml);
    ck_assert_int_eq(ivrsm_machine_state_count(m), IVRSM_MAX_STATES);
    adv_count count = {0};
    ivrsm_mem mem = adv_counting(&count);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.session_id = "s-long";
    o.mem = &mem;
    ivrsm_session *s = adv_start(m, &o);
    adv_drain(s);
    /* Ten times round the ring: each state entered ten times, within the 12 visits a state
     * may have. What the session holds after each lap is what it held after the first. */
    size_t after_first_lap = 0, peak_after_first_lap = 0;
    for (int event = 1; event <= 10 * IVRSM_MAX_STATES; event++) {
        adv_feed(s, IVRSM_EVENT_SPEECH, "next");
        adv_drain(s);
        if (event % IVRSM_MAX_STATES)
            continue;
        ck_assert_str_eq(ivrsm_session_state(s), "s0");
        if (event == IVRSM_MAX_STATES) {
            after_first_lap = count.now;
            peak_after_first_lap = count.peak;
        }
        ck_assert_msg(count.now == after_first_lap && count.peak == peak_after_first_lap,
                      "after %d events: %zu bytes held, %zu at most; after the first lap %zu, %zu",
                      event, count.now, count.peak, after_first_lap, peak_after_first_lap);
    }
    ck_assert(!ivrsm_session_ended(s));
    ivrsm_session_free(s);
    ck_assert_msg(count.now == 0, "%zu bytes left", count.now);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(thousands_of_routes)
{
    text t = {0};
    put(&t,
        "%sstates:\n  menu:\n    type: prompt_and_listen\n    prompt: Say a word.\n"
        "    routes:\n",
        header);
    for (int i = 0; i < 5000; i++)
        put(&t, "      - when_text: 'word %d'\n        set: {chosen: %d}\n        next: said\n", i,
            i);
    put(&t, "  said: {type: prompt_end, prompt: 'You chose {{ctx.chosen}}.'}\n");
    ivrsm_machine *m = adv_load(t.s);
    free(t.s);
    ivrsm_session *s = adv_start(m, NULL);
    adv_drain(s);
    adv_feed(s, IVRSM_EVENT_SPEECH, "word 4999");
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ck_assert_ptr_nonnull(c);
    ck_assert_str_eq(c->text, "You chose 4999.");
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* v1 is v0 twice, v2 is v1 twice... v40 would be 2^41 bytes: the render stops at
 * IVRSM_MAX_TEXT_BYTES and the call escalates, the trace saying why. */
START_TEST(set_doubling_forty_times_in_one_step_escalates)
{
    text t = {0};
    put(&t,
        "%sstates:\n  menu:\n    type: prompt_and_listen\n    prompt: Say anything.\n"
        "    fallback:\n      set:\n        v0: ab\n",
        header);
    for (int i = 0; i < 40; i++)
        put(&t, "        v%d: '{{ctx.v%d}}{{ctx.v%d}}'\n", i + 1, i, i);
    put(&t, "      next: said\n  said: {type: prompt_end, prompt: 'Said {{ctx.v40}}.'}\n");
    ivrsm_machine *m = adv_load(t.s);
    free(t.s);
    adv_count count = {0};
    ivrsm_mem mem = adv_counting(&count);
    adv_trace trace = {.cut = 200};
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.mem = &mem;
    o.trace = adv_on_trace;
    o.trace_user = &trace;
    ivrsm_session *s = adv_start(m, &o);
    adv_drain(s);
    adv_feed(s, IVRSM_EVENT_SPEECH, "hello");
    adv_drain(s);
    ck_assert(ivrsm_session_ended(s));
    ck_assert_msg(strstr(trace.text, "\"kind\":\"escalation\"") &&
                      strstr(trace.text, "\"detail\":\"text too large\""),
                  "%s", trace.text);
    /* ctx holding v0 to v19 (2 MiB), the render stopped at the bound, ctx's block grown by half
     * again, the trace's copies: a few times the text bound (8.3 MiB), never 2^41 bytes. */
    ck_assert_msg(count.peak < 12 * IVRSM_MAX_TEXT_BYTES, "%zu bytes at most", count.peak);
    ivrsm_session_free(s);
    ck_assert_msg(count.now == 0, "%zu bytes left", count.now);
    ivrsm_machine_unref(m);
}
END_TEST

/* Bounds the loader holds to, each said with the bound. */
START_TEST(bounds_refused_at_load)
{
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "%sstates:\n  a:\n    type: prompt_and_listen\n    prompt: Hi.\n"
             "    noinput: {max: 1000000000, next: b}\n    fallback: {next: b}\n"
             "  b: {type: prompt_end, prompt: Bye.}\n",
             header);
    adv_refused(yaml, IVRSM_EMACHINE, "1000000000 is out of range (1 to 1000)");
    snprintf(yaml, sizeof yaml,
             "%sglobals: {max_retries: 1000000000}\nstates:\n"
             "  b: {type: prompt_end, prompt: Bye.}\n",
             header);
    adv_refused(yaml, IVRSM_EMACHINE, "out of range (1 to 1000)");

    /* A prompt of 1 MB: past a scalar's IVRSM_MAX_STRING_BYTES. */
    text t = {0};
    put(&t, "%sstates:\n  b: {type: prompt_end, prompt: '", header);
    for (int i = 0; i < 1 << 14; i++)
        put(&t, "%s", "Your call matters to us. Please hold on for a while, thank you!! ");
    put(&t, "'}\n");
    adv_refused(t.s, IVRSM_ELIMIT, "longer than 65536 bytes");
    free(t.s);
}
END_TEST

/* A condition inside 32 parentheses loads and holds; 33 are refused, as are 5,000. */
START_TEST(conditions_nested_past_the_bound)
{
    static const int depths[] = {32, 33, 5000};
    for (size_t d = 0; d < sizeof depths / sizeof *depths; d++) {
        text t = {0};
        put(&t,
            "%sstates:\n  a:\n    type: prompt_and_listen\n    prompt: Hi.\n    routes:\n"
            "      - when_text: yes\n        when: \"",
            header);
        for (int i = 0; i < depths[d]; i++)
            put(&t, "(");
        put(&t, "ctx.n == 1");
        for (int i = 0; i < depths[d]; i++)
            put(&t, ")");
        put(&t, "\"\n        next: b\n    fallback: {next: c}\n"
                "  b: {type: prompt_end, prompt: Held.}\n  c: {type: prompt_end, prompt: Not.}\n");
        if (depths[d] > 32) {
            adv_refused(t.s, IVRSM_EMACHINE, "expression nested deeper than 32 levels");
            free(t.s);
            continue;
        }
        ivrsm_machine *m = adv_load(t.s);
        free(t.s);
        ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
        o.ctx_json = "{\"n\": 1}";
        ivrsm_session *s = adv_start(m, &o);
        adv_drain(s);
        adv_feed(s, IVRSM_EVENT_SPEECH, "yes");
        ck_assert_str_eq(ivrsm_session_state(s), "b");
        ivrsm_session_free(s);
        ivrsm_machine_unref(m);
    }
}
END_TEST

/* Decisions on data that send the call round without a question: refused, whatever the
 * conditions, since none of them waits for the caller to change ctx. */
START_TEST(decisions_going_round_without_input)
{
    adv_refused("machine: p\nversion: '1'\nlocale: en-US\nstates:\n"
                "  a:\n    type: prompt_and_listen\n    prompt: Hi.\n    fallback: {next: b}\n"
                "  b:\n    type: decide\n    routes:\n      - when: 'ctx.x == 1'\n        next: a\n"
                "    next: c\n"
                "  c:\n    type: decide\n    routes:\n      - when: 'ctx.x != 1'\n        next: b\n"
                "    next: a\n",
                IVRSM_EMACHINE, "input-free cycle: b");
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("pathological");
    TCase *tc = tcase_create("machines");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, as_many_states_as_allowed_and_a_call_of_100000_events);
    tcase_add_test(tc, thousands_of_routes);
    tcase_add_test(tc, set_doubling_forty_times_in_one_step_escalates);
    tcase_add_test(tc, bounds_refused_at_load);
    tcase_add_test(tc, conditions_nested_past_the_bound);
    tcase_add_test(tc, decisions_going_round_without_input);
    suite_add_tcase(suite, tc);
    return adv_run(suite);
}
