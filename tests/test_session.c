/* Runtime semantics: matching, counters, actions, bounds, idempotency,
 * snapshots and traces, on small machines and on the seed machine. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_driver.h"
#include "failing_mem.h"

static const char *menu_yaml =
    "machine: menu\n"
    "version: '1'\n"
    "locale: fr-FR\n"
    "timezone: Europe/Paris\n"
    "globals:\n"
    "  handoff: {enabled: true, queue_id: q1, prompt: 'Un conseiller.'}\n"
    "  endpoints:\n"
    "    lookup: 'GET /items/{id}'\n"
    "intents:\n"
    "  yes: {utterances: [oui, \"d'accord\"], dtmf: ['1']}\n"
    "  no: {utterances: ['non', 'non merci'], dtmf: ['2']}\n"
    "  item: {utterances: ['article', 'un article précis'], dtmf: ['3', '33']}\n"
    "  operator: {utterances: ['conseiller'], dtmf: ['0']}\n"
    "states:\n"
    "  start:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Voulez-vous continuer ?'\n"
    "    noinput: {max: 2, next: bye}\n"
    "    nomatch: {max: 3, next: bye}\n"
    "    routes:\n"
    "      - when_intent: yes\n"
    "        set: {answer: true, count: 3}\n"
    "        next: fetch\n"
    "      - when_intent: no\n"
    "        next: bye\n"
    "      - when_intent: item\n"
    "        next: fetch\n"
    "      - when_intent: operator\n"
    "        next: agent\n"
    "  fetch:\n"
    "    type: action_then_prompt\n"
    "    action:\n"
    "      call: ${globals.endpoints.lookup}\n"
    "      path: {id: '{{ctx.item_id}}'}\n"
    "      query: {lang: fr}\n"
    "      headers: {Authorization: 'Bearer {{ctx.token}}'}\n"
    "      body: {n: '{{ctx.count}}'}\n"
    "    on_success:\n"
    "      set: {label: '{{resp.label}}'}\n"
    "      prompt: 'Article {{resp.label}}.'\n"
    "      next: menu2\n"
    "    on_fail:\n"
    "      prompt: 'Erreur.'\n"
    "      next: bye\n"
    "  menu2:\n"
    "    type: listen\n"
    "    routes:\n"
    "      - when_intent: no\n"
    "        next: bye\n"
    "    fallback:\n"
    "      set: {fell: yes}\n"
    "      next: bye\n"
    "  agent:\n"
    "    type: handoff\n"
    "    enabled: ${globals.handoff.enabled}\n"
    "    queue_id: ${globals.handoff.queue_id}\n"
    "    prompt: ${globals.handoff.prompt}\n"
    "    on_fail:\n"
    "      prompt: 'Personne.'\n"
    "      next: bye\n"
    "  bye:\n"
    "    type: prompt_end\n"
    "    prompt: 'Au revoir.'\n";

static const canned menu_ok[] = {{"lookup", 200, "{\"label\":\"A12\"}"}, {NULL, 0, NULL}};

static ivrsm_machine *menu(void)
{
    return load_yaml_text(menu_yaml);
}

static json_t *cmd_at(const call *c, int i)
{
    if (i < 0)
        i += (int)json_array_size(c->log);
    return json_array_get(c->log, (size_t)i);
}

static const char *field(const call *c, int i, const char *k)
{
    return json_string_value(json_object_get(cmd_at(c, i), k));
}

START_TEST(start_asks_with_prompt)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(json_array_size(c.log), 1);
    ck_assert_str_eq(field(&c, 0, "type"), "ask");
    ck_assert_str_eq(field(&c, 0, "text"), "Voulez-vous continuer ?");
    ck_assert_str_eq(field(&c, 0, "state"), "start");
    /* "3" and "33" are routed: two digits, no terminator conflict */
    ck_assert_int_eq(json_integer_value(json_object_get(cmd_at(&c, 0), "max_digits")), 2);
    ck_assert_str_eq(call_state(&c), "start");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(command_as_json_text)
{
    ivrsm_machine *m = menu();
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
    ivrsm_session_start(s);
    const ivrsm_command *c = ivrsm_session_next_command(s);
    char *text = ivrsm_command_to_json(c);
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "ask");
    ck_assert_str_eq(json_string_value(json_object_get(j, "text")), "Voulez-vous continuer ?");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "id")), 1);
    ck_assert(json_is_array(json_object_get(j, "hints")));
    json_decref(j);
    ivrsm_free(text);
    ck_assert_ptr_null(ivrsm_command_to_json(NULL));
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(dtmf_exact_whole_string)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, "{\"item_id\":\"x/1\",\"token\":\"t\"}");
    c.responses = menu_ok;
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "dtmf 12"), 0); /* not "1": no match */
    ck_assert_str_eq(call_state(&c), "start");
    ck_assert_str_eq(field(&c, -1, "type"), "ask");
    ck_assert_int_eq(call_input(&c, "dtmf 33"), 0);
    ck_assert_str_eq(call_state(&c), "menu2");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(garbage_dtmf_is_nomatch)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "dtmf 9x;\x01"), 0);
    ck_assert_str_eq(call_state(&c), "start");
    ck_assert_int_eq(call_count(&c, "ask"), 2);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(speech_normalised_longest_match)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, "{\"item_id\":\"7\",\"token\":\"t\"}");
    c.responses = menu_ok;
    call_start(&c);
    /* "non merci" (no) is longer than "non"; "d'accord" needs the apostrophe handling */
    ck_assert_int_eq(call_input(&c, "say Euh, D’ACCORD!"), 0);
    ck_assert_str_eq(call_state(&c), "menu2");
    char *ctx = ivrsm_session_ctx_json(c.s);
    ck_assert_ptr_nonnull(strstr(ctx, "\"answer\": true") ? ctx : strstr(ctx, "\"answer\":true"));
    ck_assert_ptr_nonnull(strstr(ctx, "\"count\""));
    ivrsm_free(ctx);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(speech_whole_words_only)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    /* "nonchalant" contains "non" but not as a word */
    ck_assert_int_eq(call_input(&c, "say nonchalant"), 0);
    ck_assert_str_eq(call_state(&c), "start");
    ck_assert_int_eq(call_input(&c, "say je dis non merci"), 0);
    ck_assert_str_eq(call_state(&c), "bye");
    ck_assert(call_ended(&c));
    ck_assert_str_eq(field(&c, -1, "type"), "hangup");
    ck_assert_str_eq(field(&c, -2, "text"), "Au revoir.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* Utterances and transcripts are normalised with the machine's locale: contractions, umlauts, ñ. */
static const char *const locale_menu_yaml = "machine: lang\n"
                                            "version: '1'\n"
                                            "locale: %s\n"
                                            "intents:\n"
                                            "  pick: {utterances: [\"%s\"]}\n"
                                            "states:\n"
                                            "  start:\n"
                                            "    type: prompt_and_listen\n"
                                            "    prompt: '?'\n"
                                            "    routes:\n"
                                            "      - {when_intent: pick, next: bye}\n"
                                            "      - {when_text: \"%s\", next: other}\n"
                                            "  other: {type: prompt_end, prompt: other}\n"
                                            "  bye: {type: prompt_end, prompt: bye}\n";

struct locale_match_case {
    const char *locale;
    const char *utterance;
    const char *when_text;
    const char *said;
    const char *state; /* where the call goes */
};

static const struct locale_match_case locale_match_cases[] = {
    {"en-US", "I don't know", "can't", "well I do not know", "bye"},
    {"en-US", "I don't know", "can't", "I cannot come", "other"},
    {"en-US", "I do not know", "can't", "I don't know", "bye"},
    {"en-GB", "I'd like to cancel", "we're late", "I would like to cancel", "bye"},
    {"en-GB", "I'd like to cancel", "we're late", "sorry, we are late", "other"},
    {"de-DE", "f\xc3\xbcr mich",
     "Stra\xc3\x9f"
     "e",
     "fuer mich bitte", "bye"},
    {"de-DE", "f\xc3\xbcr mich",
     "Stra\xc3\x9f"
     "e",
     "die STRASSE", "other"},
    {"de-DE", "f\xc3\xbcr mich",
     "Stra\xc3\x9f"
     "e",
     "fur mich", "start"},
    {"es-ES", "a\xc3\xb1o",
     "ma\xc3\xb1"
     "ana",
     "este A\xc3\x91O", "bye"},
    {"es-ES", "a\xc3\xb1o",
     "ma\xc3\xb1"
     "ana",
     "ano", "start"},
    {"es-ES", "a\xc3\xb1o",
     "ma\xc3\xb1"
     "ana",
     "pasado MA\xc3\x91"
     "ANA",
     "other"},
    /* French keeps its own rules: "don't" is two words, ñ folds to n. */
    {"fr-FR", "don't", "a\xc3\xb1o", "don t", "bye"},
    {"fr-FR", "don't", "a\xc3\xb1o", "do not", "start"},
    {"fr-FR", "don't", "a\xc3\xb1o", "ano", "other"},
};

START_TEST(speech_follows_the_locale)
{
    const struct locale_match_case *lc = &locale_match_cases[_i];
    char yaml[1024];
    snprintf(yaml, sizeof yaml, locale_menu_yaml, lc->locale, lc->utterance, lc->when_text);
    ivrsm_machine *m = load_yaml_text(yaml);
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    char line[256];
    snprintf(line, sizeof line, "say %s", lc->said);
    ck_assert_int_eq(call_input(&c, line), 0);
    ck_assert_msg(strcmp(call_state(&c), lc->state) == 0, "%s: \"%s\" went to %s, expected %s",
                  lc->locale, lc->said, call_state(&c), lc->state);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(low_confidence_is_nomatch)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "say@0.1 non"), 0);
    ck_assert_str_eq(call_state(&c), "start");
    ck_assert_int_eq(call_input(&c, "say@0.9 non"), 0);
    ck_assert_str_eq(call_state(&c), "bye");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(external_intent)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "intent nonexistent"), 0);
    ck_assert_str_eq(call_state(&c), "start");
    ck_assert_int_eq(call_input(&c, "intent operator"), 0);
    ck_assert_str_eq(field(&c, -1, "type"), "handoff");
    ck_assert_str_eq(field(&c, -1, "queue"), "q1");
    ck_assert_str_eq(field(&c, -1, "text"), "Un conseiller.");
    ck_assert(call_ended(&c));
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(invalid_utf8_is_nomatch)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "say \xc3\x28 oui \xff"), 0);
    ck_assert_str_eq(call_state(&c), "start");
    ck_assert_int_eq(call_count(&c, "ask"), 2);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(noinput_reprompts_then_next)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "noinput"), 0);
    ck_assert_str_eq(call_state(&c), "start");
    ck_assert_str_eq(field(&c, -1, "text"), "Voulez-vous continuer ?");
    ck_assert_int_eq(call_input(&c, "noinput"), 0);
    ck_assert_str_eq(call_state(&c), "bye");
    ck_assert(call_ended(&c));
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(nomatch_counts_to_max)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "say blabla");
    call_input(&c, "nomatch");
    ck_assert_str_eq(call_state(&c), "start");
    call_input(&c, "dtmf 7");
    ck_assert_str_eq(call_state(&c), "bye");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(action_success_merges_say_into_ask)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, "{\"item_id\":\"a/b c\",\"token\":\"tk\"}");
    c.responses = menu_ok;
    call_start(&c);
    call_input(&c, "dtmf 1");
    /* ask, http, then one ask carrying the success prompt (menu2 listens, no prompt) */
    ck_assert_str_eq(field(&c, 1, "type"), "http");
    ck_assert_str_eq(field(&c, 1, "method"), "GET");
    ck_assert_str_eq(field(&c, 1, "path"), "/items/a%2Fb%20c");
    ck_assert_str_eq(field(&c, 1, "query"), "lang=fr");
    ck_assert_str_eq(field(&c, 1, "endpoint"), "lookup");
    ck_assert_str_eq(field(&c, 1, "idempotency_key"), "sess-1-2");
    json_t *h = json_object_get(cmd_at(&c, 1), "headers");
    ck_assert_str_eq(json_string_value(json_object_get(h, "Authorization")), "Bearer tk");
    /* a single-expression body value keeps its type */
    json_t *body = json_object_get(cmd_at(&c, 1), "body");
    ck_assert(json_is_integer(json_object_get(body, "n")));
    ck_assert_str_eq(field(&c, 2, "type"), "ask");
    ck_assert_str_eq(field(&c, 2, "text"), "Article A12.");
    ck_assert_int_eq(json_array_size(c.log), 3);
    ck_assert_str_eq(call_state(&c), "menu2");
    /* fallback with set, taken at once */
    call_input(&c, "say quoi");
    ck_assert_str_eq(call_state(&c), "bye");
    char *ctx = ivrsm_session_ctx_json(c.s);
    ck_assert_ptr_nonnull(strstr(ctx, "\"fell\":\"yes\""));
    ck_assert_ptr_nonnull(strstr(ctx, "\"label\":\"A12\""));
    ivrsm_free(ctx);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(action_failure_kinds)
{
    static const canned fails[][2] = {
        {{"lookup", 500, "{\"error\":\"boom\"}"}, {NULL, 0, NULL}},
        {{"lookup", 200, "<html>not json"}, {NULL, 0, NULL}},
        {{"lookup", 0, NULL}, {NULL, 0, NULL}},
        {{"lookup", 404, ""}, {NULL, 0, NULL}},
    };
    for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
        ivrsm_machine *m = menu();
        call c;
        call_init(&c, m, "{\"item_id\":\"1\"}");
        c.responses = fails[i];
        call_start(&c);
        call_input(&c, "dtmf 1");
        ck_assert_str_eq(call_state(&c), "bye");
        ck_assert_str_eq(field(&c, -2, "text"), "Erreur. Au revoir.");
        call_free(&c);
        ivrsm_machine_unref(m);
    }
}
END_TEST

