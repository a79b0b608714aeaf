/*
 * The validator: one fixture per rule (tests/fixtures/validate/RULE.yaml),
 * each giving exactly the diagnostics listed here, with rule id, severity,
 * position, document path and message; the same in JSON; and the seed.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ivrsm/ivrsm.h"

typedef struct expected {
    ivrsm_severity severity;
    const char *rule;
    int line;
    int column;
    const char *path;
    const char *message;
} expected;

typedef struct rule_case {
    const char *fixture;
    size_t count;
    expected diags[4];
} rule_case;

#define E IVRSM_SEVERITY_ERROR
#define W IVRSM_SEVERITY_WARNING

static const rule_case rule_cases[] = {
    {"clean", 0, {{0}}},
    /* --- errors ----------------------------------------------------------- */
    {"syntax",
     1,
     {{E, "syntax", 37, 14, "", "YAML syntax error: double-quoted scalar without closing quote"}}},
    {"limit", 1, {{E, "limit", 5, 71, "", "nesting deeper than 64 levels"}}},
    {"unknown-key",
     1,
     {{E, "unknown-key", 23, 5, "states.menu.fallbak",
       "unknown key 'fallbak' in state 'menu'; did you mean 'fallback'? "
       "(expected one of: type, description, prompt, prompt_template, "
       "prompt_from_action, routes, noinput, nomatch, fallback, next, collect, "
       "action, on_success, on_fail, on_status, on_timeout, on_error, enabled, queue_id, "
       "prompt_before)"}}},
    {"wrong-type",
     1,
     {{E, "wrong-type", 23, 15, "states.menu.fallback",
       "fallback: expected a map with next (and set), found a string (\"bye\")"}}},
    {"missing-key",
     1,
     {{E, "missing-key", 21, 9, "states.menu.routes[1]",
       "missing key 'next' in a route of state 'menu'"}}},
    {"dangling-next",
     1,
     {{E, "dangling-next", 34, 13, "states.check.on_fail.next",
       "next: no state named 'by'; did you mean 'bye'?"}}},
    {"unknown-intent",
     1,
     {{E, "unknown-intent", 21, 22, "states.menu.routes[1].when_intent",
       "when_intent: no intent named 'non'; did you mean 'no'?"}}},
    {"unknown-language",
     1,
     {{E, "unknown-language", 7, 51, "intents.yes.utterances.de-DE",
       "utterances: 'de-DE' is not one of the machine's languages (fr-FR, en-US); add it to "
       "languages: at the top of the file"}}},
    {"unknown-endpoint",
     1,
     {{E, "unknown-endpoint", 28, 13, "states.check.action.call",
       "call: no endpoint named 'pong' in globals.endpoints; did you mean "
       "'ping'?"}}},
    {"unresolved-globals",
     1,
     {{E, "unresolved-globals", 28, 13, "states.check.action.call",
       "${globals.endpoints.pong} is not defined: globals.endpoints has "
       "no key 'pong'; did you mean 'ping'? (it has: ping)"}}},
    {"bad-template",
     1,
     {{E, "bad-template", 17, 14, "states.menu.prompt",
       "prompt: invalid template: '{{#if}}' never closed by '{{/if}}'"}}},
    {"resp-without-response",
     1,
     {{E, "resp-without-response", 28, 16, "states.menu.prompt",
       "prompt reads resp.name, but state 'menu' has no action, so there is no response here: "
       "resp is readable only in on_success and on_fail of a state with an action (keep what "
       "later states need there with set: { name: \"{{resp.name}}\" } and read "
       "{{ctx.name}})"}}},
    {"input-free-cycle",
     1,
     {{E, "input-free-cycle", 34, 13, "states.check.on_fail.next",
       "input-free cycle: check → retry → check; none of these states "
       "waits for the caller, so the call could go round without end "
       "(route one of them through a listening state)"}}},
    {"invalid-value",
     1,
     {{E, "invalid-value", 36, 11, "states.bye.type",
       "type: unknown state type 'prompt_ends'; did you mean 'prompt_end'? "
       "(expected one of: prompt_and_listen, action_then_prompt, listen, "
       "handoff, prompt_end, decide)"}}},
    {"condition-never-true",
     1,
     {{E, "condition-never-true", 20, 15, "states.menu.routes[0].when",
       "the condition \"ctx.balance < 0 && ctx.balance > 100\" of routes[0] of state 'menu' can "
       "never be true, so the route is never taken"}}},
    {"unknown-path",
     1,
     {{E, "unknown-path", 25, 15, "states.route.routes[0].when",
       "the condition of routes[0] of state 'route' reads globals.vip_treshold, which globals "
       "does not define (it is always missing)"}}},
    {"decide-without-next",
     1,
     {{E, "decide-without-next", 22, 3, "states.route",
       "decide state 'route' has no next: when no condition holds, the call would have "
       "nowhere to go (add next: the else branch)"}}},
    {"missing-path-param",
     1,
     {{E, "missing-path-param", 28, 13, "states.check.action.call",
       "call: the path /ping/{id} needs a value for {id} (add path: { "
       "id: ... } to the action)"}}},
    /* --- warnings --------------------------------------------------------- */
    {"unreachable-state",
     1,
     {{W, "unreachable-state", 38, 3, "states.orphan",
       "state 'orphan' is unreachable from the initial state 'menu'"}}},
    {"dead-end",
     1,
     {{W, "dead-end", 35, 3, "states.wait",
       "state 'wait' has no way out: no routes, no next, no fallback (whatever "
       "the caller says, the call can only escalate)"}}},
    {"dtmf-conflict",
     1,
     {{W, "dtmf-conflict", 26, 9, "states.menu.routes[2]",
       "DTMF '1' is routed to both yes (routes[0]) and again (routes[2]) in "
       "state 'menu'; the first one wins"}}},
    {"utterance-conflict",
     1,
     {{W, "utterance-conflict", 26, 9, "states.menu.routes[2]",
       "utterance 'non' matches both no (routes[1]) and stop (routes[2]) "
       "in state 'menu'; the first one wins"}}},
    {"language-missing",
     2,
     {{W, "language-missing", 14, 17, "intents.stop.utterances",
       "intent 'stop' has no utterances in en-US: a caller speaking it can only key 3"},
      {W, "language-missing", 41, 15, "states.check.on_fail.prompt",
       "prompt has no en-US version: callers speaking it hear the fr-FR one"}}},
    {"shadowed-route",
     1,
     {{W, "shadowed-route", 23, 9, "states.menu.routes[2]",
       "routes[2] of state 'menu' repeats yes of routes[0]; it can never "
       "match"}}},
    {"dtmf-terminator-conflict",
     1,
     {{W, "dtmf-terminator-conflict", 13, 17, "intents.no.dtmf[1]",
       "intent 'no' uses DTMF \"2#\", which contains "
       "globals.dtmf_terminator \"#\": that key ends a keyed "
       "entry, so the caller may not be able to send it"}}},
    {"action-without-on-fail",
     1,
     {{W, "action-without-on-fail", 27, 5, "states.check.action",
       "the action of state 'check' has no on_fail: a failed "
       "request escalates (handoff if enabled, else goodbye)"}}},
    {"template-path-never-set",
     2,
     {{W, "template-path-never-set", 17, 24, "states.menu.prompt",
       "the template reads ctx.first_name, which no set, collect or "
       "the runtime ever sets (it renders empty unless the host "
       "passes it in the initial ctx; when it does, declare it in inputs:, or "
       "'ivrsm validate --ignore template-path-never-set' silences this warning)"},
      {W, "template-path-never-set", 17, 62, "states.menu.prompt",
       "the template reads globals.clinic, which globals does not "
       "define (it renders empty)"}}},
    {"template-single-braces",
     3,
     {{W, "template-single-braces", 18, 15, "states.menu.prompt",
       "{ ctx.first_name } has single braces, so it is said as written: a template reads "
       "{{ ctx.first_name }}"},
      {W, "template-single-braces", 32, 20, "states.check.action.path.id",
       "{ctx.first_name} has single braces, so it is sent as written: a template reads "
       "{{ctx.first_name}}"},
      {W, "template-single-braces", 34, 27, "states.check.on_success.prompt",
       "{resp.name} has single braces, so it is said as written: a template reads "
       "{{resp.name}}"}}},
    {"path-without-braces",
     4,
     {{W, "path-without-braces", 19, 20, "states.menu.routes[0].set.account",
       "'ctx.accounts[0].id' is stored as these very characters, not the value it names: to "
       "use the value, write \"{{ctx.accounts[0].id}}\""},
      {W, "path-without-braces", 30, 21, "states.lookup.action.query.day",
       "'now.date' is sent as these very characters, not the value it names: to use the "
       "value, write \"{{now.date}}\""},
      {W, "path-without-braces", 33, 24, "states.lookup.action.body.lines[0].ref",
       "'ctx.account' is sent as these very characters, not the value it names: to use the "
       "value, write \"{{ctx.account}}\""},
      {W, "path-without-braces", 35, 21, "states.lookup.on_success.set.owner",
       "'resp.owner.name' is stored as these very characters, not the value it names: to use "
       "the value, write \"{{resp.owner.name}}\""}}},
    {"counter-unreachable",
     1,
     {{W, "counter-unreachable", 26, 12, "states.menu.noinput.max",
       "noinput.max is 6, but the call escalates after 6 consecutive "
       "failures (globals.limits.max_consecutive_failures): its target "
       "is never taken"}}},
    {"unused-intent",
     1,
     {{W, "unused-intent", 14, 3, "intents.maybe", "intent 'maybe' is not routed by any state"}}},
    {"missing-prompt",
     1,
     {{W, "missing-prompt", 15, 3, "states.menu",
       "state 'menu' is a prompt_and_listen state without prompt or "
       "prompt_template (use type listen when the previous state asks the "
       "question)"}}},
    {"if-never-true",
     1,
     {{W, "if-never-true", 17, 13, "states.menu.prompt",
       "an {{#if}} of this template can never be true: the text it guards is never said"}}},
    {"ignored-key",
     1,
     {{W, "ignored-key", 29, 5, "states.check.fallback",
       "'fallback' has no effect in state 'check': an action_then_prompt state "
       "does not listen"}}},
    {"unused-path-param",
     1,
     {{W, "unused-path-param", 30, 9, "states.check.action.path.id",
       "path: 'id' is not a parameter of /ping (no {id} in it)"}}},
    {"text-cut-by-comment",
     2,
     {{W, "text-cut-by-comment", 11, 41, "states.menu.prompt",
       "the caller hears \"Key your number, then press\" without \"# to confirm.\": in a plain "
       "(unquoted) YAML text, a '#' after a space starts a comment; quote the text if the '#' "
       "belongs to it (\"Key your number, then press # to confirm.\"), or write the comment on "
       "a line of its own"},
      {W, "text-cut-by-comment", 29, 34, "states.bye.prompt[0].say",
       "the caller hears \"Call us on 0800 123\" without \"#4 for more.\": in a plain (unquoted) "
       "YAML text, a '#' after a space starts a comment; quote the text if the '#' belongs to "
       "it (\"Call us on 0800 123 #4 for more.\"), or write the comment on a line of its own"}}},
    {"outcome-without-action",
     1,
     {{E, "outcome-without-action", 16, 5, "states.phone.on_success",
       "state 'phone' has on_success but no action, so it is never taken: outcomes follow an "
       "answer of the backend. After a collect, the state goes to its own next: write 'next: "
       "bye' in the state (beside routes); to call the backend first, add an action"}}},
};

