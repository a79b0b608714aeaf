/*
 * Secrets the random machines of drive_machine.c carried into a trace or a
 * handoff's context, each kept here as the smallest machine that shows it:
 * a code or PIN keyed by the caller must never be written by the session
 * outside ctx and the request that needs it.
 */
#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adv_session.h"
#include "ivrsm/ivrsm.h"

/* A traced session of m started with ctx `ctx_json` (NULL: empty). */
static ivrsm_session *start_with(ivrsm_machine *m, adv_trace *t, const char *ctx_json)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.session_id = "s-secret";
    o.trace = adv_on_trace;
    o.trace_user = t;
    o.ctx_json = ctx_json;
    return adv_start(m, &o);
}

static ivrsm_session *start(ivrsm_machine *m, adv_trace *t)
{
    return start_with(m, t, NULL);
}

/* The id of the last http command s emits now (0: none); every command is pulled. */
static uint64_t pull_http(ivrsm_session *s)
{
    const ivrsm_command *c;
    uint64_t id = 0;
    while ((c = ivrsm_session_next_command(s)))
        if (c->type == IVRSM_COMMAND_HTTP)
            id = c->id;
    return id;
}

/* Feed keys, and keep the handoff command's context if one comes. */
static void key_in(ivrsm_session *s, const char *digits, char *handoff, size_t size)
{
    adv_feed(s, IVRSM_EVENT_DTMF, digits);
    const ivrsm_command *c;
    while ((c = ivrsm_session_next_command(s)))
        if (c->type == IVRSM_COMMAND_HANDOFF && handoff)
            snprintf(handoff, size, "%s", c->handoff.context);
}

/* A one-time code collected under a key of the machine's choosing is as secret as ctx.otp. */
START_TEST(otp_in_its_own_target_stays_secret)
{
    ivrsm_machine *m = adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
                                "states:\n"
                                "  code:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: Key the code.\n"
                                "    collect: { mode: otp, length: 6, target: caller.entered }\n"
                                "    next: agent\n"
                                "  agent:\n"
                                "    type: handoff\n"
                                "    prompt: One moment.\n"
                                "    on_fail: { next: bye }\n"
                                "  bye: { type: prompt_end, prompt: Bye. }\n");
    adv_trace t = {0};
    ivrsm_session *s = start(m, &t);
    adv_drain(s);
    ck_assert(ivrsm_session_input_is_secret(s));
    char handoff[4096] = "";
    key_in(s, "493817", handoff, sizeof handoff);
    ck_assert_msg(handoff[0], "a handoff");
    ck_assert_msg(!strstr(handoff, "493817"), "the agent's context shows the code: %s", handoff);
    ck_assert_msg(!strstr(t.text, "493817"), "a trace shows the code:\n%s", t.text);
    /* ctx, for the host, still has it */
    char *ctx = ivrsm_session_ctx_json(s);
    ck_assert_ptr_nonnull(strstr(ctx, "493817"));
    ivrsm_free(ctx);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A PIN under a sensitive key inside an object (ctx.card.pin) is scrubbed from what is said,
 * as ctx.pin is. */
START_TEST(nested_sensitive_value_scrubbed_from_prompts)
{
    ivrsm_machine *m = adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
                                "states:\n"
                                "  pin:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: Key your PIN.\n"
                                "    collect: { mode: digits, min: 4, max: 8, target: card.pin }\n"
                                "    next: said\n"
                                "  said:\n"
                                "    type: prompt_end\n"
                                "    prompt: 'You keyed {{ctx.card.pin}}.'\n");
    adv_trace t = {0};
    ivrsm_session *s = start(m, &t);
    adv_drain(s);
    ck_assert(ivrsm_session_input_is_secret(s));
    key_in(s, "73914#", NULL, 0);
    ck_assert_msg(!strstr(t.text, "7391"), "a trace shows the PIN:\n%s", t.text);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* globals.sensitive_keys listing a path as a template reads it (ctx.customer.iban) or a dotted
 * key (customer.iban) names its last part: listed that way, nothing was masked. */