START_TEST(missing_path_parameter_fails_action)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL); /* no ctx.item_id */
    c.responses = menu_ok;
    call_start(&c);
    call_input(&c, "dtmf 1");
    ck_assert_int_eq(c.http_calls, 0);
    ck_assert_str_eq(call_state(&c), "bye");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * resp is the answer of the state's own action: when a second action cannot
 * even be sent, its on_fail does not read the first one's answer.
 */
START_TEST(resp_is_the_state_own_answer)
{
    ivrsm_machine *m = load_yaml_text("machine: r\n"
                                      "version: '1'\n"
                                      "globals:\n"
                                      "  endpoints: {first: 'GET /first', second: 'GET /s/{id}'}\n"
                                      "states:\n"
                                      "  one:\n"
                                      "    type: action_then_prompt\n"
                                      "    action: {call: first}\n"
                                      "    on_success: {prompt: 'Un {{resp.label}}.', next: two}\n"
                                      "  two:\n"
                                      "    type: action_then_prompt\n"
                                      "    action: {call: second, path: {id: '{{ctx.missing}}'}}\n"
                                      "    on_success: {next: bye}\n"
                                      "    on_fail: {prompt: 'Deux [{{resp.label}}].', next: bye}\n"
                                      "  bye:\n"
                                      "    type: prompt_end\n"
                                      "    prompt: Fin.\n");
    static const canned answers[] = {{"first", 200, "{\"label\":\"A12\"}"}, {NULL, 0, NULL}};
    call c;
    call_init(&c, m, NULL);
    c.responses = answers;
    call_start(&c);
    ck_assert_int_eq(c.http_calls, 1); /* the second request has no {id}: never sent */
    ck_assert(call_ended(&c));
    char *t = call_transcript(&c);
    ck_assert_msg(strstr(t, "Un A12.") && strstr(t, "Deux [].") && !strstr(t, "Deux [A12]"), "%s",
                  t);
    free(t);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(header_injection_refused)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, "{\"item_id\":\"1\",\"token\":\"a\\r\\nX-Evil: 1\"}");
    c.responses = menu_ok;
    call_start(&c);
    call_input(&c, "dtmf 1");
    ck_assert_int_eq(c.http_calls, 0);
    ck_assert_str_eq(call_state(&c), "bye");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* A ctx for the menu's fetch with one key replaced by a JSON value (caller frees). */
static char *menu_ctx(const char *key, const char *json_value)
{
    json_t *ctx = json_pack("{s:s, s:s, s:i}", "item_id", "1", "token", "t", "count", 3);
    json_object_set_new(ctx, key, json_loads(json_value, JSON_DECODE_ANY, NULL));
    char *text = json_dumps(ctx, JSON_COMPACT);
    json_decref(ctx);
    return text;
}

/* A JSON string literal of `n` times `c`. */
static char *long_string(size_t n, char c)
{
    char *v = malloc(n + 3);
    ck_assert_ptr_nonnull(v);
    v[0] = '"';
    memset(v + 1, c, n);
    v[n + 1] = '"';
    v[n + 2] = '\0';
    return v;
}

/* The fetch with ctx[key] = value: whether its request went out (else it failed). */
static bool fetch_sent(const char *key, const char *value, const char **path)
{
    ivrsm_machine *m = menu();
    char *ctx = menu_ctx(key, value);
    call c;
    call_init(&c, m, ctx);
    c.responses = menu_ok;
    call_start(&c);
    call_input(&c, "dtmf 3"); /* the route that sets nothing */
    bool sent = c.http_calls == 1;
    static char last_path[64];
    snprintf(last_path, sizeof(last_path), "%s", sent ? field(&c, 1, "path") : "");
    if (path)
        *path = last_path;
    ck_assert_str_eq(call_state(&c), sent ? "menu2" : "bye");
    if (!sent)
        ck_assert_str_eq(field(&c, -2, "text"), "Erreur. Au revoir.");
    call_free(&c);
    free(ctx);
    ivrsm_machine_unref(m);
    return sent;
}

/* A path parameter can never change the path's shape: "." and ".." fail the action. */
START_TEST(dot_path_parameter_fails_action)
{
    const char *path = NULL;
    ck_assert(!fetch_sent("item_id", "\".\"", NULL));
    ck_assert(!fetch_sent("item_id", "\"..\"", NULL));
    ck_assert(fetch_sent("item_id", "\"...\"", &path));
    ck_assert_str_eq(path, "/items/...");
    ck_assert(fetch_sent("item_id", "\"%2e%2e\"", &path));
    ck_assert_str_eq(path, "/items/%252e%252e");
    ck_assert(fetch_sent("item_id", "\"../x\"", &path));
    ck_assert_str_eq(path, "/items/..%2Fx");
}
END_TEST

/* Headers the HTTP adapter would refuse fail the action instead (its rule: RFC 9110). */
START_TEST(header_control_characters_fail_action)
{
    for (int b = 1; b < 256; b++) {
        char value[16];
        snprintf(value, sizeof(value), b < 0x80 ? "\"a\\u%04xz\"" : "\"a\\u00%02xz\"", b);
        bool control = (b < 0x20 && b != '\t') || b == 0x7f;
        ck_assert_msg(fetch_sent("token", value, NULL) == !control, "byte 0x%02x", b);
    }
}
END_TEST

/* The bounds of a request: a header line, the path and query, the body. */
START_TEST(request_bounds_fail_action)
{
    /* "Authorization: Bearer " is 22 bytes: the line is 22 + n. */
    char *v = long_string(IVRSM_MAX_HEADER_BYTES - 22, 't');
    ck_assert(fetch_sent("token", v, NULL));
    free(v);
    v = long_string(IVRSM_MAX_HEADER_BYTES - 21, 't');
    ck_assert(!fetch_sent("token", v, NULL));
    free(v);
    /* "/items/" is 7 bytes and "?lang=fr" 8. */
    v = long_string(IVRSM_MAX_PATH_BYTES - 15, 'i');
    ck_assert(fetch_sent("item_id", v, NULL));
    free(v);
    v = long_string(IVRSM_MAX_PATH_BYTES - 14, 'i');
    ck_assert(!fetch_sent("item_id", v, NULL));
    free(v);
    /* The body is {"n":"..."}: 8 bytes around the value. */
    v = long_string(IVRSM_MAX_REQUEST_BODY_BYTES - 8, 'n');
    ck_assert(fetch_sent("count", v, NULL));
    free(v);
    v = long_string(IVRSM_MAX_REQUEST_BODY_BYTES - 7, 'n');
    ck_assert(!fetch_sent("count", v, NULL));
    free(v);
}
END_TEST

/* {"label":[[...]]}: `levels` of objects and arrays (caller frees). */
static char *nested(int levels)
{
    char *t = malloc(2 * (size_t)levels + 16);
    ck_assert_ptr_nonnull(t);
    strcpy(t, "{\"label\":");
    for (int i = 1; i < levels; i++)
        strcat(t, "[");
    for (int i = 1; i < levels; i++)
        strcat(t, "]");
    strcat(t, "}");
    return t;
}

/* The fetch answered 200 with `body`: its state afterwards, and the snapshot's size. */
static const char *answered_with(const char *body, size_t *snapshot_len)
{
    ivrsm_machine *m = menu();
    canned answer[] = {{"lookup", 200, body}, {NULL, 0, NULL}};
    call c;
    call_init(&c, m, "{\"item_id\":\"1\"}");
    c.responses = answer;
    call_start(&c);
    call_input(&c, "dtmf 1");
    static char state[32];
    snprintf(state, sizeof(state), "%s", call_state(&c));
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(c.s, &snap), 0);
    *snapshot_len = strlen(snap);
    ivrsm_free(snap);
    call_free(&c);
    ivrsm_machine_unref(m);
    return state;
}

/*
 * What the session keeps of an answer is bounded: a body larger than
 * IVRSM_MAX_RESULT_BODY_BYTES, or nested deeper than IVRSM_MAX_DEPTH (which
 * a snapshot could not read back), is not taken (a 100 MB answer made a
 * 200 MB snapshot).
 */
START_TEST(result_body_bounds)
{
    size_t len;
    size_t n = IVRSM_MAX_RESULT_BODY_BYTES - 12;
    char *body = malloc(n + 32);
    snprintf(body, n + 32, "{\"label\":\"%s", "");
    memset(body + 10, 'x', n);
    strcpy(body + 10 + n, "\"}");
    ck_assert_uint_eq(strlen(body), IVRSM_MAX_RESULT_BODY_BYTES);
    ck_assert_str_eq(answered_with(body, &len), "menu2");
    ck_assert_uint_gt(len, IVRSM_MAX_RESULT_BODY_BYTES); /* kept: resp and the label */
    strcpy(body + 10 + n, "x\"}");
    ck_assert_str_eq(answered_with(body, &len), "bye");
    ck_assert_uint_lt(len, 4096);
    free(body);

    char *deep = nested(IVRSM_MAX_DEPTH);
    ck_assert_str_eq(answered_with(deep, &len), "menu2");
    free(deep);
    deep = nested(IVRSM_MAX_DEPTH + 1);
    ck_assert_str_eq(answered_with(deep, &len), "bye");
    free(deep);
}
END_TEST

/* The session id (ctx.session_id) of a new session with these options. */
static char *new_session_id(ivrsm_machine *m, const ivrsm_session_options *o)
{
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, o, &s, NULL), 0);
    char *ctx = ivrsm_session_ctx_json(s);
    json_t *j = json_loads(ctx, 0, NULL);
    char *id = strdup(json_string_value(json_object_get(j, "session_id")));
    json_decref(j);
    ivrsm_free(ctx);
    ivrsm_session_free(s);
    return id;
}

static bool hex_id(const char *id)
{
    return strlen(id) == 34 && !strncmp(id, "s-", 2) && strspn(id + 2, "0123456789abcdef") == 32;
}

static int counting_rand(void *user, uint8_t *dest, size_t len)
{
    int *calls = user;
    for (size_t i = 0; i < len; i++)
        dest[i] = (uint8_t)(i + 16 * *calls);
    (*calls)++;
    return 0;
}

static int failing_rand(void *user, uint8_t *dest, size_t len)
{
    (void)user;
    (void)dest;
    (void)len;
    return -1;
}

/*
 * Two calls never share an id, so never an idempotency key: every session
 * with neither a session id nor a call id was "s-local" (the first request
 * of every call carried Idempotency-Key: s-local-3).
 */
START_TEST(session_ids_are_unique)
{
    ivrsm_machine *m = menu();
    char *a = new_session_id(m, NULL), *b = new_session_id(m, NULL);
    ck_assert_msg(hex_id(a) && hex_id(b), "%s %s", a, b);
    ck_assert_str_ne(a, b);
    free(a);
    free(b);
    /* Randomness from the host, as ngtcp2 takes it. */
    int calls = 0;
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.rand = counting_rand;
    o.rand_user = &calls;
    a = new_session_id(m, &o);
    ck_assert_str_eq(a, "s-000102030405060708090a0b0c0d0e0f");
    ck_assert_int_eq(calls, 1);
    free(a);
    /* A host without randomness still gets ids that differ. */
    o.rand = failing_rand;
    a = new_session_id(m, &o);
    b = new_session_id(m, &o);
    ck_assert_msg(hex_id(a) && hex_id(b) && strcmp(a, b), "%s %s", a, b);
    free(a);
    free(b);
    /* The host's names win: its session id, else its call id. */
    o.call_id = "c-7";
    a = new_session_id(m, &o);
    ck_assert_str_eq(a, "s-c-7");
    free(a);
    o.session_id = "mine";
    a = new_session_id(m, &o);
    ck_assert_str_eq(a, "mine");
    free(a);
    ivrsm_machine_unref(m);
}
END_TEST