static char *fixture_path(const char *name, const char *ext)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    char *p = malloc(4096);
    ck_assert_ptr_nonnull(p);
    snprintf(p, 4096, "%s/tests/fixtures/validate/%s.%s", root ? root : ".", name, ext);
    return p;
}

static void assert_diagnostic(const char *fixture, size_t i, const ivrsm_diagnostic *d,
                              const expected *want)
{
    ck_assert_msg(d != NULL, "%s: no diagnostic %zu", fixture, i);
    ck_assert_msg(!strcmp(d->rule, want->rule), "%s[%zu]: rule %s, want %s", fixture, i, d->rule,
                  want->rule);
    ck_assert_int_eq(d->severity, want->severity);
    ck_assert_msg(d->line == want->line && d->column == want->column,
                  "%s[%zu]: at %d:%d, want %d:%d", fixture, i, d->line, d->column, want->line,
                  want->column);
    ck_assert_str_eq(d->path, want->path);
    ck_assert_str_eq(d->message, want->message);
}

START_TEST(test_rule_fixture)
{
    const rule_case *c = &rule_cases[_i];
    char *path = fixture_path(c->fixture, "yaml");
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_file(path, IVRSM_FORMAT_AUTO, &d), 0);
    ck_assert_str_eq(ivrsm_diagnostics_file(d), path);
    size_t n = ivrsm_diagnostics_count(d);
    for (size_t i = 0; i < n && i < c->count; i++)
        assert_diagnostic(c->fixture, i, ivrsm_diagnostics_get(d, i), &c->diags[i]);
    ck_assert_msg(n == c->count, "%s: %zu diagnostics, want %zu (first: %s)", c->fixture, n,
                  c->count, n ? ivrsm_diagnostics_get(d, 0)->message : "-");
    size_t errors = 0;
    for (size_t i = 0; i < c->count; i++)
        errors += c->diags[i].severity == IVRSM_SEVERITY_ERROR;
    ck_assert_uint_eq(ivrsm_diagnostics_error_count(d), errors);

    /* Loading agrees: it fails on the first error, and warnings never fail it. */
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, &err);
    if (errors) {
        ck_assert_int_ne(rc, 0);
        ck_assert_str_eq(err.message, c->diags[0].message);
        ck_assert_int_eq(err.line, c->diags[0].line);
        ck_assert_int_eq(err.column, c->diags[0].column);
        ck_assert_str_eq(err.path, c->diags[0].path);
    } else {
        ck_assert_msg(rc == 0, "%s: %s", c->fixture, err.message);
        ivrsm_machine_unref(m);
    }
    ivrsm_diagnostics_free(d);
    free(path);
}
END_TEST

