/* Format 1.1 at run time and at load time: prompts as parts, re-prompts.
 * Each test drives a small machine written for it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "call_driver.h"

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

/* The parts of command i as compact JSON, e.g. [{"play":"a.wav"},{"say":"Bonjour."}]. */
static char *parts_of(const call *c, int i)
{
    json_t *p = json_object_get(cmd_at(c, i), "parts");
    return p ? json_dumps(p, JSON_COMPACT) : strdup("(none)");
}

#define ck_parts(c, i, want)                                                                       \
    do {                                                                                           \
        char *got_ = parts_of(c, i);                                                               \
        ck_assert_str_eq(got_, want);                                                              \
        free(got_);                                                                                \
    } while (0)

/* The load fails, with `needle` in the message. */
static void load_fails(const char *yaml, const char *needle)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "t.yaml", &m, &err);
    ck_assert_msg(rc == IVRSM_EMACHINE, "loaded (rc %d), expected an error with '%s'", rc, needle);
    ck_assert_msg(strstr(err.message, needle), "message '%s' lacks '%s'", err.message, needle);
    ck_assert_int_gt(err.line, 0);
}

/* ------------------------------------------------------------------ parts */

static const char *parts_yaml = "machine: parts\n"
                                "version: '1'\n"
                                "globals:\n"
                                "  endpoints: {check: 'GET /check'}\n"
                                "intents:\n"
                                "  one: {dtmf: ['1']}\n"
                                "  two: {dtmf: ['2']}\n"
                                "states:\n"
                                "  welcome:\n"
                                "    type: prompt_and_listen\n"
                                "    prompt:\n"
                                "      - play: ivr/welcome.wav\n"
                                "      - say: 'Bonjour.'\n"
                                "      - say: 'Tapez 1   {{ctx.name}}.'\n"
                                "    routes:\n"
                                "      - {when_intent: one, next: check}\n"
                                "      - {when_intent: two, next: bye}\n"
                                "  check:\n"
                                "    type: action_then_prompt\n"
                                "    action: {call: check}\n"
                                "    on_success:\n"
                                "      prompt: 'Très bien.'\n"
                                "      next: menu\n"
                                "  menu:\n"
                                "    type: listen\n"
                                "    routes:\n"
                                "      - {when_intent: two, next: bye}\n"
                                "  bye:\n"
                                "    type: prompt_end\n"
                                "    prompt:\n"
                                "      - say: 'Au revoir.'\n"
                                "      - play: 'ivr/{{ctx.lang}}/bye.wav'\n"
                                "      - play: '{{ctx.outro}}'\n";

