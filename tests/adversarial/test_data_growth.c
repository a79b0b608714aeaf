/*
 * Machines that are valid but make a call's data grow without end: a `set:`
 * that doubles a text at each turn of a menu, one that copies ctx into
 * itself, a prompt or a request value that says a large value thousands of
 * times. Each loads (nothing in them is wrong to the validator), and each
 * call must stay within bounded memory and end: a rendered text stops at
 * IVRSM_MAX_TEXT_BYTES, ctx at IVRSM_MAX_CTX_BYTES, and a `set:` past either
 * escalates the call (docs/runtime.md, "Bounds and escalation").
 *
 * The session's allocator counts what it holds: a test stops feeding as soon
 * as the peak passes what the bounds allow, so a library without them fails
 * here in a fraction of a second instead of swapping.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adv_session.h"
#include "ivrsm/ivrsm.h"

/* ------------------------------------------------------------------ a call */

typedef struct call {
    ivrsm_machine *m;
    ivrsm_session *s;
    ivrsm_mem mem;
    adv_count count;
    adv_trace trace;
    char last_ask[256];
    char hangup[64];
    uint64_t http_id;
    int https;
} call;

static void drain(call *c)
{
    const ivrsm_command *cmd;
    while ((cmd = ivrsm_session_next_command(c->s))) {
        if (cmd->type == IVRSM_COMMAND_ASK)
            snprintf(c->last_ask, sizeof c->last_ask, "%s", cmd->text ? cmd->text : "(none)");
        if (cmd->type == IVRSM_COMMAND_HANGUP)
            snprintf(c->hangup, sizeof c->hangup, "%s", cmd->hangup.reason);
        if (cmd->type == IVRSM_COMMAND_HTTP) {
            c->http_id = cmd->id;
            c->https++;
        }
    }
}

static void start(call *c, const char *yaml, const char *ctx_json)
{
    c->m = adv_load(yaml);
    c->mem = adv_counting(&c->count);
    c->trace.cut = 4096; /* records quoting a long prompt: their start is enough */
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.session_id = "s-growth";
    o.ctx_json = ctx_json;
    o.trace = adv_on_trace;
    o.trace_user = &c->trace;
    o.mem = &c->mem;
    c->s = adv_start(c->m, &o);
    drain(c);
}

static void finish(call *c)
{
    ivrsm_session_free(c->s);
    ck_assert_msg(c->count.now == 0, "%zu bytes left after the session", c->count.now);
    ivrsm_machine_unref(c->m);
}

/*
 * Press 1 until the call ends, at most `presses` times; the session may never hold more than
 * `peak_max` bytes on the way. Returns the presses it took.
 */
static int press_until_end(call *c, int presses, size_t peak_max)
{
    for (int i = 1; i <= presses; i++) {
        adv_feed(c->s, IVRSM_EVENT_DTMF, "1");
        drain(c);
        ck_assert_msg(c->count.peak <= peak_max, "press %d: the session held %zu bytes (bound %zu)",
                      i, c->count.peak, peak_max);
        if (ivrsm_session_ended(c->s))
            return i;
    }
    ck_abort_msg("the call did not end after %d presses", presses);
    return presses;
}

/* A menu whose route runs `set` (a YAML flow map) at each press of 1 (or "again"), as often as
 * a state may be entered, so that no other bound stops the call first; `more` is added to the
 * machine's globals.limits, `rest` after the menu. */
#define AGAIN_MENU(more, set, rest)                                                                \
    "machine: t\nversion: '1'\nlocale: en-US\n"                                                    \
    "globals:\n  limits: {max_state_visits: 65535" more "}\n"                                      \
    "intents:\n  again: {utterances: [again], dtmf: ['1']}\n"                                      \
    "states:\n"                                                                                    \
    "  menu:\n"                                                                                    \
    "    type: prompt_and_listen\n"                                                                \
    "    prompt: Press 1.\n"                                                                       \
    "    routes:\n"                                                                                \
    "      - when_intent: again\n"                                                                 \
    "        set: " set "\n"                                                                       \
    "        next: menu\n" rest

/* A menu whose every turn doubles a text in ctx: 2^n bytes after n presses. Visits are the
 * most a machine may allow, so no other bound stops it first. */