/* A whole file, NUL-terminated (malloc'ed). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(buf);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Line `line`, column `column` (characters) of `text`, or NULL. */
static const char *text_at(const char *text, int line, int column)
{
    const char *p = text;
    for (int l = 1; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    for (int c = 1; p && *p && *p != '\n' && c < column; p++)
        if (((unsigned char)p[1] & 0xC0) != 0x80)
            c++;
    return p;
}

/*
 * The same fixture in JSON: the same rules and messages, and each position
 * on the first character of a JSON key or value, or inside a string on the
 * same text as in YAML (a template's own mistake).
 */
START_TEST(test_rule_fixture_json)
{
    const rule_case *c = &rule_cases[_i];
    if (!strcmp(c->fixture, "syntax") || !strcmp(c->fixture, "limit"))
        return; /* not convertible: they do not load */
    if (!strcmp(c->fixture, "text-cut-by-comment"))
        return; /* JSON has no comments */
    char *path = fixture_path(c->fixture, "yaml");
    char *json = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_document_convert_file(path, IVRSM_FORMAT_AUTO, IVRSM_FORMAT_JSON, &json, &err),
                     0);
    char *yaml = read_text(path);
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(json, strlen(json), IVRSM_FORMAT_JSON, "f.json", &d), 0);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), c->count);
    for (size_t i = 0; i < c->count; i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        ck_assert_str_eq(x->rule, c->diags[i].rule);
        ck_assert_str_eq(x->message, c->diags[i].message);
        ck_assert_str_eq(x->path, c->diags[i].path);
        const char *at = text_at(json, x->line, x->column);
        const char *in_yaml = text_at(yaml, c->diags[i].line, c->diags[i].column);
        bool same_text = at && in_yaml && !strncmp(at, in_yaml, 4);
        ck_assert_msg(at && (strchr("\"{[-0123456789tfn", *at) || same_text),
                      "%s: %d:%d is neither a token start nor the text of the YAML position",
                      c->fixture, x->line, x->column);
    }
    ivrsm_diagnostics_free(d);
    ivrsm_free(json);
    free(yaml);
    free(path);
}
END_TEST