START_TEST(parts_in_order_words_joined)
{
    ivrsm_machine *m = load_yaml_text(parts_yaml);
    call c;
    call_init(&c, m, "{\"name\":\"Ana\",\"lang\":\"fr\"}");
    call_start(&c);
    ck_assert_str_eq(field(&c, 0, "type"), "ask");
    ck_parts(&c, 0, "[{\"play\":\"ivr/welcome.wav\"},{\"say\":\"Bonjour. Tapez 1 Ana.\"}]");
    ck_assert_str_eq(field(&c, 0, "text"), "Bonjour. Tapez 1 Ana.");
    call_input(&c, "dtmf 2");
    ck_parts(&c, -2, "[{\"say\":\"Au revoir.\"},{\"play\":\"ivr/fr/bye.wav\"}]");
    ck_assert_str_eq(field(&c, -1, "type"), "hangup");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(empty_uri_drops_the_part)
{
    ivrsm_machine *m = load_yaml_text(parts_yaml);
    call c;
    call_init(&c, m, "{\"lang\":\"fr\",\"outro\":\" jingle.wav \"}");
    call_start(&c);
    call_input(&c, "dtmf 2");
    ck_parts(&c, -2,
             "[{\"say\":\"Au revoir.\"},{\"play\":\"ivr/fr/bye.wav\"},{\"play\":\"jingle.wav\"}]");
    call_free(&c);
    /* A URI that renders to nothing, or to more than one line, plays nothing. */
    const char *ctxs[] = {"{\"lang\":\"fr\"}", "{\"lang\":\"fr\",\"outro\":\"a.wav\\nb.wav\"}"};
    for (int i = 0; i < 2; i++) {
        call_init(&c, m, ctxs[i]);
        call_start(&c);
        call_input(&c, "dtmf 2");
        ck_parts(&c, -2, "[{\"say\":\"Au revoir.\"},{\"play\":\"ivr/fr/bye.wav\"}]");
        call_free(&c);
    }
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(said_before_merges_into_the_parts_of_the_ask)
{
    ivrsm_machine *m = load_yaml_text(parts_yaml);
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "dtmf 1");
    /* "Très bien." is said on the way: it opens the listen state's ask, which
     * says nothing of its own. */
    ck_assert_str_eq(field(&c, -1, "type"), "ask");
    ck_parts(&c, -1, "[{\"say\":\"Très bien.\"}]");
    /* A silence in the listen state asks the last question again, parts and all. */
    call_input(&c, "noinput");
    ck_assert_str_eq(field(&c, -1, "type"), "ask");
    ck_parts(&c, -1, "[{\"say\":\"Très bien.\"}]");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(parts_survive_snapshots)
{
    ivrsm_machine *m = load_yaml_text(parts_yaml);
    const char *script[] = {"noinput", "dtmf 1", "noinput", "dtmf 2", NULL};
    call a, b;
    call_init(&a, m, "{\"name\":\"Ana\"}");
    call_init(&b, m, "{\"name\":\"Ana\"}");
    b.snapshot_each_event = true;
    call_start(&a);
    call_start(&b);
    for (const char **line = script; *line; line++) {
        call_input(&a, *line);
        call_input(&b, *line);
    }
    char *ta = call_transcript(&a), *tb = call_transcript(&b);
    ck_assert_str_eq(ta, tb);
    ck_assert_ptr_nonnull(strstr(ta, "ivr/welcome.wav"));
    free(ta);
    free(tb);
    call_free(&a);
    call_free(&b);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(snapshot_without_parts_still_restores)
{
    /* A snapshot taken before parts existed: words only. */
    ivrsm_machine *m = load_yaml_text(parts_yaml);
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
    ivrsm_session_start(s);
    while (ivrsm_session_next_command(s))
        ;
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    json_t *j = json_loads(snap, 0, NULL);
    json_object_del(j, "pending_parts");
    json_object_del(j, "last_ask_parts");
    json_object_set_new(j, "pending_say", json_string("Avant."));
    char *old = json_dumps(j, JSON_COMPACT);
    ivrsm_session *r = NULL;
    ck_assert_int_eq(ivrsm_session_restore(m, old, NULL, &r, NULL), 0);
    ivrsm_event ev = {.type = IVRSM_EVENT_NOINPUT};
    ck_assert_int_eq(ivrsm_session_feed(r, &ev), 0);
    const ivrsm_command *c = ivrsm_session_next_command(r);
    ck_assert_int_eq(c->type, IVRSM_COMMAND_ASK);
    ck_assert_uint_eq(c->part_count, 3);
    ck_assert_int_eq(c->parts[0].type, IVRSM_PART_SAY);
    ck_assert_str_eq(c->parts[0].text, "Avant.");
    ck_assert_int_eq(c->parts[1].type, IVRSM_PART_PLAY);
    ck_assert_str_eq(c->text, "Avant. Bonjour. Tapez 1 .");
    ivrsm_session_free(r);
    ivrsm_session_free(s);
    free(old);
    ivrsm_free(snap);
    json_decref(j);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(static_prompt_points_into_the_machine)
{
    /* Parts of a prompt without {{...}} are the machine's: the same pointer every time. */
    ivrsm_machine *m = load_yaml_text("machine: s\nversion: '1'\nintents: {one: {dtmf: ['1']}}\n"
                                      "states:\n  a:\n    type: prompt_and_listen\n"
                                      "    prompt: [{play: x.wav}, {say: 'Un.'}]\n"
                                      "    routes: [{when_intent: one, next: a}]\n");
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
    ivrsm_session_start(s);
    const ivrsm_command *c = ivrsm_session_next_command(s);
    const ivrsm_part *first = c->parts;
    ck_assert_uint_eq(c->part_count, 2);
    ck_assert_str_eq(c->parts[0].text, "x.wav");
    ck_assert_str_eq(c->text, "Un.");
    ivrsm_event ev = {.type = IVRSM_EVENT_DTMF, .text = "1"};
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    c = ivrsm_session_next_command(s);
    ck_assert_ptr_eq(c->parts, first);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(malformed_parts_refused)
{
    const char *head = "machine: b\nversion: '1'\nstates:\n  a:\n    type: prompt_end\n";
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s    prompt: [{say: a, play: b}]\n", head);
    load_fails(buf, "exactly one key");
    snprintf(buf, sizeof(buf), "%s    prompt: [{sya: a}]\n", head);
    load_fails(buf, "unknown key 'sya' in a part");
    snprintf(buf, sizeof(buf), "%s    prompt: []\n", head);
    load_fails(buf, "list of parts is empty");
    snprintf(buf, sizeof(buf), "%s    prompt: [{play: \"a\\nb.wav\"}]\n", head);
    load_fails(buf, "one line");
    snprintf(buf, sizeof(buf), "%s    prompt: [{play: '  '}]\n", head);
    load_fails(buf, "URI is empty");
    snprintf(buf, sizeof(buf), "%s    prompt: {say: a}\n", head);
    load_fails(buf, "expected a text or a list of parts");
    snprintf(buf, sizeof(buf), "%s    prompt: ['a']\n", head);
    load_fails(buf, "expected a part");
    snprintf(buf, sizeof(buf), "%s    prompt: [{say: '{{ctx.'}]\n", head);
    load_fails(buf, "invalid template");
}
END_TEST

/* --------------------------------------------------------------- re-prompts */

static const char *reprompt_yaml =
    "machine: reprompt\n"
    "version: '1'\n"
    "globals:\n"
    "  max_noinput: 4\n"
    "  max_nomatch: 3\n"
    "  reprompts:\n"
    "    nomatch: ['Je n''ai pas compris.', [{play: beep.wav}, {say: 'Tapez 1.'}]]\n"
    "intents:\n"
    "  one: {dtmf: ['1']}\n"
    "states:\n"
    "  menu:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Menu. Tapez 1.'\n"
    "    noinput:\n"
    "      prompts: ['Vous êtes là ?', 'Tapez 1, {{ctx.name}}.']\n"
    "    routes:\n"
    "      - {when_intent: one, next: second}\n"
    "    fallback: {next: bye}\n"
    "  second:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Second.'\n"
    "    noinput: {max: 2, next: bye}\n"
    "    nomatch: {max: 3, next: bye, prompts: ['Pardon ?']}\n"
    "    routes:\n"
    "      - {when_intent: one, next: bye}\n"
    "  bye:\n"
    "    type: prompt_end\n"
    "    prompt: 'Au revoir.'\n";

START_TEST(noinput_prompts_in_turn_last_repeats)
{
    ivrsm_machine *m = load_yaml_text(reprompt_yaml);
    call c;
    call_init(&c, m, "{\"name\":\"Ana\"}");
    call_start(&c);
    call_input(&c, "noinput");
    ck_assert_str_eq(field(&c, -1, "text"), "Vous êtes là ?");
    call_input(&c, "noinput");
    ck_assert_str_eq(field(&c, -1, "text"), "Tapez 1, Ana.");
    call_input(&c, "noinput");
    ck_assert_str_eq(field(&c, -1, "text"), "Tapez 1, Ana.");
    /* The fourth silence reaches globals.max_noinput: the fallback. */
    call_input(&c, "noinput");
    ck_assert_str_eq(call_state(&c), "bye");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(global_reprompts_where_the_state_has_none)
{
    ivrsm_machine *m = load_yaml_text(reprompt_yaml);
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    /* menu has no nomatch block but a fallback: an unmatched input takes it at once
     * (unchanged rule); second has its own list; a state with neither uses globals. */
    call_input(&c, "dtmf 1");
    call_input(&c, "dtmf 7");
    ck_assert_str_eq(field(&c, -1, "text"), "Pardon ?");
    call_input(&c, "dtmf 7");
    ck_assert_str_eq(field(&c, -1, "text"), "Pardon ?");
    /* A silence in second: no noinput prompts there, none in globals: the prompt again. */
    call_input(&c, "noinput");
    ck_assert_str_eq(field(&c, -1, "text"), "Second.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(global_nomatch_reprompts_with_parts)
{
    ivrsm_machine *m = load_yaml_text("machine: g\nversion: '1'\n"
                                      "globals:\n  max_nomatch: 4\n"
                                      "  reprompts:\n    nomatch: ['Hein ?', [{play: beep.wav}, "
                                      "{say: 'Tapez 1.'}]]\n"
                                      "intents: {one: {dtmf: ['1']}}\n"
                                      "states:\n  a:\n    type: prompt_and_listen\n"
                                      "    prompt: 'A.'\n"
                                      "    routes: [{when_intent: one, next: b}]\n"
                                      "  b:\n    type: prompt_end\n    prompt: 'B.'\n");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "dtmf 5");
    ck_assert_str_eq(field(&c, -1, "text"), "Hein ?");
    call_input(&c, "nomatch");
    ck_parts(&c, -1, "[{\"play\":\"beep.wav\"},{\"say\":\"Tapez 1.\"}]");
    call_input(&c, "dtmf 9");
    ck_parts(&c, -1, "[{\"play\":\"beep.wav\"},{\"say\":\"Tapez 1.\"}]");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(counter_with_prompts_needs_no_max)
{
    ivrsm_machine *m = load_yaml_text("machine: g\nversion: '1'\nglobals: {max_noinput: 3}\n"
                                      "intents: {one: {dtmf: ['1']}}\n"
                                      "states:\n  a:\n    type: prompt_and_listen\n"
                                      "    prompt: 'A.'\n    noinput: {prompts: ['Allô ?']}\n"
                                      "    routes: [{when_intent: one, next: b}]\n"
                                      "    fallback: {next: b}\n"
                                      "  b:\n    type: prompt_end\n    prompt: 'B.'\n");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "noinput");
    call_input(&c, "noinput");
    ck_assert_str_eq(field(&c, -1, "text"), "Allô ?");
    ck_assert_str_eq(call_state(&c), "a");
    call_input(&c, "noinput"); /* globals.max_noinput is 3 */
    ck_assert_str_eq(call_state(&c), "b");
    call_free(&c);
    ivrsm_machine_unref(m);
    const char *bad = "machine: g\nversion: '1'\nintents: {one: {dtmf: ['1']}}\n"
                      "states:\n  a:\n    type: prompt_and_listen\n    prompt: 'A.'\n"
                      "    noinput: {next: a}\n"
                      "    routes: [{when_intent: one, next: a}]\n";
    load_fails(bad, "missing key 'max'");
    bad = "machine: g\nversion: '1'\nglobals: {reprompts: {noinput: []}}\nstates:\n"
          "  a:\n    type: prompt_end\n    prompt: 'A.'\n";
    load_fails(bad, "the list is empty");
    bad = "machine: g\nversion: '1'\nglobals: {reprompts: {silence: ['x']}}\nstates:\n"
          "  a:\n    type: prompt_end\n    prompt: 'A.'\n";
    load_fails(bad, "unknown key 'silence'");
}
END_TEST

/* --------------------------------------------------------------- conditions */

static const char *conditions_yaml =
    "machine: conditions\n"
    "version: '1'\n"
    "globals:\n"
    "  vip_threshold: 10000\n"
    "intents:\n"
    "  balance: {dtmf: ['1'], utterances: [solde]}\n"
    "  agent: {dtmf: ['0'], utterances: [conseiller]}\n"
    "states:\n"
    "  route:\n"
    "    type: decide\n"
    "    routes:\n"
    "      - when: ctx.blocked\n"
    "        set: {why: blocked}\n"
    "        next: blocked\n"
    "      - when: 'ctx.balance >= globals.vip_threshold || ctx.tier == \"gold\"'\n"
    "        next: vip\n"
    "    next: menu\n"
    "  menu:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Menu.'\n"
    "    routes:\n"
    "      - when: ctx.balance < 0\n"
    "        next: overdrawn\n"
    "      - when_intent: balance\n"
    "        when: ctx.balance > 0\n"
    "        next: positive\n"
    "      - when_intent: balance\n"
    "        next: zero\n"
    "      - when_intent: agent\n"
    "        when: '!ctx.agents_closed'\n"
    "        next: agent\n"
    "    nomatch: {max: 2, next: bye}\n"
    "  blocked: {type: prompt_end, prompt: 'Carte bloquée ({{ctx.why}}).'}\n"
    "  vip: {type: prompt_end, prompt: 'Client privilège.'}\n"
    "  overdrawn: {type: prompt_end, prompt: 'Découvert.'}\n"
    "  positive: {type: prompt_end, prompt: 'Solde positif.'}\n"
    "  zero: {type: prompt_end, prompt: 'Solde nul.'}\n"
    "  agent: {type: prompt_end, prompt: 'Conseiller.'}\n"
    "  bye: {type: prompt_end, prompt: 'Au revoir.'}\n";

/* Starts a call on the conditions machine with ctx, feeds `input` (may be NULL), returns the
 * state reached. */
static const char *run_conditions(call *c, ivrsm_machine *m, const char *ctx, const char *input)
{
    call_init(c, m, ctx);
    call_start(c);
    if (input)
        call_input(c, input);
    return call_state(c);
}

START_TEST(decide_routes_on_data)
{
    ivrsm_machine *m = load_yaml_text(conditions_yaml);
    call c;
    ck_assert_str_eq(run_conditions(&c, m, "{\"blocked\":true,\"balance\":50000}", NULL),
                     "blocked");
    ck_assert_str_eq(field(&c, 0, "text"), "Carte bloquée (blocked).");
    ck_assert_int_eq(json_array_size(c.log), 2); /* the decide state said nothing */
    call_free(&c);
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":50000}", NULL), "vip");
    call_free(&c);
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":3,\"tier\":\"gold\"}", NULL), "vip");
    call_free(&c);
    /* No condition holds: next, the else branch; there the entry condition is tried first. */
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":-20}", NULL), "overdrawn");
    ck_assert_str_eq(field(&c, 0, "text"), "Découvert.");
    call_free(&c);
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":12}", NULL), "menu");
    ck_assert_str_eq(field(&c, 0, "text"), "Menu.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(input_routes_with_a_condition)
{
    ivrsm_machine *m = load_yaml_text(conditions_yaml);
    call c;
    /* Both conditions on "1": the first whose condition holds. */
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":12}", "dtmf 1"), "positive");
    call_free(&c);
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":0}", "dtmf 1"), "zero");
    call_free(&c);
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":0}", "say le solde"), "zero");
    call_free(&c);
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":5}", "say mon solde"), "positive");
    call_free(&c);
    /* A route whose condition fails is as if absent: "0" is then a no-match. */
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":1,\"agents_closed\":true}", "dtmf 0"),
                     "menu");
    ck_assert_str_eq(field(&c, -1, "text"), "Menu.");
    call_input(&c, "intent agent");
    ck_assert_str_eq(call_state(&c), "bye");
    call_free(&c);
    ck_assert_str_eq(run_conditions(&c, m, "{\"balance\":1}", "intent agent"), "agent");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(condition_routes_in_action_and_handoff_states)
{
    /* An action state whose condition skips the request; a condition route never resets the
     * failures in a row (only the caller's input does). */
    ivrsm_machine *m =
        load_yaml_text("machine: a\nversion: '1'\n"
                       "globals: {endpoints: {get: 'GET /x'}}\n"
                       "states:\n  fetch:\n    type: action_then_prompt\n"
                       "    routes: [{when: ctx.cached, next: done}]\n"
                       "    action: {call: get}\n"
                       "    on_success: {next: done}\n    on_fail: {next: done}\n"
                       "  done: {type: prompt_end, prompt: 'Fin {{ctx.cached}}.'}\n");
    call c;
    call_init(&c, m, "{\"cached\":\"oui\"}");
    call_start(&c);
    ck_assert_int_eq(c.http_calls, 0);
    ck_assert_str_eq(field(&c, 0, "text"), "Fin oui.");
    call_free(&c);
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(c.http_calls, 1);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(condition_trace_and_snapshot)
{
    ivrsm_machine *m = load_yaml_text(conditions_yaml);
    call a, b;
    call_init(&a, m, "{\"balance\":12}");
    call_init(&b, m, "{\"balance\":12}");
    b.snapshot_each_event = true;
    call_start(&a);
    call_start(&b);
    call_input(&a, "dtmf 1");
    call_input(&b, "dtmf 1");
    char *ta = call_transcript(&a), *tb = call_transcript(&b);
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    call_free(&a);
    call_free(&b);
    ivrsm_machine_unref(m);
}
END_TEST

static const ivrsm_transition *find_transition(const ivrsm_machine *m, const char *from,
                                               const char *condition)
{
    size_t i = (size_t)ivrsm_machine_state_index(m, from);
    for (size_t k = 0; k < ivrsm_machine_transition_count(m, i); k++) {
        const ivrsm_transition *t = ivrsm_machine_transition(m, i, k);
        if (t->condition && !strcmp(t->condition, condition))
            return t;
    }
    return NULL;
}

START_TEST(conditions_in_the_graph)
{
    ivrsm_machine *m = load_yaml_text(conditions_yaml);
    const ivrsm_transition *t = find_transition(m, "route", "ctx.blocked");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->kind, IVRSM_TRANSITION_ROUTE);
    ck_assert_ptr_null(t->intent);
    ck_assert_str_eq(ivrsm_machine_state_name(m, t->to), "blocked");
    t = find_transition(m, "menu", "ctx.balance > 0");
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->intent, "balance");
    /* The decide state's else. */
    size_t i = (size_t)ivrsm_machine_state_index(m, "route");
    const ivrsm_transition *last =
        ivrsm_machine_transition(m, i, ivrsm_machine_transition_count(m, i) - 1);
    ck_assert_int_eq(last->kind, IVRSM_TRANSITION_NEXT);
    ck_assert_str_eq(ivrsm_machine_state_name(m, last->to), "menu");
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(conditions_refused)
{
    const char *head = "machine: b\nversion: '1'\nintents: {one: {dtmf: ['1']}}\nstates:\n";
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: decide\n    routes: [{when: 'ctx.x ==', next: a}]\n    next: a\n",
             head);
    load_fails(buf, "invalid template");
    /* Conditions written as other languages write them: the message says how ours are. */
    struct {
        const char *when, *needle;
    } slips[] = {
        {"ctx.vip = true", "unexpected character '=' in 'ctx.vip = true' (to compare, write '=='"},
        {"'ctx.a == 1 && ctx.b = 2'", "(to compare, write '=='"},
        {"'{{ctx.vip}} == true'",
         "(a condition reads paths without braces: ctx.vip == true; or write the whole "
         "condition inside one {{ }})"},
        {"'ctx.n > {{globals.max}}'", "(a condition reads paths without braces"},
    };
    for (size_t i = 0; i < sizeof(slips) / sizeof(*slips); i++) {
        snprintf(buf, sizeof(buf),
                 "%s  a:\n    type: decide\n    routes: [{when: %s, next: a}]\n    next: a\n", head,
                 slips[i].when);
        load_fails(buf, slips[i].needle);
    }
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: prompt_end\n    prompt: '{{#if ctx.vip = true}}Hello{{/if}}'\n", head);
    load_fails(buf, "(to compare, write '=='");
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: decide\n    routes: [{when_intent: one, next: b}]\n    next: b\n"
             "  b: {type: prompt_end, prompt: x}\n",
             head);
    load_fails(buf, "decide state: it does not listen");
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: decide\n    prompt: Bonjour\n    next: b\n"
             "  b: {type: prompt_end, prompt: x}\n",
             head);
    load_fails(buf, "key 'prompt' is not allowed in decide state 'a'");
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: decide\n    routes: [{when: ctx.x, next: b}]\n"
             "  b: {type: prompt_end, prompt: x}\n",
             head);
    load_fails(buf, "decide state 'a' has no next");
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: prompt_end\n    prompt: x\n    routes: [{when: ctx.x, next: a}]\n",
             head);
    load_fails(buf, "a condition route is never taken there");
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: decide\n    routes: [{when: 'now.hour > 23', next: b}]\n"
             "    next: b\n  b: {type: prompt_end, prompt: x}\n",
             head);
    load_fails(buf, "can never be true");
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: decide\n    routes: [{when: 'ctx.x == 1 && ctx.x == 2', next: b}]\n"
             "    next: b\n  b: {type: prompt_end, prompt: x}\n",
             head);
    load_fails(buf, "can never be true");
    /* A cycle through conditions never waits for the caller. */
    snprintf(buf, sizeof(buf),
             "%s  a:\n    type: decide\n    routes: [{when: ctx.x, next: b}]\n    next: c\n"
             "  b:\n    type: prompt_and_listen\n    prompt: B\n"
             "    routes: [{when: ctx.y, next: a}, {when_intent: one, next: c}]\n"
             "  c: {type: prompt_end, prompt: x}\n",
             head);
    load_fails(buf, "input-free cycle: a → b → a");
}
END_TEST