/* Ids become idempotency keys, sent as header values: bounded, UTF-8, no control character. */
START_TEST(bad_ids_refused)
{
    ivrsm_machine *m = menu();
    char long_id[IVRSM_MAX_ID_BYTES + 2];
    memset(long_id, 'i', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    const char *bad[] = {"a\r\nX-Evil: 1", "tab\tin", "\xff\xfe", long_id};
    for (int field = 0; field < 2; field++) {
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
            ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
            if (field)
                o.session_id = bad[i];
            else
                o.call_id = bad[i];
            ivrsm_session *s = NULL;
            ivrsm_error err;
            ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
            ck_assert_ptr_null(s);
            ck_assert_ptr_nonnull(strstr(err.message, field ? "session_id" : "call_id"));
        }
    }
    /* The longest call id gives the longest session id, which a snapshot restores. */
    long_id[IVRSM_MAX_ID_BYTES] = '\0';
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.call_id = long_id;
    ivrsm_session *s = NULL, *back = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ck_assert_int_eq(ivrsm_session_restore(m, snap, NULL, &back, NULL), 0);
    ivrsm_session_free(back);
    ivrsm_session_free(s);
    /* A snapshot whose ids a session would refuse is refused. */
    json_t *j = json_loads(snap, 0, NULL);
    json_object_set_new(j, "session_id", json_string("a\nb"));
    char *bad_snap = json_dumps(j, JSON_COMPACT);
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_session_restore(m, bad_snap, NULL, &back, &err), IVRSM_ESNAPSHOT);
    ck_assert_ptr_nonnull(strstr(err.message, "session_id"));
    free(bad_snap);
    json_decref(j);
    ivrsm_free(snap);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(handoff_failure_takes_on_fail)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    c.handoff_ok = 0;
    call_start(&c);
    call_input(&c, "dtmf 0");
    ck_assert_str_eq(call_state(&c), "bye");
    ck_assert_str_eq(field(&c, -2, "text"), "Personne. Au revoir.");
    json_t *ho = cmd_at(&c, 1);
    json_t *ctx = json_object_get(ho, "context");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "session_id")), "sess-1");
    ck_assert_str_eq(json_string_value(json_object_get(ctx, "state")), "agent");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(duplicate_and_stale_events)
{
    ivrsm_machine *m = menu();
    ivrsm_session *s = NULL;
    ivrsm_session_options o = {0};
    o.session_id = "S";
    o.ctx_json = "{\"item_id\":\"1\"}";
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ivrsm_event ev = {0};
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "1";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), IVRSM_ESTATE);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    ck_assert_int_eq(ivrsm_session_start(s), IVRSM_ESTATE);
    while (ivrsm_session_next_command(s))
        ;
    ivrsm_event res = {0};
    res.type = IVRSM_EVENT_ACTION_RESULT;
    res.command_id = 1;
    res.status = 200;
    ck_assert_int_eq(ivrsm_session_feed(s, &res), IVRSM_ESTALE);
    ev.event_id = "e1";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), IVRSM_EDUPLICATE);
    const ivrsm_command *cmd = ivrsm_session_next_command(s);
    ck_assert_int_eq(cmd->type, IVRSM_COMMAND_HTTP);
    uint64_t id = cmd->id;
    /* input while the http command is pending */
    ev.event_id = "e2";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), IVRSM_EUNEXPECTED);
    res.command_id = id + 5;
    ck_assert_int_eq(ivrsm_session_feed(s, &res), IVRSM_ESTALE);
    res.command_id = id;
    res.body = "{\"label\":\"x\"}";
    res.event_id = "r1";
    ck_assert_int_eq(ivrsm_session_feed(s, &res), 0);
    ck_assert_int_eq(ivrsm_session_feed(s, &res), IVRSM_EDUPLICATE);
    res.event_id = "r2";
    ck_assert_int_eq(ivrsm_session_feed(s, &res), IVRSM_ESTALE);
    ivrsm_event hang = {0};
    hang.type = IVRSM_EVENT_HANGUP;
    ck_assert_int_eq(ivrsm_session_feed(s, &hang), 0);
    ck_assert(ivrsm_session_ended(s));
    ck_assert_int_eq(ivrsm_session_feed(s, &hang), IVRSM_EENDED);
    ck_assert_ptr_null(ivrsm_session_next_command(s));
    /* oversize input */
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(oversized_input_refused)
{
    ivrsm_machine *m = menu();
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    char *big = malloc(IVRSM_MAX_INPUT_BYTES + 16);
    memset(big, 'a', IVRSM_MAX_INPUT_BYTES + 10);
    big[IVRSM_MAX_INPUT_BYTES + 10] = '\0';
    ivrsm_event ev = {0};
    ev.type = IVRSM_EVENT_SPEECH;
    ev.text = big;
    ck_assert_int_eq(ivrsm_session_feed(c.s, &ev), IVRSM_ELIMIT);
    free(big);
    ck_assert_str_eq(call_state(&c), "start");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* Restore `snapshot` on a thread with a small stack, as a host's worker thread may have. */
typedef struct restore_job {
    ivrsm_machine *m;
    const char *snapshot;
    int rc;
} restore_job;

static void *restore_on_thread(void *arg)
{
    restore_job *job = arg;
    ivrsm_session *s = NULL;
    ivrsm_error err;
    job->rc = ivrsm_session_restore(job->m, job->snapshot, NULL, &s, &err);
    ivrsm_session_free(s);
    return NULL;
}

static int restore_with_stack(ivrsm_machine *m, const char *snapshot, size_t stack)
{
    restore_job job = {m, snapshot, 1};
    pthread_attr_t attr;
    pthread_t t;
    ck_assert_int_eq(pthread_attr_init(&attr), 0);
    ck_assert_int_eq(pthread_attr_setstacksize(&attr, stack), 0);
    ck_assert_int_eq(pthread_create(&t, &attr, restore_on_thread, &job), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&attr);
    return job.rc;
}

/*
 * JSON from outside nests no deeper than what the session can keep and save:
 * ctx_json and ivrsm_ctx_set_json()'s texts IVRSM_MAX_DEPTH levels (answers
 * too, result_body_bounds), a snapshot 4 * IVRSM_MAX_DEPTH. A snapshot of
 * jansson's 2048 levels was read a level per call, and overflowed the stack
 * of a thread of 256 KiB (FreeSWITCH gives its threads 240 KiB).
 */
START_TEST(deep_json_from_outside)
{
    char *out = NULL;
    char *deep = nested(IVRSM_MAX_DEPTH);
    ck_assert_int_eq(ivrsm_ctx_set_json(NULL, "a", deep, &out), 0);
    ivrsm_free(out);
    ck_assert_int_eq(ivrsm_ctx_set_json(deep, "a", "1", &out), 0);
    ivrsm_free(out);
    free(deep);
    deep = nested(IVRSM_MAX_DEPTH + 1);
    ck_assert_int_eq(ivrsm_ctx_set_json(NULL, "a", deep, &out), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_ctx_set_json(deep, "a", "1", &out), IVRSM_EINVAL);
    free(deep);

    /* The deepest ctx a host may give, saved inside the snapshot's own object, reads back. */
    ivrsm_machine *m = menu();
    ivrsm_session_options o = {0};
    deep = nested(IVRSM_MAX_DEPTH);
    o.ctx_json = deep;
    ivrsm_session *s = NULL;
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ck_assert_int_eq(restore_with_stack(m, snap, 256 * 1024), 0);
    ivrsm_free(snap);
    ivrsm_session_free(s);
    free(deep);

    /* 2048 levels (what jansson reads) under a snapshot's keys. */
    size_t levels = 2048, n = 0;
    char *text = malloc(2 * levels + 64);
    ck_assert_ptr_nonnull(text);
    n += (size_t)sprintf(text, "{\"format\":\"ivrsm-session/1\",\"ctx\":");
    for (size_t i = 0; i < levels; i++)
        text[n++] = '[';
    for (size_t i = 0; i < levels; i++)
        text[n++] = ']';
    strcpy(text + n, "}");
    ck_assert_int_eq(restore_with_stack(m, text, 256 * 1024), IVRSM_ESNAPSHOT);
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_session_restore(m, text, NULL, &s, &err), IVRSM_ESNAPSHOT);
    ck_assert_ptr_nonnull(strstr(err.message, "deeper"));
    free(text);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(bad_ctx_json)
{
    ivrsm_machine *m = menu();
    ivrsm_session *s = NULL;
    ivrsm_session_options o = {0};
    o.ctx_json = "[1,2]";
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
    ck_assert_str_eq(err.message, "ctx_json must be a JSON object, not a list");
    o.ctx_json = "\"text\"";
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
    ck_assert_str_eq(err.message, "ctx_json must be a JSON object, not a string");
    o.ctx_json = "{bad";
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.message, "ctx_json is not JSON: ") && strstr(err.message, "column"),
                  "%s", err.message);
    /* JSON's \u0000 in a string, which the library refuses: said as such, not as a wrong type. */
    o.ctx_json = "{\"name\":\"An\\u0000a\"}";
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
    ck_assert_ptr_null(s);
    ck_assert_msg(strstr(err.message, "ctx_json is not JSON: ") && strstr(err.message, "u0000"),
                  "%s", err.message);
    /* ctx goes into snapshots, which must read back: 64 levels at most, the ctx included. */
    char *deep = nested(IVRSM_MAX_DEPTH);
    o.ctx_json = deep;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), 0);
    ivrsm_session_free(s);
    s = NULL;
    free(deep);
    deep = nested(IVRSM_MAX_DEPTH + 1);
    o.ctx_json = deep;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
    free(deep);
    ck_assert_ptr_nonnull(strstr(err.message, "deeper"));
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(snapshot_restore_mid_http)
{
    ivrsm_machine *m = menu();
    ivrsm_session *s = NULL;
    ivrsm_session_options o = {0};
    o.session_id = "S9";
    o.ctx_json = "{\"item_id\":\"1\"}";
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ivrsm_session_start(s);
    while (ivrsm_session_next_command(s))
        ;
    ivrsm_event ev = {0};
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "1";
    ev.event_id = "k1";
    ivrsm_session_feed(s, &ev);
    const ivrsm_command *cmd = ivrsm_session_next_command(s);
    ck_assert_int_eq(cmd->type, IVRSM_COMMAND_HTTP);
    char key[64];
    snprintf(key, sizeof(key), "%s", cmd->http.idempotency_key);
    uint64_t id = cmd->id;
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    /* the pending command is in the snapshot, so another process can send it again */
    json_t *sj = json_loads(snap, 0, NULL);
    json_t *pending = json_object_get(sj, "pending");
    ck_assert_str_eq(json_string_value(json_object_get(pending, "idempotency_key")), "S9-2");
    ck_assert_str_eq(json_string_value(json_object_get(pending, "path")), "/items/1");
    json_decref(sj);
    ivrsm_session_free(s);
    /* another process: a fresh load of the same machine version */
    ivrsm_machine *m2 = menu();
    ivrsm_session *r = NULL;
    ck_assert_int_eq(ivrsm_session_restore(m2, snap, NULL, &r, NULL), 0);
    ivrsm_free(snap);
    ck_assert_str_eq(ivrsm_session_state(r), "fetch");
    const ivrsm_command *again = ivrsm_session_pending_command(r);
    ck_assert_ptr_nonnull(again);
    ck_assert_int_eq(again->type, IVRSM_COMMAND_HTTP);
    ck_assert_uint_eq(again->id, id);
    ck_assert_str_eq(again->http.idempotency_key, "S9-2");
    ck_assert_str_eq(again->http.method, "GET");
    ck_assert_int_eq(ivrsm_session_feed(r, &ev), IVRSM_EDUPLICATE); /* event ids survive */
    ivrsm_event res = {0};
    res.type = IVRSM_EVENT_ACTION_RESULT;
    res.command_id = id;
    res.status = 200;
    res.body = "{\"label\":\"Z\"}";
    ck_assert_int_eq(ivrsm_session_feed(r, &res), 0);
    cmd = ivrsm_session_next_command(r);
    ck_assert_str_eq(cmd->text, "Article Z.");
    ck_assert_str_eq(key, "S9-2");
    ivrsm_session_free(r);
    ivrsm_machine_unref(m2);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * An http command's texts (path, query, headers, body, idempotency key) as
 * the host reads them from the command itself, while queued and once pulled
 * and kept as the awaited command; a header refused after another header and
 * a query were written refuses the whole command.
 */
START_TEST(http_command_texts)
{
    ivrsm_machine *m =
        load_yaml_text("machine: h\n"
                       "version: '1'\n"
                       "globals:\n"
                       "  endpoints: {put: 'PUT /a/{id}/b/{sub}'}\n"
                       "states:\n"
                       "  one:\n"
                       "    type: action_then_prompt\n"
                       "    action:\n"
                       "      call: put\n"
                       "      path: {id: '{{ctx.id}}', sub: x y}\n"
                       "      query: {q: '{{ctx.id}}', lang: fr}\n"
                       "      headers: {X-One: '1 {{ctx.id}}', X-Two: '{{ctx.two}}'}\n"
                       "      body: {id: '{{ctx.id}}', list: [1, '{{ctx.two}}']}\n"
                       "    on_success: {next: bye}\n"
                       "    on_fail: {prompt: 'Non.', next: bye}\n"
                       "  bye:\n"
                       "    type: prompt_end\n"
                       "    prompt: Fin.\n");
    for (int refused = 0; refused < 2; refused++) {
        ivrsm_session *s = NULL;
        ivrsm_session_options o = {0};
        o.session_id = "K";
        o.ctx_json = refused ? "{\"id\":\"a/1\",\"two\":\"deux\\r\\nX: y\"}"
                             : "{\"id\":\"a/1\",\"two\":\"deux\"}";
        ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        const ivrsm_command *c = ivrsm_session_next_command(s);
        ck_assert_ptr_nonnull(c);
        if (refused) {
            /* No request is sent: the state's on_fail speaks instead. */
            ck_assert_int_eq(c->type, IVRSM_COMMAND_SAY);
            ck_assert_str_eq(c->text, "Non. Fin.");
            ivrsm_session_free(s);
            continue;
        }
        ck_assert_int_eq(c->type, IVRSM_COMMAND_HTTP);
        for (int pulled = 0; pulled < 2; pulled++) {
            ck_assert_str_eq(c->http.method, "PUT");
            ck_assert_str_eq(c->http.path, "/a/a%2F1/b/x%20y");
            ck_assert_str_eq(c->http.query, "q=a%2F1&lang=fr");
            ck_assert_uint_eq(c->http.header_count, 2);
            ck_assert_str_eq(c->http.headers[0].name, "X-One");
            ck_assert_str_eq(c->http.headers[0].value, "1 a/1");
            ck_assert_str_eq(c->http.headers[1].name, "X-Two");
            ck_assert_str_eq(c->http.headers[1].value, "deux");
            ck_assert_str_eq(c->http.body, "{\"id\":\"a/1\",\"list\":[1,\"deux\"]}");
            ck_assert_str_eq(c->http.idempotency_key, "K-1");
            /* Pulled: the host's next call moves it out of the queue, kept as the awaited one. */
            ck_assert_ptr_null(ivrsm_session_next_command(s));
            c = ivrsm_session_pending_command(s);
            ck_assert_ptr_nonnull(c);
        }
        ivrsm_session_free(s);
    }
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(session_limits_override_machine)
{
    ivrsm_machine *m = menu();
    ivrsm_limits limits = {0};
    limits.max_consecutive_failures = 2;
    call c;
    call_init(&c, m, NULL);
    ivrsm_session_free(c.s);
    c.opts.limits = &limits;
    ck_assert_int_eq(ivrsm_session_new(m, &c.opts, &c.s, NULL), 0);
    call_start(&c);
    call_input(&c, "say blabla");
    ck_assert_str_eq(call_state(&c), "start"); /* nomatch max is 3: re-prompted */
    call_input(&c, "say blabla");
    /* the second failure in a row reaches the session's bound: escalation to the agent */
    ck_assert_str_eq(field(&c, -1, "type"), "handoff");
    ck_assert(call_ended(&c));
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* A call-wide bound of 3 failures in a row, business hours, a state whose nomatch.max is
 * below the bound and a collect whose retry.max is at it. */
static const char *escalation_yaml =
    "machine: escalation\n"
    "version: '1'\n"
    "timezone: UTC\n"
    "globals:\n"
    "  limits: {max_consecutive_failures: 3}\n"
    "  handoff: {enabled: true, queue_id: desk}\n"
    "  hours: {open: {mon-fri: '08:00-18:00'}}\n"
    "intents:\n"
    "  yes: {utterances: [oui], dtmf: ['1']}\n"
    "states:\n"
    "  ask:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Oui ?'\n"
    "    routes: [{when_intent: yes, next: code}]\n"
    "    nomatch: {max: 2, next: simpler}\n"
    "  simpler:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Tapez 1.'\n"
    "    routes: [{when_intent: yes, next: code}]\n"
    "    nomatch: {max: 3, next: bye}\n"
    "  code:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Votre code ?'\n"
    "    collect: {mode: digits, min: 4, max: 4, retry: {max: 3, on_fail_next: lost}}\n"
    "    next: bye\n"
    "  agent: {type: handoff, prompt: 'Un conseiller.'}\n"
    "  bye: {type: prompt_end, prompt: 'Au revoir.'}\n"
    "  lost: {type: prompt_end, prompt: 'Code perdu.'}\n";

/* Inputs fed in turn; the type of the last command. */
static const char *after_inputs(call *c, const char *const *lines)
{
    for (; *lines; lines++)
        call_input(c, *lines);
    return field(c, -1, "type");
}

START_TEST(call_bound_wins_over_a_states_limit)
{
    ivrsm_machine *m = load_yaml_text(escalation_yaml);
    call c;
    /* Two no-matches reach ask's own limit, below the call's bound: its next. */
    call_init(&c, m, NULL);
    call_start(&c);
    static const char *const two[] = {"say quoi", "say quoi", NULL};
    after_inputs(&c, two);
    ck_assert_str_eq(call_state(&c), "simpler");
    ck_assert_str_eq(field(&c, -1, "text"), "Tapez 1.");
    /* The failures go on counting across states: the third in a row escalates, to the
     * agent (Wednesday 09:00 UTC, open), though simpler's own limit is 3. */
    call_input(&c, "say quoi");
    ck_assert_str_eq(call_state(&c), "agent");
    ck_assert_str_eq(field(&c, -1, "type"), "handoff");
    ck_assert_str_eq(field(&c, -1, "queue"), "desk");
    call_free(&c);

    /* A failed collect whose retry.max is the bound itself: the bound wins over
     * on_fail_next (which ivrsm validate reports as counter-unreachable). */
    call_init(&c, m, NULL);
    call_start(&c);
    static const char *const codes[] = {"dtmf 1", "dtmf 12#", "dtmf 12#", NULL};
    after_inputs(&c, codes);
    ck_assert_str_eq(call_state(&c), "code"); /* "dtmf 1" ended the run of failures */
    ck_assert_str_eq(after_inputs(&c, (const char *const[]){"dtmf 12#", NULL}), "handoff");
    ck_assert_str_eq(call_state(&c), "agent");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(escalation_outside_business_hours_says_goodbye)
{
    ivrsm_machine *m = load_yaml_text(escalation_yaml);
    static const char *const three[] = {"say quoi", "say quoi", "say quoi", NULL};
    call c;
    /* Wednesday 2026-11-25 21:00 UTC: closed. The escalation does not queue the caller
     * for nobody: it goes to the goodbye state. */
    call_init(&c, m, NULL);
    c.now_ms = 1795597200000LL + 12 * 3600 * 1000LL;
    call_start(&c);
    after_inputs(&c, three);
    ck_assert_str_eq(call_state(&c), "bye");
    ck_assert_str_eq(field(&c, -2, "text"), "Au revoir.");
    ck_assert(call_ended(&c));
    for (size_t i = 0; i < json_array_size(c.log); i++)
        ck_assert_str_ne(field(&c, (int)i, "type"), "handoff");
    call_free(&c);
    /* Saturday 10:00 UTC: closed too (mon-fri only). */
    call_init(&c, m, NULL);
    c.now_ms = 1795597200000LL + (3 * 24 + 1) * 3600 * 1000LL;
    call_start(&c);
    after_inputs(&c, three);
    ck_assert_str_eq(call_state(&c), "bye");
    call_free(&c);
    /* Friday 17:59 UTC: open, to the agent. */
    call_init(&c, m, NULL);
    c.now_ms = 1795597200000LL + (2 * 24 + 8) * 3600 * 1000LL + 59 * 60 * 1000LL;
    call_start(&c);
    ck_assert_str_eq(after_inputs(&c, three), "handoff");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(snapshot_refuses_other_machine)
{
    ivrsm_machine *m = menu();
    ivrsm_machine *other = load_yaml_text(
        "machine: other\nversion: '2'\nstates:\n  a: {type: prompt_end, prompt: x}\n");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    char *snap = NULL;
    ivrsm_session_snapshot(c.s, &snap);
    ivrsm_session *r = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_session_restore(other, snap, NULL, &r, &err), IVRSM_ESNAPSHOT);
    ck_assert_int_eq(ivrsm_session_restore(m, "{\"format\":1}", NULL, &r, &err), IVRSM_ESNAPSHOT);
    ck_assert_int_eq(ivrsm_session_restore(m, "garbage", NULL, &r, &err), IVRSM_ESNAPSHOT);
    ck_assert_ptr_null(r);
    ivrsm_free(snap);
    call_free(&c);
    ivrsm_machine_unref(other);
    ivrsm_machine_unref(m);
}
END_TEST

/* ---- the seed machine ---- */

static const char *happy_path[] = {
    "dtmf 1",                            /* take_appointment → phone capture */
    "dtmf 0612345678#",                  /* phone → request otp → verify otp */
    "say un deux trois quatre cinq six", /* otp → verify → consent */
    "say oui",                           /* consent → channel */
    "dtmf 2",                            /* sms → persist prefs → upcoming list → router */
    "say le premier",                    /* choose_first → detail → detail router */
    "say je veux déplacer",              /* reschedule → preferences */
    "dtmf 1",                            /* morning → mode */
    "say en visio",                      /* video → date window */
    "say lundi prochain", /* date → submit preferences → fetch slots → choose */
    "dtmf 2",             /* second slot → select → confirmation */
    "say partager",       /* share → goodbye */
    NULL,
};

static void run_seed(call *c, const char *const *lines)
{
    call_start(c);
    for (const char *const *l = lines; *l && !call_ended(c); l++)
        ck_assert_int_eq(call_input(c, *l), 0);
}

START_TEST(seed_happy_path)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    call c;
    call_init(&c, m, NULL);
    c.responses = seed_responses;
    run_seed(&c, happy_path);
    ck_assert(call_ended(&c));
    ck_assert_str_eq(call_state(&c), "ivr.goodbye");
    char *ctx = ivrsm_session_ctx_json(c.s);
    json_t *j = json_loads(ctx, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(j, "phone_e164")), "+33612345678");
    ck_assert_str_eq(json_string_value(json_object_get(j, "preferred_channel")), "sms");
    ck_assert_str_eq(json_string_value(json_object_get(j, "appt_selected_id")), "apt-1");
    ck_assert_str_eq(json_string_value(json_object_get(j, "slot_selected_id")), "slot-2");
    ck_assert_str_eq(json_string_value(json_object_get(j, "pref_mode")), "video");
    ck_assert_str_eq(json_string_value(json_object_get(j, "pref_date_from")), "2026-11-30");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "partner_id")), 42);
    ck_assert(json_is_true(json_object_get(j, "consent_ok")));
    json_decref(j);
    ivrsm_free(ctx);
    ck_assert_int_eq(c.http_calls, 9);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* Drain the commands; the id of the http command among them (0 when none). */