START_TEST(test_json_positions)
{
    /* A JSON machine written by hand: positions of keys and values. */
    const char *doc = "{\n"
                      "  \"machine\": \"j\",\n"
                      "  \"version\": \"1\",\n"
                      "  \"states\": {\n"
                      "    \"a.b\": {\"type\": \"prompt_and_listen\", \"prompt\": \"Allô ?\",\n"
                      "            \"routes\": [{\"when_text\": \"oui\", \"next\": \"a.c\"}],\n"
                      "            \"nomatch\": {\"max\": \"deux\"}}\n"
                      "  }\n"
                      "}\n";
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(doc, strlen(doc), IVRSM_FORMAT_AUTO, "m.json", &d), 0);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), 2);
    const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, 0);
    ck_assert_str_eq(x->rule, "dangling-next");
    ck_assert_str_eq(x->path, "states.a.b.routes[0].next");
    ck_assert_int_eq(x->line, 6);
    ck_assert_int_eq(x->column, 53);
    x = ivrsm_diagnostics_get(d, 1);
    ck_assert_str_eq(x->rule, "wrong-type");
    ck_assert_str_eq(x->message, "max: expected an integer, found a string (\"deux\")");
    ck_assert_int_eq(x->line, 7);
    ck_assert_int_eq(x->column, 32);
    ivrsm_diagnostics_free(d);
}
END_TEST

/* The seed machine: no errors, and the warnings its README lists as known oddities. */
START_TEST(test_seed)
{
    static const expected seed[] = {
        {W, "dtmf-terminator-conflict", 119, 12, "intents.add_to_calendar.dtmf[0]", NULL},
        {W, "utterance-conflict", 201, 9, "states.ivr.entry.routes[3]",
         "utterance 'agent' matches both manage_team (routes[1]) and operator (routes[3]) in "
         "state 'ivr.entry'; the first one wins"},
        {W, "utterance-conflict", 217, 9, "states.ivr.entry.retry.routes[3]", NULL},
        {W, "action-without-on-fail", 395, 5, "states.ivr.auth.persist_prefs.action", NULL},
        {W, "action-without-on-fail", 431, 5, "states.ivr.appointments.list.past.action", NULL},
        {W, "dtmf-conflict", 453, 9, "states.ivr.appointments.list.router.routes[2]",
         "DTMF '1' is routed to both list_upcoming (routes[0]) and choose_first (routes[2]) in "
         "state 'ivr.appointments.list.router'; the first one wins"},
        {W, "dtmf-conflict", 456, 9, "states.ivr.appointments.list.router.routes[3]", NULL},
        {W, "dtmf-conflict", 682, 9, "states.ivr.slots.choose.routes[4]",
         "DTMF '0' is routed to both none_of_these (routes[3]) and operator (routes[4]) in state "
         "'ivr.slots.choose'; the first one wins"},
    };
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/examples/synergia_rdv/machine.yaml", root ? root : ".");
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_file(path, IVRSM_FORMAT_AUTO, &d), 0);
    ck_assert_uint_eq(ivrsm_diagnostics_error_count(d), 0);
    size_t n = sizeof(seed) / sizeof(seed[0]);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), n);
    for (size_t i = 0; i < n; i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        ck_assert_str_eq(x->rule, seed[i].rule);
        ck_assert_int_eq(x->severity, IVRSM_SEVERITY_WARNING);
        ck_assert_int_eq(x->line, seed[i].line);
        ck_assert_int_eq(x->column, seed[i].column);
        ck_assert_str_eq(x->path, seed[i].path);
        if (seed[i].message)
            ck_assert_str_eq(x->message, seed[i].message);
    }
    ivrsm_diagnostics_free(d);
}
END_TEST