/*
 * A survey's score keyed as digits is stored as text ("1"): a route on `ctx.score <= 2` takes
 * it, as the designer wrote it. Conditions that mix a number and a string that writes one load
 * (they can hold), and one that asks a path for two numbers written apart still cannot.
 */
START_TEST(digits_compared_with_numbers)
{
    const char *yaml =
        "machine: survey\nversion: '1'\nlocale: en-US\ntimezone: Europe/Paris\ninitial: score\n"
        "states:\n"
        "  score:\n    type: prompt_and_listen\n    prompt: 'From 1 to 5?'\n"
        "    collect: {mode: digits, min: 1, max: 1, target: score, allow_dtmf: true}\n"
        "    next: sort\n"
        "  sort:\n    type: decide\n"
        "    routes:\n"
        "      - {when: 'ctx.score <= 2', next: low}\n"
        "      - {when: 'ctx.score == \"3\" && ctx.score >= 3', next: middle}\n"
        "      - {when: 'ctx.score > 3 && ctx.score < \"9\"', next: high}\n"
        "    next: low\n"
        "  low: {type: prompt_end, prompt: 'Sorry.'}\n"
        "  middle: {type: prompt_end, prompt: 'Thanks.'}\n"
        "  high: {type: prompt_end, prompt: 'Great.'}\n";
    ivrsm_machine *m = load_yaml_text(yaml);
    static const struct {
        const char *key, *state;
    } calls[] = {{"dtmf 1", "low"},
                 {"dtmf 2", "low"},
                 {"dtmf 3", "middle"},
                 {"dtmf 4", "high"},
                 {"dtmf 5", "high"}};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        call c;
        call_init(&c, m, NULL);
        call_start(&c);
        ck_assert_int_eq(call_input(&c, calls[i].key), 0);
        ck_assert_msg(!strcmp(call_state(&c), calls[i].state), "%s: %s", calls[i].key,
                      call_state(&c));
        call_free(&c);
    }
    ivrsm_machine_unref(m);
    load_fails("machine: b\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: 'ctx.x == \"5\" && ctx.x == \"6\"', next: b}]\n"
               "    next: b\n  b: {type: prompt_end, prompt: x}\n",
               "can never be true");
    load_fails("machine: b\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: 'ctx.x == \"5\" && ctx.x > 7', next: b}]\n"
               "    next: b\n  b: {type: prompt_end, prompt: x}\n",
               "can never be true");
}
END_TEST

/* A flag never set is false: `ctx.solved == false` holds when the caller never answered (the
 * key missing, or null as a `set` copies a value an answer did not hold), as `!ctx.solved` and
 * `ctx.solved != true` do; `== null` asks whether there is nothing, so a false is not null, and
 * the checker knows that `== null && == false` holds for nothing only. */
START_TEST(missing_equals_false)
{
    ivrsm_machine *m = load_yaml_text(
        "machine: f\nversion: '1'\nstates:\n"
        "  a:\n    type: decide\n    routes:\n"
        "      - {when: 'ctx.solved == false && ctx.solved != null', next: said_no}\n"
        "      - {when: 'ctx.solved == false && ctx.solved != true', next: unsolved}\n"
        "      - {when: 'ctx.solved == null', next: no_answer}\n"
        "    next: solved\n"
        "  said_no: {type: prompt_end, prompt: n}\n"
        "  unsolved: {type: prompt_end, prompt: a}\n"
        "  no_answer: {type: prompt_end, prompt: b}\n"
        "  solved: {type: prompt_end, prompt: c}\n");
    static const struct {
        const char *ctx, *state;
    } calls[] = {{NULL, "unsolved"},
                 {"{\"solved\":false}", "said_no"},
                 {"{\"other\":1}", "unsolved"},
                 {"{\"solved\":null}", "unsolved"},
                 {"{\"solved\":true}", "solved"},
                 {"{\"solved\":0}", "solved"}};
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        call c;
        call_init(&c, m, calls[i].ctx);
        call_start(&c);
        ck_assert_msg(!strcmp(call_state(&c), calls[i].state), "%s: %s",
                      calls[i].ctx ? calls[i].ctx : "{}", call_state(&c));
        call_free(&c);
    }
    ivrsm_machine_unref(m);
    m = load_yaml_text("machine: f\nversion: '1'\nstates:\n  a:\n    type: decide\n"
                       "    routes: [{when: 'ctx.x == null && ctx.x == false', next: b}]\n"
                       "    next: b\n  b: {type: prompt_end, prompt: x}\n");
    ivrsm_machine_unref(m);
    load_fails("machine: f\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: 'ctx.x == null && ctx.x == false && ctx.x != null', next: b}]\n"
               "    next: b\n  b: {type: prompt_end, prompt: x}\n",
               "can never be true");
    load_fails("machine: f\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: 'ctx.x == false && ctx.x == null && ctx.x', next: b}]\n"
               "    next: b\n  b: {type: prompt_end, prompt: x}\n",
               "can never be true");
    load_fails("machine: f\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: 'ctx.x == null && ctx.x != false', next: b}]\n"
               "    next: b\n  b: {type: prompt_end, prompt: x}\n",
               "can never be true");
    load_fails("machine: f\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: 'now.open == false && now.open == null', next: b}]\n"
               "    next: b\n  b: {type: prompt_end, prompt: x}\n",
               "can never be true");
}
END_TEST