static uint64_t drain_http(ivrsm_session *s, const char **endpoint)
{
    const ivrsm_command *c;
    uint64_t id = 0;
    static char name[64];
    while ((c = ivrsm_session_next_command(s)))
        if (c->type == IVRSM_COMMAND_HTTP) {
            id = c->id;
            snprintf(name, sizeof(name), "%s", c->http.endpoint ? c->http.endpoint : "");
        }
    if (endpoint)
        *endpoint = name;
    return id;
}

static void feed_text(ivrsm_session *s, ivrsm_event_type type, const char *text)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = type;
    ev.text = text;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
}

static void feed_answer(ivrsm_session *s, uint64_t id, int status, const char *body)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_ACTION_RESULT;
    ev.command_id = id;
    ev.status = status;
    ev.body = body;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
}

/* A say or an ask shows none of the fields of the http, handoff or hangup commands. */
static void only_spoken_fields(const ivrsm_command *c)
{
    ck_assert(c->type == IVRSM_COMMAND_SAY || c->type == IVRSM_COMMAND_ASK);
    ck_assert_ptr_null(c->http.endpoint);
    ck_assert_ptr_null(c->http.method);
    ck_assert_ptr_null(c->http.path);
    ck_assert_ptr_null(c->http.query);
    ck_assert_ptr_null(c->http.headers);
    ck_assert_uint_eq(c->http.header_count, 0);
    ck_assert_ptr_null(c->http.body);
    ck_assert_ptr_null(c->http.idempotency_key);
    ck_assert_int_eq(c->http.timeout_ms, 0);
    ck_assert_ptr_null(c->handoff.queue);
    ck_assert_ptr_null(c->handoff.context);
    ck_assert_ptr_null(c->hangup.reason);
}

/* The next command a session has to pull, of type `type`. */
static const ivrsm_command *pull_one(ivrsm_session *s, ivrsm_command_type type)
{
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->type, type);
    return c;
}

/*
 * Says and asks are built in the session's command slots writing only their
 * own fields (command.c): a slot that held an http or a handoff command
 * before shows nothing of it.
 */