/* Errors of the compiler keep the validator going: everything is reported at once. */
START_TEST(test_many_errors_sorted)
{
    const char *doc = "machine: m\n"
                      "version: \"1\"\n"
                      "intents:\n"
                      "  a: {dtmf: [\"1\"]}\n"
                      "states:\n"
                      "  s1:\n"
                      "    type: action_then_prompt\n"
                      "    action: {call: \"GET /x\"}\n"
                      "    on_success: {next: s2}\n"
                      "    on_fail: {next: s2}\n"
                      "  s2:\n"
                      "    type: action_then_prompt\n"
                      "    action: {call: \"GET /y\"}\n"
                      "    on_success: {next: s1}\n"
                      "    on_fail: {next: s3}\n"
                      "  s3:\n"
                      "    type: prompt_and_listen\n"
                      "    prompt: Bonjour\n"
                      "    routes: [{when_intent: b, next: s1}, {when_intent: a}]\n";
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, NULL, &d), 0);
    const char *rules[] = {"input-free-cycle", "unknown-intent", "missing-key"};
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), 3);
    ck_assert_uint_eq(ivrsm_diagnostics_error_count(d), 3);
    int last_line = 0;
    for (size_t i = 0; i < 3; i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        ck_assert_str_eq(x->rule, rules[i]);
        ck_assert_int_ge(x->line, last_line);
        last_line = x->line;
    }
    ck_assert_str_eq(ivrsm_diagnostics_get(d, 0)->message,
                     "input-free cycle: s1 → s2 → s1; none of these states waits for the "
                     "caller, so the call could go round without end (route one of them through "
                     "a listening state)");
    ivrsm_diagnostics_free(d);
}
END_TEST

/*
 * A cycle of ${globals} is one error where it is written: the references it
 * leaves as written are not also said to be single braces where they are used.
 */
START_TEST(test_globals_cycle_reported_once)
{
    const char *doc = "machine: m\n"
                      "version: \"1\"\n"
                      "globals:\n"
                      "  a: \"x ${globals.b}\"\n"
                      "  b: \"y ${globals.a}\"\n"
                      "states:\n"
                      "  s:\n"
                      "    type: prompt_end\n"
                      "    prompt: \"${globals.a} {{globals.b}}\"\n";
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, NULL, &d), 0);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), 1);
    const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, 0);
    ck_assert_str_eq(x->rule, "unresolved-globals");
    ck_assert_int_eq(x->line, 4);
    ck_assert_str_eq(x->message, "${globals.b} goes round: globals.b → globals.a → globals.b (a "
                                 "value of globals cannot be made of itself)");
    ivrsm_diagnostics_free(d);
}
END_TEST

/*
 * The machine's transitions (ivrsm_machine_transition): the one graph the
 * validator walks and `ivrsm graph` and coverage read. Only what a call can
 * take is listed: no routes out of a state that does not listen, nothing out
 * of a prompt_end, an action's next only where an outcome falls back on it.
 */
START_TEST(test_transitions)
{
    const char *doc =
        "machine: m\n"
        "version: \"1\"\n"
        "intents:\n"
        "  yes: {dtmf: [\"1\"]}\n"
        "states:\n"
        "  menu:\n"
        "    type: prompt_and_listen\n"
        "    prompt: Bonjour\n"
        "    routes: [{when_intent: yes, next: act}, {when_text: \"un lien\", next: bye}]\n"
        "    nomatch: {max: 2, next: bye}\n"
        "  act:\n"
        "    type: action_then_prompt\n"
        "    action: {call: \"GET /x\"}\n"
        "    on_success: {prompt: Bien}\n"
        "    on_fail: {next: bye}\n"
        "    next: menu\n"
        "  bye:\n"
        "    type: prompt_end\n"
        "    prompt: Au revoir\n"
        "    next: menu\n";
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, NULL, &m, &err),
                     0);
    static const struct {
        size_t from, to;
        ivrsm_transition_kind kind;
        const char *intent, *text;
    } want[] = {
        {0, 1, IVRSM_TRANSITION_ROUTE, "yes", NULL},
        {0, 2, IVRSM_TRANSITION_ROUTE, NULL, "un lien"},
        {0, 2, IVRSM_TRANSITION_NOMATCH, NULL, NULL},
        {1, 0, IVRSM_TRANSITION_NEXT, NULL, NULL}, /* on_success without a next */
        {1, 2, IVRSM_TRANSITION_FAIL, NULL, NULL},
    };
    size_t counts[] = {3, 2, 0};
    size_t w = 0;
    for (size_t state = 0; state < 3; state++) {
        ck_assert_uint_eq(ivrsm_machine_transition_count(m, state), counts[state]);
        for (size_t i = 0; i < counts[state]; i++, w++) {
            const ivrsm_transition *t = ivrsm_machine_transition(m, state, i);
            ck_assert_ptr_nonnull(t);
            ck_assert_uint_eq(t->from, want[w].from);
            ck_assert_uint_eq(t->to, want[w].to);
            ck_assert_int_eq(t->kind, want[w].kind);
            ck_assert_pstr_eq(t->intent, want[w].intent);
            ck_assert_pstr_eq(t->text, want[w].text);
            ck_assert_uint_eq(t->route, t->kind == IVRSM_TRANSITION_ROUTE ? i : 0);
        }
        ck_assert_ptr_null(ivrsm_machine_transition(m, state, counts[state]));
    }
    ck_assert_uint_eq(ivrsm_machine_transition_count(m, 3), 0);
    ck_assert_ptr_null(ivrsm_machine_transition(m, 3, 0));
    ck_assert_uint_eq(ivrsm_machine_transition_count(NULL, 0), 0);
    ck_assert_str_eq(ivrsm_transition_kind_name(IVRSM_TRANSITION_RETRY), "retry");
    ck_assert_ptr_null(ivrsm_transition_kind_name((ivrsm_transition_kind)99));
    ivrsm_machine_unref(m);
}
END_TEST