/* A condition read as "{{...}}" is the same condition; true is a literal. */
START_TEST(condition_spellings)
{
    ivrsm_machine *m = load_yaml_text("machine: s\nversion: '1'\nstates:\n"
                                      "  a:\n    type: decide\n    routes:\n"
                                      "      - {when: '{{ ctx.n == 2 }}', next: b}\n"
                                      "      - {when: true, next: c}\n"
                                      "    next: c\n"
                                      "  b: {type: prompt_end, prompt: deux}\n"
                                      "  c: {type: prompt_end, prompt: autre}\n");
    call c;
    call_init(&c, m, "{\"n\":2}");
    call_start(&c);
    ck_assert_str_eq(call_state(&c), "b");
    call_free(&c);
    call_init(&c, m, "{\"n\":2.0}");
    call_start(&c);
    ck_assert_str_eq(call_state(&c), "b");
    call_free(&c);
    /* A string that writes the number (a digits collect's "2") is that number beside one. */
    call_init(&c, m, "{\"n\":\"2\"}");
    call_start(&c);
    ck_assert_str_eq(call_state(&c), "b");
    call_free(&c);
    call_init(&c, m, "{\"n\":\"two\"}");
    call_start(&c);
    ck_assert_str_eq(call_state(&c), "c");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* ------------------------------------------------------------ outcomes by status */

static const char *status_yaml =
    "machine: status\n"
    "version: '1'\n"
    "globals:\n"
    "  otp: {max_attempts: 3}\n"
    "  limits: {max_consecutive_failures: 3}\n"
    "  endpoints: {verify: 'POST /pin'}\n"
    "intents:\n"
    "  again: {dtmf: ['1']}\n"
    "states:\n"
    "  pin:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Code ?'\n"
    "    collect: {mode: otp, length: 4}\n"
    "    action: {call: verify, body: {pin: '{{ctx.otp}}'}}\n"
    "    on_success: {prompt: 'Bienvenue {{resp.name}}.', next: bye}\n"
    "    on_status:\n"
    "      '401':\n"
    "        prompt: 'Code faux ({{resp.status}}, {{resp.error}}, {{resp.reason}}).'\n"
    "        next: pin\n"
    "      '4xx': {prompt: 'Refusé {{resp.status}}.', next: pin}\n"
    "      '423': {prompt: 'Carte bloquée.', next: bye}\n"
    "      5XX: {prompt: 'Service indisponible ({{resp.status}}).', next: retry}\n"
    "    on_timeout: {prompt: 'Trop long ({{resp.error}}).', next: retry}\n"
    "    on_error: {prompt: 'Erreur ({{resp.error}}).', next: retry}\n"
    "    on_fail: {prompt: 'Échec.', next: bye}\n"
    "  retry:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Tapez 1 pour réessayer.'\n"
    "    routes: [{when_intent: again, next: pin}]\n"
    "    nomatch: {max: 2, next: bye}\n"
    "  bye: {type: prompt_end, prompt: 'Au revoir.'}\n";

/* A call on the status machine whose verify answers are `answers`; keys the PIN `n` times. */
static void run_status(call *c, ivrsm_machine *m, const canned *answers, int n)
{
    call_init(c, m, NULL);
    c->responses = answers;
    call_start(c);
    for (int i = 0; i < n && !call_ended(c); i++)
        call_input(c, "dtmf 1234");
}

START_TEST(most_specific_outcome_wins)
{
    ivrsm_machine *m = load_yaml_text(status_yaml);
    call c;
    static const canned a401[] = {{"verify", 401, "{\"reason\":\"bad pin\"}"}, {NULL, 0, NULL}};
    run_status(&c, m, a401, 1);
    ck_assert_str_eq(c.last_text, "Code faux (401, status, bad pin). Code ?");
    call_free(&c);
    static const canned a423[] = {{"verify", 423, "<html>locked</html>"}, {NULL, 0, NULL}};
    run_status(&c, m, a423, 1);
    ck_assert_str_eq(call_state(&c), "bye");
    ck_assert_str_eq(field(&c, -2, "text"), "Carte bloquée. Au revoir.");
    call_free(&c);
    static const canned a404[] = {{"verify", 404, ""}, {NULL, 0, NULL}};
    run_status(&c, m, a404, 1);
    ck_assert_str_eq(c.last_text, "Refusé 404. Code ?");
    call_free(&c);
    static const canned a503[] = {{"verify", 503, "Service Unavailable"}, {NULL, 0, NULL}};
    run_status(&c, m, a503, 1);
    ck_assert_str_eq(c.last_text, "Service indisponible (503). Tapez 1 pour réessayer.");
    call_free(&c);
    static const canned timeout[] = {{"verify", 0, "timeout"}, {NULL, 0, NULL}};
    run_status(&c, m, timeout, 1);
    ck_assert_str_eq(c.last_text, "Trop long (timeout). Tapez 1 pour réessayer.");
    call_free(&c);
    static const canned refused[] = {{"verify", 0, "connection refused"}, {NULL, 0, NULL}};
    run_status(&c, m, refused, 1);
    ck_assert_str_eq(c.last_text, "Erreur (transport). Tapez 1 pour réessayer.");
    call_free(&c);
    static const canned not_json[] = {{"verify", 200, "OK!"}, {NULL, 0, NULL}};
    run_status(&c, m, not_json, 1);
    ck_assert_str_eq(c.last_text, "Erreur (invalid_json). Tapez 1 pour réessayer.");
    call_free(&c);
    /* 3xx: no on_status entry for it, not an error: on_fail. */
    static const canned moved[] = {{"verify", 302, ""}, {NULL, 0, NULL}};
    run_status(&c, m, moved, 1);
    ck_assert_str_eq(field(&c, -2, "text"), "Échec. Au revoir.");
    call_free(&c);
    static const canned ok[] = {{"verify", 200, "{\"name\":\"Ana\"}"}, {NULL, 0, NULL}};
    run_status(&c, m, ok, 1);
    ck_assert_str_eq(field(&c, -2, "text"), "Bienvenue Ana. Au revoir.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(only_wrong_input_counts)
{
    ivrsm_machine *m = load_yaml_text(status_yaml);
    call c;
    /* Three wrong PINs (401): otp.max_attempts is 3, the call escalates (goodbye). */
    static const canned wrong[] = {{"verify", 401, "{}"}, {NULL, 0, NULL}};
    run_status(&c, m, wrong, 3);
    ck_assert_str_eq(call_state(&c), "bye");
    ck_assert(call_ended(&c));
    call_free(&c);
    /* An outage, ten times over: no attempt is lost; the caller retries each time. */
    static const canned down[] = {{"verify", 503, ""}, {NULL, 0, NULL}};
    call_init(&c, m, NULL);
    c.responses = down;
    call_start(&c);
    for (int i = 0; i < 5; i++) {
        call_input(&c, "dtmf 1234");
        ck_assert_str_eq(call_state(&c), "retry");
        call_input(&c, "dtmf 1");
        ck_assert_str_eq(call_state(&c), "pin");
    }
    call_free(&c);
    /* Outages between wrong PINs do not add up with them either: 2 wrong, 2 timeouts, 1 wrong
     * more is the third attempt. */
    static const canned mixed[] = {{"verify", 401, "{}"},    {"verify", 401, "{}"},
                                   {"verify", 0, "timeout"}, {"verify", 0, "timeout"},
                                   {"verify", 401, "{}"},    {NULL, 0, NULL}};
    call_init(&c, m, NULL);
    c.responses = mixed;
    call_start(&c);
    const char *script[] = {"dtmf 1234", "dtmf 1234", "dtmf 1234", "dtmf 1",
                            "dtmf 1234", "dtmf 1",    NULL};
    for (const char **l = script; *l; l++)
        call_input(&c, *l);
    ck_assert_str_eq(call_state(&c), "pin");
    ck_assert(!call_ended(&c));
    call_input(&c, "dtmf 1234");
    ck_assert(call_ended(&c));
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * The call-wide bound of failures in a row (limits.max_consecutive_failures)
 * counts wrong input, never an outage: a menu whose silences call the backend
 * again reaches the bound after 4 failures, silences and 404s alike, while
 * 503s between the silences are not counted.
 */
static const char *failures_yaml = "machine: failures\n"
                                   "version: '1'\n"
                                   "globals:\n"
                                   "  limits: {max_consecutive_failures: 4}\n"
                                   "  endpoints: {fetch: 'GET /x'}\n"
                                   "states:\n"
                                   "  fetch:\n"
                                   "    type: action_then_prompt\n"
                                   "    action: {call: fetch}\n"
                                   "    on_success: {next: menu}\n"
                                   "    on_status: {'5xx': {next: menu}, '4xx': {next: menu}}\n"
                                   "    on_fail: {next: menu}\n"
                                   "  menu:\n"
                                   "    type: prompt_and_listen\n"
                                   "    prompt: 'Menu.'\n"
                                   "    noinput: {max: 1, next: fetch}\n"
                                   "  bye: {type: prompt_end, prompt: 'Au revoir.'}\n";

/* Silences until the call ends; the requests it made. */
static int requests_until_escalation(ivrsm_machine *m, const canned *answers)
{
    call c;
    call_init(&c, m, NULL);
    c.responses = answers;
    call_start(&c);
    for (int i = 0; i < 20 && !call_ended(&c); i++)
        call_input(&c, "noinput");
    ck_assert(call_ended(&c));
    int n = call_count(&c, "http");
    call_free(&c);
    return n;
}

START_TEST(outages_are_not_failures_in_a_row)
{
    ivrsm_machine *m = load_yaml_text(failures_yaml);
    static const canned refused[] = {{"fetch", 404, "{}"}, {NULL, 0, NULL}};
    static const canned down[] = {{"fetch", 503, "{}"}, {NULL, 0, NULL}};
    static const canned timeout[] = {{"fetch", 0, "timeout"}, {NULL, 0, NULL}};
    /* 404, silence, 404, silence: four failures. */
    ck_assert_int_eq(requests_until_escalation(m, refused), 2);
    /* 503 and timeouts cost nothing: four silences, four requests. */
    ck_assert_int_eq(requests_until_escalation(m, down), 4);
    ck_assert_int_eq(requests_until_escalation(m, timeout), 4);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(wrong_input_is_configurable)
{
    /* Only 401 is a wrong PIN here: 403 and 400 are the backend's business. */
    char yaml[4096];
    const char *at = strstr(status_yaml, "  otp: {max_attempts: 3}\n");
    ck_assert_ptr_nonnull(at);
    snprintf(yaml, sizeof(yaml), "%.*s  http: {wrong_input: ['401', 422]}\n%s",
             (int)(at - status_yaml), status_yaml, at);
    ivrsm_machine *m = load_yaml_text(yaml);
    call c;
    static const canned forbidden[] = {{"verify", 403, "{}"}, {NULL, 0, NULL}};
    run_status(&c, m, forbidden, 6);
    ck_assert(!call_ended(&c));
    call_free(&c);
    static const canned wrong[] = {{"verify", 422, "{}"}, {NULL, 0, NULL}};
    run_status(&c, m, wrong, 3);
    ck_assert(call_ended(&c));
    call_free(&c);
    ivrsm_machine_unref(m);
    load_fails("machine: b\nversion: '1'\nglobals: {http: {wrong_input: ['4x']}}\nstates:\n"
               "  a: {type: prompt_end, prompt: x}\n",
               "wrong_input: expected a status");
}
END_TEST

START_TEST(status_outcomes_in_graph_and_snapshots)
{
    ivrsm_machine *m = load_yaml_text(status_yaml);
    size_t i = (size_t)ivrsm_machine_state_index(m, "pin");
    int statuses = 0, timeouts = 0, errors = 0;
    for (size_t k = 0; k < ivrsm_machine_transition_count(m, i); k++) {
        const ivrsm_transition *t = ivrsm_machine_transition(m, i, k);
        if (t->kind == IVRSM_TRANSITION_STATUS) {
            statuses++;
            ck_assert_ptr_nonnull(t->status);
        }
        timeouts += t->kind == IVRSM_TRANSITION_TIMEOUT;
        errors += t->kind == IVRSM_TRANSITION_ERROR;
    }
    ck_assert_int_eq(statuses, 4);
    ck_assert_int_eq(timeouts, 1);
    ck_assert_int_eq(errors, 1);
    ck_assert_str_eq(ivrsm_transition_kind_name(IVRSM_TRANSITION_STATUS), "status");
    /* resp.status is still there after a snapshot between the answer and the next input. */
    static const canned a401[] = {{"verify", 401, "{\"reason\":\"x\"}"}, {NULL, 0, NULL}};
    call a, b;
    call_init(&a, m, NULL);
    call_init(&b, m, NULL);
    a.responses = b.responses = a401;
    b.snapshot_each_event = true;
    call_start(&a);
    call_start(&b);
    call_input(&a, "dtmf 1234");
    call_input(&b, "dtmf 1234");
    char *ta = call_transcript(&a), *tb = call_transcript(&b);
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
    call_free(&a);
    call_free(&b);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(status_outcomes_refused)
{
    const char *head = "machine: b\nversion: '1'\nglobals: {endpoints: {e: 'GET /x'}}\nstates:\n"
                       "  a:\n    type: action_then_prompt\n    action: {call: e}\n";
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s    on_status: {'600': {next: a}}\n", head);
    load_fails(buf, "on_status: \"600\" is not a status");
    snprintf(buf, sizeof(buf), "%s    on_status: {'4x': {next: a}}\n", head);
    load_fails(buf, "is not a status");
    snprintf(buf, sizeof(buf), "%s    on_status: {'4xx': {next: a}, '4XX': {next: a}}\n", head);
    load_fails(buf, "\"4XX\" is given twice");
    snprintf(buf, sizeof(buf), "%s    on_status: {'401': {nxt: a}}\n", head);
    load_fails(buf, "unknown key 'nxt'");
    snprintf(buf, sizeof(buf), "%s    on_timeout: {next: nowhere}\n", head);
    load_fails(buf, "no state named 'nowhere'");
    snprintf(buf, sizeof(buf),
             "%s    on_error: {prompt: '{{resp.error}}', next: a}\n"
             "  b:\n    type: prompt_end\n    prompt: '{{resp.status}}'\n",
             head);
    load_fails(buf, "prompt reads resp.status, but state 'b' has no action");
}
END_TEST

/* ------------------------------------------------------------------- time */

static const char *hours_yaml =
    "machine: hours\n"
    "version: '1'\n"
    "timezone: Europe/Paris\n"
    "globals:\n"
    "  hours:\n"
    "    open:\n"
    "      mon-fri: '08:30-12:30, 13:30-18:00'\n"
    "      sat: ['09:00-12:00']\n"
    "      sun-sun: '23:00-24:00'\n"
    "    closed_dates: ['2026-12-25', '01-01']\n"
    "states:\n"
    "  route:\n"
    "    type: decide\n"
    "    routes:\n"
    "      - {when: now.open, next: open}\n"
    "      - {when: 'now.weekday >= 6', next: weekend}\n"
    "    next: closed\n"
    "  open: {type: prompt_end, prompt: 'Ouvert : {{now.date}} {{now.time}} jour {{now.weekday}} "
    "{{now.hour}}h{{now.minute}}.'}\n"
    "  weekend: {type: prompt_end, prompt: 'Week-end, fermé {{now.open}}.'}\n"
    "  closed: {type: prompt_end, prompt: 'Fermé.'}\n";

/* Milliseconds since the epoch of a UTC time. */
static int64_t utc_ms(int y, int mo, int d, int h, int mi)
{
    /* Days from civil (H. Hinnant). */
    y -= mo <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    return ((days * 24 + h) * 60 + mi) * 60000;
}

static const char *hours_at(call *c, ivrsm_machine *m, int64_t ms)
{
    call_init(c, m, NULL);
    c->now_ms = ms;
    call_start(c);
    return field(c, 0, "text");
}

START_TEST(now_in_the_machine_zone)
{
    ivrsm_machine *m = load_yaml_text(hours_yaml);
    call c;
    /* Wednesday 2026-11-25 09:05 UTC is 10:05 in Paris (winter, UTC+1). */
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 11, 25, 9, 5)),
                     "Ouvert : 2026-11-25 10:05 jour 3 10h5.");
    call_free(&c);
    /* Summer (UTC+2): Friday 2026-07-03 06:30 UTC is 08:30 in Paris, the first minute open. */
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 7, 3, 6, 30)),
                     "Ouvert : 2026-07-03 08:30 jour 5 8h30.");
    call_free(&c);
    /* 08:29 Paris: closed; a Friday: not the weekend. */
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 7, 3, 6, 29)), "Fermé.");
    call_free(&c);
    /* 12:30 is the end of the morning: closed until 13:30. */
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 11, 25, 11, 30)), "Fermé.");
    call_free(&c);
    /* Saturday 11:59 open, 12:00 closed (then the weekend branch). */
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 11, 28, 10, 59)),
                     "Ouvert : 2026-11-28 11:59 jour 6 11h59.");
    call_free(&c);
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 11, 28, 11, 0)), "Week-end, fermé false.");
    call_free(&c);
    /* Sunday up to 24:00; the date changes at local midnight, not UTC's. */
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 11, 29, 22, 59)),
                     "Ouvert : 2026-11-29 23:59 jour 7 23h59.");
    call_free(&c);
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 11, 29, 23, 0)), "Fermé.");
    call_free(&c);
    /* Closed dates: Christmas 2026 (a Friday), and January 1st every year (2027: a Friday). */
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2026, 12, 25, 10, 0)), "Fermé.");
    call_free(&c);
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2027, 1, 1, 10, 0)), "Fermé.");
    call_free(&c);
    ck_assert_str_eq(hours_at(&c, m, utc_ms(2027, 12, 24, 10, 0)),
                     "Ouvert : 2027-12-24 11:00 jour 5 11h0.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(now_read_once_per_event)
{
    /* The clock moves between events: each event reads it again. */
    ivrsm_machine *m = load_yaml_text("machine: t\nversion: '1'\nintents: {one: {dtmf: ['1']}}\n"
                                      "states:\n  a:\n    type: prompt_and_listen\n"
                                      "    prompt: 'Il est {{now.time}}.'\n"
                                      "    routes: [{when_intent: one, next: a}]\n");
    call c;
    call_init(&c, m, NULL);
    c.now_ms = utc_ms(2026, 1, 5, 8, 0);
    call_start(&c);
    ck_assert_str_eq(field(&c, 0, "text"), "Il est 08:00.");
    c.now_ms = utc_ms(2026, 1, 5, 8, 17);
    call_input(&c, "dtmf 1");
    ck_assert_str_eq(field(&c, -1, "text"), "Il est 08:17.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(hours_refused)
{
    const char *tail = "states:\n  a: {type: prompt_end, prompt: x}\n";
    struct {
        const char *hours, *needle;
    } bad[] = {
        {"{open: {mon-fry: '08:00-12:00'}}", "names no days"},
        {"{open: {mon: '8:00-12:00'}}", "expected HH:MM-HH:MM"},
        {"{open: {mon: '12:00-08:00'}}", "a range ends after it starts"},
        {"{open: {mon: '22:00-24:30'}}", "expected HH:MM-HH:MM"},
        {"{open: {mon: '24:00-24:00'}}", "expected HH:MM-HH:MM"},
        {"{open: {mon: '08:00-12:00'}, closed_dates: ['2026-02-30']}", "is not a date"},
        {"{open: {mon: '08:00-12:00'}, closed_dates: ['13-01']}", "is not a date"},
        {"{open: {mon: '08:00-12:00'}, closing: []}", "unknown key 'closing'"},
        {"{closed_dates: ['12-25']}", "missing key 'open'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "machine: b\nversion: '1'\nglobals:\n  hours: %s\n%s",
                 bad[i].hours, tail);
        load_fails(yaml, bad[i].needle);
    }
    /* now.open without hours, an unknown field of now: errors in a condition. */
    load_fails("machine: b\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: now.open, next: b}]\n    next: b\n"
               "  b: {type: prompt_end, prompt: x}\n",
               "globals.hours is not given");
    load_fails("machine: b\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: now.day == 1, next: b}]\n    next: b\n"
               "  b: {type: prompt_end, prompt: x}\n",
               "not a field of now");
    load_fails("machine: b\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes: [{when: now.weekday == 0, next: b}]\n    next: b\n"
               "  b: {type: prompt_end, prompt: x}\n",
               "can never be true");
}
END_TEST

/* ------------------------------------------------------------------ values */

static const char *values_yaml =
    "machine: values\n"
    "version: '1'\n"
    "globals:\n"
    "  bank: Banque Azur\n"
    "  fee: 2.50\n"
    "  welcome: 'Bienvenue à la ${globals.bank}.'\n"
    "  intro: '${globals.welcome} Frais : ${globals.fee}.'\n"
    "  max: 3\n"
    "  limits: {max_state_visits: '${globals.max}'}\n"
    "  endpoints: {balance: 'GET /balance'}\n"
    "states:\n"
    "  fetch:\n"
    "    type: action_then_prompt\n"
    "    action: {call: balance, query: {min: '{{globals.fee}}'}}\n"
    "    on_success:\n"
    "      set: {balance: '{{resp.balance}}', limit: 100.00, label: '{{resp.label}}'}\n"
    "      next: say\n"
    "  say:\n"
    "    type: prompt_end\n"
    "    prompt: '${globals.intro} Solde {{ctx.balance}} ({{ctx.limit}}, {{globals.fee}}), "
    "[{{ctx.label}}] [{{ctx.none}}] {{ctx.big}} {{ctx.host}} {{ctx.neg}}.'\n";

START_TEST(values_said_as_written)
{
    ivrsm_machine *m = load_yaml_text(values_yaml);
    static const canned answers[] = {{"balance", 200, "{\"balance\": 1250.50, \"label\": null}"},
                                     {NULL, 0, NULL}};
    call c;
    call_init(&c, m, "{\"big\": 1e21, \"host\": 7.10, \"neg\": -0.0}");
    c.responses = answers;
    call_start(&c);
    ck_assert_str_eq(field(&c, 0, "query"), "min=2.50");
    ck_assert_str_eq(c.last_text,
                     "Bienvenue à la Banque Azur. Frais : 2.50. Solde 1250.50 (100.00, "
                     "2.50), [] [] 1000000000000000000000 7.10 0.");
    call_free(&c);
    /* The same after a snapshot and a restore at every event. */
    call_init(&c, m, "{\"big\": 1e21, \"host\": 7.10, \"neg\": -0.0}");
    c.responses = answers;
    c.snapshot_each_event = true;
    call_start(&c);
    ck_assert_str_eq(c.last_text,
                     "Bienvenue à la Banque Azur. Frais : 2.50. Solde 1250.50 (100.00, "
                     "2.50), [] [] 1000000000000000000000 7.10 0.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(number_texts_survive_a_snapshot_between_events)
{
    ivrsm_machine *m = load_yaml_text("machine: n\nversion: '1'\nintents: {one: {dtmf: ['1']}}\n"
                                      "states:\n  a:\n    type: prompt_and_listen\n"
                                      "    prompt: 'Montant {{ctx.amount}}.'\n"
                                      "    routes: [{when_intent: one, next: a}]\n");
    ivrsm_session *s = NULL;
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = "{\"amount\": 19.90, \"items\": [{\"p\": 0.50}]}";
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ivrsm_session_start(s);
    while (ivrsm_session_next_command(s))
        ;
    char *snap = NULL;
    ck_assert_int_eq(ivrsm_session_snapshot(s, &snap), 0);
    ck_assert_ptr_nonnull(strstr(snap, "\"numbers\":[[\"ctx\",\"amount\",\"19.90\"],"
                                       "[\"ctx\",\"items\",0,\"p\",\"0.50\"]]"));
    ivrsm_session *r = NULL;
    ck_assert_int_eq(ivrsm_session_restore(m, snap, NULL, &r, NULL), 0);
    ivrsm_event ev = {.type = IVRSM_EVENT_DTMF, .text = "1"};
    ck_assert_int_eq(ivrsm_session_feed(r, &ev), 0);
    const ivrsm_command *c = ivrsm_session_next_command(r);
    ck_assert_str_eq(c->text, "Montant 19.90.");
    ivrsm_session_free(r);
    ivrsm_session_free(s);
    ivrsm_free(snap);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(globals_references_inside_globals)
{
    load_fails("machine: g\nversion: '1'\nglobals:\n  a: '${globals.b}'\n  b: 'x ${globals.a}'\n"
               "states:\n  s: {type: prompt_end, prompt: x}\n",
               "goes round: globals.b → globals.a → globals.b");
    load_fails("machine: g\nversion: '1'\nglobals:\n  a: {b: '${globals.a}'}\n"
               "states:\n  s: {type: prompt_end, prompt: x}\n",
               "${globals.a} goes round");
    load_fails("machine: g\nversion: '1'\nglobals:\n  a: '${globals.nope}'\n"
               "states:\n  s: {type: prompt_end, prompt: x}\n",
               "globals has no key 'nope'");
    /* A whole reference keeps its type, also inside globals. */
    ivrsm_machine *m =
        load_yaml_text("machine: g\nversion: '1'\n"
                       "globals:\n  n: 4\n  limits: {max_state_visits: "
                       "'${globals.n}'}\n  list: ['${globals.n}', 5]\n"
                       "  text: '${globals.list}'\n"
                       "states:\n  s: {type: prompt_end, prompt: '{{globals.text}}'}\n");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_str_eq(c.last_text, "[4,5]");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* ------------------------------------------------------------------ inputs */

static const char *inputs_yaml =
    "machine: inputs\n"
    "version: '1'\n"
    "inputs:\n"
    "  caller_number: {type: string, required: true, description: 'E.164'}\n"
    "  vip: {type: boolean, default: false}\n"
    "  account.tier: {type: string, default: standard}\n"
    "  visits: integer\n"
    "  extra:\n"
    "states:\n"
    "  a:\n"
    "    type: prompt_end\n"
    "    prompt: '{{ctx.caller_number}} {{ctx.vip}} {{ctx.account.tier}} {{ctx.visits}} "
    "{{ctx.extra}}'\n";

static int session_with(ivrsm_machine *m, const char *ctx, ivrsm_session **s, ivrsm_error *err)
{
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.ctx_json = ctx;
    return ivrsm_session_new(m, &o, s, err);
}

START_TEST(inputs_checked_at_session_start)
{
    ivrsm_machine *m = load_yaml_text(inputs_yaml);
    ck_assert_uint_eq(ivrsm_machine_input_count(m), 5);
    const ivrsm_input *in = ivrsm_machine_input(m, 1);
    ck_assert_str_eq(in->name, "vip");
    ck_assert_str_eq(in->type, "boolean");
    ck_assert_str_eq(in->default_json, "false");
    ck_assert_int_eq(in->required, 0);
    in = ivrsm_machine_input(m, 0);
    ck_assert_int_eq(in->required, 1);
    ck_assert_str_eq(in->description, "E.164");
    ck_assert_str_eq(ivrsm_machine_input(m, 4)->type, "any");
    ck_assert_ptr_null(ivrsm_machine_input(m, 5));
    /* Defaults fill what the host did not give, dotted keys included. */
    call c;
    call_init(&c, m, "{\"caller_number\": \"+33612345678\", \"visits\": 3.0}");
    call_start(&c);
    ck_assert_str_eq(c.last_text, "+33612345678 false standard 3.0"); /* as the host wrote it */
    call_free(&c);
    ivrsm_session *s = NULL;
    ivrsm_error err;
    ck_assert_int_eq(session_with(m, "{\"vip\": true}", &s, &err), IVRSM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "needs the input 'caller_number'"));
    ck_assert_int_eq(session_with(m, "{\"caller_number\": 33612345678}", &s, &err), IVRSM_EINVAL);
    ck_assert_str_eq(err.message,
                     "ctx: the input 'caller_number' must be a string, not an integer");
    ck_assert_int_eq(session_with(m, "{\"caller_number\": \"x\", \"visits\": 2.5}", &s, &err),
                     IVRSM_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.message, "'visits' must be an integer, not a number"));
    ck_assert_int_eq(session_with(m, "{\"caller_number\": \"x\", \"vip\": \"yes\"}", &s, &err),
                     IVRSM_EINVAL);
    /* A null given is as good as nothing: the default. */
    ck_assert_int_eq(session_with(m, "{\"caller_number\": \"x\", \"vip\": null}", &s, &err), 0);
    char *ctx = ivrsm_session_ctx_json(s);
    ck_assert_ptr_nonnull(strstr(ctx, "\"vip\":false"));
    ivrsm_free(ctx);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

static size_t count_rule(const char *yaml, const char *rule)
{
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(
        ivrsm_machine_check_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML, "t.yaml", &d), 0);
    size_t n = 0;
    for (size_t i = 0; i < ivrsm_diagnostics_count(d); i++)
        n += !strcmp(ivrsm_diagnostics_get(d, i)->rule, rule);
    ivrsm_diagnostics_free(d);
    return n;
}

START_TEST(inputs_silence_never_set_and_are_checked)
{
    ck_assert_uint_eq(count_rule(inputs_yaml, "template-path-never-set"), 0);
    ck_assert_uint_eq(count_rule("machine: i\nversion: '1'\nstates:\n  a: {type: prompt_end, "
                                 "prompt: '{{ctx.caller_number}}'}\n",
                                 "template-path-never-set"),
                      1);
    ck_assert_uint_eq(count_rule("machine: i\nversion: '1'\ninputs: [caller_number]\nstates:\n"
                                 "  a: {type: prompt_end, prompt: '{{ctx.caller_number}}'}\n",
                                 "template-path-never-set"),
                      0);
    /* A key declared in a list of maps is refused with the map to write, and not reported
     * again as never set where it is read. */
    ck_assert_uint_eq(
        count_rule("machine: i\nversion: '1'\ninputs: [{name: caller_number}]\n"
                   "states:\n  a: {type: prompt_end, prompt: '{{ctx.caller_number}}'}\n",
                   "template-path-never-set"),
        0);
    const char *tail = "states:\n  a: {type: prompt_end, prompt: x}\n";
    struct {
        const char *inputs, *needle;
    } bad[] = {
        {"{a: {type: strng}}", "unknown type 'strng'; did you mean 'string'?"},
        {"{a: {type: integer, default: 'x'}}", "input 'a' is an integer, its default is a string"},
        {"{a: {type: string, default: x, required: true}}", "is required, so its default is never"},
        {"{a: {typ: string}}", "unknown key 'typ'"},
        {"[a, a]", "'a' is listed twice"},
        {"{'a..b': string}", "is not a ctx key"},
        {"x", "expected a map of ctx key"},
        /* Written as templates read it: the host's caller_number never met the declaration. */
        {"{ctx.caller_number: {type: string, required: true}}",
         "inputs: 'ctx.caller_number' would declare ctx.ctx.caller_number: an input is a ctx key "
         "written without 'ctx.' (write 'caller_number'; the host gives it as caller_number and "
         "templates read it as {{ctx.caller_number}})"},
        {"[ctx.account.tier]", "(write 'account.tier'"},
        {"{ctx.vip: boolean}", "(write 'vip'"},
        /* A list of declarations, as other formats write variables: the map to write. */
        {"[{name: plan, type: number}, vip]",
         "inputs: a list names ctx keys (inputs: [plan]); to give a type, a default or a "
         "description, write inputs as a map of the keys: inputs: { plan: { type: number } }"},
        {"[{type: boolean}]", "inputs: { caller_number: { type: boolean } }"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "machine: b\nversion: '1'\ninputs: %s\n%s", bad[i].inputs,
                 tail);
        load_fails(yaml, bad[i].needle);
    }
}
END_TEST

/* ------------------------------------------------------------------ digits */

static const char *digits_yaml =
    "machine: digits\n"
    "version: '1'\n"
    "locale: fr-FR\n"
    "intents:\n"
    "  agent: {dtmf: ['0'], utterances: [conseiller]}\n"
    "states:\n"
    "  card:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Numéro de carte ?'\n"
    "    collect: {mode: digits, min: 13, max: 19, check: luhn, target: card.number}\n"
    "    routes: [{when_intent: agent, next: agent}]\n"
    "    nomatch: {max: 3, next: bye}\n"
    "    next: pin\n"
    "  pin:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Code ?'\n"
    "    collect: {mode: digits, min: 4, max: 4, terminator: '*'}\n"
    "    nomatch: {max: 3, next: bye}\n"
    "    next: amount\n"
    "  amount:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Montant en centimes ?'\n"
    "    collect: {mode: digits, max: 7, terminator: '', target: cents}\n"
    "    nomatch: {max: 3, next: bye}\n"
    "    next: bye\n"
    "  agent: {type: prompt_end, prompt: 'Un conseiller.'}\n"
    "  bye: {type: prompt_end, prompt: 'Fin {{ctx.card.number}} {{ctx.digits}} {{ctx.cents}}.'}\n";

static json_t *last_ask(const call *c)
{
    for (int i = (int)json_array_size(c->log) - 1; i >= 0; i--)
        if (!strcmp(field(c, i, "type"), "ask"))
            return cmd_at(c, i);
    return NULL;
}

static long ask_int(const call *c, const char *key)
{
    return (long)json_integer_value(json_object_get(last_ask(c), key));
}

START_TEST(digits_collect_keyed_and_said)
{
    ivrsm_machine *m = load_yaml_text(digits_yaml);
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    /* The ask's bounds: the route "0" lowers the minimum; 19 at most, "#" closes. */
    ck_assert_int_eq(ask_int(&c, "min_digits"), 1);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 19);
    ck_assert_str_eq(json_string_value(json_object_get(last_ask(&c), "collect")), "digits");
    /* A wrong check digit, then too few digits: misunderstood; then a card number. */
    call_input(&c, "dtmf 4111111111111112#");
    ck_assert_str_eq(call_state(&c), "card");
    call_input(&c, "dtmf 411111111111#");
    ck_assert_str_eq(call_state(&c), "card");
    call_input(&c, "dtmf 4111111111111111#");
    ck_assert_str_eq(call_state(&c), "pin");
    ck_assert_int_eq(ask_int(&c, "min_digits"), 4);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 4);
    ck_assert_str_eq(json_string_value(json_object_get(last_ask(&c), "terminators")), "*");
    /* "#" is no terminator here; "*" is. Spoken digits are read in the locale. */
    call_input(&c, "dtmf 1234#");
    ck_assert_str_eq(call_state(&c), "pin");
    call_input(&c, "say quatre cinq six sept");
    ck_assert_str_eq(call_state(&c), "amount");
    ck_assert_int_eq(ask_int(&c, "min_digits"), 1);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 7);
    ck_assert_str_eq(json_string_value(json_object_get(last_ask(&c), "terminators")), "");
    call_input(&c, "dtmf 12345678");
    ck_assert_str_eq(call_state(&c), "amount");
    call_input(&c, "say douze cinquante");
    ck_assert_str_eq(c.last_text, "Fin 4111111111111111 4567 1250.");
    call_free(&c);
    /* The pin said with its terminator. */
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "say quatre un un un un un un un un un un un un un un un");
    call_input(&c, "dtmf 9876*");
    ck_assert_str_eq(call_state(&c), "amount");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(every_collect_asks_with_its_bounds)
{
    ivrsm_machine *m = load_yaml_text("machine: b\nversion: '1'\nlocale: fr-FR\n"
                                      "globals: {otp: {length: 6}}\nstates:\n"
                                      "  phone:\n    type: prompt_and_listen\n    prompt: P\n"
                                      "    collect: {mode: phone}\n    next: otp\n"
                                      "  otp:\n    type: prompt_and_listen\n    prompt: O\n"
                                      "    collect: {mode: otp}\n    next: date\n"
                                      "  date:\n    type: prompt_and_listen\n    prompt: D\n"
                                      "    collect: {mode: date_nl}\n    next: end\n"
                                      "  end: {type: prompt_end, prompt: E}\n");
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    /* A French national number: nine keys at least ("612345678" is taken for "0612345678"). */
    ck_assert_int_eq(ask_int(&c, "min_digits"), 9);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 20);
    call_input(&c, "dtmf 0612345678#");
    ck_assert_int_eq(ask_int(&c, "min_digits"), 6);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 6);
    call_input(&c, "dtmf 123456");
    ck_assert_int_eq(ask_int(&c, "min_digits"), 4);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 8);
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