START_TEST(set_doubling_a_text_escalates)
{
    call c = {0};
    start(&c,
          AGAIN_MENU(", max_steps_per_event: 10000", "{log: '{{ctx.log}}{{ctx.log}}ab'}",
                     "  bye: {type: prompt_end, prompt: Goodbye.}\n"),
          NULL);
    /* 2^20 bytes is IVRSM_MAX_TEXT_BYTES: the 20th press is refused. */
    int presses = press_until_end(&c, 40, 8u * IVRSM_MAX_TEXT_BYTES);
    ck_assert_int_le(presses, 21);
    ck_assert_msg(strstr(c.trace.text, "\"kind\":\"escalation\"") &&
                      strstr(c.trace.text, "text too large"),
                  "the escalation and its reason in the trace:\n%s", c.trace.text);
    /* Escalated to the goodbye: said, then the hangup. */
    ck_assert_str_eq(c.hangup, "goodbye");
    finish(&c);
}
END_TEST

/* A `set:` that copies ctx's value into itself twice: no text is rendered (values are
 * copied whole), ctx doubles at each turn. */
START_TEST(set_copying_ctx_into_itself_escalates)
{
    call c = {0};
    start(&c, AGAIN_MENU("", "{tree: {left: '{{ctx.tree}}', right: '{{ctx.tree}}'}}", ""),
          "{\"tree\": \"0123456789abcdef0123456789abcdef\"}");
    /* ctx's bound, and what one put may add past it before it is checked (two copies of a
     * ctx within the bound), and the store's block grown by half again. */
    int presses = press_until_end(&c, 40, 6u * IVRSM_MAX_CTX_BYTES);
    ck_assert_int_le(presses, 24);
    ck_assert_msg(strstr(c.trace.text, "call data too large"), "the reason in the trace:\n%s",
                  c.trace.text);
    /* No handoff, no goodbye state: the escalation hangs up. */
    ck_assert_str_eq(c.hangup, "escalation");
    /* What was written before the refused turn is still there, whole. */
    char *ctx = ivrsm_session_ctx_json(c.s);
    ck_assert_ptr_nonnull(ctx);
    ck_assert_ptr_nonnull(strstr(ctx, "\"left\""));
    ivrsm_free(ctx);
    finish(&c);
}
END_TEST

/* A value of 64 KiB said 20 times in one part of a prompt: that part is left out (and noted in
 * the trace), the prompt's other part is said, the call goes on. */
START_TEST(prompt_past_text_bound_leaves_the_part_out)
{
    char *big = malloc(70000);
    int n = snprintf(big, 70000, "{\"big\": \"");
    memset(big + n, 'x', 65536);
    snprintf(big + n + 65536, 70000 - (size_t)n - 65536, "\"}");
    char part[512] = "";
    for (int i = 0; i < 20; i++)
        strcat(part, "{{ctx.big}} ");
    char yaml[2048];
    snprintf(yaml, sizeof yaml,
             "machine: t\nversion: '1'\nlocale: en-US\n"
             "intents:\n  again: {utterances: [again], dtmf: ['1']}\n"
             "states:\n"
             "  menu:\n"
             "    type: prompt_and_listen\n"
             "    prompt: [{say: '%s'}, {play: 'beep.wav'}, {say: Press 1.}]\n"
             "    routes:\n"
             "      - when_intent: again\n"
             "        next: bye\n"
             "  bye: {type: prompt_end, prompt: Goodbye.}\n",
             part);
    call c = {0};
    start(&c, yaml, big);
    free(big);
    ck_assert_str_eq(c.last_ask, "Press 1.");
    ck_assert_msg(strstr(c.trace.text, "text_too_large"), "a note in the trace:\n%.2000s",
                  c.trace.text);
    ck_assert_uint_le(c.count.peak, 4u * IVRSM_MAX_TEXT_BYTES);
    ck_assert_int_eq(press_until_end(&c, 1, 4u * IVRSM_MAX_TEXT_BYTES), 1);
    ck_assert_str_eq(c.hangup, "goodbye");
    finish(&c);
}
END_TEST

/* A query value saying a 1 MiB ctx value 64 times: the render stops at IVRSM_MAX_TEXT_BYTES,
 * the action fails as a request that cannot be built does (its on_fail), not for memory. */