/* The diagnostics of a YAML machine (the caller frees them). */
static ivrsm_diagnostics *check_yaml(const char *doc)
{
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, NULL, &d), 0);
    return d;
}

/* The first diagnostic of `rule` at `path`, or NULL. */
static const ivrsm_diagnostic *find_diag(const ivrsm_diagnostics *d, const char *rule,
                                         const char *path)
{
    for (size_t i = 0; i < ivrsm_diagnostics_count(d); i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        if (!strcmp(x->rule, rule) && !strcmp(x->path, path))
            return x;
    }
    return NULL;
}

/*
 * repeat_prompt: true in a listen state does nothing (it has no prompt to repeat):
 * ignored-key at the key, for noinput and nomatch; false, or a prompt_and_listen
 * state, says nothing.
 */
START_TEST(test_repeat_prompt_in_listen_state)
{
    const char *doc = "machine: m\n"
                      "version: \"1\"\n"
                      "intents:\n"
                      "  yes: {dtmf: [\"1\"]}\n"
                      "states:\n"
                      "  ask:\n"
                      "    type: prompt_and_listen\n"
                      "    prompt: \"Tapez 1.\"\n"
                      "    routes: [{when_intent: yes, next: wait}]\n"
                      "    noinput: {max: 2, next: bye, repeat_prompt: true}\n"
                      "  wait:\n"
                      "    type: listen\n"
                      "    routes: [{when_intent: yes, next: bye}]\n"
                      "    noinput: {max: 2, next: bye, prompts: [\"Tapez 1.\"], repeat_prompt: true}\n"
                      "    nomatch:\n"
                      "      max: 2\n"
                      "      next: bye\n"
                      "      repeat_prompt: true\n"
                      "  quiet:\n"
                      "    type: listen\n"
                      "    routes: [{when_intent: yes, next: bye}]\n"
                      "    noinput: {max: 2, next: bye, repeat_prompt: false}\n"
                      "  bye:\n"
                      "    type: prompt_end\n"
                      "    prompt: \"Au revoir.\"\n";
    ivrsm_diagnostics *d = check_yaml(doc);
    const ivrsm_diagnostic *x = find_diag(d, "ignored-key", "states.wait.noinput.repeat_prompt");
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->severity, IVRSM_SEVERITY_WARNING);
    ck_assert_int_eq(x->line, 14);
    ck_assert_int_eq(x->column, 57);
    ck_assert_str_eq(x->message,
                     "'repeat_prompt' has no effect in state 'wait': a listen state has no prompt "
                     "of its own to repeat, so its re-prompt is said alone (give the re-prompt "
                     "the words of the question)");
    x = find_diag(d, "ignored-key", "states.wait.nomatch.repeat_prompt");
    ck_assert_ptr_nonnull(x);
    ck_assert_int_eq(x->line, 18);
    ck_assert_int_eq(x->column, 7);
    ck_assert_ptr_null(find_diag(d, "ignored-key", "states.ask.noinput.repeat_prompt"));
    ck_assert_ptr_null(find_diag(d, "ignored-key", "states.quiet.noinput.repeat_prompt"));
    ivrsm_diagnostics_free(d);
}
END_TEST

/*
 * A collecting state whose next names no state: one error (dangling-next), not also a
 * dead-end warning that says it has no next; without next at all, the warning stays.
 */
START_TEST(test_dangling_next_is_no_dead_end)
{
    const char *doc = "machine: m\n"
                      "version: \"1\"\n"
                      "states:\n"
                      "  score:\n"
                      "    type: prompt_and_listen\n"
                      "    prompt: \"Une note de 1 à 5 ?\"\n"
                      "    collect: {mode: digits, min: 1, max: 1}\n"
                      "    next: q_quality\n";
    ivrsm_diagnostics *d = check_yaml(doc);
    ck_assert_ptr_nonnull(find_diag(d, "dangling-next", "states.score.next"));
    ck_assert_ptr_null(find_diag(d, "dead-end", "states.score"));
    ivrsm_diagnostics_free(d);
    const char *none = "machine: m\n"
                       "version: \"1\"\n"
                       "states:\n"
                       "  score:\n"
                       "    type: prompt_and_listen\n"
                       "    prompt: \"Une note de 1 à 5 ?\"\n"
                       "    collect: {mode: digits, min: 1, max: 1}\n"
                       "    fallback: {next: score}\n";
    d = check_yaml(none);
    ck_assert_ptr_nonnull(find_diag(d, "dead-end", "states.score"));
    ivrsm_diagnostics_free(d);
}
END_TEST

/*
 * The first message is the cause: a state with an error of its own (a map under routes, a
 * type misspelt, on_success without an action) gets no warning that only echoes it (a dead
 * end, states and intents its routes would have used said unreachable or unused).
 */