/* A reference collect: said in letters and digits, keyed where its pattern has no letter; the
 * ask's keypad follows the patterns (routes alone when every pattern has a letter). */
static const char *reference_yaml =
    "machine: refs\nversion: '1'\nlocale: en-GB\n"
    "intents: {agent: {dtmf: ['0'], utterances: [agent]}}\n"
    "states:\n"
    "  parcel:\n    type: prompt_and_listen\n    prompt: 'Tracking number?'\n"
    "    collect: {mode: reference, pattern: AA999999999AA, target: parcel.ref}\n"
    "    routes: [{when_intent: agent, next: end}]\n"
    "    nomatch: {max: 3, next: end}\n    next: booking\n"
    "  booking:\n    type: prompt_and_listen\n    prompt: 'Booking reference?'\n"
    "    collect: {mode: reference, pattern: [AA9999, '999999']}\n"
    "    nomatch: {max: 3, next: end}\n    next: end\n"
    "  end: {type: prompt_end, prompt: 'Got {{ctx.parcel.ref}} and {{ctx.reference | digits}}.'}\n";

START_TEST(reference_collect_said_and_keyed)
{
    ivrsm_machine *m = load_yaml_text(reference_yaml);
    ck_assert_str_eq(ivrsm_machine_collect_pattern(m, 0), "AA999999999AA");
    ck_assert_str_eq(ivrsm_machine_collect_pattern(m, 1), "AA9999|999999");
    ck_assert_ptr_null(ivrsm_machine_collect_pattern(m, 2));
    ck_assert_ptr_null(ivrsm_machine_collect_pattern(m, 99));
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    /* Letters cannot be keyed: the keypad takes the agent's 0 alone. */
    ck_assert_int_eq(ask_int(&c, "max_digits"), 1);
    ck_assert_str_eq(json_string_value(json_object_get(last_ask(&c), "collect")), "reference");
    call_input(&c, "dtmf 123456789");
    ck_assert_str_eq(call_state(&c), "parcel");
    call_input(&c, "say alpha bravo one two three four five six seven eight nine golf bravo");
    ck_assert_str_eq(call_state(&c), "booking");
    /* Six keys for the pattern without letters. */
    ck_assert_int_eq(ask_int(&c, "min_digits"), 6);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 6);
    call_input(&c, "dtmf 12345");
    ck_assert_str_eq(call_state(&c), "booking");
    call_input(&c, "say R X twelve thirty four");
    ck_assert_str_eq(c.last_text, "Got AB123456789GB and R X 1 2 3 4.");
    call_free(&c);
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "say AB123456789GB");
    call_input(&c, "dtmf 654321#");
    ck_assert_str_eq(c.last_text, "Got AB123456789GB and 6 5 4 3 2 1.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(reference_collect_refused)
{
    const char *head = "machine: r\nversion: '1'\nstates:\n  a:\n    type: prompt_and_listen\n"
                       "    prompt: P\n    next: b\n";
    const char *tail = "  b: {type: prompt_end, prompt: B}\n";
    static const struct {
        const char *collect, *needle;
    } cases[] = {
        {"{mode: reference}", "missing key 'pattern'"},
        {"{mode: reference, pattern: AA99GB}", "\"AA99GB\" is no pattern"},
        {"{mode: reference, pattern: ''}", "\"\" is no pattern"},
        {"{mode: reference, pattern: []}", "a list of 1 to 16 patterns, found 0"},
        {"{mode: reference, pattern: [AA99, 42]}", "pattern[1]"},
        {"{mode: digits, pattern: AA99}", "only a collect of mode reference takes it"},
        {"{mode: referense, pattern: AA99}", "did you mean 'reference'?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char yaml[512];
        snprintf(yaml, sizeof yaml, "%s    collect: %s\n%s", head, cases[i].collect, tail);
        load_fails(yaml, cases[i].needle);
    }
}
END_TEST

static void collect_trace(void *user, const char *record)
{
    char *all = user;
    size_t used = strlen(all);
    snprintf(all + used, 16384 - used, "%s\n", record);
}

/* A PIN collected as digits into ctx.pin is a secret: the caller's keys never reach a trace. */
START_TEST(digits_into_a_secret_are_masked)
{
    ivrsm_machine *m =
        load_yaml_text("machine: p\nversion: '1'\nstates:\n"
                       "  pin:\n    type: prompt_and_listen\n    prompt: Code\n"
                       "    collect: {mode: digits, min: 4, max: 4, target: card.pin}\n"
                       "    next: bye\n"
                       "  bye: {type: prompt_end, prompt: 'Fin.'}\n");
    static char trace[16384];
    trace[0] = '\0';
    ivrsm_session_options o = IVRSM_SESSION_OPTIONS_INIT;
    o.trace = collect_trace;
    o.trace_user = trace;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, &o, &s, NULL), 0);
    ivrsm_session_start(s);
    ck_assert_int_eq(ivrsm_session_input_is_secret(s), 1);
    ivrsm_event ev = IVRSM_EVENT_INIT;
    ev.type = IVRSM_EVENT_DTMF;
    ev.text = "8642#";
    ck_assert_int_eq(ivrsm_session_feed(s, &ev), 0);
    ck_assert_ptr_null(strstr(trace, "8642"));
    ck_assert_ptr_nonnull(strstr(trace, "\"text\":\"***\""));
    char *ctx = ivrsm_session_ctx_json(s);
    ck_assert_ptr_nonnull(strstr(ctx, "8642")); /* the host's ctx has it */
    ivrsm_free(ctx);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(digits_refused)
{
    const char *head = "machine: b\nversion: '1'\nstates:\n  a:\n    type: prompt_and_listen\n"
                       "    prompt: x\n    next: a\n";
    struct {
        const char *collect, *needle;
    } bad[] = {
        {"{mode: digits, min: 6, max: 4}", "fewer than min (6)"},
        {"{mode: digits, max: 65}", "max: 65 is out of range"},
        {"{mode: digits, terminator: '1'}", "expected one key that is not a digit"},
        {"{mode: digits, terminator: '##'}", "expected one key that is not a digit"},
        {"{mode: digits, check: mod97}", "unknown check 'mod97'"},
        {"{mode: otp, max: 4}", "only a collect of mode digits takes it"},
        /* length is otp's: in another mode it was ignored, and a 4-digit PIN took 12 keys. */
        {"{mode: digits, length: 4}",
         "length: only a collect of mode otp takes it (state 'a' collects digits: its digits are "
         "`min` to `max`)"},
        {"{mode: phone, length: 10}", "length: only a collect of mode otp takes it"},
        {"{mode: digit}", "unknown collect mode 'digit'"},
        /* Written as templates read it: the value landed in ctx.ctx.house, {{ctx.house}} empty. */
        {"{mode: digits, target: ctx.house}",
         "target: 'ctx.house' would write ctx.ctx.house: a ctx key is written without 'ctx.' "
         "(write 'house'; templates read it as {{ctx.house}})"},
        {"{mode: date_past, target: ctx.patient.birth}", "(write 'patient.birth'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "%s    collect: %s\n", head, bad[i].collect);
        load_fails(yaml, bad[i].needle);
    }
    /* The same in a set:, and a key merely starting with "ctx" is a key like any other. */
    load_fails("machine: b\nversion: '1'\nstates:\n  a:\n    type: decide\n"
               "    routes:\n      - when: 'true'\n        set: {ctx.vip: true}\n"
               "        next: a\n    next: a\n",
               "set: 'ctx.vip' would write ctx.ctx.vip");
    const char *ctxt = "machine: b\nversion: '1'\nstates:\n  a:\n    type: prompt_and_listen\n"
                       "    prompt: x\n    collect: {mode: digits, target: ctxt.house}\n"
                       "    next: a\n";
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(ctxt, strlen(ctxt), IVRSM_FORMAT_YAML, "t.yaml", &m, &err), 0);
    ivrsm_machine_unref(m);
}
END_TEST

/* Keys of other IVR formats get our name for them, where nothing in their spelling helps. */
START_TEST(other_formats_keys_named)
{
    const char *head = "machine: b\nversion: '1'\nstates:\n  a:\n    type: prompt_and_listen\n"
                       "    prompt: x\n";
    struct {
        const char *tail, *needle;
    } bad[] = {
        {"    next: a\n    collect: {mode: digits, type: digits}\n",
         "unknown key 'type' in collect of state 'a'; did you mean 'mode'?"},
        {"    next: a\n    collect: {mode: digits, save_as: pin}\n",
         "unknown key 'save_as' in collect of state 'a'; did you mean 'target'?"},
        {"    goto: a\n", "unknown key 'goto' in state 'a'; did you mean 'next'?"},
        {"    next: a\n    choices: []\n", "did you mean 'routes'?"},
        {"    next: a\n    otherwise: {next: a}\n", "did you mean 'fallback'?"},
        /* A state's own type stays its type: no "mode" offered where mode is not a key. */
        {"    next: a\n    kind: menu\n", "unknown key 'kind' in state 'a' (expected one of:"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "%s%s", head, bad[i].tail);
        load_fails(yaml, bad[i].needle);
    }
}
END_TEST

/* ------------------------------------------------------------------ repeat_prompt */

static const char *repeat_yaml =
    "machine: repeat\n"
    "version: '1'\n"
    "languages: [fr-FR, en-US]\n"
    "globals:\n"
    "  max_nomatch: 5\n"
    "  max_noinput: 5\n"
    "  reprompts:\n"
    "    nomatch: [{fr-FR: 'Je n''ai pas compris.', en-US: 'Sorry.'}]\n"
    "    noinput: ['Vous êtes là ?']\n"
    "    repeat_prompt: true\n"
    "intents:\n"
    "  one: {dtmf: ['1']}\n"
    "states:\n"
    "  menu:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Tapez 1 pour {{ctx.what}}.', en-US: 'Press 1.'}\n"
    "    nomatch: {max: 3, next: bye}\n"
    "    noinput: {repeat_prompt: false}\n"
    "    routes:\n"
    "      - {when_intent: one, next: second}\n"
    "  second:\n"
    "    type: prompt_and_listen\n"
    "    prompt: [{play: q.wav}, {say: 'Second.'}]\n"
    "    nomatch: {max: 3, next: bye, prompts: ['Pardon ?'], repeat_prompt: false}\n"
    "    noinput: {max: 3, next: third, prompts: ['Allô ?']}\n"
    "    routes:\n"
    "      - {when_intent: one, next: third}\n"
    "  third:\n"
    "    type: listen\n"
    "    nomatch: {max: 3, next: bye, prompts: ['Encore ?'], repeat_prompt: true}\n"
    "    routes:\n"
    "      - {when_intent: one, next: bye}\n"
    "  bye:\n"
    "    type: prompt_end\n"
    "    prompt: 'Au revoir.'\n";

static void repeat_prompt_call(ivrsm_machine *m)
{
    call c;
    call_init(&c, m, "{\"what\":\"la pharmacie\"}");
    call_start(&c);
    /* globals.reprompts.repeat_prompt: the re-prompt, then the question, in one ask. */
    call_input(&c, "dtmf 7");
    ck_assert_str_eq(field(&c, -1, "type"), "ask");
    ck_assert_str_eq(field(&c, -1, "text"), "Je n'ai pas compris. Tapez 1 pour la pharmacie.");
    call_input(&c, "dtmf 7");
    ck_assert_str_eq(field(&c, -1, "text"), "Je n'ai pas compris. Tapez 1 pour la pharmacie.");
    /* The state's own noinput block says no: the re-prompt alone. */
    call_input(&c, "noinput");
    ck_assert_str_eq(field(&c, -1, "text"), "Vous êtes là ?");
    /* A question of parts follows its re-prompt part for part. */
    call_input(&c, "dtmf 1");
    call_input(&c, "noinput");
    ck_parts(&c, -1, "[{\"say\":\"Allô ?\"},{\"play\":\"q.wav\"},{\"say\":\"Second.\"}]");
    call_input(&c, "dtmf 7"); /* its nomatch block says no */
    ck_assert_str_eq(field(&c, -1, "text"), "Pardon ?");
    /* A listen state has no question of its own: its re-prompt is said alone. */
    call_input(&c, "dtmf 1");
    call_input(&c, "dtmf 7");
    ck_assert_str_eq(field(&c, -1, "text"), "Encore ?");
    call_free(&c);
    /* In English, the English words of both. */
    call_init(&c, m, "{\"language\":\"en-US\"}");
    call_start(&c);
    call_input(&c, "dtmf 7");
    ck_assert_str_eq(field(&c, -1, "text"), "Sorry. Press 1.");
    call_free(&c);
}

START_TEST(reprompt_then_the_question)
{
    ivrsm_machine *m = load_yaml_text(repeat_yaml);
    repeat_prompt_call(m);
    ivrsm_machine_unref(m);
    /* The same machine converted to JSON (ivrsm convert's function). */
    char path[] = "/tmp/repeat-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, repeat_yaml, strlen(repeat_yaml)), (ssize_t)strlen(repeat_yaml));
    close(fd);
    char *json = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_document_convert_file(path, IVRSM_FORMAT_YAML, IVRSM_FORMAT_JSON, &json, &err), 0);
    unlink(path);
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(json, strlen(json), IVRSM_FORMAT_JSON, "t.json", &m, &err), 0);
    ck_assert_ptr_nonnull(strstr(json, "\"repeat_prompt\": true"));
    ivrsm_free(json);
    repeat_prompt_call(m);
    ivrsm_machine_unref(m);
}
END_TEST