START_TEST(request_value_past_text_bound_fails_the_action)
{
    size_t size = IVRSM_MAX_TEXT_BYTES;
    char *big = malloc(size + 32);
    int n = snprintf(big, 32, "{\"big\": \"");
    memset(big + n, 'y', size);
    snprintf(big + n + size, 32, "\"}");
    char q[1024] = "";
    for (int i = 0; i < 64; i++)
        strcat(q, "{{ctx.big}}");
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "machine: t\nversion: '1'\nlocale: en-US\n"
             "globals:\n  endpoints: {find: 'GET /find'}\n"
             "states:\n"
             "  lookup:\n"
             "    type: action_then_prompt\n"
             "    action:\n"
             "      call: ${globals.endpoints.find}\n"
             "      query: {q: '%s'}\n"
             "    on_success: {next: found}\n"
             "    on_fail: {next: failed}\n"
             "  found: {type: prompt_end, prompt: Found.}\n"
             "  failed: {type: prompt_end, prompt: Sorry.}\n",
             q);
    call c = {0};
    start(&c, yaml, big);
    free(big);
    ck_assert_int_eq(c.https, 0);
    ck_assert_str_eq(c.hangup, "goodbye");
    ck_assert_msg(strstr(c.trace.text, "IVRSM_MAX_TEXT_BYTES") &&
                      strstr(c.trace.text, "\"to\":\"failed\""),
                  "the action failed, and why, in the trace:\n%.3000s", c.trace.text);
    /* ctx's 1 MiB, and one render stopped at the value that passed the bound (2 MiB, in a
     * buffer grown by doubling); without the bound, 64 MiB. */
    ck_assert_uint_le(c.count.peak, 8u * IVRSM_MAX_TEXT_BYTES);
    finish(&c);
}
END_TEST

/* A session restored from a snapshot that carried a backend's answer (resp, answer), in a menu
 * whose every turn rewrites a 256 KiB value: ctx's garbage is moved out as in any call. The
 * answer, restored into ctx's block, once kept ctx from compacting until the next backend
 * answer: 256 KiB more at each turn, 75 MiB after 300 presses, and on to the store's 1 GiB,
 * where the call failed for lack of memory. The answer moves with ctx and is saved again as it
 * came. */
START_TEST(restored_answer_lets_ctx_compact)
{
    static const char yaml[] =
        AGAIN_MENU("", "{copy: '{{ctx.big}}{{ctx.n}}', n: '{{ctx.n}}1'}", "");
    size_t size = 256 * 1024;
    char *ctx_json = malloc(size + 64);
    int n = snprintf(ctx_json, 64, "{\"n\": \"1\", \"big\": \"");
    memset(ctx_json + n, 'b', size);
    snprintf(ctx_json + n + size, 64, "\"}");
    call c = {0};
    start(&c, yaml, ctx_json);
    free(ctx_json);
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(c.s, &snap), 0);
    json_t *j = json_loads(snap, 0, NULL);
    ivrsm_free(snap);
    ck_assert_ptr_nonnull(j);
    json_object_set_new(j, "resp", json_pack("{s:s,s:[i,i]}", "k", "v", "l", 1, 2));
    json_object_set_new(j, "answer", json_pack("{s:i}", "status", 200));
    char *tampered = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    ivrsm_session_free(c.s);
    c.count.peak = c.count.now;
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.mem = &c.mem;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_session_restore(c.m, tampered, &o, &c.s, &err), 0);
    free(tampered);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "1";
    for (int i = 1; i <= 300; i++) {
        ck_assert_int_eq(ivrsm_session_feed(c.s, &ev), 0);
        drain(&c);
        ck_assert_msg(c.count.peak <= 16 * size, "press %d: the session held %zu bytes", i,
                      c.count.peak);
    }
    ck_assert(!ivrsm_session_ended(c.s));
    ck_assert_int_eq(ivrsm_session_snapshot(c.s, &snap), 0);
    j = json_loads(snap, 0, NULL);
    ivrsm_free(snap);
    char *resp = json_dumps(json_object_get(j, "resp"), JSON_COMPACT | JSON_SORT_KEYS);
    char *answer = json_dumps(json_object_get(j, "answer"), JSON_COMPACT);
    ck_assert_str_eq(resp, "{\"k\":\"v\",\"l\":[1,2]}");
    ck_assert_str_eq(answer, "{\"status\":200}");
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(json_object_get(j, "ctx"), "n"))),
                      301);
    free(resp);
    free(answer);
    json_decref(j);
    finish(&c);
}
END_TEST