START_TEST(sensitive_keys_listed_as_paths)
{
    static const char *const lists[] = {"[customer.iban]", "[ctx.customer.iban]", "[iban]",
                                        "[ctx.iban]"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "machine: t\nversion: '1'\nlocale: en-US\n"
                 "globals: {sensitive_keys: %s}\n"
                 "states:\n"
                 "  account:\n"
                 "    type: prompt_and_listen\n"
                 "    prompt: Key your account number.\n"
                 "    collect: { mode: digits, min: 4, max: 12, target: customer.iban }\n"
                 "    next: said\n"
                 "  said:\n"
                 "    type: prompt_end\n"
                 "    prompt: 'You keyed {{ctx.customer.iban}}.'\n",
                 lists[i]);
        ivrsm_machine *m = adv_load(yaml);
        ck_assert(ivrsm_machine_key_is_sensitive(m, "iban"));
        adv_trace t = {0};
        ivrsm_session *s = start(m, &t);
        while (ivrsm_session_next_command(s))
            ;
        key_in(s, "40518273#", NULL, 0);
        ck_assert_msg(!strstr(t.text, "4051"), "%s: a trace shows the account:\n%s", lists[i],
                      t.text);
        ivrsm_session_free(s);
        ivrsm_machine_unref(m);
    }
    adv_refused("machine: t\nversion: '1'\nglobals: {sensitive_keys: [customer.]}\n"
                "states: {a: {type: prompt_end, prompt: x}}\n",
                IVRSM_EMACHINE, "customer.");
}
END_TEST

/* Feed one command's HTTP answer. */
static void answer(ivrsm_session *s, uint64_t id, const char *body)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_ACTION_RESULT;
    ev.command_id = id;
    ev.status = 200;
    ev.body = body;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
}

/* What a request sends under a secret's name reads a secret: "Authorization: Bearer
 * {{ctx.jwt}}" makes jwt one, so the token the login answered shows nowhere (its answer, ctx, the
 * next request); a body's password and all its credentials make what they read secrets too, a
 * query's api_key the same, and the answer a secret was set from. A key only sent under plain
 * names (member, X-Caller) stays plain. */