/* ------------------------------------------------------------------ prompt_before */

static const char *before_yaml =
    "machine: before\n"
    "version: '1'\n"
    "languages: [fr-FR, en-US]\n"
    "globals:\n"
    "  endpoints: {check: 'GET /check', verify: 'PUT /verify'}\n"
    "states:\n"
    "  check:\n"
    "    type: action_then_prompt\n"
    "    prompt_before: {fr-FR: 'Un instant, je vérifie, {{ctx.name}}.', en-US: 'One moment.'}\n"
    "    action: {call: check}\n"
    "    on_success: {prompt: 'Trouvé.', next: code}\n"
    "  code:\n"
    "    type: prompt_and_listen\n"
    "    prompt: 'Votre code ?'\n"
    "    collect: {mode: otp, length: 4}\n"
    "    prompt_before: [{play: wait.wav}, {say: 'Je vérifie votre code.'}]\n"
    "    action: {call: verify, body: {code: '{{ctx.otp}}'}}\n"
    "    on_success: {next: bye}\n"
    "  bye: {type: prompt_end, prompt: 'Au revoir.'}\n";

START_TEST(prompt_before_the_request)
{
    ivrsm_machine *m = load_yaml_text(before_yaml);
    call c;
    call_init(&c, m, "{\"name\":\"Ana\"}");
    call_start(&c);
    /* The words come first, alone in a say, then the request: a host plays them meanwhile. */
    ck_assert_str_eq(field(&c, 0, "type"), "say");
    ck_assert_str_eq(field(&c, 0, "text"), "Un instant, je vérifie, Ana.");
    ck_assert_str_eq(field(&c, 1, "type"), "http");
    ck_assert_str_eq(field(&c, 2, "type"), "ask");
    ck_assert_str_eq(field(&c, 2, "text"), "Trouvé. Votre code ?");
    /* After a collect, before the state's own request. */
    call_input(&c, "dtmf 1234");
    ck_assert_str_eq(field(&c, 3, "type"), "say");
    ck_parts(&c, 3, "[{\"play\":\"wait.wav\"},{\"say\":\"Je vérifie votre code.\"}]");
    ck_assert_str_eq(field(&c, 4, "type"), "http");
    call_free(&c);
    call_init(&c, m, "{\"language\":\"en-US\"}");
    call_start(&c);
    ck_assert_str_eq(field(&c, 0, "text"), "One moment.");
    call_free(&c);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(repeat_prompt_and_prompt_before_refused)
{
    const char *head = "machine: b\nversion: '1'\nglobals: {endpoints: {e: 'GET /e'}}\n"
                       "states:\n  a:\n    type: prompt_and_listen\n    prompt: x\n    next: a\n";
    struct {
        const char *lines, *needle;
    } bad[] = {
        {"    nomatch: {max: 2, repeat_prompt: 'yes'}\n", "a boolean (true or false)"},
        {"    nomatch: {max: 2, repeat_prompts: true}\n", "did you mean 'repeat_prompt'?"},
        {"    prompt_before: 'Un instant.'\n",
         "prompt_before: only a state with an action takes it"},
        {"    prompt_befor: 'Un instant.'\n", "did you mean 'prompt_before'?"},
        {"    prompt_before: 'Statut {{resp.status}}.'\n    action: {call: e}\n",
         "resp-without-response"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "%s%s", head, bad[i].lines);
        if (strcmp(bad[i].needle, "resp-without-response") == 0) {
            ivrsm_machine *m = NULL;
            ivrsm_error err;
            ck_assert_int_eq(ivrsm_machine_load_buffer(yaml, strlen(yaml), IVRSM_FORMAT_YAML,
                                                       "t.yaml", &m, &err),
                             IVRSM_EMACHINE);
            ck_assert_ptr_nonnull(strstr(err.message, "resp"));
            continue;
        }
        load_fails(yaml, bad[i].needle);
    }
    load_fails("machine: b\nversion: '1'\nglobals: {reprompts: {repeat_prompt: 1}}\n"
               "states:\n  a: {type: prompt_end, prompt: x}\n",
               "a boolean (true or false)");
    load_fails("machine: b\nversion: '1'\nglobals: {reprompts: {repeat_promt: true}}\n"
               "states:\n  a: {type: prompt_end, prompt: x}\n",
               "did you mean 'repeat_prompt'?");
    /* JSON: the same refusal. */
    const char *json = "{\"machine\": \"b\", \"version\": \"1\", \"states\": {\"a\": {\"type\":"
                       " \"prompt_end\", \"prompt\": \"x\", \"prompt_before\": \"y\"}}}";
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(json, strlen(json), IVRSM_FORMAT_JSON, "t.json", &m, &err),
        IVRSM_EMACHINE);
    ck_assert_ptr_nonnull(strstr(err.message, "prompt_before: only a state with an action"));
}
END_TEST