START_TEST(spoken_command_after_http_and_handoff)
{
    ivrsm_machine *m = menu();
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"item_id\":\"a\",\"token\":\"tk\"}";
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    only_spoken_fields(pull_one(s, IVRSM_COMMAND_ASK));
    feed_text(s, IVRSM_EVENT_DTMF, "1");
    const ivrsm_command *http = pull_one(s, IVRSM_COMMAND_HTTP);
    ck_assert_ptr_nonnull(http->http.path);
    uint64_t id = http->id;
    ck_assert_ptr_null(ivrsm_session_next_command(s));
    feed_answer(s, id, 200, "{\"label\":\"A12\"}");
    const ivrsm_command *ask = pull_one(s, IVRSM_COMMAND_ASK);
    ck_assert_str_eq(ask->text, "Article A12.");
    only_spoken_fields(ask);
    ivrsm_session_free(s);

    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    pull_one(s, IVRSM_COMMAND_ASK);
    feed_text(s, IVRSM_EVENT_DTMF, "0");
    id = pull_one(s, IVRSM_COMMAND_HANDOFF)->id;
    ck_assert_ptr_null(ivrsm_session_next_command(s));
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_HANDOFF_RESULT;
    ev.command_id = id;
    ev.ok = 0;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    const ivrsm_command *say = pull_one(s, IVRSM_COMMAND_SAY);
    ck_assert_str_eq(say->text, "Personne. Au revoir.");
    only_spoken_fields(say);
    ck_assert_str_eq(pull_one(s, IVRSM_COMMAND_HANGUP)->hangup.reason, "goodbye");
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

static bool snapshot_holds(const ivrsm_session *s, const char *text)
{
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    bool found = strstr(snap, text) != NULL;
    ivrsm_free(snap);
    return found;
}

/*
 * The seed's call up to the OTP verification, answered `status`: until the
 * answer, the code is in the snapshot (the pending request carries it, to be
 * sent again after a restore); once answered, right or wrong, it is not.
 */
static void otp_forgotten_after(int status, bool restore_first)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.call_id = "otp";
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    drain_http(s, NULL);
    feed_text(s, IVRSM_EVENT_DTMF, "1");
    drain_http(s, NULL);
    feed_text(s, IVRSM_EVENT_DTMF, "0612345678#");
    const char *endpoint;
    uint64_t id = drain_http(s, &endpoint);
    ck_assert_str_eq(endpoint, "request_otp");
    feed_answer(s, id, 200, "{\"challenge_id\":\"ch-1\"}");
    drain_http(s, NULL);
    feed_text(s, IVRSM_EVENT_DTMF, "917364#");
    id = drain_http(s, &endpoint);
    ck_assert_str_eq(endpoint, "verify_otp");
    ck_assert(snapshot_holds(s, "917364"));
    if (restore_first) {
        char *snap = NULL;
        ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
        ivrsm_session_free(s);
        ck_assert_int_eq(ivrsm_session_restore(m, snap, NULL, &s, NULL), 0);
        ivrsm_free(snap);
    }
    feed_answer(s, id, status,
                status == 200 ? "{\"session_token\":\"tok\",\"partner_id\":42}"
                              : "{\"error\":\"wrong_code\"}");
    drain_http(s, NULL);
    ck_assert_msg(!snapshot_holds(s, "917364"), "status %d", status);
    char *ctx = ivrsm_session_ctx_json(s);
    ck_assert_ptr_null(strstr(ctx, "917364"));
    ivrsm_free(ctx);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}

START_TEST(verified_otp_not_kept)
{
    otp_forgotten_after(200, false);
    otp_forgotten_after(401, false);
    otp_forgotten_after(200, true); /* the snapshot remembers which key to forget */
}
END_TEST

/* Snapshot after every event, restore into a fresh session: same stream. */
START_TEST(seed_snapshot_every_event_identical)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    call a, b;
    call_init(&a, m, NULL);
    call_init(&b, m, NULL);
    a.responses = b.responses = seed_responses;
    b.snapshot_each_event = true;
    run_seed(&a, happy_path);
    run_seed(&b, happy_path);
    char *ta = call_transcript(&a), *tb = call_transcript(&b);
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    call_free(&a);
    call_free(&b);
    ivrsm_machine_unref(m);
}
END_TEST

static void trace_collect(void *user, const char *record)
{
    json_t *arr = user;
    json_array_append_new(arr, json_string(record));
}

/* A call whose session's trace records (texts) go into `records`. */
static void call_init_traced(call *c, ivrsm_machine *m, const char *ctx_json, json_t *records)
{
    call_init(c, m, ctx_json);
    ivrsm_session_free(c->s);
    c->opts.trace = trace_collect;
    c->opts.trace_user = records;
    ck_assert_int_eq(ivrsm_session_new(m, &c->opts, &c->s, NULL), 0);
}

START_TEST(seed_trace_has_no_secrets)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    json_t *records = json_array();
    call c;
    memset(&c, 0, sizeof(c));
    call_init_traced(&c, m, NULL, records);
    c.responses = seed_responses;
    static const char *lines[] = {"dtmf 1",  "dtmf 0612345678#", "dtmf 481526#",
                                  "say oui", "dtmf 1",           NULL};
    run_seed(&c, lines);
    ck_assert_uint_gt(json_array_size(records), 10);
    size_t i;
    json_t *v;
    int transitions = 0;
    json_array_foreach(records, i, v)
    {
        const char *r = json_string_value(v);
        ck_assert_msg(!strstr(r, "481526"), "OTP in trace: %s", r);
        ck_assert_msg(!strstr(r, "tok-secret-xyz"), "token in trace: %s", r);
        if (strstr(r, "\"kind\":\"transition\""))
            transitions++;
    }
    ck_assert_int_ge(transitions, 6);
    json_decref(records);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * A machine whose sensitive_keys name a ctx key as the library names a member of its records
 * ("reason", "state"): the ctx key's value is masked wherever it goes (the request body, the
 * caller's words), and the records keep their own members: the hangup's reason, the
 * transitions' reasons and the states' names.
 */
START_TEST(sensitive_keys_named_like_record_members)
{
    ivrsm_machine *m = load_yaml_text(
        "machine: absence\nversion: '1'\n"
        "globals:\n  sensitive_keys: [reason, state]\n  endpoints: {send: 'POST /absence'}\n"
        "states:\n"
        "  ask:\n    type: prompt_and_listen\n    prompt: 'Motif ?'\n"
        "    collect: {mode: free_speech_or_no, target: reason}\n    next: send\n"
        "  send:\n    type: action_then_prompt\n"
        "    action: {call: send, body: {reason: '{{ctx.reason}}', pupil: '42'}}\n"
        "    on_success: {prompt: 'Merci.', next: bye}\n    on_fail: {next: bye}\n"
        "  bye: {type: prompt_end, prompt: 'Au revoir.'}\n");
    static const canned ok[] = {{"send", 200, "{}"}, {NULL, 0, NULL}};
    json_t *records = json_array();
    call c;
    call_init_traced(&c, m, NULL, records);
    c.responses = ok;
    call_start(&c);
    call_input(&c, "say grippe intestinale");
    ck_assert(call_ended(&c));
    bool hangup = false, body = false;
    int transitions = 0;
    size_t i;
    json_t *v;
    json_array_foreach(records, i, v)
    {
        const char *text = json_string_value(v);
        ck_assert_msg(!strstr(text, "grippe"), "the reason in a trace record: %s", text);
        json_t *r = json_loads(text, 0, NULL);
        ck_assert_ptr_nonnull(r);
        const char *kind = json_string_value(json_object_get(r, "kind"));
        const char *type = json_string_value(json_object_get(r, "type"));
        if (!strcmp(kind, "transition")) {
            transitions++;
            ck_assert_str_ne(json_string_value(json_object_get(r, "reason")), "***");
        }
        if (!strcmp(kind, "command") && !strcmp(type, "hangup")) {
            hangup = true;
            ck_assert_str_eq(json_string_value(json_object_get(r, "reason")), "goodbye");
            ck_assert_str_eq(json_string_value(json_object_get(r, "state")), "bye");
        }
        if (!strcmp(kind, "command") && !strcmp(type, "http")) {
            body = true;
            json_t *b = json_object_get(r, "body");
            ck_assert_str_eq(json_string_value(json_object_get(b, "reason")), "***");
            ck_assert_str_eq(json_string_value(json_object_get(b, "pupil")), "42");
        }
        json_decref(r);
    }
    ck_assert(hangup && body);
    ck_assert_int_ge(transitions, 3);
    json_decref(records);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * Reals go out at their fewest digits: an amount a backend gave (19.99, 0.1) is sent back in a
 * request body, shown in the trace's records and in the command's JSON as written, not as
 * jansson's 17 digits (19.989999999999998, 0.10000000000000001); so is a speech confidence.
 * A real that needs 17 digits keeps them, and every text reads back as the same double.
 */
START_TEST(reals_written_at_fewest_digits)
{
    ivrsm_machine *m = load_yaml_text(
        "machine: pay\nversion: '1'\nlocale: en-US\ntimezone: Europe/Paris\ninitial: quote\n"
        "globals:\n  endpoints: {quote: 'GET /quote', pay: 'POST /pay'}\n"
        "intents:\n  yes: {utterances: ['yes']}\n"
        "states:\n"
        "  quote:\n    type: action_then_prompt\n    action: {call: quote}\n"
        "    on_success:\n      set: {amount: '{{resp.amount}}', fee: '{{resp.fee}}', "
        "odd: '{{resp.odd}}'}\n      next: confirm\n"
        "    on_fail: {next: bye}\n"
        "  confirm:\n    type: prompt_and_listen\n    prompt: 'Pay {{ctx.amount}}?'\n"
        "    routes: [{when_intent: yes, next: pay}]\n    fallback: {next: bye}\n"
        "  pay:\n    type: action_then_prompt\n"
        "    action: {call: pay, body: {amount: '{{ctx.amount}}', fee: '{{ctx.fee}}', "
        "odd: '{{ctx.odd}}', lit: 0.3, all: {a: '{{ctx.amount}}', f: '{{ctx.fee}}'}}}\n"
        "    on_success: {next: bye}\n    on_fail: {next: bye}\n"
        "  bye:\n    type: prompt_end\n    prompt: 'Bye.'\n");
    static const canned responses[] = {
        {"quote", 200, "{\"amount\":19.99,\"fee\":0.1,\"odd\":0.30000000000000004}"},
        {"pay", 200, "{}"},
        {NULL, 0, NULL}};
    json_t *records = json_array();
    call c;
    call_init_traced(&c, m, NULL, records);
    c.responses = responses;
    call_start(&c);
    ck_assert_int_eq(call_input(&c, "say@0.87 yes"), 0);
    ck_assert(call_ended(&c));
    /* The body as sent, from the command log's last http command. */
    const char *body = NULL;
    size_t i;
    json_t *v;
    json_array_foreach(c.log, i, v)
    {
        if (!strcmp(json_string_value(json_object_get(v, "type")), "http") &&
            json_object_get(v, "body"))
            body = json_string_value(json_object_get(v, "body"));
    }
    int seen_confidence = 0, seen_body = 0;
    json_array_foreach(records, i, v)
    {
        const char *r = json_string_value(v);
        ck_assert_msg(!strstr(r, "19.98999") && !strstr(r, "0.10000000000000001") &&
                          !strstr(r, "0.29999"),
                      "17 digits in: %s", r);
        seen_confidence += strstr(r, "\"confidence\":0.87,") != NULL;
        seen_body += strstr(r, "\"body\":{\"amount\":19.99,\"fee\":0.1,"
                               "\"odd\":0.30000000000000004,\"lit\":0.3,"
                               "\"all\":{\"a\":19.99,\"f\":0.1}}") != NULL;
    }
    ck_assert_int_eq(seen_confidence, 1);
    ck_assert_int_eq(seen_body, 1);
    if (body) /* the log keeps the body as text when it is text */
        ck_assert_str_eq(body, "{\"amount\":19.99,\"fee\":0.1,\"odd\":0.30000000000000004,"
                               "\"lit\":0.3,\"all\":{\"a\":19.99,\"f\":0.1}}");
    call_free(&c);
    json_decref(records);
    ivrsm_machine_unref(m);
}
END_TEST

/* ---- the session's allocator ---- */

static void trace_drop(void *user, const char *record)
{
    (void)record;
    (*(int *)user)++;
}

/*
 * A whole seed call, traced and saved and restored after every event, with a
 * session allocator of its own: everything the session allocates comes from
 * it (the library's promises to it kept) and goes back to it, the strings it
 * returns too, freed by ivrsm_free() after the session is gone.
 */
/*
 * A session freed while the http command it awaits is pulled and not
 * answered (a caller hanging up mid-request) gives back what the command
 * owns: the command stays in its queue slot once pulled.
 */
START_TEST(session_freed_with_its_request_pulled)
{
    ivrsm_machine *m = menu();
    failing_mem fm;
    failing_mem_init(&fm);
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"item_id\":\"a\",\"token\":\"tk\"}";
    o.mem = &fm.mem;
    for (int answered_before = 0; answered_before < 2; answered_before++) {
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        pull_one(s, IVRSM_COMMAND_ASK);
        feed_text(s, IVRSM_EVENT_DTMF, "1");
        ck_assert_ptr_nonnull(pull_one(s, IVRSM_COMMAND_HTTP)->http.path);
        if (answered_before) /* the slot released by a call, then the session freed */
            ck_assert_ptr_null(ivrsm_session_next_command(s));
        ivrsm_session_free(s);
        ck_assert_int_eq(fm.live, 0);
    }
    ck_assert(!fm.misused);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(session_allocates_through_its_allocator)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    failing_mem fm;
    failing_mem_init(&fm);
    int records = 0;
    call c;
    call_init_mem(&c, m, NULL, &fm.mem);
    ivrsm_session_free(c.s);
    c.opts.trace = trace_drop;
    c.opts.trace_user = &records;
    ck_assert_int_eq(ivrsm_session_new(m, &c.opts, &c.s, NULL), 0);
    c.responses = seed_responses;
    c.snapshot_each_event = true;
    run_seed(&c, happy_path);
    ck_assert(call_ended(&c));
    ck_assert_int_gt(records, 50);
    ck_assert_int_gt(fm.calls, 100);
    char *ctx = ivrsm_session_ctx_json(c.s);
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(c.s, &snap), 0);
    long live = fm.live;
    call_free(&c);
    ck_assert_int_eq(fm.live, 2); /* the two strings, from the session's allocator */
    ck_assert_int_lt(fm.live, live);
    ck_assert_ptr_nonnull(strstr(ctx, "+33612345678"));
    ivrsm_free(ctx);
    ivrsm_free(snap);
    ck_assert_int_eq(fm.live, 0);
    ck_assert(!fm.misused);
    ivrsm_machine_unref(m);
}
END_TEST