/* A host's initial ctx past IVRSM_MAX_CTX_BYTES: refused when the session is made, with the
 * bound named (it was taken, and the call's first `set:` escalated); one within it is taken. */
START_TEST(initial_ctx_past_its_bound_is_refused)
{
    ivrsm_machine *m = adv_load(AGAIN_MENU("", "{n: 1}", ""));
    for (size_t size = IVRSM_MAX_CTX_BYTES - 4096; size <= IVRSM_MAX_CTX_BYTES + 4096;
         size += 8192) {
        char *ctx_json = malloc(size + 32);
        ck_assert_ptr_nonnull(ctx_json);
        int n = snprintf(ctx_json, 32, "{\"big\": \"");
        memset(ctx_json + n, 'x', size);
        memcpy(ctx_json + n + size, "\"}", 3);
        ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
        o.ctx_json = ctx_json;
        ivrsm_session *s = NULL;
        ivrsm_error err;
        int rc = ivrsm_session_new(m, &o, &s, &err);
        free(ctx_json);
        if (size < IVRSM_MAX_CTX_BYTES) {
            ck_assert_int_eq(rc, 0);
            ivrsm_session_free(s);
            continue;
        }
        ck_assert_int_eq(rc, IVRSM_ELIMIT);
        ck_assert_ptr_null(s);
        ck_assert_str_eq(err.message,
                         "ctx_json holds more than IVRSM_MAX_CTX_BYTES (16 MiB) once read");
    }
    ivrsm_machine_unref(m);
}
END_TEST

/* A `set:` that copies ctx under a key of itself nests ctx one key deeper at each turn of a
 * menu, 64 levels at once under a key of 64 parts (the most a key may have): its snapshot,
 * nested deeper than any session's may be, stopped restoring after the third press (a call
 * lost to a host that restores). Now every snapshot on the way restores, and the press that
 * would nest ctx past 128 levels (a key of 64 parts holding a value as deep) escalates. */
START_TEST(set_nesting_ctx_deeper_escalates)
{
    static const struct {
        int parts, presses;
    } keys[] = {{64, 2}, {1, 128}, {2, 64}};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        char key[200] = "k";
        for (int i = 1; i < keys[k].parts; i++)
            strcat(key, ".k");
        char set[256], yaml[1024];
        snprintf(set, sizeof set, "{%s: '{{ctx}}'}", key);
        snprintf(yaml, sizeof yaml,
                 AGAIN_MENU("", "%s",
                            "    fallback: {next: bye}\n"
                            "  bye: {type: prompt_end, prompt: Goodbye.}\n"),
                 set);
        call c = {0};
        start(&c, yaml, NULL);
        int presses = 0;
        while (!ivrsm_session_ended(c.s) && presses < 300) {
            adv_feed(c.s, IVRSM_EVENT_DTMF, "1");
            drain(&c);
            presses++;
            char *snap = adv_snapshot(c.s);
            ivrsm_session *back = NULL;
            ivrsm_error err;
            ck_assert_msg(ivrsm_session_restore(c.m, snap, NULL, &back, &err) == 0,
                          "a key of %d parts, press %d: the snapshot does not restore: %s",
                          keys[k].parts, presses, err.message);
            ivrsm_session_free(back);
            ivrsm_free(snap);
        }
        ck_assert_msg(presses == keys[k].presses, "a key of %d parts: %d presses, not %d",
                      keys[k].parts, presses, keys[k].presses);
        ck_assert_msg(strstr(c.trace.text, "call data too deep"), "the reason in the trace:\n%s",
                      c.trace.text);
        ck_assert_str_eq(c.hangup, "goodbye");
        finish(&c);
    }
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("data_growth");
    TCase *tc = tcase_create("bounds");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, set_doubling_a_text_escalates);
    tcase_add_test(tc, set_copying_ctx_into_itself_escalates);
    tcase_add_test(tc, prompt_past_text_bound_leaves_the_part_out);
    tcase_add_test(tc, request_value_past_text_bound_fails_the_action);
    tcase_add_test(tc, restored_answer_lets_ctx_compact);
    tcase_add_test(tc, initial_ctx_past_its_bound_is_refused);
    tcase_add_test(tc, set_nesting_ctx_deeper_escalates);
    suite_add_tcase(suite, tc);
    return adv_run(suite);
}