/* ------------------------------------------------------------------ date_past */

static const char *date_past_yaml =
    "machine: dob\n"
    "version: '1'\n"
    "languages: [fr-FR, en-US]\n"
    "timezone: Europe/Paris\n"
    "states:\n"
    "  dob:\n"
    "    type: prompt_and_listen\n"
    "    prompt: {fr-FR: 'Date de naissance ?', en-US: 'Date of birth?'}\n"
    "    collect: {mode: date_past, target: patient.dob, max_years_ago: 100}\n"
    "    nomatch:\n"
    "      max: 3\n"
    "      next: agent\n"
    "      prompts: [{fr-FR: 'Je n''ai pas compris.', en-US: 'Sorry?'}]\n"
    "    next: bye\n"
    "  agent: {type: prompt_end, prompt: {fr-FR: 'Un conseiller.', en-US: 'An agent.'}}\n"
    "  bye:\n"
    "    type: prompt_end\n"
    "    prompt: {fr-FR: 'Né le {{ctx.patient.dob}}.', en-US: 'Born {{ctx.patient.dob}}.'}\n";

/* The same machine in JSON: both forms load the mode and its bound alike. */
static const char *date_past_json =
    "{\"machine\": \"dob\", \"version\": \"1\", \"languages\": [\"fr-FR\", \"en-US\"],"
    " \"timezone\": \"Europe/Paris\", \"states\": {"
    " \"dob\": {\"type\": \"prompt_and_listen\", \"prompt\": {\"fr-FR\": \"Date de naissance ?\","
    " \"en-US\": \"Date of birth?\"}, \"collect\": {\"mode\": \"date_past\", \"target\":"
    " \"patient.dob\", \"max_years_ago\": 100}, \"nomatch\": {\"max\": 3, \"next\": \"agent\","
    " \"prompts\": [{\"fr-FR\": \"Je n'ai pas compris.\", \"en-US\": \"Sorry?\"}]},"
    " \"next\": \"bye\"},"
    " \"agent\": {\"type\": \"prompt_end\", \"prompt\": {\"fr-FR\": \"Un conseiller.\","
    " \"en-US\": \"An agent.\"}},"
    " \"bye\": {\"type\": \"prompt_end\", \"prompt\": {\"fr-FR\": \"Né le {{ctx.patient.dob}}.\","
    " \"en-US\": \"Born {{ctx.patient.dob}}.\"}}}}";