/* An allocator without one of its functions, or options of a size no version wrote: refused. */
START_TEST(session_refuses_an_incomplete_allocator)
{
    ivrsm_machine *m = menu();
    failing_mem fm;
    failing_mem_init(&fm);
    ivrsm_mem incomplete = fm.mem;
    incomplete.realloc = NULL;
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.mem = &incomplete;
    ivrsm_session *s = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, &err), IVRSM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "allocator"));
    o.mem = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ivrsm_session_free(s);
    o.mem = &incomplete;
    s = NULL;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, &o, &s, NULL), IVRSM_EINVAL);
    ck_assert_ptr_null(s);
    o.mem = &fm.mem;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, &o, &s, NULL), 0);
    ck_assert_int_gt(fm.live, 0);
    ivrsm_session_free(s);
    ck_assert_int_eq(fm.live, 0);
    ck_assert_int_eq(fm.calls > 0, 1);
    ivrsm_free(snap);
    ivrsm_machine_unref(m);
}
END_TEST

/* The first ask a fresh session of `m` emits. */
static ivrsm_command first_ask(ivrsm_machine *m, ivrsm_session **out)
{
    ivrsm_session_options o = {0};
    o.session_id = "sess-1";
    ck_assert_int_eq(ivrsm_session_new(m, &o, out, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(*out), 0);
    const ivrsm_command *cmd;
    while ((cmd = ivrsm_session_next_command(*out)) != NULL) {
        if (cmd->type == IVRSM_COMMAND_ASK)
            return *cmd;
    }
    ck_abort_msg("no ask");
    return (ivrsm_command){0};
}

/* "Dites le code à nouveau": the retry state hands what is keyed to verify_otp, so
 * its ask takes a whole code and its '#', not one key. */
START_TEST(handing_on_ask_accepts_what_the_consumer_accepts)
{
    ivrsm_machine *m = load_seed_at("ivr.auth.verify_otp.retry");
    ivrsm_session *s;
    ivrsm_command c = first_ask(m, &s);
    ck_assert_str_eq(c.state, "ivr.auth.verify_otp.retry");
    ck_assert_int_eq(c.ask.dtmf, 1);
    ck_assert_int_eq(c.ask.max_digits, 6);
    ck_assert_str_eq(c.ask.terminators, "#");
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
    /* A consumer that routes the terminator key takes it as a choice: no terminator. */
    m = load_yaml_text("machine: handon\nversion: '1'\nlocale: fr-FR\ntimezone: Europe/Paris\n"
                       "intents:\n  agenda:\n    utterances: [agenda]\n    dtmf: ['#']\n"
                       "states:\n"
                       "  again:\n    type: prompt_and_listen\n    prompt: 'Votre numéro ?'\n"
                       "    next: phone\n"
                       "  phone:\n    type: prompt_and_listen\n    prompt: 'Le numéro ?'\n"
                       "    collect:\n      mode: phone\n    routes:\n"
                       "      - when_intent: agenda\n        next: bye\n    next: bye\n"
                       "  bye:\n    type: prompt_end\n    prompt: 'Au revoir.'\n");
    c = first_ask(m, &s);
    ck_assert_str_eq(c.state, "again");
    ck_assert_int_eq(c.ask.max_digits, 20);
    ck_assert_str_eq(c.ask.terminators, "");
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

/* The code said again in the retry state is handed on to verify_otp: masked too. */
START_TEST(seed_trace_masks_handed_on_otp)
{
    ivrsm_machine *m = load_seed_at("ivr.auth.verify_otp.retry");
    json_t *records = json_array();
    call c;
    call_init_traced(&c, m, seed_ctx, records);
    c.responses = seed_responses;
    static const char *lines[] = {"say quatre huit un cinq deux six", NULL};
    run_seed(&c, lines);
    ck_assert_str_eq(call_state(&c), "ivr.auth.consent");
    size_t i;
    json_t *v;
    bool saw_http = false;
    json_array_foreach(records, i, v)
    {
        const char *r = json_string_value(v);
        ck_assert_msg(!strstr(r, "quatre huit"), "spoken OTP in trace: %s", r);
        ck_assert_msg(!strstr(r, "481526"), "OTP in trace: %s", r);
        if (strstr(r, "\"path\":\"/auth/verify-otp\"")) {
            saw_http = true;
            ck_assert_msg(strstr(r, "\"otp\":\"***\""), "body not redacted: %s", r);
            ck_assert_msg(strstr(r, "\"idempotency_key\":\"sess-1-"), "no key: %s", r);
        }
    }
    ck_assert(saw_http);
    json_decref(records);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* Which of the seed's states listen for the caller. */
static bool listens(const ivrsm_machine *m, size_t i)
{
    const char *t = ivrsm_machine_state_type(m, i);
    return !strcmp(t, "prompt_and_listen") || !strcmp(t, "listen");
}

static void endure(const char *line, int handoff_ok)
{
    ivrsm_machine *seed = load_source_file("examples/synergia_rdv/machine.yaml");
    for (size_t i = 0; i < ivrsm_machine_state_count(seed); i++) {
        if (!listens(seed, i))
            continue;
        const char *name = ivrsm_machine_state_name(seed, i);
        ivrsm_machine *m = load_seed_at(name);
        call c;
        call_init(&c, m, seed_ctx);
        c.responses = seed_responses;
        c.handoff_ok = handoff_ok;
        call_start(&c);
        int events = 0;
        while (!call_ended(&c) && events < 200) {
            ck_assert_int_eq(call_input(&c, line), 0);
            events++;
        }
        ck_assert_msg(call_ended(&c), "%s: '%s' forever never ends the call", name, line);
        ck_assert_msg(events <= 40, "%s: '%s' took %d events", name, line, events);
        const char *last = field(&c, -1, "type");
        ck_assert_msg(!strcmp(last, "hangup") || !strcmp(last, "handoff"), "%s ends with %s", name,
                      last);
        call_free(&c);
        ivrsm_machine_unref(m);
    }
    ivrsm_machine_unref(seed);
}

START_TEST(seed_silent_caller_bounded)
{
    endure("noinput", 1);
    endure("noinput", 0);
}
END_TEST

START_TEST(seed_confused_caller_bounded)
{
    endure("say patati patata", 1);
    endure("say patati patata", 0);
    endure("dtmf 77", 0);
}
END_TEST

START_TEST(seed_wrong_otp_bounded)
{
    static const canned wrong[] = {{"verify_otp", 401, "{\"error\":\"invalid_code\"}"},
                                   {"request_otp", 200, "{\"challenge_id\":\"c\"}"},
                                   {NULL, 0, NULL}};
    ivrsm_machine *m = load_seed_at("ivr.auth.verify_otp");
    call c;
    call_init(&c, m, seed_ctx);
    c.responses = wrong;
    c.handoff_ok = 0;
    call_start(&c);
    int events = 0;
    while (!call_ended(&c) && events < 100) {
        call_input(&c, "dtmf 000000#");
        events++;
    }
    ck_assert(call_ended(&c));
    ck_assert_int_le(c.http_calls, 5); /* globals.otp.max_attempts */
    ck_assert_int_le(events, 20);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* The next input is a secret in the OTP state and in the state that hands its input on to it. */
START_TEST(seed_input_is_secret)
{
    static const canned wrong[] = {{"verify_otp", 401, "{\"error\":\"invalid_code\"}"},
                                   {NULL, 0, NULL}};
    ivrsm_machine *m = load_seed_at("ivr.auth.verify_otp");
    call c;
    call_init(&c, m, seed_ctx);
    c.responses = wrong;
    ck_assert_int_eq(ivrsm_session_input_is_secret(c.s), 0); /* not started */
    call_start(&c);
    ck_assert_str_eq(call_state(&c), "ivr.auth.verify_otp");
    ck_assert_int_ne(ivrsm_session_input_is_secret(c.s), 0);
    call_input(&c, "dtmf 000000#");
    ck_assert_str_eq(call_state(&c), "ivr.auth.verify_otp.retry"); /* "say the code again" */
    ck_assert_int_ne(ivrsm_session_input_is_secret(c.s), 0);
    call_input(&c, "intent operator");
    ck_assert_int_eq(ivrsm_session_input_is_secret(c.s), 0);
    ck_assert_int_eq(ivrsm_session_input_is_secret(NULL), 0);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* A machine of collects starting at `initial`, for what reads the next input. */
static ivrsm_machine *collects_at(const char *initial)
{
    char yaml[1400];
    snprintf(yaml, sizeof(yaml),
             "machine: collects\nversion: '1'\nlocale: fr-FR\ntimezone: Europe/Paris\n"
             "initial: %s\nstates:\n"
             "  code:\n    type: prompt_and_listen\n    prompt: 'Le code ?'\n"
             "    collect: {mode: otp, allow_dtmf: true, length: 4}\n    next: bye\n"
             "  again:\n    type: prompt_and_listen\n    prompt: 'Encore le code ?'\n"
             "    next: code\n"
             "  counted:\n    type: prompt_and_listen\n    prompt: 'Encore ?'\n"
             "    nomatch: {max: 2, next: bye}\n    next: code\n"
             "  pin:\n    type: prompt_and_listen\n    prompt: 'Le PIN ?'\n"
             "    collect: {mode: digits, min: 4, max: 4, target: card.pin, allow_dtmf: true}\n"
             "    next: bye\n"
             "  phone:\n    type: prompt_and_listen\n    prompt: 'Le numéro ?'\n"
             "    collect: {mode: phone, allow_dtmf: true}\n    next: bye\n"
             "  pin_again:\n    type: prompt_and_listen\n    prompt: 'Encore le PIN ?'\n"
             "    next: pin\n"
             "  bye:\n    type: prompt_end\n    prompt: 'Au revoir.'\n",
             initial);
    return load_yaml_text(yaml);
}

/*
 * What reads the next input, as a host asks it: the state's own collect, or the
 * one its plain `next` hands unmatched input to (which the ask does not show);
 * a state with a nomatch block keeps its input, so it is neither read by the
 * next state's collect nor a secret.
 */
START_TEST(input_collect_and_secret)
{
    static const struct {
        const char *state;
        const char *collect; /* NULL: none */
        int secret;
        const char *ask_collect;
    } want[] = {
        {"code", "otp", 1, "otp"},      {"again", "otp", 1, NULL},
        {"counted", NULL, 0, NULL},     {"pin", "digits", 1, "digits"},
        {"phone", "phone", 0, "phone"}, {"pin_again", "digits", 1, NULL},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++) {
        ivrsm_machine *m = collects_at(want[i].state);
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
        ck_assert_ptr_null(ivrsm_session_input_collect(s)); /* not started */
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        const ivrsm_command *ask = ivrsm_session_next_command(s);
        ck_assert_ptr_nonnull(ask);
        ck_assert_int_eq(ask->type, IVRSM_COMMAND_ASK);
        const char *collect = ivrsm_session_input_collect(s);
        ck_assert_msg(want[i].collect ? collect && !strcmp(collect, want[i].collect) : !collect,
                      "%s: input collect %s", want[i].state, collect ? collect : "(none)");
        ck_assert_msg(
            want[i].ask_collect ? ask->ask.collect && !strcmp(ask->ask.collect, want[i].ask_collect)
                                : !ask->ask.collect,
            "%s: ask collect %s", want[i].state, ask->ask.collect ? ask->ask.collect : "(none)");
        ck_assert_int_eq(ivrsm_session_input_is_secret(s) != 0, want[i].secret);
        ivrsm_session_free(s);
        ivrsm_machine_unref(m);
    }
    ck_assert_ptr_null(ivrsm_session_input_collect(NULL));
}
END_TEST

/* Pull every command the session has queued. */
static void pull_all(ivrsm_session *s)
{
    while (ivrsm_session_next_command(s))
        ;
}

/*
 * A collect reads the caller's input without allocating: what it parses lives on the stack.
 * Inputs that are no value of each mode are fed again and again (each a no-match that asks
 * again with a static prompt, which is shown, not copied): the session's allocator sees no
 * call. Its value was an allocation of 4 KB at every collect.
 */
START_TEST(collect_reads_without_allocating)
{
    static const struct {
        const char *mode;
        const char *inputs[3]; /* "d..." keyed, "s..." said */
    } modes[] = {
        {"{mode: otp, allow_dtmf: true, length: 4}", {"d12", "sbonjour", "sun deux"}},
        {"{mode: digits, min: 4, max: 4, allow_dtmf: true}", {"d1", "s", "strois"}},
        {"{mode: phone, allow_dtmf: true}", {"d123", "széro six", "sbonjour"}},
        {"{mode: date_nl}", {"splus tard peut-être", "sbanane", "s"}},
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
        char yaml[800];
        snprintf(yaml, sizeof(yaml),
                 "machine: collects\nversion: '1'\nlocale: fr-FR\ntimezone: Europe/Paris\n"
                 "globals:\n  limits: {max_consecutive_failures: 100, max_state_visits: 100}\n"
                 "states:\n"
                 "  read:\n    type: prompt_and_listen\n    prompt: 'Dites-le ?'\n"
                 "    nomatch: {max: 90, next: bye}\n"
                 "    collect: %s\n    next: bye\n"
                 "  bye:\n    type: prompt_end\n    prompt: 'Au revoir.'\n",
                 modes[i].mode);
        ivrsm_machine *m = load_yaml_text(yaml);
        failing_mem fm;
        failing_mem_init(&fm);
        ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
        o.mem = &fm.mem;
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        pull_all(s);
        for (int round = 0; round < 10; round++) {
            for (size_t k = 0; k < 3; k++) {
                const char *in = modes[i].inputs[k];
                ivrsm_event ev = IVRSM_EVENT_INIT;
                ev.type = in[0] == 'd' ? IVRSM_EVENT_DTMF : IVRSM_EVENT_SPEECH;
                ev.text = in + 1;
                long before = fm.calls;
                ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
                pull_all(s);
                ck_assert_str_eq(ivrsm_session_state(s), "read");
                ck_assert_msg(fm.calls == before, "%s, \"%s\": %ld allocations", modes[i].mode,
                              in + 1, fm.calls - before);
            }
        }
        ivrsm_session_free(s);
        ck_assert_int_eq(fm.live, 0);
        ck_assert(!fm.misused);
        ivrsm_machine_unref(m);
    }
}
END_TEST

/* A machine where a code and the same digits, keyed, land in ctx.code, then wait. */
static ivrsm_machine *code_or_digits_at(const char *initial)
{
    char yaml[900];
    snprintf(yaml, sizeof(yaml),
             "machine: codes\nversion: '1'\nlocale: fr-FR\ntimezone: Europe/Paris\n"
             "initial: %s\nstates:\n"
             "  code:\n    type: prompt_and_listen\n    prompt: 'Le code ?'\n"
             "    collect: {mode: otp, allow_dtmf: true, length: 4, target: code}\n"
             "    next: wait\n"
             "  pin:\n    type: prompt_and_listen\n    prompt: 'Le PIN ?'\n"
             "    collect: {mode: digits, min: 4, max: 4, allow_dtmf: true, target: code}\n"
             "    next: wait\n"
             "  wait:\n    type: prompt_and_listen\n    prompt: 'Et ensuite ?'\n"
             "    routes:\n      - when_text: fin\n        next: bye\n"
             "  bye:\n    type: prompt_end\n    prompt: 'Au revoir.'\n",
             initial);
    return load_yaml_text(yaml);
}

/* The allocator's calls while the session takes one keyed input. */
static long allocations_of_keys(ivrsm_session *s, failing_mem *fm, const char *keys)
{
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = keys;
    long before = fm->calls;
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    pull_all(s);
    return fm->calls - before;
}

/*
 * The key of a code no action has answered yet is the collect's target, the machine's string,
 * not a copy: a code collected allocates what the same digits collected into the same key do.
 * A restored session owns the key it read from its snapshot and gives it back.
 */
START_TEST(otp_key_not_copied)
{
    long calls[2];
    const char *initial[2] = {"code", "pin"};
    for (int i = 0; i < 2; i++) {
        ivrsm_machine *m = code_or_digits_at(initial[i]);
        failing_mem fm;
        failing_mem_init(&fm);
        ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
        o.mem = &fm.mem;
        ivrsm_session *s = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(s), 0);
        pull_all(s);
        calls[i] = allocations_of_keys(s, &fm, "1234");
        ck_assert_str_eq(ivrsm_session_state(s), "wait");
        char *snap = NULL;
        ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
        ck_assert_int_eq(strstr(snap, "\"unverified_otp\":\"code\"") != NULL, i == 0);
        ivrsm_session_free(s);
        ivrsm_session *r = NULL;
        ck_assert_int_eq(ivrsm_session_restore(m, snap, &o, &r, NULL), 0);
        char *again = NULL;
        ck_assert_int_eq(ivrsm_session_snapshot(r, &again), 0);
        ck_assert_str_eq(again, snap);
        ivrsm_free(again);
        ivrsm_free(snap);
        /* The call goes on and ends: the restored key is given back with the session. */
        ivrsm_event ev = IVRSM_EVENT_INIT;
        ev.type = IVRSM_EVENT_SPEECH;
        ev.text = "fin";
        ck_assert_int_eq(ivrsm_session_feed(r, &ev), 0);
        pull_all(r);
        ivrsm_session_free(r);
        ck_assert_int_eq(fm.live, 0);
        ck_assert(!fm.misused);
        ivrsm_machine_unref(m);
    }
    ck_assert_int_eq(calls[0], calls[1]);
}
END_TEST

/* The input a state with a nomatch block keeps is not a secret in the trace either. */
START_TEST(trace_masks_what_input_is_secret)
{
    static const char *const states[] = {"again", "counted"};
    for (size_t i = 0; i < 2; i++) {
        ivrsm_machine *m = collects_at(states[i]);
        json_t *records = json_array();
        call c;
        call_init_traced(&c, m, NULL, records);
        call_start(&c);
        call_input(&c, "dtmf 4812");
        json_t *event = NULL;
        size_t k;
        json_t *v;
        json_array_foreach(records, k, v)
        {
            json_t *r = json_loads(json_string_value(v), 0, NULL);
            if (!event && !strcmp(json_string_value(json_object_get(r, "kind")), "event"))
                event = json_incref(r);
            json_decref(r);
        }
        ck_assert_ptr_nonnull(event);
        ck_assert_str_eq(json_string_value(json_object_get(event, "text")),
                         i == 0 ? "***" : "4812");
        json_decref(event);
        call_free(&c);
        json_decref(records);
        ivrsm_machine_unref(m);
    }
}
END_TEST

START_TEST(seed_backend_failure_every_action)
{
    ivrsm_machine *seed = load_source_file("examples/synergia_rdv/machine.yaml");
    for (const canned *r = seed_responses; r->endpoint; r++) {
        call c;
        call_init(&c, seed, NULL);
        c.responses = seed_responses;
        snprintf(c.fail_endpoint, sizeof(c.fail_endpoint), "%s", r->endpoint);
        call_start(&c);
        for (const char *const *l = happy_path; *l && !call_ended(&c); l++)
            ck_assert_int_eq(call_input(&c, *l), 0);
        /* whatever failed, the call goes on to an end or a listening state, never stuck */
        ck_assert_msg(call_ended(&c) || !strcmp(c.last_type, "ask"), "%s: stuck after %s",
                      r->endpoint, c.last_type);
        call_free(&c);
    }
    ivrsm_machine_unref(seed);
}
END_TEST

START_TEST(session_memory_small)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_uint_lt(ivrsm_session_memory(c.s), 4096);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * The library's one redaction, public for hosts and tools: built-in names
 * and globals.sensitive_keys, any case, at any depth; null stays null.
 */
START_TEST(redaction_is_public)
{
    const char *doc = "machine: r\nversion: \"1\"\nglobals: {sensitive_keys: [iban]}\n"
                      "states:\n  bye: {type: prompt_end, prompt: Au revoir}\n";
    ivrsm_machine *m = NULL;
    ck_assert_int_eq(ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, NULL, &m, NULL),
                     0);
    ck_assert(ivrsm_machine_key_is_sensitive(m, "IBAN"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "Authorization"));
    ck_assert(ivrsm_machine_key_is_sensitive(m, "otp"));
    ck_assert(!ivrsm_machine_key_is_sensitive(m, "phone"));
    ck_assert(!ivrsm_machine_key_is_sensitive(NULL, "iban"));
    ck_assert(ivrsm_machine_key_is_sensitive(NULL, "token"));
    char *r = ivrsm_machine_redact_json(
        m, "{\"iban\":\"FR76\",\"a\":[{\"Token\":\"t\",\"pin\":null}],\"name\":\"Ana\"}");
    ck_assert_str_eq(
        r, "{\"iban\":\"***\",\"a\":[{\"Token\":\"***\",\"pin\":null}],\"name\":\"Ana\"}");
    ivrsm_free(r);
    r = ivrsm_machine_redact_json(m, "\"otp\"");
    ck_assert_str_eq(r, "\"otp\"");
    ivrsm_free(r);
    ck_assert_ptr_null(ivrsm_machine_redact_json(m, "{not json"));
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * A key is a secret by the words its name ends with, however it is written: the names a
 * machine gives a PIN, a card's code or an API key are masked without being listed, and
 * names that merely hold a secret's word elsewhere (counts, ids, zip codes) are not.
 */
START_TEST(secret_names_by_their_words)
{
    static const char *const secret[] = {
        "otp",
        "OTP",
        "code",
        "Code_2",
        "pin",
        "card_pin",
        "pinCode",
        "PIN_CODE",
        "new-pin",
        "pin2",
        "user_PIN",
        "OTPCode",
        "otp_code",
        "securityCode",
        "verification_code",
        "access-code",
        "sms_code",
        "one_time_code",
        "password",
        "userPassword",
        "passcode",
        "passphrase",
        "passwd",
        "token",
        "X-Auth-Token",
        "accessToken",
        "session_token",
        "portal_session_token",
        "refresh_token",
        "Authorization",
        "Proxy-Authorization",
        "Cookie",
        "api_key",
        "X-Api-Key",
        "apiKey",
        "private_key",
        "card_number",
        "cardNumber",
        "cvv",
        "cvv2",
        "card_cvc",
        "client_secret",
        "secret",
        "pin 1",
        "jwt",
        "id_jwt",
        "Bearer",
        "apikey",
        "credentials",
        "db_credential",
        "sessionKey",
        "aws_access_key",
        "secret_key",
        "signing_key",
        "encryption_key",
    };
    static const char *const plain[] = {
        "phone",
        "zip_code",
        "status_code",
        "postcode",
        "pin_attempts",
        "wrong_pins",
        "otp_sent",
        "otp_ttl_sec",
        "token_type",
        "tokens",
        "spinner",
        "pinned",
        "codec",
        "key",
        "monkey",
        "card",
        "number",
        "card_holder",
        "country_code",
        "error_code",
        "2",
        "_",
        "",
        "otp_challenge_id",
        "encode",
        "session",
        "session_id",
        "jwt_expires_at",
        "key_name",
        "credential_type",
    };
    for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++)
        ck_assert_msg(ivrsm_machine_key_is_sensitive(NULL, secret[i]), "%s: not a secret",
                      secret[i]);
    for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
        ck_assert_msg(!ivrsm_machine_key_is_sensitive(NULL, plain[i]), "%s: a secret", plain[i]);
}
END_TEST

/*
 * A digits collect into a key named as a secret ("card.security_code"): the caller's keys, the
 * value in ctx and the value wherever a later record carries it never reach the trace.
 */
START_TEST(trace_masks_collect_named_as_secret)
{
    ivrsm_machine *m =
        load_yaml_text("machine: card\nversion: '1'\nlocale: en-US\ntimezone: Europe/Paris\n"
                       "initial: ask\nstates:\n"
                       "  ask:\n    type: prompt_and_listen\n    prompt: 'The code on the back?'\n"
                       "    collect: {mode: digits, min: 4, max: 4, target: card.securityCode, "
                       "allow_dtmf: true}\n    next: check\n"
                       "  check:\n    type: prompt_end\n"
                       "    prompt: 'You typed {{ctx.card.securityCode}}. Goodbye.'\n");
    json_t *records = json_array();
    call c;
    call_init_traced(&c, m, NULL, records);
    call_start(&c);
    ck_assert_int_ne(ivrsm_session_input_is_secret(c.s), 0);
    call_input(&c, "dtmf 4812");
    ck_assert_uint_gt(json_array_size(records), 2);
    size_t k;
    json_t *v;
    json_array_foreach(records, k, v)
    {
        ck_assert_msg(!strstr(json_string_value(v), "4812"), "the code in: %s",
                      json_string_value(v));
        json_t *r = json_loads(json_string_value(v), 0, NULL);
        ck_assert_msg(r != NULL, "not JSON: %s", json_string_value(v));
        json_decref(r);
    }
    call_free(&c);
    json_decref(records);
    ivrsm_machine_unref(m);
}
END_TEST

/* ivrsm_ctx_set_json: the rule of `set:` for dotted keys. */
START_TEST(ctx_set_json_follows_set)
{
    char *a = NULL, *b = NULL, *c = NULL;
    ck_assert_int_eq(ivrsm_ctx_set_json(NULL, "patient", "\"Ana\"", &a), 0);
    ck_assert_str_eq(a, "{\"patient\":\"Ana\"}");
    /* A value on the way is replaced by an object, as `set:` does at run time. */
    ck_assert_int_eq(ivrsm_ctx_set_json(a, "patient.age", "40", &b), 0);
    ck_assert_str_eq(b, "{\"patient\":{\"age\":40}}");
    ck_assert_int_eq(ivrsm_ctx_set_json(b, "patient.name", "{\"first\":\"Ana\"}", &c), 0);
    ck_assert_str_eq(c, "{\"patient\":{\"age\":40,\"name\":{\"first\":\"Ana\"}}}");
    char *x = NULL;
    const char *bad_keys[] = {"", "a..b", ".a", "a."};
    for (size_t i = 0; i < sizeof(bad_keys) / sizeof(*bad_keys); i++)
        ck_assert_int_eq(ivrsm_ctx_set_json(c, bad_keys[i], "1", &x), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_ctx_set_json("[1]", "a", "1", &x), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_ctx_set_json(NULL, "a", "{oops", &x), IVRSM_EINVAL);
    ck_assert_ptr_null(x);
    ivrsm_free(a);
    ivrsm_free(b);
    ivrsm_free(c);
}
END_TEST

/* Every code has a name (what bindings show) and a description; others have none. */
START_TEST(error_names)
{
    ck_assert_str_eq(ivrsm_errname(IVRSM_OK), "OK");
    ck_assert_str_eq(ivrsm_errname(IVRSM_EDUPLICATE), "EDUPLICATE");
    ck_assert_str_eq(ivrsm_errname(IVRSM_EUNEXPECTED), "EUNEXPECTED");
    for (int code = IVRSM_EINVAL; code >= IVRSM_EUNEXPECTED; code--) {
        ck_assert_ptr_nonnull(ivrsm_errname(code));
        ck_assert_str_ne(ivrsm_strerror(code), "unknown error");
    }
    ck_assert_ptr_null(ivrsm_errname(IVRSM_EUNEXPECTED - 1));
    ck_assert_ptr_null(ivrsm_errname(1));
}
END_TEST

/*
 * A zeroed SPEECH event has no confidence (not the lowest one), and so has
 * NaN; the versioned structs take size 0 (this layout), their own size, or
 * a later version's larger size, and refuse a size no version had.
 */
START_TEST(versioned_events_and_zero_confidence)
{
    ivrsm_machine *m = menu();
    ivrsm_session *s = NULL;
    ivrsm_limits limits = IVRSM_LIMITS_INIT;
    limits.min_confidence = 0.5;
    ivrsm_session_options opts = IVRSM_SESSION_OPTIONS_INIT;
    opts.limits = &limits;
    ck_assert_int_eq(ivrsm_session_new(m, &opts, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    while (ivrsm_session_next_command(s))
        ;
    ivrsm_event ev = {.type = IVRSM_EVENT_SPEECH, .text = "non"}; /* size 0, confidence 0 */
    ivrsm_event small = IVRSM_EVENT_INIT;
    small.size = sizeof(size_t) + sizeof(int);
    small.type = IVRSM_EVENT_SPEECH;
    small.text = "non";
    ck_assert_int_eq(ivrsm_session_feed(s, &small), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_str_eq(ivrsm_session_state(s), "bye");
    ivrsm_session_free(s);

    /* A later version's larger struct: the fields this one knows are read. */
    struct {
        ivrsm_event v1;
        double later_field;
    } bigger = {{.size = sizeof(bigger), .type = IVRSM_EVENT_SPEECH, .text = "non"}, 42.0};
    ck_assert_int_eq(ivrsm_session_new(m, &opts, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    while (ivrsm_session_next_command(s))
        ;
    bigger.v1.confidence = NAN;
    ck_assert_int_eq(ivrsm_session_feed(s, &bigger.v1), 0);
    ck_assert_str_eq(ivrsm_session_state(s), "bye");
    ivrsm_session_free(s);

    /* A given low confidence is still a no-match. */
    ck_assert_int_eq(ivrsm_session_new(m, &opts, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    while (ivrsm_session_next_command(s))
        ;
    ivrsm_event low = IVRSM_EVENT_INIT;
    low.type = IVRSM_EVENT_SPEECH;
    low.text = "non";
    low.confidence = 0.2;
    ck_assert_int_eq(ivrsm_session_feed(s, &low), 0);
    ck_assert_str_eq(ivrsm_session_state(s), "start");
    const ivrsm_command *c = ivrsm_session_next_command(s);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->size, sizeof(ivrsm_command));
    ivrsm_session_free(s);

    ivrsm_session_options bad = IVRSM_SESSION_OPTIONS_INIT;
    bad.size = 4;
    ck_assert_int_eq(ivrsm_session_new(m, &bad, &s, NULL), IVRSM_EINVAL);
    ivrsm_limits bad_limits = {.size = 2};
    opts.limits = &bad_limits;
    ck_assert_int_eq(ivrsm_session_new(m, &opts, &s, NULL), IVRSM_EINVAL);
    ivrsm_machine_unref(m);
}
END_TEST

/* ---- ivrsm_session_prefetch(): a hint that changes nothing ---- */

/* What a caller of the seed may say at any point: keys of its menus, the login's answers,
 * silence, a hangup. */
static const char *const burst_lines[] = {
    "dtmf 1",
    "dtmf 2",
    "dtmf 8",
    "dtmf 9",
    "dtmf 0612345678#",
    "say un deux trois quatre cinq six",
    "say oui",
    "say le premier",
    "say je veux déplacer",
    "say partager",
    "noinput",
    "nomatch",
    "dtmf 1#",
    "say lundi prochain",
    "hangup",
};
#define BURST_LINES (sizeof(burst_lines) / sizeof(burst_lines[0]))
#define BURST_CALLS 24
#define BURST_MAX 12

static uint32_t burst_rand(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* The same calls twice, fed the same events in the same order in bursts of up to BURST_MAX,
 * as a host reading one event socket feeds them; `hinted` first asks for every session of a
 * burst (a call may come twice in one), ended or not. Every feed's code, every command pulled
 * and every session's snapshot must be the same. */
static void prefetched_bursts_change_nothing(uint32_t seed)
{
    ivrsm_machine *m = load_source_file("examples/synergia_rdv/machine.yaml");
    call plain[BURST_CALLS], hinted[BURST_CALLS];
    for (int i = 0; i < BURST_CALLS; i++) {
        call_init(&plain[i], m, NULL);
        call_init(&hinted[i], m, NULL);
        plain[i].responses = hinted[i].responses = seed_responses;
        ivrsm_session_prefetch(hinted[i].s); /* not started yet */
        call_start(&plain[i]);
        call_start(&hinted[i]);
    }
    uint32_t x = seed;
    for (int burst = 0; burst < 200; burst++) {
        int n = 1 + (int)(burst_rand(&x) % BURST_MAX), who[BURST_MAX];
        const char *line[BURST_MAX];
        for (int k = 0; k < n; k++) {
            who[k] = (int)(burst_rand(&x) % BURST_CALLS);
            /* Hang up rarely, so that most calls go deep into the machine. */
            line[k] = burst_lines[burst_rand(&x) % (BURST_LINES - (burst_rand(&x) % 16 != 0))];
        }
        for (int k = 0; k < n; k++)
            ivrsm_session_prefetch(hinted[who[k]].s);
        for (int k = 0; k < n; k++)
            ck_assert_int_eq(call_input(&hinted[who[k]], line[k]),
                             call_input(&plain[who[k]], line[k]));
    }
    for (int i = 0; i < BURST_CALLS; i++) {
        char *a = call_transcript(&plain[i]), *b = call_transcript(&hinted[i]);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
        char *sa = NULL, *sb = NULL;
        ck_assert_int_eq(ivrsm_session_snapshot(plain[i].s, &sa), 0);
        ck_assert_int_eq(ivrsm_session_snapshot(hinted[i].s, &sb), 0);
        ck_assert_str_eq(sa, sb);
        ivrsm_free(sa);
        ivrsm_free(sb);
        call_free(&plain[i]);
        call_free(&hinted[i]);
    }
    ivrsm_machine_unref(m);
}

START_TEST(prefetch_changes_nothing)
{
    for (uint32_t seed = 1; seed <= 8; seed++)
        prefetched_bursts_change_nothing(seed * 2654435761u);
}
END_TEST

/* The hint in every phase: NULL, awaiting an http answer, ended. */
START_TEST(prefetch_in_any_phase)
{
    ivrsm_session_prefetch(NULL);
    ivrsm_machine *m = menu();
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"item_id\":\"i7\",\"token\":\"t\"}";
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ivrsm_session_prefetch(s);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    feed_text(s, IVRSM_EVENT_DTMF, "1");
    uint64_t id = drain_http(s, NULL);
    ck_assert_uint_ne(id, 0);
    ivrsm_session_prefetch(s);
    ck_assert_ptr_nonnull(ivrsm_session_pending_command(s));
    feed_answer(s, id, 200, "{\"label\":\"A12\"}");
    ivrsm_event hang = IVRSM_EVENT_INIT;
    hang.type = IVRSM_EVENT_HANGUP;
    ck_assert_int_eq(ivrsm_session_feed(s, &hang), 0);
    ck_assert(ivrsm_session_ended(s));
    ivrsm_session_prefetch(s);
    ck_assert_int_eq(ivrsm_session_feed(s, &hang), IVRSM_EENDED);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("session");
    TCase *basics = tcase_create("basics");
    tcase_add_test(basics, start_asks_with_prompt);
    tcase_add_test(basics, command_as_json_text);
    tcase_add_test(basics, redaction_is_public);
    tcase_add_test(basics, error_names);
    tcase_add_test(basics, versioned_events_and_zero_confidence);
    tcase_add_test(basics, ctx_set_json_follows_set);
    tcase_add_test(basics, dtmf_exact_whole_string);
    tcase_add_test(basics, garbage_dtmf_is_nomatch);
    tcase_add_test(basics, collect_reads_without_allocating);
    tcase_add_test(basics, otp_key_not_copied);
    tcase_add_test(basics, speech_normalised_longest_match);
    tcase_add_test(basics, speech_whole_words_only);
    tcase_add_loop_test(basics, speech_follows_the_locale, 0,
                        sizeof locale_match_cases / sizeof locale_match_cases[0]);
    tcase_add_test(basics, low_confidence_is_nomatch);
    tcase_add_test(basics, external_intent);
    tcase_add_test(basics, invalid_utf8_is_nomatch);
    tcase_add_test(basics, noinput_reprompts_then_next);
    tcase_add_test(basics, nomatch_counts_to_max);
    tcase_add_test(basics, action_success_merges_say_into_ask);
    tcase_add_test(basics, action_failure_kinds);
    tcase_add_test(basics, missing_path_parameter_fails_action);
    tcase_add_test(basics, resp_is_the_state_own_answer);
    tcase_add_test(basics, header_injection_refused);
    tcase_add_test(basics, dot_path_parameter_fails_action);
    tcase_add_test(basics, header_control_characters_fail_action);
    tcase_add_test(basics, request_bounds_fail_action);
    tcase_add_test(basics, result_body_bounds);
    tcase_add_test(basics, session_ids_are_unique);
    tcase_add_test(basics, bad_ids_refused);
    tcase_add_test(basics, verified_otp_not_kept);
    tcase_add_test(basics, handoff_failure_takes_on_fail);
    tcase_add_test(basics, spoken_command_after_http_and_handoff);
    tcase_add_test(basics, session_freed_with_its_request_pulled);
    tcase_add_test(basics, duplicate_and_stale_events);
    tcase_add_test(basics, oversized_input_refused);
    tcase_add_test(basics, bad_ctx_json);
    tcase_add_test(basics, deep_json_from_outside);
    tcase_add_test(basics, snapshot_restore_mid_http);
    tcase_add_test(basics, http_command_texts);
    tcase_add_test(basics, snapshot_refuses_other_machine);
    tcase_add_test(basics, session_limits_override_machine);
    tcase_add_test(basics, call_bound_wins_over_a_states_limit);
    tcase_add_test(basics, escalation_outside_business_hours_says_goodbye);
    suite_add_tcase(s, basics);
    TCase *seed = tcase_create("seed");
    tcase_set_timeout(seed, 120);
    tcase_add_test(seed, seed_happy_path);
    tcase_add_test(seed, seed_snapshot_every_event_identical);
    tcase_add_test(seed, seed_trace_has_no_secrets);
    tcase_add_test(seed, sensitive_keys_named_like_record_members);
    tcase_add_test(seed, session_allocates_through_its_allocator);
    tcase_add_test(seed, session_refuses_an_incomplete_allocator);
    tcase_add_test(seed, seed_trace_masks_handed_on_otp);
    tcase_add_test(seed, handing_on_ask_accepts_what_the_consumer_accepts);
    tcase_add_test(seed, seed_silent_caller_bounded);
    tcase_add_test(seed, seed_confused_caller_bounded);
    tcase_add_test(seed, seed_wrong_otp_bounded);
    tcase_add_test(seed, seed_input_is_secret);
    tcase_add_test(seed, input_collect_and_secret);
    tcase_add_test(seed, trace_masks_what_input_is_secret);
    tcase_add_test(seed, trace_masks_collect_named_as_secret);
    tcase_add_test(seed, secret_names_by_their_words);
    tcase_add_test(seed, reals_written_at_fewest_digits);
    tcase_add_test(seed, seed_backend_failure_every_action);
    tcase_add_test(seed, session_memory_small);
    tcase_add_test(seed, prefetch_changes_nothing);
    tcase_add_test(seed, prefetch_in_any_phase);
    suite_add_tcase(s, seed);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