START_TEST(test_first_message_is_the_cause)
{
    static const char *const docs[][2] = {
        {"machine: m\nversion: \"1\"\nintents:\n  yes: {utterances: [\"oui\"], dtmf: [\"1\"]}\n"
         "states:\n  menu:\n    type: prompt_and_listen\n    prompt: \"Dites oui.\"\n"
         "    routes:\n      yes:\n        next: done\n  done: {type: prompt_end, prompt: x}\n",
         "wrong-type"},
        {"machine: m\nversion: \"1\"\nintents:\n  yes: {utterances: [\"oui\"], dtmf: [\"1\"]}\n"
         "states:\n  menu:\n    type: prompt_listen\n    prompt: \"Dites oui.\"\n"
         "    routes: [{when_intent: yes, next: done}]\n  done: {type: prompt_end, prompt: x}\n",
         "invalid-value"},
        {"machine: m\nversion: \"1\"\nstates:\n  phone:\n    type: prompt_and_listen\n"
         "    prompt: \"Votre numéro ?\"\n    collect: {mode: phone}\n"
         "    on_success: {next: done}\n  done: {type: prompt_end, prompt: x}\n",
         "outcome-without-action"},
        /* A collect mode misspelt: its action is not 'without a collect', and the code it
         * would store is not 'never set'. */
        {"machine: m\nversion: \"1\"\nglobals:\n  endpoints: {check: \"POST /check\"}\n"
         "states:\n  code:\n    type: prompt_and_listen\n    prompt: \"Your code?\"\n"
         "    collect: {mode: code}\n    action:\n      call: ${globals.endpoints.check}\n"
         "      body: {code: \"{{ctx.otp}}\"}\n    on_success: {next: done}\n"
         "    on_fail: {next: done}\n  done: {type: prompt_end, prompt: \"Code {{ctx.otp}}.\"}\n",
         "invalid-value"},
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        ivrsm_diagnostics *d = check_yaml(docs[i][0]);
        ck_assert_uint_ge(ivrsm_diagnostics_count(d), 1);
        const ivrsm_diagnostic *first = ivrsm_diagnostics_get(d, 0);
        ck_assert_msg(!strcmp(first->rule, docs[i][1]), "%zu: first %s (%s), want %s", i,
                      first->rule, first->message, docs[i][1]);
        ck_assert_uint_eq(ivrsm_diagnostics_count(d), 1);
        ivrsm_diagnostics_free(d);
    }
}
END_TEST

/*
 * A ctx key a template reads and nothing sets gets a guess among the keys that are set (a
 * typo: ctx.hose for ctx.house); with many keys set, only the first reports get one, so a
 * machine full of them is checked in linear time.
 */
START_TEST(test_never_set_key_guessed)
{
    const char *doc = "machine: m\n"
                      "version: \"1\"\n"
                      "states:\n"
                      "  house:\n"
                      "    type: prompt_and_listen\n"
                      "    prompt: \"Your house number?\"\n"
                      "    collect: {mode: digits, target: house}\n"
                      "    next: bye\n"
                      "  bye:\n"
                      "    type: prompt_end\n"
                      "    prompt: \"A cab to {{ctx.hose}}, {{ctx.zzzzzz}}.\"\n";
    ivrsm_diagnostics *d = check_yaml(doc);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), 2);
    ck_assert_str_eq(ivrsm_diagnostics_get(d, 0)->message,
                     "the template reads ctx.hose, which no set, collect or the runtime ever "
                     "sets; did you mean ctx.house? (it renders empty unless the host passes it "
                     "in the initial ctx)");
    ck_assert_ptr_null(strstr(ivrsm_diagnostics_get(d, 1)->message, "did you mean"));
    ivrsm_diagnostics_free(d);

    /* 40 keys set, 70 typos read: the first CC_SUGGEST_LARGE (64) get a guess. */
    static char big[8192];
    size_t at = (size_t)snprintf(big, sizeof big,
                                 "machine: m\nversion: \"1\"\nstates:\n  a:\n    type: decide\n"
                                 "    routes:\n      - when: \"true\"\n        set: {");
    for (int i = 0; i < 40; i++)
        at += (size_t)snprintf(big + at, sizeof big - at, "%skey_%02d: 1", i ? ", " : "", i);
    at += (size_t)snprintf(big + at, sizeof big - at,
                           "}\n        next: bye\n    next: bye\n  bye:\n    type: prompt_end\n"
                           "    prompt: \"");
    for (int i = 0; i < 70; i++)
        at += (size_t)snprintf(big + at, sizeof big - at, "{{ctx.kez_%02d}} ", i < 40 ? i : i + 20);
    at += (size_t)snprintf(big + at, sizeof big - at, "\"\n");
    ck_assert_uint_lt(at, sizeof big);
    ck_assert_int_eq(ivrsm_machine_check_buffer(big, at, IVRSM_FORMAT_YAML, "m.yaml", &d), 0);
    size_t guessed = 0, n = ivrsm_diagnostics_count(d);
    ck_assert_uint_eq(n, 70);
    for (size_t i = 0; i < n; i++)
        guessed += strstr(ivrsm_diagnostics_get(d, i)->message, "did you mean ctx.key_") != NULL;
    ck_assert_uint_eq(guessed, 64);
    ivrsm_diagnostics_free(d);
}
END_TEST