static void date_past_calls(ivrsm_machine *m)
{
    call c;
    call_init(&c, m, NULL);
    call_start(&c);
    ck_assert_int_eq(ask_int(&c, "min_digits"), 6);
    ck_assert_int_eq(ask_int(&c, "max_digits"), 8);
    ck_assert_str_eq(json_string_value(json_object_get(last_ask(&c), "collect")), "date_past");
    /* No calendar date, a date to come, one more than 100 years back: misunderstood. */
    call_input(&c, "dtmf 29021985#");
    ck_assert_str_eq(call_state(&c), "dob");
    ck_assert_str_eq(c.last_text, "Je n'ai pas compris.");
    call_input(&c, "say le 3 mars 2030");
    ck_assert_str_eq(call_state(&c), "dob");
    call_input(&c, "dtmf 01011920");
    ck_assert_str_eq(call_state(&c), "agent"); /* the third: nomatch.next */
    call_free(&c);
    /* Keyed DDMMYYYY in French... */
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "dtmf 14031985#");
    ck_assert_str_eq(c.last_text, "Né le 1985-03-14.");
    call_free(&c);
    /* ...said in French, with a year in words... */
    call_init(&c, m, NULL);
    call_start(&c);
    call_input(&c, "say je suis né le trois mars mille neuf cent quatre-vingt-cinq");
    ck_assert_str_eq(c.last_text, "Né le 1985-03-03.");
    call_free(&c);
    /* ...and in English: MMDDYYYY keyed, words said. */
    call_init(&c, m, "{\"language\": \"en-US\"}");
    call_start(&c);
    call_input(&c, "dtmf 14031985");
    ck_assert_str_eq(c.last_text, "Sorry?");
    call_input(&c, "dtmf 03141985");
    ck_assert_str_eq(c.last_text, "Born 1985-03-14.");
    call_free(&c);
    call_init(&c, m, "{\"language\": \"en-US\"}");
    call_start(&c);
    call_input(&c, "say March 14th, nineteen eighty-five");
    ck_assert_str_eq(c.last_text, "Born 1985-03-14.");
    call_free(&c);
}

START_TEST(date_past_collect_in_a_call)
{
    ivrsm_machine *m = load_yaml_text(date_past_yaml);
    date_past_calls(m);
    ivrsm_machine_unref(m);
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_buffer(date_past_json, strlen(date_past_json),
                                               IVRSM_FORMAT_JSON, "t.json", &m, &err),
                     0);
    date_past_calls(m);
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(date_past_refused)
{
    const char *head = "machine: b\nversion: '1'\nstates:\n  a:\n    type: prompt_and_listen\n"
                       "    prompt: x\n    next: a\n";
    struct {
        const char *collect, *needle;
    } bad[] = {
        {"{mode: date_past, max_years_ago: 0}", "max_years_ago: 0 is out of range"},
        {"{mode: date_past, max_years_ago: 201}", "max_years_ago: 201 is out of range"},
        {"{mode: date_past, max_years_ago: ten}", "max_years_ago"},
        {"{mode: date_past, max_year_ago: 10}", "did you mean 'max_years_ago'?"},
        {"{mode: date_nl, max_years_ago: 10}",
         "max_years_ago: only a collect of mode date_past takes it (state 'a' collects date_nl)"},
        {"{mode: date_past, min: 6}", "min: only a collect of mode digits takes it"},
        {"{mode: date_past, year: maybe}", "year: expected \"required\""},
        {"{mode: date_past, year: false}", "or \"optional\""},
        {"{mode: date_nl, year: optional}",
         "year: only a collect of mode date_past takes it (state 'a' collects date_nl)"},
        {"{mode: date_passed}", "unknown collect mode 'date_passed'; did you mean 'date_past'?"},
        {"{mode: datepast}", "did you mean 'date_past'?"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char yaml[512];
        snprintf(yaml, sizeof(yaml), "%s    collect: %s\n", head, bad[i].collect);
        load_fails(yaml, bad[i].needle);
    }
    /* The same in JSON. */
    const char *json = "{\"machine\": \"b\", \"version\": \"1\", \"states\": {\"a\": {\"type\":"
                       " \"prompt_and_listen\", \"prompt\": \"x\", \"next\": \"a\", \"collect\":"
                       " {\"mode\": \"date_past\", \"max_years_ago\": 500}}}}";
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_machine_load_buffer(json, strlen(json), IVRSM_FORMAT_JSON, "t.json", &m, &err),
        IVRSM_EMACHINE);
    ck_assert_ptr_nonnull(strstr(err.message, "max_years_ago: 500 is out of range"));
}
END_TEST

static Suite *format_suite(void)
{
    Suite *s = suite_create("format");
    TCase *parts = tcase_create("parts");
    tcase_add_test(parts, parts_in_order_words_joined);
    tcase_add_test(parts, empty_uri_drops_the_part);
    tcase_add_test(parts, said_before_merges_into_the_parts_of_the_ask);
    tcase_add_test(parts, parts_survive_snapshots);
    tcase_add_test(parts, snapshot_without_parts_still_restores);
    tcase_add_test(parts, static_prompt_points_into_the_machine);
    tcase_add_test(parts, malformed_parts_refused);
    suite_add_tcase(s, parts);
    TCase *reprompts = tcase_create("reprompts");
    tcase_add_test(reprompts, noinput_prompts_in_turn_last_repeats);
    tcase_add_test(reprompts, global_reprompts_where_the_state_has_none);
    tcase_add_test(reprompts, global_nomatch_reprompts_with_parts);
    tcase_add_test(reprompts, counter_with_prompts_needs_no_max);
    tcase_add_test(reprompts, reprompt_then_the_question);
    tcase_add_test(reprompts, prompt_before_the_request);
    tcase_add_test(reprompts, repeat_prompt_and_prompt_before_refused);
    suite_add_tcase(s, reprompts);
    TCase *conditions = tcase_create("conditions");
    tcase_add_test(conditions, decide_routes_on_data);
    tcase_add_test(conditions, input_routes_with_a_condition);
    tcase_add_test(conditions, condition_routes_in_action_and_handoff_states);
    tcase_add_test(conditions, condition_trace_and_snapshot);
    tcase_add_test(conditions, conditions_in_the_graph);
    tcase_add_test(conditions, conditions_refused);
    tcase_add_test(conditions, condition_spellings);
    tcase_add_test(conditions, missing_equals_false);
    tcase_add_test(conditions, digits_compared_with_numbers);
    suite_add_tcase(s, conditions);
    TCase *status = tcase_create("status");
    tcase_add_test(status, most_specific_outcome_wins);
    tcase_add_test(status, only_wrong_input_counts);
    tcase_add_test(status, outages_are_not_failures_in_a_row);
    tcase_add_test(status, wrong_input_is_configurable);
    tcase_add_test(status, status_outcomes_in_graph_and_snapshots);
    tcase_add_test(status, status_outcomes_refused);
    suite_add_tcase(s, status);
    TCase *time = tcase_create("time");
    tcase_add_test(time, now_in_the_machine_zone);
    tcase_add_test(time, now_read_once_per_event);
    tcase_add_test(time, hours_refused);
    suite_add_tcase(s, time);
    TCase *values = tcase_create("values");
    tcase_add_test(values, values_said_as_written);
    tcase_add_test(values, number_texts_survive_a_snapshot_between_events);
    tcase_add_test(values, globals_references_inside_globals);
    suite_add_tcase(s, values);
    TCase *inputs = tcase_create("inputs");
    tcase_add_test(inputs, inputs_checked_at_session_start);
    tcase_add_test(inputs, inputs_silence_never_set_and_are_checked);
    suite_add_tcase(s, inputs);
    TCase *digits = tcase_create("digits");
    tcase_add_test(digits, digits_collect_keyed_and_said);
    tcase_add_test(digits, every_collect_asks_with_its_bounds);
    tcase_add_test(digits, reference_collect_said_and_keyed);
    tcase_add_test(digits, reference_collect_refused);
    tcase_add_test(digits, digits_refused);
    tcase_add_test(digits, other_formats_keys_named);
    tcase_add_test(digits, date_past_collect_in_a_call);
    tcase_add_test(digits, date_past_refused);
    tcase_add_test(digits, digits_into_a_secret_are_masked);
    suite_add_tcase(s, digits);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(format_suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