START_TEST(keys_sent_as_secrets_are_secrets)
{
    ivrsm_machine *m =
        adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
             "globals:\n"
             "  endpoints: {login: 'POST /login', balance: 'GET /balance'}\n"
             "states:\n"
             "  login:\n"
             "    type: action_then_prompt\n"
             "    action:\n"
             "      call: ${globals.endpoints.login}\n"
             "      body: {member: '{{ctx.member}}', password: '{{ctx.memorable}}', credentials: "
             "{hint: '{{ctx.hint}}'}}\n"
             "    on_success:\n"
             "      set: {session: {jwt_kept: '{{resp.jwt}}'}, shop_key: '{{resp.shop}}'}\n"
             "      next: balance\n"
             "    on_fail: {next: bye}\n"
             "  balance:\n"
             "    type: action_then_prompt\n"
             "    action:\n"
             "      call: ${globals.endpoints.balance}\n"
             "      headers: {Authorization: 'Bearer {{ctx.session.jwt_kept}}', X-Caller: "
             "'{{ctx.member}}'}\n"
             "      query: {api_key: '{{ctx.shop_key}}'}\n"
             "    on_success: {prompt: Done., next: bye}\n"
             "    on_fail: {next: bye}\n"
             "  bye:\n"
             "    type: prompt_end\n"
             "    prompt: Bye.\n");
    /* named with the key it is held under: ctx.session.jwt_kept */
    ck_assert(ivrsm_machine_key_is_sensitive(m, "session.jwt_kept"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "ctx.session.jwt_kept"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "jwt_kept"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "memorable"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "hint"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "member"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "shop_key"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "shop")); /* a copy of... its source too */
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "session"));
    adv_trace t = {0};
    ivrsm_session *s = start_with(m, &t,
                                  "{\"member\": \"m-1024\", \"memorable\": \"violet-harbour\", "
                                  "\"hint\": \"blue-door-7\"}");
    uint64_t id = pull_http(s);
    ck_assert_uint_ne(id, 0);
    answer(s, id,
           "{\"jwt\": \"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtLTEwMjQifQ.c2ln\", "
           "\"shop\": \"shop-5be2c7a9\"}");
    id = pull_http(s);
    ck_assert_uint_ne(id, 0);
    answer(s, id, "{}");
    adv_drain(s);
    ck_assert_msg(!strstr(t.text, "eyJhbGci"), "a trace shows the token:\n%s", t.text);
    ck_assert_msg(!strstr(t.text, "violet-harbour"), "a trace shows the word:\n%s", t.text);
    ck_assert_msg(!strstr(t.text, "shop-5be2"), "a trace shows the key:\n%s", t.text);
    ck_assert_msg(!strstr(t.text, "blue-door"), "a trace shows the hint:\n%s", t.text);
    ck_assert_msg(strstr(t.text, "m-1024") != NULL, "the member number is no secret:\n%s", t.text);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A backend's session travels in headers the key rule leaves plain ("X-Session", "x-sid",
 * "X-Auth-User", "Idempotency-Key"): the header's value is masked in the request's record, and
 * what it reads (ctx.visit, the login's "ref") is a secret wherever it shows. Plain headers
 * (X-Caller, X-Request-Id, Accept) and what they read stay in the trace. */
START_TEST(session_headers_are_secrets)
{
    static const char *const secret[] = {"X-Session", "X-Session-Id", "x-sid", "sessionId",
                                         "X-Auth-User", "X-Signature", "X-CSRF-Check",
                                         "Idempotency-Key", "X-Auth-Token", "Authorization"};
    static const char *const plain[] = {"X-Caller", "X-Request-Id", "Accept", "Content-Type",
                                        "X-Api-Version", "X-Tenant", "X-Authority-Region"};
    for (size_t i = 0; i < sizeof secret / sizeof *secret + sizeof plain / sizeof *plain; i++) {
        bool is_secret = i < sizeof secret / sizeof *secret;
        const char *name = is_secret ? secret[i] : plain[i - sizeof secret / sizeof *secret];
        char text[256];
        snprintf(text, sizeof text, "{\"headers\": {\"%s\": \"v-7310\"}, \"%s\": \"k-7310\"}",
                 name, name);
        char *out = ivrsm_machine_redact_json(NULL, text);
        ck_assert_ptr_nonnull(out);
        ck_assert_msg((strstr(out, "v-7310") == NULL) == is_secret, "header %s: %s", name, out);
        /* the header rule is for headers: as a ctx key, only the key rule counts */
        ck_assert_msg((strstr(out, "k-7310") == NULL) ==
                          (ivrsm_machine_key_is_sensitive(NULL, name) != 0),
                      "key %s: %s", name, out);
        ivrsm_free(out);
    }
    ivrsm_machine *m =
        adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
             "states:\n"
             "  login:\n"
             "    type: action_then_prompt\n"
             "    action: {call: POST /login, body: {member: '{{ctx.member}}'}}\n"
             "    on_success: {set: {visit: '{{resp.ref}}'}, next: balance}\n"
             "    on_fail: {next: bye}\n"
             "  balance:\n"
             "    type: action_then_prompt\n"
             "    action:\n"
             "      call: GET /balance\n"
             "      headers: {X-Session: '{{ctx.visit}}', X-Request-Id: 'r-{{ctx.member}}', "
             "Accept: application/json, X-Caller: '{{ctx.member}}'}\n"
             "    on_success: {prompt: Done., next: bye}\n"
             "    on_fail: {next: bye}\n"
             "  bye:\n"
             "    type: prompt_end\n"
             "    prompt: Bye.\n");
    ck_assert(ivrsm_machine_key_is_sensitive(m, "visit"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "ref"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "member"));
    adv_trace t = {0};
    ivrsm_session *s = start_with(m, &t, "{\"member\": \"m-2048\"}");
    uint64_t id = pull_http(s);
    ck_assert_uint_ne(id, 0);
    answer(s, id, "{\"ref\": \"sess-9f41c2d7e0\"}");
    const ivrsm_command *c;
    bool sent = false;
    while ((c = ivrsm_session_next_command(s)))
        for (size_t i = 0; c->type == IVRSM_COMMAND_HTTP && i < c->http.header_count; i++)
            sent |= !strcmp(c->http.headers[i].name, "X-Session") &&
                    !strcmp(c->http.headers[i].value, "sess-9f41c2d7e0");
    ck_assert_msg(sent, "the backend gets the session in X-Session");
    ck_assert_msg(!strstr(t.text, "sess-9f41"), "a trace shows the session:\n%s", t.text);
    ck_assert_msg(strstr(t.text, "\"X-Session\":\"***\"") != NULL, "X-Session masked:\n%s",
                  t.text);
    ck_assert_msg(strstr(t.text, "\"X-Caller\":\"m-2048\"") != NULL, "X-Caller plain:\n%s",
                  t.text);
    ck_assert_msg(strstr(t.text, "\"X-Request-Id\":\"r-m-2048\"") != NULL,
                  "X-Request-Id plain:\n%s", t.text);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A `set:` that copies a secret to a key of the machine's own makes that key sensitive, and so
 * the keys its copies go to: cleared at the source, the code still shows nowhere but in ctx and
 * in what the caller hears. A value that only compares the code is no copy. */
START_TEST(copy_of_a_secret_stays_secret)
{
    ivrsm_machine *m = adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
                                "states:\n"
                                "  code:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: Key the code.\n"
                                "    collect: { mode: otp, length: 6 }\n"
                                "    next: keep\n"
                            /* the copy of the copy comes first in the document */
                                "  again:\n"
                                "    type: decide\n"
                                "    routes:\n"
                                "      - when: 'ctx.kept'\n"
                                "        set: { caller: { last: 'code {{ctx.kept}}' } }\n"
                                "        next: said\n"
                                "    next: said\n"
                                "  keep:\n"
                                "    type: decide\n"
                                "    routes:\n"
                                "      - when: 'ctx.otp'\n"
                                "        set: { kept: '{{ctx.otp}}', keyed: \"{{ctx.otp != ''}}\", otp: '' }\n"
                                "        next: again\n"
                                "    next: again\n"
                                "  said:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: 'You keyed {{ctx.caller.last}}.'\n"
                                "    next: agent\n"
                                "  agent:\n"
                                "    type: handoff\n"
                                "    prompt: One moment.\n"
                                "    on_fail: { next: bye }\n"
                                "  bye: { type: prompt_end, prompt: Bye. }\n");
    ck_assert(ivrsm_machine_key_is_sensitive(m, "kept"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "caller.last"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "last"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "keyed"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "caller"));
    adv_trace t = {0};
    ivrsm_session *s = start(m, &t);
    adv_drain(s);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "493817";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    const ivrsm_command *c;
    bool heard = false;
    while ((c = ivrsm_session_next_command(s)))
        heard = heard || (c->text && strstr(c->text, "code 493817"));
    ck_assert_msg(heard, "the caller hears the code back");
    char handoff[4096] = "";
    key_in(s, "1", handoff, sizeof handoff);
    ck_assert_msg(handoff[0], "a handoff");
    ck_assert_msg(!strstr(handoff, "493817"), "the agent's context shows the code: %s", handoff);
    ck_assert_msg(strstr(handoff, "\"keyed\":true"), "a comparison is no secret: %s", handoff);
    ck_assert_msg(!strstr(t.text, "493817"), "a trace shows the code:\n%s", t.text);
    char *ctx = ivrsm_session_ctx_json(s);
    ck_assert_ptr_nonnull(strstr(ctx, "\"kept\":\"493817\""));
    ck_assert_ptr_nonnull(strstr(ctx, "\"otp\":\"\""));
    ivrsm_free(ctx);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A backend's token kept under a name of the machine's choosing is as secret as resp.token. */
START_TEST(token_kept_under_another_name_stays_secret)
{
    ivrsm_machine *m = adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
                                "globals:\n"
                                "  endpoints: { login: 'POST /login' }\n"
                                "states:\n"
                                "  login:\n"
                                "    type: action_then_prompt\n"
                                "    action: { call: '${globals.endpoints.login}' }\n"
                                "    on_success:\n"
                                "      set: { auth: '{{resp.data.token}}', who: '{{resp.data.name}}' }\n"
                                "      next: bye\n"
                                "    on_fail: { next: bye }\n"
                                "  bye: { type: prompt_end, prompt: 'Bye {{ctx.who}} {{ctx.auth}}.' }\n");
    ck_assert(ivrsm_machine_key_is_sensitive(m, "auth"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "who"));
    adv_trace t = {0};
    ivrsm_session *s = start(m, &t);
    uint64_t id = pull_http(s);
    ck_assert_msg(id, "an HTTP command");
    answer(s, id, "{\"data\": {\"token\": \"tk-8f3a9c2e\", \"name\": \"Robin\"}}");
    adv_drain(s);
    ck_assert_msg(!strstr(t.text, "tk-8f3a9c2e"), "a trace shows the token:\n%s", t.text);
    ck_assert_msg(strstr(t.text, "Bye Robin"), "the rest of the prompt is traced:\n%s", t.text);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A machine's own secret with a plain name is named with the key it is held under: the token
 * sent from ctx.auth.value makes `value` under `auth` a secret, in ctx, in the login's answer
 * and in the agent's context, while ctx.amount.value and ctx.booking.id, plain keys of the same
 * names elsewhere, stay readable (the amount said, the booking for the agent). A list's items
 * are held under its key: a card's PIN in ctx.cards[0] is scrubbed from what is said. */
START_TEST(plain_names_of_secrets_keep_their_parent)
{
    ivrsm_machine *m =
        adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
                 "states:\n"
                 "  login:\n"
                 "    type: action_then_prompt\n"
                 "    action: { call: 'POST /login' }\n"
                 "    on_success:\n"
                 "      set: { auth: { value: '{{resp.auth.value}}', id: '{{resp.auth.id}}' },\n"
                 "             amount: { value: '{{resp.amount}}' }, booking: { id: '{{resp.booking}}' },\n"
                 "             cards: '{{resp.cards}}' }\n"
                 "      next: balance\n"
                 "    on_fail: { next: bye }\n"
                 "  balance:\n"
                 "    type: action_then_prompt\n"
                 "    action:\n"
                 "      call: GET /balance\n"
                 "      headers: { Authorization: 'Bearer {{ctx.auth.value}}', X-Booking: "
                 "'{{ctx.booking.id}}' }\n"
                 "    on_success:\n"
                 "      prompt: 'You owe {{ctx.amount.value}} euros. Card code {{ctx.cards[0].pin}}.'\n"
                 "      next: menu\n"
                 "    on_fail: { next: bye }\n"
                 "  menu:\n"
                 "    type: prompt_and_listen\n"
                 "    prompt: Press 1 for an agent.\n"
                 "    next: agent\n"
                 "  agent:\n"
                 "    type: handoff\n"
                 "    prompt: One moment.\n"
                 "    on_fail: { next: bye }\n"
                 "  bye: { type: prompt_end, prompt: Bye. }\n");
    ck_assert(ivrsm_machine_key_is_sensitive(m, "auth.value"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "ctx.auth.value"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "AUTH.Value")); /* any case */
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "value"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "amount.value"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "booking.id"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "auth.id")); /* read by no secret */
    adv_trace t = {0};
    ivrsm_session *s = start(m, &t);
    uint64_t id = pull_http(s);
    ck_assert_msg(id, "the login");
    answer(s, id,
           "{\"auth\": {\"value\": \"tv-51c9e7a2\", \"id\": \"ai-7781\"}, \"amount\": \"4210\", "
           "\"booking\": \"BK-5531\", \"cards\": [{\"pin\": \"8841\", \"label\": \"visa\"}]}");
    const ivrsm_command *c;
    id = 0;
    bool sent = false, said = false;
    while ((c = ivrsm_session_next_command(s))) {
        if (c->type != IVRSM_COMMAND_HTTP)
            continue;
        id = c->id;
        for (size_t i = 0; i < c->http.header_count; i++)
            sent |= !strcmp(c->http.headers[i].value, "Bearer tv-51c9e7a2");
    }
    ck_assert_msg(id && sent, "the backend gets the token");
    answer(s, id, "{}");
    while ((c = ivrsm_session_next_command(s)))
        said |= c->text && strstr(c->text, "You owe 4210 euros. Card code 8841.") != NULL;
    ck_assert_msg(said, "the caller hears the amount and the code");
    char handoff[4096] = "";
    key_in(s, "1", handoff, sizeof handoff);
    ck_assert_msg(handoff[0], "a handoff");
    ck_assert_msg(!strstr(handoff, "tv-51c9e7a2"), "the agent sees the token: %s", handoff);
    ck_assert_msg(!strstr(handoff, "8841"), "the agent sees the PIN: %s", handoff);
    ck_assert_msg(strstr(handoff, "BK-5531") && strstr(handoff, "4210") && strstr(handoff, "visa"),
                  "the agent's context masks plain keys: %s", handoff);
    ck_assert_msg(!strstr(t.text, "tv-51c9e7a2"), "a trace shows the token:\n%s", t.text);
    ck_assert_msg(!strstr(t.text, "8841"), "a trace shows the PIN:\n%s", t.text);
    ck_assert_msg(strstr(t.text, "You owe 4210 euros"), "the amount is no secret:\n%s", t.text);
    ck_assert_msg(strstr(t.text, "\"X-Booking\":\"BK-5531\""), "X-Booking plain:\n%s", t.text);
    char *out = ivrsm_machine_redact_json(
        m, "{\"auth\": {\"value\": \"a\"}, \"amount\": {\"value\": \"b\"}, \"value\": \"c\", "
           "\"list\": {\"auth\": [{\"value\": \"d\"}]}}");
    ck_assert_str_eq(out, "{\"auth\":{\"value\":\"***\"},\"amount\":{\"value\":\"b\"},\"value\":"
                          "\"c\",\"list\":{\"auth\":[{\"value\":\"***\"}]}}");
    ivrsm_free(out);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* The last guard scrubs a record's JSON text: a secret that is also a bare number of the record
 * is written as the string "***", a secret that reads "null" is no secret, and an integer
 * under a sensitive key is scrubbed as its digits; every record stays one JSON object. */