/*
 * A digits collect's value range: min_value and max_value load (max_value's digits become
 * the keys asked when max is absent), and each mistake is an invalid-value at its key:
 * bounds out of order, a negative bound, one past 18 digits, a max too short for min_value,
 * a range in another mode.
 */
START_TEST(test_digits_value_range_checked)
{
    const char *head = "machine: m\n"
                       "version: \"1\"\n"
                       "states:\n"
                       "  score:\n"
                       "    type: prompt_and_listen\n"
                       "    prompt: \"Une note de 1 à 5 ?\"\n";
    static const struct {
        const char *collect, *path, *message;
        int column;
    } bad[] = {
        {"{mode: digits, min_value: 5, max_value: 1}", "states.score.collect.max_value",
         "max_value: 1 is below min_value (5)", 54},
        {"{mode: digits, min_value: -1}", "states.score.collect.min_value",
         "min_value: -1 is out of range (0 to 999999999999999999: the value the digits write, "
         "never negative)",
         40},
        {"{mode: digits, max_value: 1000000000000000000}", "states.score.collect.max_value",
         "max_value: 1000000000000000000 is out of range (0 to 999999999999999999: the value "
         "the digits write, never negative)",
         40},
        {"{mode: digits, max: 1, min_value: 10}", "states.score.collect.max",
         "max: 1 digits cannot write min_value 10: write max: 2, or leave max out (max_value's "
         "digits)",
         34},
        {"{mode: otp, max_value: 5}", "states.score.collect.max_value",
         "max_value: only a collect of mode digits takes it (state 'score' collects otp: its "
         "digits are `length`)",
         26},
        {"{mode: digits, max_value: \"5\"}", "states.score.collect.max_value", NULL, 40},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char doc[1024];
        snprintf(doc, sizeof doc, "%s    collect: %s\n    next: score\n", head, bad[i].collect);
        ivrsm_diagnostics *d = check_yaml(doc);
        const ivrsm_diagnostic *x = find_diag(d, "invalid-value", bad[i].path);
        if (!x)
            x = find_diag(d, "wrong-type", bad[i].path);
        ck_assert_msg(x != NULL, "case %zu: no diagnostic at %s", i, bad[i].path);
        ck_assert_int_eq(x->severity, IVRSM_SEVERITY_ERROR);
        ck_assert_int_eq(x->line, 7);
        ck_assert_msg(x->column == bad[i].column, "case %zu: column %d", i, x->column);
        if (bad[i].message)
            ck_assert_str_eq(x->message, bad[i].message);
        ivrsm_diagnostics_free(d);
    }
    /* A score of 1 to 5: one key, no terminator needed; 10 to 250: three keys. */
    static const struct {
        const char *collect;
        int min_digits, max_digits;
    } good[] = {
        {"{mode: digits, min_value: 1, max_value: 5}", 1, 1},
        {"{mode: digits, min_value: 10, max_value: 250}", 1, 3},
        {"{mode: digits, min: 2, max_value: 5}", 2, 2},
        {"{mode: digits, max: 6, max_value: 5}", 1, 6},
        {"{mode: digits, min_value: 7}", 1, 18},
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char doc[1024];
        snprintf(doc, sizeof doc,
                 "%s    collect: %s\n    next: bye\n  bye:\n    type: prompt_end\n"
                 "    prompt: \"Merci.\"\n",
                 head, good[i].collect);
        ivrsm_machine *m = NULL;
        ivrsm_error err;
        ck_assert_msg(ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, NULL, &m, &err) == 0,
                      "case %zu: %s", i, err.message);
        ivrsm_session *sess = NULL;
        ck_assert_int_eq(ivrsm_session_new(m, NULL, &sess, NULL), 0);
        ck_assert_int_eq(ivrsm_session_start(sess), 0);
        const ivrsm_command *c = ivrsm_session_next_command(sess);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(c->type, IVRSM_COMMAND_ASK);
        ck_assert_int_eq(c->ask.min_digits, good[i].min_digits);
        ck_assert_int_eq(c->ask.max_digits, good[i].max_digits);
        ivrsm_session_free(sess);
        ivrsm_machine_unref(m);
    }
}
END_TEST

static Suite *validate_suite(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("rules");
    size_t n = sizeof(rule_cases) / sizeof(rule_cases[0]);
    tcase_add_loop_test(tc, test_rule_fixture, 0, (int)n);
    tcase_add_loop_test(tc, test_rule_fixture_json, 0, (int)n);
    tcase_add_test(tc, test_json_positions);
    tcase_add_test(tc, test_seed);
    tcase_add_test(tc, test_many_errors_sorted);
    tcase_add_test(tc, test_transitions);
    tcase_add_test(tc, test_globals_cycle_reported_once);
    tcase_add_test(tc, test_repeat_prompt_in_listen_state);
    tcase_add_test(tc, test_dangling_next_is_no_dead_end);
    tcase_add_test(tc, test_digits_value_range_checked);
    tcase_add_test(tc, test_never_set_key_guessed);
    tcase_add_test(tc, test_first_message_is_the_cause);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(validate_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