START_TEST(scrubbed_records_stay_json)
{
    ivrsm_machine *m = adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
                                "globals:\n"
                                "  endpoints: { check: 'POST /check' }\n"
                                "states:\n"
                                "  pin:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt: Key your PIN.\n"
                                "    collect: { mode: digits, min: 4, max: 4, target: pin }\n"
                                "    next: check\n"
                                "  check:\n"
                                "    type: action_then_prompt\n"
                                "    action:\n"
                                "      call: '${globals.endpoints.check}'\n"
                                "      timeout_ms: 1234\n"
                                "      body: { n: null, pin: '{{ctx.pin}}' }\n"
                                "    on_success:\n"
                                "      set: { secret: 'null', card: { code: 4821 } }\n"
                                "      next: said\n"
                                "    on_fail: { next: said }\n"
                                "  said:\n"
                                "    type: prompt_end\n"
                                "    prompt: 'Card {{ctx.card.code}} checked.'\n");
    adv_trace t = {0};
    ivrsm_session *s = start(m, &t);
    adv_drain(s);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "1234";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    uint64_t id = pull_http(s);
    ck_assert_msg(id, "an HTTP command");
    answer(s, id, "{}");
    const ivrsm_command *c;
    bool said = false;
    while ((c = ivrsm_session_next_command(s)))
        said = said || (c->text && strstr(c->text, "Card 4821 checked"));
    ck_assert_msg(said, "the caller hears the card's code");
    for (char *line = t.text, *end; *line; line = end + 1) {
        end = strchr(line, '\n');
        *end = '\0';
        json_error_t je;
        json_t *rec = json_loads(line, 0, &je);
        ck_assert_msg(json_is_object(rec), "not one JSON object (%s): %s", je.text, line);
        json_decref(rec);
        *end = '\n';
    }
    ck_assert_msg(strstr(t.text, "\"timeout_ms\":\"***\""), "the PIN as a number:\n%s", t.text);
    ck_assert_msg(strstr(t.text, "\"n\":null"), "null is no secret:\n%s", t.text);
    ck_assert_msg(!strstr(t.text, "4821"), "a trace shows the card's code:\n%s", t.text);
    ck_assert_msg(!strstr(t.text, "1234"), "a trace shows the PIN:\n%s", t.text);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* A host's ctx_json holding the call's token and card number, cut at every byte and with a
 * bit flipped in every byte, and with an integer past 64 bits: ivrsm_session_new() refuses
 * what is not a JSON object, and its message, which hosts log, says where and why without a
 * byte of either (jansson's "near '...'" quoted the token where reading stopped). The same of
 * a snapshot: tests/adversarial/test_snapshots.c. */
START_TEST(errors_never_quote_a_secret)
{
    ivrsm_machine *m = adv_load("machine: t\nversion: '1'\nlocale: en-US\n"
                                "states:\n"
                                "  bye: {type: prompt_end, prompt: Bye.}\n");
    static const char ctx[] = "{\"member\": \"m-17\", \"token\": \"Zq7vKx9Wp3\", "
                              "\"card\": {\"number\": 4970101234567890, \"pin\": \"8613\"}}";
    static const char *const secrets[] = {"Zq7vKx9Wp3", "4970101234567890", "8613"};
    static const unsigned char flips[] = {0x01, 0x04, 0x20, 0x80};
    char text[sizeof ctx];
    int refused = 0;
    for (size_t i = 0; i < sizeof ctx - 1; i++) {
        for (size_t f = 0; f <= sizeof flips; f++) {
            size_t len = sizeof ctx - 1;
            memcpy(text, ctx, sizeof ctx);
            if (f == sizeof flips)
                text[len = i] = '\0'; /* cut */
            else
                text[i] = (char)(ctx[i] ^ flips[f]);
            ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
            o.ctx_json = text;
            ivrsm_session *s = NULL;
            ivrsm_error err;
            memset(&err, 0, sizeof err);
            int rc = ivrsm_session_new(m, &o, &s, &err);
            ivrsm_session_free(s);
            if (rc == 0)
                continue;
            refused++;
            ck_assert_msg(rc == IVRSM_EINVAL && err.message[0], "%zu/%zu: %d %s", i, f, rc,
                          err.message);
            for (size_t k = 0; k < sizeof secrets / sizeof *secrets; k++)
                ck_assert_msg(!adv_quotes_secret(err.message, ctx, text, len, secrets[k]),
                              "byte %zu, change %zu: the message quotes a secret: %s", i, f,
                              err.message);
        }
    }
    ck_assert_int_gt(refused, (int)(sizeof ctx)); /* every cut at least */
    /* An integer past 64 bits: out of range, without its digits. */
    static const char *const big[] = {"{\"card\": 49701012345678901234567}",
                                      "{\"card\": -49701012345678901234567}"};
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
        o.ctx_json = big[i];
        ivrsm_session *s = NULL;
        ivrsm_error err;
        ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
        ck_assert_msg(!strncmp(err.message,
                               "ctx_json is not JSON: an integer is out of range "
                               "(-9223372036854775808 to 9223372036854775807) (line 1, column ",
                               111) &&
                          !adv_quotes_secret(err.message, big[i], big[i], strlen(big[i]),
                                             "49701012345678901234567"),
                      "%s", err.message);
    }
    ivrsm_machine_unref(m);
}
END_TEST

int main(void)
{
    Suite *su = suite_create("secrets");
    TCase *tc = tcase_create("secrets");
    tcase_add_test(tc, otp_in_its_own_target_stays_secret);
    tcase_add_test(tc, nested_sensitive_value_scrubbed_from_prompts);
    tcase_add_test(tc, sensitive_keys_listed_as_paths);
    tcase_add_test(tc, keys_sent_as_secrets_are_secrets);
    tcase_add_test(tc, session_headers_are_secrets);
    tcase_add_test(tc, copy_of_a_secret_stays_secret);
    tcase_add_test(tc, token_kept_under_another_name_stays_secret);
    tcase_add_test(tc, scrubbed_records_stay_json);
    tcase_add_test(tc, plain_names_of_secrets_keep_their_parent);
    tcase_add_test(tc, errors_never_quote_a_secret);
    suite_add_tcase(su, tc);
    return adv_run(su);
}
