/* The loader: YAML and JSON to the compiled model, and every way a load fails. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "compile.h"
#include "failing_mem.h"
#include "ivrsm/ivrsm.h"
#include "model.h"
#include "session.h"
#include "strmap.h"

/* ------------------------------------------------------------ helpers */

static char *source_path(const char *rel)
{
    const char *root = getenv("IVRSM_SOURCE_ROOT");
    char *p = malloc(4096);
    ck_assert_ptr_nonnull(p);
    snprintf(p, 4096, "%s/%s", root ? root : ".", rel);
    return p;
}

static ivrsm_machine *load_path(const char *rel)
{
    char *path = source_path(rel);
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, &err);
    ck_assert_msg(rc == 0, "%s:%d:%d: %s", err.file, err.line, err.column, err.message);
    free(path);
    return m;
}

static ivrsm_machine *load_text(const char *text, ivrsm_format fmt)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(text, strlen(text), fmt, "t", &m, &err);
    ck_assert_msg(rc == 0, "%d:%d: %s", err.line, err.column, err.message);
    return m;
}

/* Load must fail with this code, position, path and a message containing `fragment`. */
static void expect_failure(const char *text, size_t len, ivrsm_format fmt, int code, int line,
                           int column, const char *path, const char *fragment)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    memset(&err, 0x5a, sizeof(err));
    int rc = ivrsm_machine_load_buffer(text, len, fmt, "doc.yaml", &m, &err);
    ck_assert_msg(rc == code, "code %d, want %d (%d:%d %s)", rc, code, err.line, err.column,
                  err.message);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(err.code, code);
    ck_assert_str_eq(err.file, "doc.yaml");
    ck_assert_msg(strstr(err.message, fragment), "message \"%s\" lacks \"%s\"", err.message,
                  fragment);
    ck_assert_msg(err.line == line && err.column == column, "at %d:%d, want %d:%d (%s)", err.line,
                  err.column, line, column, err.message);
    ck_assert_str_eq(err.path, path);
}

static const m_state *state(const ivrsm_machine *m, const char *name)
{
    int32_t i = ivrsm_m_find_state(m, name);
    ck_assert_msg(i != M_NONE, "no state %s", name);
    return &m->states[i];
}

static const char *template_src(const ivrsm_tmpl *t)
{
    return t ? ivrsm_tmpl_source(t) : "(none)";
}

/* A message written as one text: that text (a list of parts: its first part's source). */
static const char *message_src(const m_message *msg)
{
    return msg && msg->count ? ivrsm_tmpl_source(msg->parts[0].tmpl) : "(none)";
}

#define tmpl_src(x)                                                                                \
    _Generic((x), m_message *: message_src, const m_message *: message_src, default: template_src)(x)

/* ------------------------------------------------------------ model comparison */

static void same_kvlist(const m_kvlist *a, const m_kvlist *b)
{
    ck_assert_uint_eq(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        ck_assert_str_eq(a->items[i].key, b->items[i].key);
        ck_assert_int_eq(a->items[i].value.kind, b->items[i].value.kind);
        if (a->items[i].value.kind == MV_LITERAL)
            ck_assert(json_equal(a->items[i].value.literal, b->items[i].value.literal));
        if (a->items[i].value.kind == MV_TEMPLATE)
            ck_assert_str_eq(tmpl_src(a->items[i].value.tmpl), tmpl_src(b->items[i].value.tmpl));
    }
}

static void same_prompt(const m_prompt *a, const m_prompt *b)
{
    ck_assert_str_eq(tmpl_src(a->prompt), tmpl_src(b->prompt));
    ck_assert_str_eq(tmpl_src(a->prompt_template), tmpl_src(b->prompt_template));
    ck_assert_int_eq(a->from_action, b->from_action);
}

static void same_outcome(const m_outcome *a, const m_outcome *b)
{
    ck_assert_int_eq(a->present, b->present);
    same_kvlist(&a->set, &b->set);
    same_prompt(&a->prompt, &b->prompt);
    ck_assert_int_eq(a->next, b->next);
}

static void same_state(const m_state *a, const m_state *b, size_t languages)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_int_eq(a->type, b->type);
    same_prompt(&a->prompt, &b->prompt);
    ck_assert_uint_eq(a->route_count, b->route_count);
    for (size_t r = 0; r < a->route_count; r++) {
        ck_assert_int_eq(a->routes[r].kind, b->routes[r].kind);
        ck_assert_int_eq(a->routes[r].intent, b->routes[r].intent);
        if (a->routes[r].kind == M_ROUTE_TEXT)
            ck_assert_str_eq(a->routes[r].text, b->routes[r].text);
        ck_assert_int_eq(a->routes[r].next, b->routes[r].next);
        same_kvlist(&a->routes[r].set, &b->routes[r].set);
    }
    ck_assert_int_eq(a->noinput.present, b->noinput.present);
    ck_assert_int_eq(a->noinput.max, b->noinput.max);
    ck_assert_int_eq(a->noinput.next, b->noinput.next);
    ck_assert_int_eq(a->nomatch.max, b->nomatch.max);
    ck_assert_int_eq(a->nomatch.next, b->nomatch.next);
    ck_assert_int_eq(a->fallback.present, b->fallback.present);
    ck_assert_int_eq(a->fallback.next, b->fallback.next);
    same_kvlist(&a->fallback.set, &b->fallback.set);
    ck_assert_int_eq(a->next, b->next);
    ck_assert_int_eq(a->collect.mode, b->collect.mode);
    ck_assert_int_eq(a->collect.allow_dtmf, b->collect.allow_dtmf);
    ck_assert_int_eq(a->collect.length, b->collect.length);
    ck_assert_int_eq(a->collect.retry.max, b->collect.retry.max);
    ck_assert_int_eq(a->collect.retry.on_fail_next, b->collect.retry.on_fail_next);
    ck_assert_uint_eq(a->collect.required_count, b->collect.required_count);
    ck_assert_int_eq(a->action.present, b->action.present);
    ck_assert_int_eq(a->action.endpoint, b->action.endpoint);
    if (a->action.present) {
        ck_assert_str_eq(a->action.method, b->action.method);
        ck_assert_str_eq(a->action.path, b->action.path);
    }
    same_kvlist(&a->action.headers, &b->action.headers);
    same_kvlist(&a->action.query, &b->action.query);
    same_kvlist(&a->action.path_params, &b->action.path_params);
    ck_assert_int_eq(a->action.has_body, b->action.has_body);
    ck_assert_int_eq(a->action.timeout_ms, b->action.timeout_ms);
    same_outcome(&a->on_success, &b->on_success);
    same_outcome(&a->on_fail, &b->on_fail);
    ck_assert_int_eq(a->handoff.enabled, b->handoff.enabled);
    ck_assert_str_eq(tmpl_src(a->handoff.queue), tmpl_src(b->handoff.queue));
    ck_assert_str_eq(tmpl_src(a->handoff.prompt), tmpl_src(b->handoff.prompt));
    ck_assert_uint_eq(a->dtmf_count, b->dtmf_count);
    for (size_t k = 0; k < a->dtmf_count; k++) {
        ck_assert_str_eq(a->dtmf[k].digits, b->dtmf[k].digits);
        ck_assert_uint_eq(a->dtmf[k].route, b->dtmf[k].route);
    }
    for (size_t l = 0; l < languages; l++) {
        const m_phrase_table *ta = &a->phrases[l], *tb = &b->phrases[l];
        ck_assert_uint_eq(ta->phrase_count, tb->phrase_count);
        for (size_t k = 0; k < ta->phrase_count; k++) {
            ck_assert_str_eq(ta->phrases[k].phrase, tb->phrases[k].phrase);
            ck_assert_uint_eq(ta->phrases[k].route, tb->phrases[k].route);
        }
        ck_assert_uint_eq(ta->hint_count, tb->hint_count);
    }
    ck_assert_int_eq(a->max_dtmf_len, b->max_dtmf_len);
}

/* Two machines compiled from the same document in two formats. */
static void same_machine(const ivrsm_machine *a, const ivrsm_machine *b)
{
    ck_assert_str_eq(a->name, b->name);
    ck_assert_str_eq(a->version, b->version);
    ck_assert_str_eq(a->locale_tag, b->locale_tag);
    ck_assert_str_eq(a->timezone, b->timezone);
    ck_assert(json_equal(a->globals, b->globals));
    ck_assert(memcmp(&a->limits, &b->limits, offsetof(m_limits, dtmf_terminator)) == 0);
    ck_assert_str_eq(a->limits.dtmf_terminator, b->limits.dtmf_terminator);
    ck_assert_int_eq(a->limits.asap_days, b->limits.asap_days);
    ck_assert_int_eq(a->handoff_enabled, b->handoff_enabled);
    ck_assert_str_eq(tmpl_src(a->handoff_queue), tmpl_src(b->handoff_queue));
    ck_assert_str_eq(tmpl_src(a->handoff_prompt), tmpl_src(b->handoff_prompt));
    ck_assert_int_eq(a->handoff_state, b->handoff_state);
    ck_assert_int_eq(a->goodbye_state, b->goodbye_state);
    ck_assert_int_eq(a->initial, b->initial);
    ck_assert_uint_eq(a->sensitive_count, b->sensitive_count);
    ck_assert_uint_eq(a->intent_count, b->intent_count);
    for (size_t i = 0; i < a->intent_count; i++) {
        const m_intent *x = &a->intents[i], *y = &b->intents[i];
        ck_assert_str_eq(x->name, y->name);
        ck_assert_int_eq(x->has_utterances, y->has_utterances);
        for (size_t l = 0; l < a->language_count; l++) {
            const m_utterances *ux = &x->utterances[l], *uy = &y->utterances[l];
            ck_assert_uint_eq(ux->count, uy->count);
            for (size_t k = 0; k < ux->count; k++) {
                ck_assert_str_eq(ux->raw[k], uy->raw[k]);
                ck_assert_str_eq(ux->norm[k], uy->norm[k]);
            }
        }
        ck_assert_uint_eq(x->dtmf_count, y->dtmf_count);
        for (size_t k = 0; k < x->dtmf_count; k++)
            ck_assert_str_eq(x->dtmf[k], y->dtmf[k]);
    }
    ck_assert_uint_eq(a->endpoint_count, b->endpoint_count);
    for (size_t i = 0; i < a->endpoint_count; i++) {
        ck_assert_str_eq(a->endpoints[i].name, b->endpoints[i].name);
        ck_assert_str_eq(a->endpoints[i].method, b->endpoints[i].method);
        ck_assert_str_eq(a->endpoints[i].path, b->endpoints[i].path);
    }
    ck_assert_uint_eq(a->state_count, b->state_count);
    for (size_t i = 0; i < a->state_count; i++)
        same_state(&a->states[i], &b->states[i], a->language_count);
}

/* ------------------------------------------------------------ happy paths */

START_TEST(test_mini_yaml_model)
{
    ivrsm_machine *m = load_path("tests/fixtures/load/mini.yaml");
    ck_assert_str_eq(ivrsm_machine_name(m), "mini");
    ck_assert_str_eq(ivrsm_machine_version(m), "2.1");
    ck_assert_uint_eq(ivrsm_machine_state_count(m), 7);
    ck_assert_str_eq(ivrsm_machine_state_name(m, 0), "start");
    ck_assert_str_eq(ivrsm_machine_state_type(m, 0), "listen");
    ck_assert_str_eq(ivrsm_machine_state_type(m, 3), "action_then_prompt");
    ck_assert_ptr_null(ivrsm_machine_state_name(m, 7));
    ck_assert_ptr_null(ivrsm_machine_state_type(m, 99));
    ck_assert_uint_eq(ivrsm_machine_initial_state(m), 1); /* initial: welcome */
    ck_assert_ptr_nonnull(m->locale);
    ck_assert_ptr_nonnull(m->tz);
    ck_assert_str_eq(m->timezone, "Europe/Paris");

    /* Limits: given ones and defaults. */
    ck_assert_int_eq(m->limits.max_noinput, 3);
    ck_assert_int_eq(m->limits.max_nomatch, 2);
    ck_assert_int_eq(m->limits.max_retries, 4);
    ck_assert_int_eq(m->limits.max_consecutive_failures, 7);
    ck_assert_int_eq(m->limits.max_state_visits, 9);
    ck_assert_int_eq(m->limits.max_steps_per_event, 20);
    ck_assert_int_eq(m->limits.otp_length, 4);
    ck_assert_int_eq(m->limits.otp_max_attempts, 3);
    ck_assert(m->limits.min_confidence == 0.5);
    ck_assert_int_eq(m->limits.http_timeout_ms, 2500);
    ck_assert_int_eq(m->limits.noinput_timeout_ms, 4000);
    ck_assert_int_eq(m->limits.digit_timeout_ms, 2000);
    ck_assert_int_eq(m->limits.asap_days, 10);
    ck_assert_str_eq(m->limits.dtmf_terminator, "*");
    ck_assert(m->limits.allow_dtmf);
    ck_assert(m->handoff_enabled);
    ck_assert_str_eq(tmpl_src(m->handoff_queue), "front");
    ck_assert_str_eq(tmpl_src(m->handoff_prompt), "Un instant.");
    ck_assert_int_eq(m->handoff_state, 4);
    ck_assert_int_eq(m->goodbye_state, 6);
    ck_assert_uint_eq(m->sensitive_count, 1); /* the machine's own; built-ins: redact.c */
    ck_assert_str_eq(m->sensitive_keys[0], "pin");
    ck_assert_int_eq(json_integer_value(json_object_get(m->globals, "max_retries")), 4);

    /* Intents, normalised. */
    ck_assert_uint_eq(m->intent_count, 3);
    int32_t yes = ivrsm_m_find_intent(m, "yes");
    ck_assert_int_eq(yes, 0);
    ck_assert_int_eq(ivrsm_m_find_intent(m, "nope"), M_NONE);
    ck_assert_int_eq(ivrsm_m_find_intent(m, NULL), M_NONE);
    ck_assert_str_eq(m->intents[yes].utterances[0].norm[1], "d accord");
    ck_assert_str_eq(m->intents[yes].utterances[0].norm[2], "oui bien sur");
    ck_assert_uint_eq(m->intents[yes].utterances[0].lens[2], 12);
    ck_assert_str_eq(m->intents[1].utterances[0].norm[0], "non");
    ck_assert_uint_eq(m->intents[1].dtmf_count, 2);
    ck_assert_int_eq(m->intents[1].pos.line, 30);

    /* Endpoints. */
    ck_assert_uint_eq(m->endpoint_count, 2);
    ck_assert_str_eq(m->endpoints[0].name, "lookup");
    ck_assert_str_eq(m->endpoints[0].method, "GET");
    ck_assert_str_eq(m->endpoints[0].path, "/patients/{id}");
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(test_mini_yaml_states)
{
    ivrsm_machine *m = load_path("tests/fixtures/load/mini.yaml");
    const m_state *w = state(m, "welcome");
    ck_assert_int_eq(w->type, M_PROMPT_AND_LISTEN);
    ck_assert_str_eq(tmpl_src(w->prompt.prompt),
                     "Bienvenue à la Clinique du Parc. Dites oui ou non.");
    ck_assert_int_eq(w->pos.line, 44);
    ck_assert_int_eq(w->pos.column, 3);
    ck_assert_uint_eq(w->route_count, 3);
    ck_assert_int_eq(w->routes[0].kind, M_ROUTE_INTENT);
    ck_assert_int_eq(w->routes[0].intent, 0);
    ck_assert_int_eq(w->routes[0].next, ivrsm_m_find_state(m, "phone"));
    ck_assert_int_eq(w->routes[0].pos.line, 48);
    ck_assert_uint_eq(w->routes[0].set.count, 2);
    ck_assert_str_eq(w->routes[0].set.items[0].key, "consent");
    ck_assert_int_eq(w->routes[0].set.items[0].value.kind, MV_LITERAL);
    ck_assert(json_is_true(w->routes[0].set.items[0].value.literal));
    ck_assert_int_eq(w->routes[0].set.items[1].value.kind, MV_TEMPLATE);
    ck_assert_int_eq(w->routes[2].kind, M_ROUTE_TEXT);
    ck_assert_str_eq(w->routes[2].text, "conseiller humain");
    ck_assert_uint_eq(w->routes[2].text_len, 17);
    ck_assert(w->noinput.present);
    ck_assert_int_eq(w->noinput.max, 2);
    ck_assert_int_eq(w->noinput.next, ivrsm_m_find_state(m, "bye"));
    ck_assert_int_eq(w->nomatch.max, 4); /* "${globals.max_retries}" keeps its type */
    ck_assert_int_eq(w->nomatch.next, ivrsm_m_find_state(m, "welcome"));
    ck_assert(!w->fallback.present);
    ck_assert_int_eq(w->next, M_NONE);

    /* Matching tables: DTMF in route order, phrases longest first then route order. */
    ck_assert_uint_eq(w->dtmf_count, 3);
    ck_assert_str_eq(w->dtmf[0].digits, "1");
    ck_assert_uint_eq(w->dtmf[0].route, 0);
    ck_assert_str_eq(w->dtmf[2].digits, "22");
    ck_assert_uint_eq(w->dtmf[2].len, 2);
    ck_assert_uint_eq(w->dtmf[2].route, 1);
    ck_assert_int_eq(w->max_dtmf_len, 2);
    /* The state's own five phrases, and the forms of yes and no of French that "oui" and "non"
     * bring (format.md, Intents), but "d accord", which "yes" lists itself. */
    const ivrsm_text_rules *fr = ivrsm_locale_text_rules(m->languages[0]);
    size_t yes_forms = 0, no_forms = 0;
    while (fr->yes_forms[yes_forms].text)
        yes_forms++;
    while (fr->no_forms[no_forms].text)
        no_forms++;
    size_t heard_for_routes = 0;
    for (size_t k = 0; k < w->phrases[0].phrase_count; k++)
        heard_for_routes += w->phrases[0].phrases[k].route != M_PHRASE_AMBIGUOUS;
    ck_assert_uint_eq(heard_for_routes, 5 + (yes_forms - 2) + (no_forms - 1));
    const char *order[] = {"conseiller humain", "oui bien sur", "d accord", "oui", "non",
                           "ouais", "nan", "pas du tout", "carrement"};
    const unsigned routes[] = {2, 0, 0, 0, 1, 0, 1, 1, 0};
    /* Their order is the rank's: test_phrase_tables_as_insertion. */
    for (int i = 0; i < 9; i++) {
        int at = -1;
        for (size_t k = 0; k < w->phrases[0].phrase_count && at < 0; k++)
            if (!strcmp(w->phrases[0].phrases[k].phrase, order[i]))
                at = (int)k;
        ck_assert_msg(at >= 0, "\"%s\" is not a phrase of the state", order[i]);
        ck_assert_uint_eq(w->phrases[0].phrases[at].route, routes[i]);
    }
    ck_assert_uint_eq(w->phrases[0].hint_count, 5);
    ck_assert_str_eq(w->phrases[0].hints[0], "oui");
    ck_assert_str_eq(w->phrases[0].hints[3], "Non");
    ck_assert_str_eq(w->phrases[0].hints[4], "Conseiller humain");

    const m_state *p = state(m, "phone");
    ck_assert_int_eq(p->collect.mode, IVRSM_COLLECT_PHONE);
    ck_assert(!p->collect.allow_dtmf);
    ck_assert_uint_eq(p->collect.required_count, 1);
    ck_assert_str_eq(p->collect.required[0], "phone_e164");
    ck_assert(p->collect.retry.present);
    ck_assert_int_eq(p->collect.retry.max, 2);
    ck_assert_int_eq(p->collect.retry.on_fail_next, ivrsm_m_find_state(m, "agent"));
    /* A bare endpoint name, and the nested on_success / on_fail. */
    ck_assert(p->action.present);
    ck_assert_int_eq(p->action.endpoint, 0);
    ck_assert_str_eq(p->action.method, "GET");
    ck_assert_uint_eq(p->action.path_params.count, 1);
    ck_assert_int_eq(p->action.path_params.items[0].value.kind, MV_TEMPLATE);
    ck_assert(json_is_true(p->action.query.items[0].value.literal));
    ck_assert(p->on_success.present);
    ck_assert_int_eq(p->on_success.next, ivrsm_m_find_state(m, "book"));
    ck_assert_int_eq(p->on_fail.next, ivrsm_m_find_state(m, "agent"));

    const m_state *b = state(m, "book");
    ck_assert_int_eq(b->action.endpoint, 1); /* from ${globals.endpoints.book} */
    ck_assert_str_eq(b->action.method, "POST");
    ck_assert_str_eq(b->action.path, "/bookings");
    ck_assert_int_eq(b->action.timeout_ms, 1500);
    ck_assert(b->action.has_body);
    ck_assert_int_eq(b->action.body.kind, MV_OBJECT);
    ck_assert_uint_eq(b->action.body.count, 3);
    ck_assert_str_eq(b->action.body.keys[1], "meta");
    ck_assert_int_eq(b->action.body.items[0].kind, MV_TEMPLATE);
    ck_assert_int_eq(b->action.body.items[1].kind, MV_LITERAL); /* a map from globals */
    ck_assert_str_eq(json_string_value(json_object_get(b->action.body.items[1].literal, "source")),
                     "ivr");
    ck_assert_int_eq(json_integer_value(b->action.body.items[2].literal), 2);
    ck_assert_str_eq(tmpl_src(b->action.headers.items[0].value.tmpl), "Bearer {{ctx.token}}");
    ck_assert_str_eq(tmpl_src(b->on_success.prompt.prompt_template),
                     "{{#if resp.ok}}C'est réservé.{{else}}Presque.{{/if}}");
    ck_assert(b->on_success.prompt.from_action);
    ck_assert_str_eq(tmpl_src(b->on_fail.prompt.prompt), "Désolé.");

    const m_state *a = state(m, "agent");
    ck_assert_int_eq(a->type, M_HANDOFF);
    ck_assert(a->handoff.enabled); /* globals.handoff.enabled */
    ck_assert_str_eq(tmpl_src(a->handoff.queue), "care");
    ck_assert_ptr_null(a->handoff.prompt); /* the runtime says globals.handoff.prompt */
    ck_assert_int_eq(a->on_fail.next, ivrsm_m_find_state(m, "bye"));

    const m_state *l = state(m, "literal");
    ck_assert_int_eq(l->action.endpoint, M_NONE);
    ck_assert_str_eq(l->action.method, "PUT");
    ck_assert_str_eq(l->action.path, "/x/{ref}");
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(test_mini_json_same_model)
{
    ivrsm_machine *y = load_path("tests/fixtures/load/mini.yaml");
    ivrsm_machine *j = load_path("tests/fixtures/load/mini.json");
    same_machine(y, j);
    /* Positions come from each file. */
    ck_assert_int_eq(state(j, "welcome")->pos.line, 97);
    ck_assert_int_eq(state(j, "welcome")->pos.column, 5);
    ivrsm_machine_unref(y);
    ivrsm_machine_unref(j);
}
END_TEST

START_TEST(test_seed_yaml_json_same_model)
{
    ivrsm_machine *y = load_path("examples/synergia_rdv/machine.yaml");
    ivrsm_machine *j = load_path("examples/synergia_rdv/machine.json");
    same_machine(y, j);
    ck_assert_uint_eq(y->state_count, 37);
    ck_assert_str_eq(y->states[y->initial].name, "ivr.entry");
    /* YAML 1.2: yes and no are intent names, not booleans. */
    ck_assert_int_ne(ivrsm_m_find_intent(y, "yes"), M_NONE);
    ck_assert_int_ne(ivrsm_m_find_intent(y, "no"), M_NONE);
    const m_state *otp = state(y, "ivr.auth.verify_otp");
    ck_assert_int_eq(otp->collect.mode, IVRSM_COLLECT_OTP);
    ck_assert_int_eq(otp->collect.length, 6);
    ck_assert_int_eq(otp->collect.retry.max, 2); /* ${globals.max_retries} */
    ck_assert_int_eq(otp->collect.retry.on_fail_next,
                     ivrsm_m_find_state(y, "ivr.auth.verify_otp.retry"));
    ck_assert_str_eq(y->endpoints[otp->action.endpoint].name, "verify_otp");
    const m_state *agent = state(y, "ivr.handoff.to_agent");
    ck_assert(agent->handoff.enabled);
    ck_assert_str_eq(tmpl_src(agent->handoff.queue), "care_queue_1");
    ck_assert_int_eq(y->handoff_state, ivrsm_m_find_state(y, "ivr.handoff.to_agent"));
    ck_assert_int_eq(y->goodbye_state, ivrsm_m_find_state(y, "ivr.goodbye"));
    const m_state *entry = state(y, "ivr.entry");
    ck_assert_str_eq(tmpl_src(entry->prompt.prompt),
                     "Bonjour et bienvenue. Pour prendre ou modifier un rendez-vous, dites "
                     "\"rendez-vous\" ou tapez 1. Pour la zone équipe, dites \"équipe\" ou tapez "
                     "2. Pour recevoir un lien sur votre téléphone, dites \"recevoir un lien\" ou "
                     "tapez 3.\n");
    ck_assert_uint_gt(ivrsm_machine_memory(y), 10000);
    ivrsm_machine_unref(y);
    ivrsm_machine_unref(j);
}
END_TEST

/*
 * What the loader works out once for the runtime, against what the runtime
 * worked out per event before: whether a state's routes use its keypad's
 * terminator (strpbrk over each route's keys then, key sets now), the
 * lengths of the answer's members it reads, and whether it reads
 * resp.status or resp.error. Every state of every example machine, every
 * terminator of one or two bytes among the keys and a few others.
 */
START_TEST(test_state_tables_as_scans)
{
    static const char *const machines[] = {
        "examples/synergia_rdv/machine.yaml", "examples/synergia_rdv/machine.json",
        "examples/synergia_rdv_en/machine.yaml", "examples/bank_card/machine.yaml",
        "examples/hello/machine.yaml"};
    static const char bytes[] = "0123456789*#ABCDabcdx ";
    size_t states = 0, routed = 0;
    for (size_t f = 0; f < sizeof(machines) / sizeof(machines[0]); f++) {
        ivrsm_machine *m = load_path(machines[f]);
        for (size_t i = 0; i < m->state_count; i++) {
            const m_state *st = &m->states[i];
            states++;
            for (size_t a = 0; a < sizeof(bytes) - 1; a++)
                for (size_t b = 0; b < sizeof(bytes); b++) {
                    char term[3] = {bytes[a], bytes[b], 0}; /* bytes[b] may be the NUL */
                    bool scanned = false;
                    for (size_t k = 0; k < st->dtmf_count; k++)
                        scanned = scanned || strpbrk(st->dtmf[k].digits, term) != NULL;
                    bool told = (ivrsm_m_dtmf_keys(term) & st->dtmf_keys) != 0;
                    ck_assert_msg(scanned == told, "%s: terminator \"%s\": %d, %d", st->name, term,
                                  scanned, told);
                    routed += scanned;
                }
            int shortest = 0, longest = 0;
            for (size_t k = 0; k < st->dtmf_count; k++) {
                shortest = !k || st->dtmf[k].len < shortest ? st->dtmf[k].len : shortest;
                longest = st->dtmf[k].len > longest ? st->dtmf[k].len : longest;
            }
            ck_assert_int_eq(shortest, st->min_dtmf_len);
            ck_assert_int_eq(longest, st->max_dtmf_len);
            bool status = false;
            for (size_t k = 0; k < st->resp_key_count; k++) {
                ck_assert_uint_eq(st->resp_key_lens[k], strlen(st->resp_keys[k]));
                status = status || !strcmp(st->resp_keys[k], "status") ||
                         !strcmp(st->resp_keys[k], "error");
            }
            ck_assert_int_eq(status, st->resp_status_read);
        }
        ivrsm_machine_unref(m);
    }
    ck_assert_uint_gt(states, 50);
    ck_assert_uint_gt(routed, 0); /* some terminator is a route's key */
}
END_TEST

/* Whether the intent of route r lists the bare answer of `forms` in language `lang`. */
static bool lists_bare_answer(const ivrsm_machine *m, const m_route *r, size_t lang,
                              const struct ivrsm_text_words *forms)
{
    if (!forms || r->kind != M_ROUTE_INTENT || r->intent == M_NONE)
        return false;
    const m_utterances *u = &m->intents[r->intent].utterances[lang];
    for (size_t k = 0; k < u->count; k++)
        if (!strcmp(u->norm[k], forms[0].text))
            return true;
    return false;
}

/* Whether routes a and b of st mean the same: one route, or two of one intent. */
static bool same_meaning_plain(const m_state *st, unsigned a, unsigned b)
{
    return a == b ||
           (st->routes[a].kind == M_ROUTE_INTENT && st->routes[b].kind == M_ROUTE_INTENT &&
            st->routes[a].intent != M_NONE && st->routes[a].intent == st->routes[b].intent);
}

/* Whether word w[0..n) is a whole word of phrase p, word by word. */
static bool has_word_plain(const char *p, const char *w, size_t n)
{
    for (const char *at = p; *at;) {
        size_t len = strcspn(at, " ");
        if (len == n && memcmp(at, w, n) == 0)
            return true;
        at += len + (at[len] == ' ');
    }
    return false;
}

/* The bytes of the words of phrase i of want[0..n) that no phrase of another meaning has. */
static unsigned own_bytes_plain(const m_state *st, const m_phrase_entry *want, size_t n, size_t i)
{
    unsigned own = 0;
    for (const char *at = want[i].phrase; *at;) {
        size_t len = strcspn(at, " ");
        bool shared = false;
        for (size_t j = 0; j < n && !shared; j++)
            shared = !same_meaning_plain(st, want[i].route, want[j].route) &&
                     has_word_plain(want[j].phrase, at, len);
        own += shared ? 0 : (unsigned)len;
        at += len + (at[len] == ' ');
    }
    return own > 255 ? 255 : own;
}

/* Whether phrase a ranks before phrase b: more own bytes, then longer. */
static bool ranks_before(const m_phrase_entry *a, const m_phrase_entry *b)
{
    return a->own_bytes != b->own_bytes ? a->own_bytes > b->own_bytes : a->len > b->len;
}

/*
 * A state's phrase table for `lang` worked out the plain way: its routes' phrases in route
 * order, then the forms of yes and no of the routes that list the bare answer (each once, and
 * not those the state lists), their own bytes counted word by word, sorted by own bytes then
 * length by insertion (stable), and the hints (the state's own phrases) without repeats. The
 * table's ambiguous entries (M_PHRASE_AMBIGUOUS) are set aside and checked for what they are:
 * a phrase of shared words with one word more of the phrase of another meaning it lies in,
 * ranked after the phrases of its rank.
 */
static void phrase_table_as_insertion(const ivrsm_machine *m, const m_state *st, size_t lang)
{
    size_t n = 0, hints = 0, cap = 0;
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        if (r->kind == M_ROUTE_TEXT && r->texts && r->texts[lang])
            cap++;
        else if (r->kind == M_ROUTE_INTENT && r->intent != M_NONE)
            cap += m->intents[r->intent].utterances[lang].count;
    }
    const ivrsm_text_rules *rules = ivrsm_locale_text_rules(m->languages[lang]);
    const struct ivrsm_text_words *answers[2] = {rules->yes_forms, rules->no_forms};
    const size_t own = cap;
    for (size_t i = 0; i < st->route_count; i++)
        for (int a = 0; a < 2; a++)
            for (size_t k = 0;
                 lists_bare_answer(m, &st->routes[i], lang, answers[a]) && answers[a][k].text; k++)
                cap++;
    m_phrase_entry *want = calloc(cap + 1, sizeof(*want));
    const char **hint = calloc(own + 1, sizeof(*hint));
    const char **listed = calloc(cap + 1, sizeof(*listed));
    size_t n_listed = 0;
    ck_assert(want && hint && listed);
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        const char *const *norm = NULL, *const *raw = NULL;
        size_t count = 0;
        if (r->kind == M_ROUTE_TEXT && r->texts && r->texts[lang]) {
            norm = &r->texts[lang];
            raw = &r->texts_raw[lang];
            count = 1;
        } else if (r->kind == M_ROUTE_INTENT && r->intent != M_NONE) {
            const m_utterances *u = &m->intents[r->intent].utterances[lang];
            norm = u->norm;
            raw = u->raw;
            count = u->count;
        }
        for (size_t k = 0; k < count; k++) {
            m_phrase_entry e = {norm[k], (uint16_t)strlen(norm[k]), (uint16_t)i, false, 0};
            size_t at = n++;
            while (at > 0 && want[at - 1].len < e.len) {
                want[at] = want[at - 1];
                at--;
            }
            want[at] = e;
            listed[n_listed++] = norm[k];
            bool seen = false;
            for (size_t h = 0; h < hints && !seen; h++)
                seen = !strcmp(hint[h], raw[k]);
            if (!seen)
                hint[hints++] = raw[k];
        }
    }
    for (size_t i = 0; i < st->route_count; i++)
        for (int a = 0; a < 2; a++) {
            if (!lists_bare_answer(m, &st->routes[i], lang, answers[a]))
                continue;
            for (size_t k = 1; answers[a][k].text; k++) {
                bool seen = false;
                for (size_t l = 0; l < n_listed && !seen; l++)
                    seen = !strcmp(listed[l], answers[a][k].text);
                if (seen)
                    continue;
                listed[n_listed++] = answers[a][k].text;
                m_phrase_entry e = {answers[a][k].text, (uint16_t)answers[a][k].len, (uint16_t)i,
                                    false, 0};
                size_t at = n++;
                while (at > 0 && want[at - 1].len < e.len) {
                    want[at] = want[at - 1];
                    at--;
                }
                want[at] = e;
            }
        }
    free(listed);
    /* Own bytes, then the stable sort by them and by length (want is in length order now: the
     * insertion is done again, from route order, which the phrases' order within a length
     * keeps). */
    m_phrase_entry *ranked = calloc(cap + 1, sizeof(*ranked));
    ck_assert(ranked);
    for (size_t k = 0; k < n; k++)
        want[k].own_bytes = (uint8_t)own_bytes_plain(st, want, n, k);
    for (size_t k = 0; k < n; k++) {
        size_t at = k;
        while (at > 0 && ranks_before(&want[k], &ranked[at - 1])) {
            ranked[at] = ranked[at - 1];
            at--;
        }
        ranked[at] = want[k];
    }
    memcpy(want, ranked, n * sizeof(*want));
    free(ranked);
    const m_phrase_table *t = &st->phrases[lang];
    size_t real = 0;
    for (size_t k = 0; k < t->phrase_count; k++) {
        const m_phrase_entry *e = &t->phrases[k];
        if (k > 0) { /* ranked: never before one it ranks after */
            const m_phrase_entry *prev = &t->phrases[k - 1];
            ck_assert_msg(!ranks_before(e, prev) &&
                              !(prev->route == M_PHRASE_AMBIGUOUS &&
                                e->route != M_PHRASE_AMBIGUOUS && !ranks_before(prev, e)),
                          "%s: phrase %zu \"%s\" after \"%s\"", st->name, k, e->phrase,
                          prev->phrase);
        }
        if (e->route == M_PHRASE_AMBIGUOUS && e->own_bytes == UINT8_MAX) {
            /* A place said with an ordinal ("second to last"): a phrase of no route, first of
             * all, in a state whose routes are places (add_place_phrases()). */
            bool place = false;
            int which;
            const char *text;
            for (size_t i = 0;
                 !place && (text = ivrsm_locale_place_phrase(m->languages[lang], i, &which)); i++)
                place = strcmp(text, e->phrase) == 0;
            ck_assert_msg(place && t->place_count >= 2, "%s: \"%s\" of no route ranked first",
                          st->name, e->phrase);
            continue;
        }
        if (e->route == M_PHRASE_AMBIGUOUS) {
            /* A possessive before a phrase of a route that asks for a new thing only ("mein
             * termin" when booking says "neuer termin"), ranked as that phrase
             * (add_change_and_possessives()). */
            bool possessive = false;
            const char *own;
            for (size_t i = 0;
                 !possessive && (own = ivrsm_locale_possessive(m->languages[lang], i)); i++) {
                const size_t own_len = strlen(own);
                for (size_t p = 0; p < n && !possessive; p++)
                    possessive =
                        t->route_change && want[p].route < st->route_count &&
                        (t->route_change[want[p].route] & M_ROUTE_NEW_ONLY) &&
                        e->len == own_len + 1 + want[p].len &&
                        memcmp(e->phrase, own, own_len) == 0 && e->phrase[own_len] == ' ' &&
                        memcmp(e->phrase + own_len + 1, want[p].phrase, want[p].len) == 0 &&
                        e->own_bytes == want[p].own_bytes;
            }
            if (possessive)
                continue;
            ck_assert_uint_eq(e->own_bytes, 0);
            bool explained = false;
            for (size_t p = 0; p < n && !explained; p++)
                for (size_t q = 0; q < n && !explained; q++) {
                    const m_phrase_entry *shared = &want[p], *other = &want[q];
                    explained =
                        shared->own_bytes == 0 &&
                        !same_meaning_plain(st, shared->route, other->route) &&
                        shared->len < e->len && e->len < other->len &&
                        ivrsm_text_has_phrase(e->phrase, e->len, shared->phrase, shared->len) &&
                        ivrsm_text_has_phrase(other->phrase, other->len, e->phrase, e->len);
                }
            ck_assert_msg(explained, "%s: ambiguous \"%s\" is in no phrase of another meaning",
                          st->name, e->phrase);
            for (size_t p = 0; p < n; p++)
                ck_assert_str_ne(want[p].phrase, e->phrase);
            continue;
        }
        ck_assert_uint_lt(real, n);
        ck_assert_msg(e->phrase == want[real].phrase, "%s: phrase %zu: \"%s\", want \"%s\"",
                      st->name, k, e->phrase, want[real].phrase);
        ck_assert_uint_eq(e->route, want[real].route);
        ck_assert_uint_eq(e->len, want[real].len);
        ck_assert_uint_eq(e->own_bytes, want[real].own_bytes);
        real++;
    }
    ck_assert_uint_eq(real, n);
    ck_assert_uint_eq(t->hint_count, hints);
    /* The sets by first byte: each phrase in its byte's set, nothing else there. */
    ck_assert(!t->by_first == (t->phrase_count == 0 || t->phrase_count > M_PHRASES_BY_FIRST));
    for (unsigned b = 0; t->by_first && b < 256; b++) {
        uint64_t want_set = 0;
        for (size_t k = 0; k < t->phrase_count; k++)
            if ((unsigned char)t->phrases[k].phrase[0] == b)
                want_set |= (uint64_t)1 << k;
        ck_assert_uint_eq(t->first_slot[b] ? t->by_first[t->first_slot[b] - 1] : 0, want_set);
    }
    for (size_t h = 0; h < hints; h++)
        ck_assert_str_eq(t->hints[h], hint[h]);
    free(want);
    free(hint);
}

/*
 * Phrase tables (merge-sorted longest first, stable; hints once each) against insertion in
 * route order, for every state of the examples and of generated machines whose states
 * listen for up to 200 phrases of random lengths, repeats among them.
 */
START_TEST(test_phrase_tables_as_insertion)
{
    static const char *const machines[] = {"examples/synergia_rdv/machine.yaml",
                                           "examples/synergia_rdv_en/machine.yaml",
                                           "examples/bank_card/machine.yaml"};
    size_t tables = 0;
    for (size_t f = 0; f < sizeof(machines) / sizeof(machines[0]); f++) {
        ivrsm_machine *m = load_path(machines[f]);
        for (size_t i = 0; i < m->state_count; i++)
            for (size_t l = 0; l < m->language_count; l++, tables++)
                phrase_table_as_insertion(m, &m->states[i], l);
        ivrsm_machine_unref(m);
    }
    ck_assert_uint_gt(tables, 60);
    static const char *const words[] = {
        "oui",      "non",        "peut etre", "d accord",       "a",
        "bien sur", "conseiller", "zz",        "un rendez vous", "merci"};
    unsigned seed = 4242;
    for (int round = 0; round < 30; round++) {
        ivrsm_buf text = IVRSM_BUF_INIT(ivrsm_mem_default());
        ivrsm_buf_puts(&text, "machine: p\nversion: \"1\"\nintents:\n");
        int intents = 1 + round % 20;
        for (int k = 0; k < intents; k++) {
            ivrsm_buf_printf(&text, "  i%d:\n    utterances: [", k);
            int n = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 10;
            for (int u = 0; u < n; u++) {
                unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
                ivrsm_buf_printf(&text, "%s\"%s%s%s\"", u ? ", " : "", words[r % 10],
                                 r & 64 ? " " : "", r & 64 ? words[(r >> 8) % 10] : "");
            }
            ivrsm_buf_puts(&text, "]\n");
        }
        ivrsm_buf_puts(&text, "states:\n  ask:\n    type: prompt_and_listen\n"
                              "    prompt: \"Oui ?\"\n    routes:\n");
        for (int k = 0; k < intents; k++)
            ivrsm_buf_printf(&text, "      - when_intent: i%d\n        next: ask\n", k);
        ivrsm_buf_puts(&text, "      - when_text: \"oui\"\n        next: ask\n");
        ck_assert(!text.failed);
        ivrsm_machine *m = load_text(ivrsm_buf_str(&text), IVRSM_FORMAT_YAML);
        phrase_table_as_insertion(m, state(m, "ask"), 0);
        ivrsm_machine_unref(m);
        ivrsm_buf_free(&text);
    }
}
END_TEST

/*
 * Speech matching through the phrases' sets by first byte against the scan of every phrase
 * (the path of tables without them): machines of 1 to 70 phrases over words sharing their
 * first letters, sentences of their words and others, the route each path takes.
 */
START_TEST(test_match_by_first_byte_as_scan)
{
    static const char *const words[] = {"oui",    "ouais", "non",   "nan",      "peut etre",
                                        "merci",  "mer",   "zz",    "d accord", "de",
                                        "un rdv", "une",   "annul", "a",        "conseiller"};
    const size_t nw = sizeof words / sizeof words[0];
    unsigned seed = 99;
    size_t indexed = 0, scanned = 0;
    for (int round = 0; round < 40; round++) {
        ivrsm_buf text = IVRSM_BUF_INIT(ivrsm_mem_default());
        ivrsm_buf_puts(&text, "machine: p\nversion: \"1\"\nintents:\n");
        int intents = round % 5 == 4 ? 14 : 1 + round % 14;
        for (int k = 0; k < intents; k++) {
            ivrsm_buf_printf(&text, "  i%d:\n    utterances: [", k);
            /* One machine in five has more phrases than the sets by first byte take. */
            int n = round % 5 == 4 ? 9
                                   : 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) %
                                             (round % 3 ? 5 : 9);
            for (int u = 0; u < n; u++) {
                unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
                ivrsm_buf_printf(&text, "%s\"%s%s%s\"", u ? ", " : "", words[r % nw],
                                 r & 64 ? " " : "", r & 64 ? words[(r >> 8) % nw] : "");
            }
            ivrsm_buf_puts(&text, "]\n");
        }
        ivrsm_buf_puts(&text, "states:\n  ask:\n    type: prompt_and_listen\n"
                              "    prompt: \"Oui ?\"\n    routes:\n");
        for (int k = 0; k < intents; k++)
            ivrsm_buf_printf(&text, "      - when_intent: i%d\n        next: ask\n", k);
        ck_assert(!text.failed);
        ivrsm_machine *m = load_text(ivrsm_buf_str(&text), IVRSM_FORMAT_YAML);
        ivrsm_buf_free(&text);
        const m_state *st = state(m, "ask");
        m_phrase_table *t = &st->phrases[0];
        const uint64_t *sets = t->by_first;
        indexed += sets != NULL;
        scanned += sets == NULL;
        ivrsm_session *s;
        ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
        for (int said = 0; said < 200; said++) {
            char sentence[256] = "";
            int parts = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;
            for (int k = 0; k < parts; k++) {
                unsigned r = (seed = seed * 1103515245u + 12345u) >> 16;
                strcat(sentence, k ? (r & 1 ? ", " : " ") : "");
                strcat(sentence, r & 2 ? words[(r >> 4) % nw] : (r & 4 ? "Oui" : "bof"));
            }
            t->by_first = sets;
            s_match fast =
                ivrsm_s_match_routes(s, st, IVRSM_EVENT_SPEECH, sentence, strlen(sentence), 1.0);
            t->by_first = NULL;
            s_match scan =
                ivrsm_s_match_routes(s, st, IVRSM_EVENT_SPEECH, sentence, strlen(sentence), 1.0);
            t->by_first = sets;
            ck_assert_msg(fast.kind == scan.kind && fast.route == scan.route,
                          "\"%s\": route %d, the scan %d", sentence, fast.route, scan.route);
        }
        ivrsm_session_free(s);
        ivrsm_machine_unref(m);
    }
    ck_assert_uint_gt(indexed, 10);
    ck_assert_uint_gt(scanned, 0);
}
END_TEST

/* ---- An ask's keypad worked out at load, against the reading at each ask it replaced ---- */

typedef struct ref_keypad {
    bool dtmf;
    int min, max;
    const char *term;
    bool term_routed;
} ref_keypad;

/* runtime/session.c's state_keypad() as it read the state at each ask. */
static ref_keypad ref_state_keypad(const ivrsm_machine *m, const m_state *st, size_t lang)
{
    const m_limits *l = &m->limits;
    ref_keypad k = {.term = l->dtmf_terminator ? l->dtmf_terminator : ""};
    bool dtmf = l->allow_dtmf;
    if (st->collect.mode)
        dtmf = dtmf && st->collect.allow_dtmf;
    k.dtmf = dtmf || st->dtmf_count > 0;
    int min = 1, max = 1;
    switch (st->collect.mode) {
    case IVRSM_COLLECT_PHONE:
        min = ivrsm_locale_phone_keys_min(m->languages[lang]);
        max = 20;
        break;
    case IVRSM_COLLECT_OTP: {
        int len = st->collect.length > 0 ? st->collect.length : l->otp_length;
        min = max = len;
        break;
    }
    case IVRSM_COLLECT_DATE_NL:
        min = 4;
        max = 8;
        break;
    case IVRSM_COLLECT_DATE_PAST:
        min = 6;
        max = 8;
        break;
    case IVRSM_COLLECT_DIGITS:
        min = st->collect.min;
        max = st->collect.max;
        if (st->collect.terminator)
            k.term = st->collect.terminator;
        break;
    default:
        break;
    }
    if (st->dtmf_count) {
        min = st->min_dtmf_len < min ? st->min_dtmf_len : min;
        max = st->max_dtmf_len > max ? st->max_dtmf_len : max;
    }
    /* strpbrk() of the terminator in each route's keys, as the keys' sets stand for. */
    bool shared = false;
    for (size_t i = 0; i < st->dtmf_count && *k.term; i++)
        shared = shared || strpbrk(st->dtmf[i].digits, k.term) != NULL;
    k.term_routed = st->dtmf_count && *k.term && shared;
    k.min = min < 1 ? 1 : min;
    k.max = max < k.min ? k.min : max;
    return k;
}

/* runtime/session.c's fill_ask() keypad fields, worked out at each ask. */
static m_ask_keys ref_ask_keys(const ivrsm_machine *m, const m_state *st, size_t lang)
{
    ref_keypad k = ref_state_keypad(m, st, lang);
    const m_state *consumer = NULL;
    if (st->next >= 0 && !st->collect.mode && !st->nomatch.present) {
        const m_state *to = &m->states[st->next];
        consumer = to->type == M_PROMPT_AND_LISTEN || to->type == M_LISTEN ? to : NULL;
    }
    if (consumer) {
        ref_keypad ck = ref_state_keypad(m, consumer, lang);
        k.dtmf = k.dtmf || ck.dtmf;
        k.min = k.min < ck.min ? k.min : ck.min;
        k.max = k.max > ck.max ? k.max : ck.max;
        k.term_routed = k.term_routed || ck.term_routed;
        if (!*k.term)
            k.term = ck.term;
    }
    return (m_ask_keys){k.dtmf, k.min, k.max, (k.max > 1 && !k.term_routed) ? k.term : "",
                        st->collect.mode ? ivrsm_collect_mode_name(st->collect.mode) : NULL};
}

static void ask_keys_as_reference(const ivrsm_machine *m, const char *what)
{
    for (size_t i = 0; i < m->state_count; i++) {
        const m_state *st = &m->states[i];
        ck_assert_ptr_nonnull(st->ask_keys);
        for (size_t l = 0; l < m->language_count; l++) {
            m_ask_keys want = ref_ask_keys(m, st, l), got = st->ask_keys[l];
            ck_assert_msg(got.dtmf == want.dtmf && got.min_digits == want.min_digits &&
                              got.max_digits == want.max_digits &&
                              !strcmp(got.terminators, want.terminators) &&
                              (got.collect == want.collect ||
                               (got.collect && want.collect && !strcmp(got.collect, want.collect))),
                          "%s, state %s, language %zu: dtmf %d %d-%d \"%s\", want %d %d-%d \"%s\"",
                          what, st->name, l, got.dtmf, got.min_digits, got.max_digits,
                          got.terminators, want.dtmf, want.min_digits, want.max_digits,
                          want.terminators);
        }
    }
}

/*
 * Every state's ask keypad, worked out at load, against the reading at each ask it replaced:
 * the states of the examples as loaded, then the same states and limits drawn at random
 * (collect modes and their bounds, terminators that routes use or not, DTMF routes' lengths and
 * keys, allow_dtmf, states handing their input on to a listening one) and worked out again.
 */
START_TEST(test_ask_keys_as_worked_out_at_each_ask)
{
    static const char *const machines[] = {
        "examples/synergia_rdv/machine.yaml", "examples/synergia_rdv_en/machine.yaml",
        "examples/bank_card/machine.yaml", "examples/hello/machine.yaml"};
    static const char *const terms[] = {"#", "*", "", "5", "A", "#*"};
    static const char *const keys[] = {"1", "#", "*", "0", "12", "5#", "A", "99*"};
    static const ivrsm_collect_mode modes[] = {
        IVRSM_COLLECT_NONE,  IVRSM_COLLECT_NONE,    IVRSM_COLLECT_PHONE,
        IVRSM_COLLECT_OTP,   IVRSM_COLLECT_DATE_NL, IVRSM_COLLECT_FREE_SPEECH_OR_NO,
        IVRSM_COLLECT_DIGITS, IVRSM_COLLECT_DATE_PAST};
    unsigned seed = 1307;
#define DRAW(n) (((seed = seed * 1103515245u + 12345u) >> 16) % (n))
    size_t checked = 0;
    for (size_t f = 0; f < sizeof(machines) / sizeof(machines[0]); f++) {
        ivrsm_machine *m = load_path(machines[f]);
        ask_keys_as_reference(m, machines[f]);
        m_state *kept = malloc(m->state_count * sizeof(*kept));
        m_dtmf_entry *routes = malloc(m->state_count * 3 * sizeof(*routes));
        ck_assert(kept && routes);
        memcpy(kept, m->states, m->state_count * sizeof(*kept));
        m_limits limits = m->limits;
        for (int round = 0; round < 200; round++) {
            m->limits.allow_dtmf = DRAW(4) != 0;
            m->limits.dtmf_terminator = DRAW(5) ? terms[DRAW(6)] : NULL;
            m->limits.otp_length = 1 + (int)DRAW(10);
            for (size_t i = 0; i < m->state_count; i++) {
                m_state *st = &m->states[i];
                st->type = DRAW(3) ? M_PROMPT_AND_LISTEN : DRAW(2) ? M_LISTEN : M_DECIDE;
                st->collect.mode = modes[DRAW(8)];
                st->collect.allow_dtmf = DRAW(3) != 0;
                st->collect.length = (int)DRAW(8);
                st->collect.min = (int)DRAW(6);
                st->collect.max = (int)DRAW(20);
                st->collect.terminator = DRAW(3) ? NULL : terms[DRAW(6)];
                st->nomatch.present = DRAW(4) == 0;
                st->next = DRAW(3) ? (int32_t)DRAW(m->state_count) : M_NONE;
                st->dtmf = routes + 3 * i;
                st->dtmf_count = DRAW(4);
                st->dtmf_keys = 0;
                st->min_dtmf_len = st->max_dtmf_len = 0;
                for (size_t k = 0; k < st->dtmf_count; k++) {
                    const char *d = keys[DRAW(8)];
                    int len = (int)strlen(d);
                    routes[3 * i + k] = (m_dtmf_entry){d, (uint16_t)len, 0};
                    st->dtmf_keys |= ivrsm_m_dtmf_keys(d);
                    if (len > st->max_dtmf_len)
                        st->max_dtmf_len = len;
                    if (!st->min_dtmf_len || len < st->min_dtmf_len)
                        st->min_dtmf_len = len;
                }
            }
            ck_assert_int_eq(ivrsm_m_ask_keys_build(m, m->arena), 0);
            ask_keys_as_reference(m, machines[f]);
            checked += m->state_count * m->language_count;
        }
        memcpy(m->states, kept, m->state_count * sizeof(*kept));
        m->limits = limits;
        free(kept);
        free(routes);
        ivrsm_machine_unref(m);
    }
#undef DRAW
    ck_assert_uint_gt(checked, 20000);
}
END_TEST

/* Cut a ctx key to its first part ("a.b" to "a"). */
static void first_part(char *key)
{
    char *dot = strchr(key, '.');
    if (dot)
        *dot = '\0';
}

/* The top-level ctx keys a machine writes, counted at load, are those a JSON object made of them
 * holds: generated machines whose `set:` keys (dotted or not, repeated), collect targets (the
 * modes' defaults, a date's two keys) and inputs share names and prefixes. */
START_TEST(test_ctx_root_keys_as_object)
{
    static const char *const names[] = {
        "a",       "ab",     "a_from",     "ab_to",      "language",
        "call_id", "x.y",    "a.b",        "ab.c",       "pref_date_from",
        "otp",     "digits", "session_id", "phone_e164", "k1",
        "k2",      "k3",     "k4"};
    static const char *const modes[] = {"phone",  "otp",      "date_nl", "free_speech_or_no",
                                        "digits", "date_past"};
    uint64_t seed = 77;
#define NEXT()                                                                                     \
    (seed = seed * 6364136223846793005ULL + 1442695040888963407ULL, (unsigned)(seed >> 33))
    for (int round = 0; round < 200; round++) {
        ivrsm_buf text = IVRSM_BUF_INIT(ivrsm_mem_default());
        json_t *want = json_object();
        json_object_set_new(want, "call_id", json_null());
        json_object_set_new(want, "session_id", json_null());
        json_object_set_new(want, "language", json_null());
        ivrsm_buf_puts(&text, "machine: k\nversion: '1'\n");
        unsigned inputs = NEXT() % 3;
        if (inputs)
            ivrsm_buf_puts(&text, "inputs:\n");
        for (unsigned i = 0; i < inputs; i++) {
            const char *name = names[NEXT() % 18];
            if (json_object_get(want, name) && strchr(name, '.'))
                continue;
            char line[80];
            snprintf(line, sizeof line, "  %s%u: string\n", name, i);
            ivrsm_buf_puts(&text, line);
            snprintf(line, sizeof line, "%s%u", name, i);
            first_part(line);
            json_object_set_new(want, line, json_null());
        }
        ivrsm_buf_puts(&text, "states:\n");
        unsigned states = 1 + NEXT() % 12;
        for (unsigned i = 0; i < states; i++) {
            char line[200];
            snprintf(line, sizeof line, "  s%u:\n    type: prompt_and_listen\n    prompt: x\n", i);
            ivrsm_buf_puts(&text, line);
            if (NEXT() % 2) {
                unsigned mode = NEXT() % 6;
                const char *target = NEXT() % 2 ? names[NEXT() % 18] : NULL;
                snprintf(line, sizeof line, "    collect: {mode: %s%s%s}\n", modes[mode],
                         target ? ", target: " : "", target ? target : "");
                ivrsm_buf_puts(&text, line);
                static const char *const defaults[] = {"phone_e164", "otp",    "pref_date",
                                                       "cancel_comment", "digits", "date_past"};
                char key[64];
                snprintf(key, sizeof key, "%s", target ? target : defaults[mode]);
                bool dotted = strchr(key, '.') != NULL;
                first_part(key);
                if (mode == 2 && !dotted) {
                    char from[80], to[80];
                    snprintf(from, sizeof from, "%s_from", key);
                    snprintf(to, sizeof to, "%s_to", key);
                    json_object_set_new(want, from, json_null());
                    json_object_set_new(want, to, json_null());
                } else {
                    json_object_set_new(want, key, json_null());
                }
            }
            ivrsm_buf_puts(&text, "    routes:\n");
            unsigned sets = NEXT() % 4;
            for (unsigned r = 0; r < sets; r++) {
                unsigned keys = 1 + NEXT() % 3;
                snprintf(line, sizeof line,
                         "      - when_text: w%u\n        next: s0\n        set:\n", r);
                ivrsm_buf_puts(&text, line);
                json_t *seen = json_object();
                for (unsigned k = 0; k < keys; k++) {
                    const char *name = names[NEXT() % 18];
                    if (json_object_get(seen, name))
                        continue;
                    json_object_set_new(seen, name, json_null());
                    snprintf(line, sizeof line, "          %s: %u\n", name, k);
                    ivrsm_buf_puts(&text, line);
                    char key[64];
                    snprintf(key, sizeof key, "%s", name);
                    first_part(key);
                    json_object_set_new(want, key, json_null());
                }
                json_decref(seen);
            }
            if (!sets)
                ivrsm_buf_puts(&text, "      - {when_text: w, next: s0}\n");
            ivrsm_buf_puts(&text, "    next: s0\n");
        }
        ivrsm_machine *m = load_text(ivrsm_buf_str(&text), IVRSM_FORMAT_YAML);
        size_t expected = json_object_size(want);
        if (expected > M_CTX_ROOT_KEYS_MAX)
            expected = M_CTX_ROOT_KEYS_MAX;
        ck_assert_msg(m->ctx_root_room == expected, "%u, expected %zu:\n%s", m->ctx_root_room,
                      expected, ivrsm_buf_str(&text));
        ivrsm_machine_unref(m);
        json_decref(want);
        ivrsm_buf_free(&text);
    }
#undef NEXT
}
END_TEST

START_TEST(test_typed_globals)
{
    ivrsm_machine *m = load_text("machine: g\n"
                                 "version: \"1\"\n"
                                 "globals:\n"
                                 "  n: 3\n"
                                 "  on: false\n"
                                 "  ratio: 0.25\n"
                                 "  word: yes\n"
                                 "  list: [10, \"x\", {k: v}]\n"
                                 "  ep: {a: \"DELETE /a/{id}\"}\n"
                                 "states:\n"
                                 "  s:\n"
                                 "    type: prompt_and_listen\n"
                                 "    prompt: \"n=${globals.n} on=${globals.on} r=${globals.ratio} "
                                 "w=${ globals.word } l=${globals.list[1]}\"\n"
                                 "    nomatch: {max: \"${globals.n}\", next: h}\n"
                                 "    routes:\n"
                                 "      - when_text: ok\n"
                                 "        set: {a: \"${globals.list}\", b: \"${globals.list[2]}\", "
                                 "c: \"${globals.ratio}\"}\n"
                                 "        next: h\n"
                                 "  h:\n"
                                 "    type: handoff\n"
                                 "    enabled: ${globals.on}\n"
                                 "    prompt: \"Attendez\"\n"
                                 "  x:\n"
                                 "    type: action_then_prompt\n"
                                 "    action: {call: \"${globals.ep.a}\", path: {id: 1}}\n"
                                 "    on_success: {next: h}\n",
                                 IVRSM_FORMAT_YAML);
    const m_state *s = state(m, "s");
    ck_assert_str_eq(tmpl_src(s->prompt.prompt), "n=3 on=false r=0.25 w=yes l=x");
    ck_assert_int_eq(s->nomatch.max, 3);
    const m_kvlist *set = &s->routes[0].set;
    ck_assert(json_is_array(set->items[0].value.literal));
    ck_assert_uint_eq(json_array_size(set->items[0].value.literal), 3);
    ck_assert_str_eq(json_string_value(json_object_get(set->items[1].value.literal, "k")), "v");
    ck_assert(json_is_real(set->items[2].value.literal));
    ck_assert(!state(m, "h")->handoff.enabled);
    ck_assert_str_eq(tmpl_src(state(m, "h")->handoff.prompt), "Attendez");
    /* A reference to a globals value that is not under endpoints is a literal call. */
    ck_assert_int_eq(state(m, "x")->action.endpoint, M_NONE);
    ck_assert_str_eq(state(m, "x")->action.method, "DELETE");
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(test_yaml_features)
{
    /* Anchors, aliases, merge keys, core tags, comments, a BOM, explicit document markers. */
    ivrsm_machine *m =
        load_text("\xEF\xBB\xBF%YAML 1.2\n"
                  "---\n"
                  "machine: !!str 7   # a string thanks to the tag\n"
                  "version: '1'\n"
                  "intents:\n"
                  "  on:\n"
                  "    dtmf: &keys [\"1\"]\n"
                  "  off: {dtmf: *keys}\n"
                  "states:\n"
                  "  base: &base\n"
                  "    type: prompt_and_listen\n"
                  "    prompt: Bonjour\n"
                  "    routes: [{when_intent: on, next: end}, {when_intent: off, next: end}]\n"
                  "  copy:\n"
                  "    <<: *base\n"
                  "    prompt: Re-bonjour\n"
                  "  end: {type: prompt_end, prompt: !!str Fin}\n"
                  "...\n",
                  IVRSM_FORMAT_AUTO);
    ck_assert_str_eq(m->name, "7");
    ck_assert_int_eq(ivrsm_m_find_intent(m, "on"), 0);
    ck_assert_str_eq(m->intents[1].dtmf[0], "1");
    const m_state *copy = state(m, "copy");
    ck_assert_int_eq(copy->type, M_PROMPT_AND_LISTEN);
    ck_assert_str_eq(tmpl_src(copy->prompt.prompt), "Re-bonjour");
    ck_assert_uint_eq(copy->route_count, 2);
    ck_assert_int_eq(copy->routes[1].next, ivrsm_m_find_state(m, "end"));
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(test_defaults)
{
    ivrsm_machine *m = load_text("{\"machine\": \"d\", \"version\": \"0\", \"states\": {"
                                 "\"only\": {\"type\": \"prompt_end\", \"prompt\": \"Bye\"}}}",
                                 IVRSM_FORMAT_AUTO);
    ck_assert_str_eq(m->locale_tag, "fr-FR");
    ck_assert_str_eq(m->timezone, "UTC");
    ck_assert_int_eq(m->limits.max_noinput, 2);
    ck_assert_int_eq(m->limits.max_nomatch, 2);
    ck_assert_int_eq(m->limits.max_retries, 2);
    ck_assert_int_eq(m->limits.max_consecutive_failures, 6);
    ck_assert_int_eq(m->limits.max_state_visits, 12);
    ck_assert_int_eq(m->limits.max_steps_per_event, 32);
    ck_assert_int_eq(m->limits.otp_length, 6);
    ck_assert_int_eq(m->limits.otp_max_attempts, 5);
    ck_assert(m->limits.min_confidence == 0.4);
    ck_assert_int_eq(m->limits.http_timeout_ms, 5000);
    ck_assert_int_eq(m->limits.noinput_timeout_ms, 5000);
    ck_assert_int_eq(m->limits.digit_timeout_ms, 3000);
    ck_assert_int_eq(m->limits.asap_days, 14);
    ck_assert_str_eq(m->limits.dtmf_terminator, "#");
    ck_assert(m->limits.allow_dtmf);
    ck_assert(!m->handoff_enabled);
    ck_assert_int_eq(m->handoff_state, M_NONE);
    ck_assert_int_eq(m->goodbye_state, 0);
    ck_assert_uint_eq(m->sensitive_count, 0);
    ck_assert(json_is_object(m->globals));
    ivrsm_machine_unref(m);
}
END_TEST

START_TEST(test_refcount_and_lookup)
{
    ivrsm_machine *m = load_path("examples/synergia_rdv/machine.yaml");
    ck_assert_ptr_eq(ivrsm_machine_ref(m), m);
    ck_assert_int_eq(m->refcount, 2);
    ivrsm_machine_unref(m);
    ck_assert_int_eq(m->refcount, 1);
    ck_assert_ptr_null(ivrsm_machine_ref(NULL));
    ivrsm_machine_unref(NULL);
    for (size_t i = 0; i < ivrsm_machine_state_count(m); i++)
        ck_assert_int_eq(ivrsm_machine_state_index(m, ivrsm_machine_state_name(m, i)), (int)i);
    ck_assert_int_eq(ivrsm_machine_state_index(m, "ivr.nowhere"), IVRSM_ENOTFOUND);
    ck_assert_int_eq(ivrsm_machine_state_index(m, NULL), IVRSM_ENOTFOUND);
    ck_assert_int_eq(ivrsm_machine_state_index(NULL, "x"), IVRSM_ENOTFOUND);
    ck_assert_int_eq(ivrsm_m_find_state(m, "ivr.goodbye"),
                     (int32_t)ivrsm_machine_state_count(m) - 1);
    ivrsm_machine_unref(m);
}
END_TEST

/* ------------------------------------------------------------ errors */

/* A valid base; each error case below changes one thing. Lines are numbered. */
#define BASE_HEAD                                                                                  \
    "machine: m\n"                  /* 1 */                                                        \
    "version: \"1\"\n"              /* 2 */                                                        \
    "globals:\n"                    /* 3 */                                                        \
    "  n: 2\n"                      /* 4 */                                                        \
    "  endpoints:\n"                /* 5 */                                                        \
    "    get: \"GET /x\"\n"         /* 6 */                                                        \
    "intents:\n"                    /* 7 */                                                        \
    "  yes: {dtmf: [\"1\"]}\n"      /* 8 */                                                        \
    "states:\n"                     /* 9 */                                                        \
    "  ivr.entry:\n"                /* 10 */                                                       \
    "    type: prompt_and_listen\n" /* 11 */                                                       \
    "    prompt: \"Bonjour\"\n"     /* 12 */

typedef struct error_case {
    const char *name;
    const char *text;
    ivrsm_format format;
    int code;
    int line;
    int column;
    const char *path;
    const char *fragment;
} error_case;

static const error_case error_cases[] = {
    {"malformed yaml", "machine: m\nversion: \"1\nstates: {}\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX,
     2, 10, "", "YAML syntax error: wrongly indented double-quoted scalar"},
    {"malformed yaml mapping", "machine: m\n  version: 1\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1,
     10, "", "YAML syntax error: invalid multiline plain key"},
    {"malformed json", "{\"machine\": \"m\",\n \"version\": 1,\n \"states\": {\n}",
     IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 4, 1, "", "JSON syntax error"},
    {"json trailing comma", "{\"machine\": \"m\",}", IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 1, 17, "",
     "JSON syntax error"},
    {"unknown key", BASE_HEAD "    rout:\n      - {when_intent: yes, next: ivr.entry}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 13, 5, "states.ivr.entry.rout",
     "unknown key 'rout' in state 'ivr.entry'; did you mean 'routes'? (expected one of: type, "},
    {"unknown top-level key",
     "machine: m\nversion: \"1\"\nstate: {}\nstates: {a: {type: prompt_end}}\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 3, 1, "state", "unknown key 'state' in the document; did you mean 'states'?"},
    {"wrong type", BASE_HEAD "    noinput: {max: two, next: ivr.entry}\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 13, 20, "states.ivr.entry.noinput.max",
     "max: expected an integer, found a string (\"two\")"},
    {"version as a number", "machine: m\nversion: 1.0\nstates: {a: {type: prompt_end}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 2, 10, "version",
     "version: expected a string, found a number (1.0) (quote it to make it a string)"},
    {"dangling next",
     BASE_HEAD "    routes:\n      - when_intent: yes\n        next: ivr.nowhere\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 15, 15, "states.ivr.entry.routes[0].next",
     "next: no state named 'ivr.nowhere'"},
    {"dangling next suggestion", BASE_HEAD "    next: ivr.entyr\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 13, 11, "states.ivr.entry.next",
     "next: no state named 'ivr.entyr'; did you mean 'ivr.entry'?"},
    {"unknown intent",
     BASE_HEAD "    routes:\n      - when_intent: yess\n        next: ivr.entry\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 22, "states.ivr.entry.routes[0].when_intent",
     "when_intent: no intent named 'yess'; did you mean 'yes'?"},
    {"unknown endpoint", BASE_HEAD "    collect: {mode: otp}\n    action: {call: gett}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 20, "states.ivr.entry.action.call",
     "call: no endpoint named 'gett' in globals.endpoints; did you mean 'get'?"},
    {"malformed call", BASE_HEAD "    collect: {mode: otp}\n    action: {call: \"FETCH /x\"}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 20, "states.ivr.entry.action.call",
     "call: expected \"METHOD /path\""},
    {"unresolved globals", BASE_HEAD "    noinput: {max: \"${globals.m}\", next: ivr.entry}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 13, 20, "states.ivr.entry.noinput.max",
     "${globals.m} is not defined: globals has no key 'm'; did you mean 'n'? (it has: n, "
     "endpoints)"},
    {"unresolved endpoint",
     BASE_HEAD "    collect: {mode: otp}\n"
               "    action:\n      call: ${globals.endpoints.put}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 15, 13, "states.ivr.entry.action.call",
     "${globals.endpoints.put} is not defined: globals.endpoints has no key 'put'"},
    {"not a globals reference", BASE_HEAD "    next: ${ctx.x}\n", IVRSM_FORMAT_YAML, IVRSM_EMACHINE,
     13, 11, "states.ivr.entry.next", "${ctx.x} is not a globals reference"},
    {"map inside a string", BASE_HEAD "    next: \"a ${globals.endpoints}\"\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 13, 11, "states.ivr.entry.next",
     "${globals.endpoints} is a map: only a scalar can be placed inside a longer string"},
    {"missing type", "machine: m\nversion: \"1\"\nstates:\n  a:\n    prompt: x\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 3, "states.a", "missing key 'type' in state 'a'"},
    {"missing states", "machine: m\nversion: \"1\"\n", IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 1, 1, "",
     "missing key 'states' in the document"},
    {"unknown state type", BASE_HEAD "  b: {type: prompt_and_lisen}\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 13, 13, "states.b.type",
     "type: unknown state type 'prompt_and_lisen'; did you mean 'prompt_and_listen'?"},
    {"bad template", BASE_HEAD "  b:\n    type: prompt_end\n    prompt: \"Bonjour {{ctx.name\"\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 15, 22, "states.b.prompt",
     "prompt: invalid template: unterminated '{{'"},
    /* resp is the answer of the state's own action, read in its on_success and on_fail. */
    {"resp in a route's set",
     BASE_HEAD
     "    routes:\n      - {when_intent: yes, set: {x: \"{{resp.a.b}}\"}, next: ivr.entry}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 40, "states.ivr.entry.routes[0].set.x",
     "x reads resp.a.b, but state 'ivr.entry' has no action, so there is no response here: resp "
     "is readable only in on_success and on_fail of a state with an action (keep what later "
     "states need there with set: { a: \"{{resp.a.b}}\" } and read {{ctx.a}})"},
    {"resp in a condition",
     BASE_HEAD
     "    next: b\n  b:\n    type: prompt_end\n    prompt: \"{{#if resp.ok}}Oui{{/if}}\"\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 16, 20, "states.b.prompt",
     "prompt reads resp.ok, but state 'b' has no action"},
    {"resp in the request of the action",
     BASE_HEAD "    next: b\n  b:\n    type: action_then_prompt\n    action:\n      call: get\n"
               "      body: {id: \"{{resp.id}}\"}\n    on_success: {next: ivr.entry}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 18, 21, "states.b.action.body.id",
     "id reads resp.id, but it is rendered before the action of state 'b' answers"},
    {"resp in the prompt of a state with an action",
     BASE_HEAD
     "    next: b\n  b:\n    type: prompt_and_listen\n    prompt: \"Code {{resp.hint}}\"\n"
     "    collect: {mode: otp}\n    action: {call: get}\n    on_success: {next: ivr.entry}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 16, 21, "states.b.prompt",
     "prompt reads resp.hint, but it is rendered before the action of state 'b' answers"},
    {"resp after a handoff",
     BASE_HEAD
     "    next: h\n  h:\n    type: handoff\n    on_fail:\n      prompt: \"{{resp.why}}\"\n"
     "      next: ivr.entry\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 17, 18, "states.h.on_fail.prompt",
     "prompt reads resp.why, but state 'h' has no action"},
    {"resp in the handoff prompt of globals",
     "machine: m\nversion: \"1\"\nglobals:\n  handoff: {enabled: true, prompt: \"{{resp}}\"}\n"
     "states: {a: {type: prompt_end}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 39, "globals.handoff.prompt",
     "prompt reads resp, but no action answers before it is rendered"},
    /* The usual mistakes: indentation, comments in JSON. */
    {"indentation: a key without ':'", BASE_HEAD "    fallback\n      next: ivr.entry\n",
     IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 13, 5, "",
     "invalid multiline plain key (line 13, indented by 4 spaces, runs on into line 14, indented "
     "by 6, where a key was expected: is a ':' missing after the key on line 13, or is line 14 "
     "indented too far?)"},
    {"indentation: a key outdented after a list",
     BASE_HEAD
     "    routes:\n      - when_intent: yes\n        next: ivr.entry\n      next: ivr.entry\n",
     IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 16, 7, "",
     "(check the indentation: line 16 is indented by 6 spaces, line 15 above it by 8; the keys "
     "of one map line up, and a key's contents go further right)"},
    {"indentation: under a list item's dash",
     BASE_HEAD "    routes:\n      - when_intent: yes\n\n      # the next state\n      next: "
               "ivr.entry\n",
     IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 17, 7, "",
     "line 17 is indented by 6 spaces, line 14 above it by 6 (8 after its '-')"},
    {"indentation: one space short", BASE_HEAD "   next: ivr.entry\n", IVRSM_FORMAT_YAML,
     IVRSM_ESYNTAX, 13, 4, "", "line 13 is indented by 3 spaces, line 12 above it by 4"},
    /* A text's own characters end it early: the hint says how to write the text. */
    {"text: a colon inside a plain text", BASE_HEAD "    description: Hours: 9 to 5.\n",
     IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 13, 23, "",
     "invalid nested block mapping on the same line (the text after 'description:' holds ': ' "
     "or starts with '- ', which YAML reads as a key or a list: put the whole text in quotes "
     "(\"Hours: 9 to 5.\") or after '>' on the next line, indented)"},
    {"text: a list item after a key", BASE_HEAD "    description: - first\n", IVRSM_FORMAT_YAML,
     IVRSM_ESYNTAX, 13, 18, "", "the text after 'description:' holds ': ' or starts with '- '"},
    {"text: double quotes inside double quotes",
     BASE_HEAD "    description: \"Say \"yes\".\"\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 13, 24, "",
     "invalid trailing content after double-quoted scalar (a text in double quotes ends at the "
     "next '\"': write a quote inside it as \\\", or put the whole text in single quotes: 'Say "
     "\"yes\" to continue.')"},
    {"text: an apostrophe inside single quotes",
     BASE_HEAD "    description: 'It's closed.'\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 13, 22, "",
     "(a text in single quotes ends at the next quote: write an apostrophe inside it twice "
     "('It''s closed.'), or put the whole text in double quotes: \"It's closed.\")"},
    {"json: a // comment", "{\n  \"machine\": \"m\", // the name\n  \"version\": \"1\"\n}\n",
     IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 2, 19, "",
     "JSON syntax error: JSON has no comments: remove this one, or write the machine in YAML, "
     "where '#' starts a comment"},
    {"json: a /* comment */", "{\"url\": \"http://x/*y\",\n /* é */ \"machine\": \"m\"}",
     IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 2, 2, "", "JSON has no comments"},
    {"json: a # comment first", "# machine\n{\"machine\": \"m\"}\n", IVRSM_FORMAT_JSON,
     IVRSM_ESYNTAX, 1, 1, "", "JSON has no comments"},
    {"json: slashes in strings are no comment", "{\"a\": \"//\", \"b\": \"#\" \"c\": 1}",
     IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 1, 24, "", "JSON syntax error: '}' expected near '\"c\"'"},
    {"missing path parameter",
     BASE_HEAD "    collect: {mode: otp}\n    action: {call: \"PUT /a/{id}\"}\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 14, 20, "states.ivr.entry.action.call",
     "call: the path /a/{id} needs a value for {id}"},
    /* A path is sent as written: it cannot change shape, nor hold what a URL cannot. */
    {"dot segment in a call",
     BASE_HEAD "    collect: {mode: otp}\n    action: {call: \"PUT /a/../admin\"}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 20, "states.ivr.entry.action.call",
     "call: the path /a/../admin has a dot segment ('.' or '..'), which servers resolve"},
    {"encoded dot segment in an endpoint",
     "machine: m\nversion: \"1\"\nglobals: {endpoints: {e: \"GET /a/%2E\"}}\nstates: {a: {type: "
     "prompt_end}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 3, 26, "globals.endpoints.e",
     "endpoint 'e': the path /a/%2E has a dot segment"},
    {"query in a call path",
     BASE_HEAD "    collect: {mode: otp}\n    action: {call: \"GET /a?b=1\"}\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 14, 20, "states.ivr.entry.action.call",
     "call: the path /a?b=1 holds '?': give query parameters under query:"},
    {"character not allowed in a path",
     BASE_HEAD "    collect: {mode: otp}\n    action: {call: \"GET /a|b\"}\n", IVRSM_FORMAT_YAML,
     IVRSM_EMACHINE, 14, 20, "states.ivr.entry.action.call",
     "call: the path /a|b holds '|', which is not allowed in a URL path: percent-encode it"},
    {"non-ASCII path",
     BASE_HEAD "    collect: {mode: otp}\n    action: {call: \"GET /caf\u00e9\"}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 20, "states.ivr.entry.action.call",
     "holds a byte that is not allowed in a URL path (0xC3): percent-encode it"},
    {"header name not a token",
     BASE_HEAD "    collect: {mode: otp}\n    action: {call: get, headers: {\"X Bad\": 1}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 35, "states.ivr.entry.action.headers.X Bad",
     "headers: 'X Bad' is not a header name"},
    {"bad dtmf",
     "machine: m\nversion: \"1\"\nintents:\n  x: {dtmf: [\"12x\"]}\nstates: {a: {type: "
     "prompt_end}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 14, "intents.x.dtmf[0]",
     "dtmf: \"12x\" is not a key sequence"},
    {"route with both",
     BASE_HEAD "    routes:\n      - {when_intent: yes, when_text: oui, next: "
               "ivr.entry}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 14, 9, "states.ivr.entry.routes[0]",
     "a route takes when_intent or when_text, not both"},
    {"handoff key elsewhere", BASE_HEAD "    queue_id: q\n", IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 13,
     5, "states.ivr.entry.queue_id", "key 'queue_id' is only allowed in handoff states"},
    {"unknown locale",
     "machine: m\nversion: \"1\"\nlocale: xx-YY\nstates: {a: {type: prompt_end}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 3, 9, "locale", "locale: unknown locale 'xx-YY'"},
    {"unknown timezone",
     "machine: m\nversion: \"1\"\ntimezone: Mars/Olympus\nstates: {a: {type: "
     "prompt_end}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 3, 11, "timezone",
     "timezone: unknown time zone 'Mars/Olympus'"},
    {"limit out of range",
     "machine: m\nversion: \"1\"\nglobals:\n  otp: {length: 99}\nstates: {a: "
     "{type: prompt_end}}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 17, "globals.otp.length",
     "length: 99 is out of range (1 to 32)"},
    {"input-free cycle",
     BASE_HEAD "    routes: [{when_intent: yes, next: a}]\n"
               "  a:\n"
               "    type: action_then_prompt\n"
               "    action: {call: get}\n"
               "    on_success: {next: b}\n"
               "    on_fail: {next: b}\n"
               "  b:\n"
               "    type: action_then_prompt\n"
               "    action: {call: get}\n"
               "    on_success: {next: ivr.entry}\n"
               "    on_fail: {next: a}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 17, 24, "states.a.on_success.next",
     "input-free cycle: a → b → a"},
    {"empty file", "", IVRSM_FORMAT_AUTO, IVRSM_ESYNTAX, 1, 1, "", "the document is empty"},
    {"blank file", "  \n\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 1, "", "the document is empty"},
    {"comments only", "# nothing\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 1, "",
     "the document is empty"},
    {"empty json", " ", IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 1, 1, "", "the document is empty"},
    {"invalid utf-8", "machine: m\nversion: \"caf\xC3\x28\"\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 2,
     14, "", "invalid UTF-8"},
    {"overlong utf-8", "{\"machine\": \"\xC0\xAF\"}", IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 1, 14, "",
     "invalid UTF-8"},
    {"surrogate utf-8", "machine: \xED\xA0\x80\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 10, "",
     "invalid UTF-8"},
    {"non-map root yaml", "- a\n- b\n", IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 1, 1, "",
     "the document root must be a map (with machine, version and states), found a list"},
    {"non-map root json", "\n  [1, 2]", IVRSM_FORMAT_JSON, IVRSM_EMACHINE, 2, 3, "",
     "the document root must be a map"},
    {"scalar root", "hello\n", IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 1, 1, "",
     "the document root must be a map (with machine, version and states), found a string"},
    {"duplicate key yaml", "machine: m\nversion: \"1\"\nmachine: n\n", IVRSM_FORMAT_YAML,
     IVRSM_ESYNTAX, 3, 1, "", "duplicate key 'machine' (first defined at line 1, column 1)"},
    {"duplicate key yaml nested", BASE_HEAD "    type: listen\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX,
     13, 5, "", "duplicate key 'type' (first defined at line 11, column 5)"},
    {"duplicate key json", "{\"machine\": \"m\",\n  \"version\": \"1\",\n  \"machine\": \"n\"}",
     IVRSM_FORMAT_JSON, IVRSM_ESYNTAX, 3, 3, "", "duplicate key 'machine'"},
    {"second document", "machine: m\n---\nmachine: n\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 2, 1, "",
     "a second YAML document starts here"},
    {"unsupported tag", "machine: !python/object x\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 25, "",
     "unsupported tag '!python/object'"},
    {"bad tagged int", "machine: !!int abc\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 16, "",
     "'abc' is not a valid !!int value"},
    {"tagged key", "!!int 1: x\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 7, "",
     "unsupported tag 'tag:yaml.org,2002:int' on a key"},
    {"unknown alias", "machine: *nothing\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 10, "",
     "the alias *nothing refers to no anchor defined before it"},
    {"complex key", "? [a, b]\n: 1\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 3, "",
     "a map key must be a scalar, found a list"},
    {"huge integer", "machine: 99999999999999999999\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 1, 10, "",
     "the integer 99999999999999999999 is out of range"},
    {"nul byte", "machine: m\nversion: \"1\0\"\n", IVRSM_FORMAT_YAML, IVRSM_ESYNTAX, 2, 12, "",
     "a NUL byte is not allowed"},
};

static size_t case_length(const error_case *c)
{
    /* The NUL case carries its byte inside the literal: measure up to the final newline. */
    if (!strcmp(c->name, "nul byte"))
        return 24;
    return strlen(c->text);
}

START_TEST(test_error_table)
{
    const error_case *c = &error_cases[_i];
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(c->text, case_length(c), c->format, "doc.yaml", &m, &err);
    ck_assert_msg(rc == c->code, "%s: code %d, want %d (%d:%d %s)", c->name, rc, c->code, err.line,
                  err.column, err.message);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.message, c->fragment), "%s: message \"%s\" lacks \"%s\"", c->name,
                  err.message, c->fragment);
    ck_assert_msg(err.line == c->line && err.column == c->column, "%s: at %d:%d, want %d:%d (%s)",
                  c->name, err.line, err.column, c->line, c->column, err.message);
    ck_assert_msg(!strcmp(err.path, c->path), "%s: path \"%s\", want \"%s\"", c->name, err.path,
                  c->path);
    ck_assert_str_eq(err.file, "doc.yaml");
    ck_assert_int_eq(err.code, c->code);
}
END_TEST

/* --- Names: no character that forges what shows them (name_chars.h) ---------------- */

#define NAMES_HEAD "machine: m\nversion: \"1\"\n"
#define NAMES_END "  end:\n    type: prompt_end\n    prompt: Bye\n"

static const error_case name_cases[] = {
    {"state name with ESC",
     NAMES_HEAD "states:\n  \"menu\\e[2J\":\n    type: prompt_end\n"
                "    prompt: hi\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 3, "states",
     "the state name 'menu?[2J' holds U+001B, a control character, at character 5"},
    {"state name with a line break (JSON)",
     "{\"machine\": \"m\", \"version\": \"1\", \"states\": {\"a\\nforged: b\": "
     "{\"type\": \"prompt_end\", \"prompt\": \"hi\"}}}",
     IVRSM_FORMAT_JSON, IVRSM_EMACHINE, 1, 45, "states",
     "the state name 'a forged: b' holds U+000A, a control character, at character 2"},
    {"state name with a right-to-left override",
     NAMES_HEAD "states:\n  \"menu\\u202Eunem\":\n    type: prompt_end\n    prompt: hi\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 3, "states",
     "the state name 'menu?unem' holds U+202E, a bidirectional control"},
    {"intent name with a zero width space (JSON)",
     "{\"machine\": \"m\", \"version\": \"1\", \"intents\": {\"yes\\u200B\": {\"dtmf\": [\"1\"]}},"
     " \"states\": {\"a\": {\"type\": \"prompt_end\", \"prompt\": \"hi\"}}}",
     IVRSM_FORMAT_JSON, IVRSM_EMACHINE, 1, 46, "intents",
     "the intent name 'yes\xE2\x80\x8B' holds U+200B, an invisible character, at character 4"},
    {"ctx key of a set with a C1 control",
     NAMES_HEAD "states:\n  a:\n    type: prompt_and_listen\n    prompt: hi\n"
                "    fallback:\n      set: {\"k\\x9b31m\": 1}\n      next: end\n" NAMES_END,
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 8, 13, "states.a.fallback.set",
     "the ctx key 'k?31m' holds U+009B, a control character, at character 2"},
    {"ctx key with a no-break space",
     NAMES_HEAD "states:\n  a:\n    type: prompt_and_listen\n    prompt: hi\n"
                "    fallback:\n      set: {\"caller\\u00A0name\": 1}\n      next: end\n" NAMES_END,
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 8, 13, "states.a.fallback.set",
     "holds U+00A0, a space other than the plain space, at character 7"},
    {"input name with a line separator",
     NAMES_HEAD "inputs: [\"caller\\u2028id\"]\nstates:\n  a: {type: prompt_end, prompt: hi}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 3, 17, "inputs[0]",
     "the input name 'caller?id' holds U+2028, a line or paragraph separator"},
    {"any key, in globals",
     NAMES_HEAD "globals:\n  \"x\\u2066y\": 1\nstates:\n  a: {type: prompt_end, prompt: hi}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 3, "globals",
     "the key 'x?y' holds U+2066, a bidirectional control"},
    {"machine name",
     "machine: \"m\\e]0;pwned\\a\"\nversion: \"1\"\nstates:\n"
     "  a: {type: prompt_end, prompt: hi}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 1, 12, "machine",
     "the machine name 'm?]0;pwned?' holds U+001B, a control character, at character 2"},
    {"version",
     "machine: m\nversion: \"1.0\\u202E\"\nstates:\n"
     "  a: {type: prompt_end, prompt: hi}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 2, 14, "version", "the version '1.0?' holds U+202E"},
    {"queue of a handoff state",
     NAMES_HEAD "states:\n  agent:\n    type: handoff\n    queue_id: \"desk\\r\\nforged\"\n"
                "    on_fail: {next: end}\n" NAMES_END,
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 6, 20, "states.agent.queue_id",
     "the queue 'desk  forged' holds U+000D, a control character, at character 5"},
    {"queue of globals.handoff",
     NAMES_HEAD "globals:\n  handoff: {enabled: true, queue_id: \"q\\uFEFF\"}\n"
                "states:\n  a: {type: prompt_end, prompt: hi}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 40, "globals.handoff.queue_id",
     "the queue 'q\xEF\xBB\xBF' holds U+FEFF, an invisible character"},
    {"collect target",
     NAMES_HEAD
     "states:\n  a:\n    type: prompt_and_listen\n    prompt: hi\n"
     "    collect: {mode: otp, length: 4, target: \"otp\\x7f\"}\n    next: end\n" NAMES_END,
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 7, 49, "states.a.collect.target",
     "the ctx key 'otp?' holds U+007F, a control character, at character 4"},
    {"sensitive key",
     NAMES_HEAD "globals:\n  sensitive_keys: [\"pin\\u200F\"]\n"
                "states:\n  a: {type: prompt_end, prompt: hi}\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 4, 24, "globals.sensitive_keys[0]",
     "the ctx key 'pin?' holds U+200F, a bidirectional control"},
    {"recording URI",
     NAMES_HEAD "states:\n  a:\n    type: prompt_end\n    prompt:\n"
                "      - play: \"ivr/\\e[2Jbye.wav\"\n",
     IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 7, 20, "states.a.prompt[0].play",
     "the recording's URI 'ivr/?[2Jbye.wav' holds U+001B, a control character, at character 5"},
};

START_TEST(test_names_refused)
{
    const error_case *c = &name_cases[_i];
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(c->text, strlen(c->text), c->format, "doc.yaml", &m, &err);
    ck_assert_msg(rc == c->code, "%s: code %d, want %d (%d:%d %s)", c->name, rc, c->code, err.line,
                  err.column, err.message);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err.message, c->fragment), "%s: message \"%s\" lacks \"%s\"", c->name,
                  err.message, c->fragment);
    ck_assert_msg(err.line == c->line && err.column == c->column, "%s: at %d:%d, want %d:%d (%s)",
                  c->name, err.line, err.column, c->line, c->column, err.message);
    ck_assert_msg(!strcmp(err.path, c->path), "%s: path \"%s\", want \"%s\"", c->name, err.path,
                  c->path);
    /* ivrsm_check_*() (ivrsm validate) reports the same, under its own rule. */
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(c->text, strlen(c->text), c->format, "doc", &d), 0);
    bool found = false;
    for (size_t i = 0; i < ivrsm_diagnostics_count(d); i++) {
        const ivrsm_diagnostic *e = ivrsm_diagnostics_get(d, i);
        found |= !strcmp(e->rule, "invalid-name") && strstr(e->message, c->fragment) != NULL;
    }
    ck_assert_msg(found, "%s: ivrsm_machine_check_buffer() has no invalid-name error", c->name);
    ivrsm_diagnostics_free(d);
}
END_TEST

/* Names in any script load, with the joiners Persian and the scripts of India write words
 * with; an alias shows a bad key once, where it is written. */
START_TEST(test_names_of_any_script)
{
    static const char *const names[] = {
        "état_accueil",
        "главное меню",
        "القائمة الرئيسية",
        "תפריט",
        "मुख्य मेन्‍यू",
        "می‌خواهم",
        "メインメニュー",
        "主菜单",
        "메뉴",
        "เมนูหลัก",
        "Ελληνικά (1)",
        "a/b.c-d_e+f",
        "emoji 👩‍💻",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "machine: \"%s\"\nversion: \"%s\"\ninputs: [\"%s\"]\nstates:\n"
                 "  \"%s\":\n    type: prompt_and_listen\n    prompt: hi\n"
                 "    fallback: {set: {\"%s\": 1}, next: \"%s end\"}\n"
                 "  \"%s end\": {type: handoff, queue_id: \"%s\"}\n",
                 names[i], names[i], names[i], names[i], names[i], names[i], names[i], names[i]);
        ivrsm_machine *m = load_text(text, IVRSM_FORMAT_YAML);
        ck_assert_int_ge(ivrsm_m_find_state(m, names[i]), 0);
        ivrsm_machine_unref(m);
    }
    static const char aliased[] =
        NAMES_HEAD "globals:\n  base: &b {\"k\\e\": 1}\n  again: *b\n  merged: {<<: *b, ok: 2}\n"
                   "states:\n  a: {type: prompt_end, prompt: hi}\n";
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(
        ivrsm_machine_check_buffer(aliased, strlen(aliased), IVRSM_FORMAT_YAML, "doc", &d), 0);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), 1);
    ck_assert_int_eq(ivrsm_diagnostics_get(d, 0)->line, 4);
    ck_assert_str_eq(ivrsm_diagnostics_get(d, 0)->path, "globals.base");
    ivrsm_diagnostics_free(d);
}
END_TEST

/* A diagnostic quoting a name it could not find (a `next`) shows direction controls and line
 * separators as '?': they would reorder or break the line a log or a terminal shows. */
START_TEST(test_diagnostics_show_no_direction_controls)
{
    expect_failure(NAMES_HEAD "states:\n  a:\n    type: prompt_and_listen\n    prompt: hi\n"
                              "    fallback: {next: \"end\\u202E\\u2029\\u061Cx\"}\n" NAMES_END,
                   strlen(NAMES_HEAD
                          "states:\n  a:\n    type: prompt_and_listen\n    prompt: hi\n"
                          "    fallback: {next: \"end\\u202E\\u2029\\u061Cx\"}\n" NAMES_END),
                   IVRSM_FORMAT_YAML, IVRSM_EMACHINE, 7, 22, "states.a.fallback.next",
                   "no state named 'end???x'");
}
END_TEST

/* resp loads where the state's own action has just answered: outer and nested outcomes. */
START_TEST(test_resp_in_outcomes)
{
    static const char doc[] =
        BASE_HEAD "    next: b\n"
                  "  b:\n"
                  "    type: action_then_prompt\n"
                  "    action:\n"
                  "      call: get\n"
                  "      on_success: {set: {n: \"{{resp.n}}\"}, prompt: \"{{#if "
                  "resp.n}}{{resp.n}}{{/if}}\"}\n"
                  "    on_fail: {prompt: \"{{resp.error.text}}\", next: ivr.entry}\n"
                  "    next: c\n"
                  "  c:\n"
                  "    type: prompt_and_listen\n"
                  "    prompt: \"{{ctx.n}}\"\n"
                  "    collect: {mode: otp}\n"
                  "    action: {call: get}\n"
                  "    on_fail: {set: {why: \"{{resp}}\"}, next: c}\n";
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, "doc.yaml", &m, &err);
    ck_assert_msg(rc == 0, "%d:%d: %s", err.line, err.column, err.message);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * A template error points at the mistake itself: its line and column in the
 * file, through every way YAML and JSON write a string.
 */
#define POS_HEAD                                                                                   \
    "machine: m\nversion: \"1\"\nglobals: {n: 2}\nstates:\n  a:\n    type: prompt_end\n"

typedef struct template_pos_case {
    const char *name;
    const char *text;
    ivrsm_format format;
    int line;
    int column;
    const char *fragment;
} template_pos_case;

static const template_pos_case template_pos_cases[] = {
    {"plain", POS_HEAD "    prompt: Bonjour {{ctx.name\n", IVRSM_FORMAT_YAML, 7, 21,
     "prompt: invalid template: unterminated '{{'"},
    {"plain on two lines", POS_HEAD "    prompt: Bonjour\n      et {{#if ctx.vip}} bienvenue\n",
     IVRSM_FORMAT_YAML, 8, 10, "'{{#if}}' never closed"},
    {"folded",
     POS_HEAD "    prompt: >\n      Bonjour et bienvenue.\n\n      Au revoir {{ctx.name}.\n",
     IVRSM_FORMAT_YAML, 10, 17, "unterminated '{{'"},
    {"folded, an {{#if}} never closed",
     POS_HEAD "    prompt: >\n      Bonjour.\n      Vous avez {{resp.count}} rendez-vous.\n"
              "      {{#if resp.count == 0}} Aucun.\n      Au revoir.\n",
     IVRSM_FORMAT_YAML, 10, 7, "'{{#if}}' never closed"},
    {"folded, comment after the indicator",
     POS_HEAD "    prompt: >- # the greeting\n      Bonjour\n        {{#each x}}\n",
     IVRSM_FORMAT_YAML, 9, 9, "prompt: invalid template:"},
    {"literal, more indented lines",
     POS_HEAD "    prompt: |\n      Un.\n        Deux {{#if a}}\n      Trois {{/if}} {{/if}}\n",
     IVRSM_FORMAT_YAML, 9, 20, "prompt: invalid template: unknown root 'a'"},
    {"single quoted", POS_HEAD "    prompt: 'l''accueil\n      {{ctx.a}} {{ctx.b'\n",
     IVRSM_FORMAT_YAML, 8, 17, "unterminated '{{'"},
    {"double quoted, escapes",
     POS_HEAD "    prompt: \"\\u00e9t\\u00e9 \\\"ok\\\" \\t\\\n      \\x41 {{ctx.b\"\n",
     IVRSM_FORMAT_YAML, 8, 12, "unterminated '{{'"},
    {"windows line ends",
     "machine: m\r\nversion: \"1\"\r\nstates:\r\n  a:\r\n    type: prompt_end\r\n"
     "    prompt: >\r\n      Bonjour\r\n      {{ctx.x\r\n",
     IVRSM_FORMAT_YAML, 8, 7, "unterminated '{{'"},
    {"an anchored prompt",
     POS_HEAD "    prompt: &p \"Bonjour {{ctx.x\"\n  b:\n    type: prompt_end\n"
              "    prompt: *p\n",
     IVRSM_FORMAT_YAML, 7, 25, "unterminated '{{'"},
    {"json, escapes and a surrogate pair",
     "{\"machine\": \"m\", \"version\": \"1\", \"states\": {\"a\": {\"type\": \"prompt_end\",\n"
     "  \"prompt\": \"\\u00e9 \\ud83d\\ude00 \\\"x\\\"\\n {{ctx.b\"}}}\n",
     IVRSM_FORMAT_JSON, 2, 42, "unterminated '{{'"},
    /* A ${globals} reference substituted inside the text: the text no longer
     * spells the value, so the string's start and the character count. */
    {"globals inside the text", POS_HEAD "    prompt: \"${globals.n} {{ctx.x\"\n",
     IVRSM_FORMAT_YAML, 7, 13,
     "prompt: invalid template at character 3 of the text: unterminated '{{'"},
};

START_TEST(test_template_error_positions)
{
    const template_pos_case *c = &template_pos_cases[_i];
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    int rc = ivrsm_machine_load_buffer(c->text, strlen(c->text), c->format, "doc.yaml", &m, &err);
    ck_assert_msg(rc == IVRSM_EMACHINE, "%s: code %d (%d:%d %s)", c->name, rc, err.line, err.column,
                  err.message);
    ck_assert_msg(strstr(err.message, c->fragment), "%s: message \"%s\" lacks \"%s\"", c->name,
                  err.message, c->fragment);
    ck_assert_msg(err.line == c->line && err.column == c->column, "%s: at %d:%d, want %d:%d (%s)",
                  c->name, err.line, err.column, c->line, c->column, err.message);
}
END_TEST

static const char billion_laughs[] =
    "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";

START_TEST(test_alias_bomb)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect_failure(billion_laughs, strlen(billion_laughs), IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 6, 11,
                   "", "more than 200000 nodes (aliases count as the nodes they repeat)");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    /* A generous bound (sanitizers included): expanding it would take minutes and gigabytes. */
    ck_assert_msg(ms < 2000, "refusing the alias bomb took %.1f ms", ms);
}
END_TEST

/* A text of `n` bytes builder for the expansion tests (freed by the caller). */
static char *grow_doc(size_t cap)
{
    char *doc = malloc(cap);
    ck_assert_ptr_nonnull(doc);
    doc[0] = '\0';
    return doc;
}

/*
 * Aliases of a long string stay under the node bound but would repeat
 * megabytes: the text is counted with every alias expanded, and the alias
 * that passes IVRSM_MAX_EXPANDED_BYTES is where the document is refused.
 */
START_TEST(test_alias_text_bomb)
{
    const size_t len = 60000, aliases = 150000;
    char *doc = grow_doc(len + aliases * 4 + 200);
    char *p = doc + sprintf(doc, "machine: m\nversion: \"1\"\nbig: &a \"");
    memset(p, 'x', len);
    p += len;
    p += sprintf(p, "\"\nlist: [");
    for (size_t i = 0; i < aliases; i++)
        p += sprintf(p, "%s*a", i ? ", " : "");
    strcpy(p, "]\n");
    /* Keys and short scalars before the aliases: machine m version 1 big list. */
    size_t fixed = 7 + 1 + 7 + 1 + 3 + 4;
    size_t first_over = (IVRSM_MAX_EXPANDED_BYTES - fixed) / len; /* the anchor counts once */
    expect_failure(doc, strlen(doc), IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 4,
                   (int)(8 + (first_over - 1) * 4), "",
                   "more than 8388608 bytes of text once its aliases are expanded");
    free(doc);
}
END_TEST

/* The state that sets a ctx key to a long global, `refs` times, for the tests below. */
static char *globals_doc(const char *global, size_t refs)
{
    char *doc = grow_doc(strlen(global) + refs * 40 + 400);
    char *p = doc + sprintf(doc,
                            "machine: m\nversion: \"1\"\nglobals:\n  big: %s\n"
                            "intents:\n  go: {dtmf: [\"1\"]}\nstates:\n  a:\n"
                            "    type: prompt_and_listen\n    prompt: \"p\"\n    routes:\n"
                            "      - when_intent: go\n        next: a\n        set:\n",
                            global);
    for (size_t i = 0; i < refs; i++)
        p += sprintf(p, "          k%zu: ${globals.big}\n", i);
    return doc;
}

/* ${globals...} references count as what they repeat, like aliases: in text... */
START_TEST(test_globals_text_bomb)
{
    /* A 2 MB map of strings, referenced 3000 times: 6 GB if each were compiled. */
    size_t strings = 32, len = 65000;
    char *global = grow_doc(strings * (len + 16) + 8);
    char *p = global + sprintf(global, "{");
    for (size_t i = 0; i < strings; i++) {
        p += sprintf(p, "%sk%zu: \"", i ? ", " : "", i);
        memset(p, 'y', len);
        p += len;
        p += sprintf(p, "\"");
    }
    strcpy(p, "}");
    char *doc = globals_doc(global, 3000);
    /* The document holds 2 MB once (line 15 sets k0); the fourth reference passes 8 MiB. */
    expect_failure(doc, strlen(doc), IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 15 + 3, 15,
                   "states.a.routes[0].set.k3",
                   "more than 8388608 bytes of text once its ${globals...} references are "
                   "expanded");
    free(doc);
    free(global);
}
END_TEST

/* ...and in nodes: a list of 1000 empty strings holds no text at all. */
START_TEST(test_globals_node_bomb)
{
    char *global = grow_doc(1000 * 4 + 8);
    char *p = global + sprintf(global, "[");
    for (size_t i = 0; i < 1000; i++)
        p += sprintf(p, "%s\"\"", i ? ", " : "");
    strcpy(p, "]");
    char *doc = globals_doc(global, 300);
    /* 1,001 nodes in globals, 20 more around: each reference adds 1,000. */
    expect_failure(doc, strlen(doc), IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 15 + 198, 17,
                   "states.a.routes[0].set.k198",
                   "more than 200000 nodes once its ${globals...} references are expanded");
    free(doc);
    free(global);
}
END_TEST

/*
 * Block scalars read as YAML 1.2 says (the values are PyYAML's). libfyaml
 * 0.7.12 folds the first five wrongly and its text then ended in a byte it
 * never wrote (valgrind: uninitialised value; the value varied run to run).
 */
static const struct {
    const char *doc;
    const char *want;
} block_cases[] = {
    {"k: >\n  d\n\n   nd\n", "d\n\n nd\n"},
    {"k: >\n  x\n\n\n   y\n   z\n  w\n", "x\n\n\n y\n z\nw\n"},
    {"k: >-\n  a\n\n   b\n\n", "a\n\n b"},
    {"k: >+\n  a\n\n   b\n\n\nz: 1\n", "a\n\n b\n\n\n"},
    {"k: >\r\n  d\r\n\r\n   nd\r\n", "d\n\n nd\n"},
    {"k: >2 # a > -comment\n\n     x\n\n    y\n", "\n   x\n\n  y\n"},
    {"k: |\n  lit\n\n   x\n", "lit\n\n x\n"},
    {"k: >\n  a\n  b\n\n  c\n", "a b\nc\n"},
    /* The document ends inside the last line: no final line break to keep. */
    {"k: >\n  If you", "If you"},
    {"k: >+\n  a\n  b", "a b"},
    {"k: >-\n  a\n  b", "a b"},
    {"k: >\n  a\n\n   b", "a\n\n b"},
    {"k: >\n  x\n  ", "x\n"},
    {"k: |\n  lit", "lit"},
    {"k: |+\n  a\n\n  b", "a\n\nb"},
    {"k: |\n  a\n  ", "a\n"},
    /* Single-quoted on one line, read by libfyaml's path (the tab sends it there). */
    {"k: '''a:''''id:'''''\nt: \"\t\"\n", "'a:''id:''"},
    {"k: ''\nt: \"\t\"\n", ""},
    {"k: 'it''s'\nt: \"\t\"\n", "it's"},
};

START_TEST(test_block_scalars)
{
    ivrsm_document *doc = NULL;
    ivrsm_error err;
    const char *text = block_cases[_i].doc;
    int rc = ivrsm_document_load_buffer(text, strlen(text), IVRSM_FORMAT_YAML, "t", &doc, &err);
    ck_assert_msg(rc == 0, "%s", err.message);
    const char *got = ivrsm_node_text(ivrsm_node_get(ivrsm_document_root(doc), "k"));
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, block_cases[_i].want);
    ivrsm_document_free(doc);
}
END_TEST

/*
 * A value jansson refuses for another reason than memory (text that is not
 * UTF-8, which no reader produces today) is named, not taken for an
 * allocation failure (the loader said "out of memory").
 */
START_TEST(test_json_refusal_is_not_out_of_memory)
{
    dom_doc *doc = ivrsm_dom_doc_new("t", ivrsm_mem_default());
    ck_assert_ptr_nonnull(doc);
    dom_node *map = ivrsm_dom_new_node(doc, DOM_MAP, 1, 1);
    dom_node *bad = ivrsm_dom_new_string(doc, "a\xff", 2, 2, 3);
    dom_pair pair = {"k", 1, 2, 1, bad};
    map->pairs = &pair;
    map->count = 1;
    const dom_node *why = NULL;
    ck_assert_ptr_null(ivrsm_dom_to_json(map, &why));
    ck_assert_ptr_eq(why, bad);
    ck_assert_str_eq(ivrsm_dom_json_refusal(why), "only UTF-8 text without NUL characters can");
    /* The same for a key. */
    dom_node *fine = ivrsm_dom_new_string(doc, "a", 1, 2, 3);
    dom_pair bad_key = {"\xc3", 1, 2, 1, fine};
    map->pairs = &bad_key;
    ck_assert_ptr_null(ivrsm_dom_to_json(map, &why));
    ck_assert_ptr_eq(why, map);
    ivrsm_dom_free(doc);
}
END_TEST

START_TEST(test_deep_yaml)
{
    char doc[300] = "a: ";
    for (int i = 0; i < 80; i++)
        strcat(doc, "[");
    for (int i = 0; i < 80; i++)
        strcat(doc, "]");
    /* The root map is level 1: the 64th bracket would be level 65. */
    expect_failure(doc, strlen(doc), IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 1, 67, "",
                   "nesting deeper than 64 levels");
}
END_TEST

START_TEST(test_deep_yaml_alias)
{
    /* Under the limit where it is written, over it where it is used. */
    char doc[400] = "a: &deep ";
    for (int i = 0; i < 60; i++)
        strcat(doc, "[");
    for (int i = 0; i < 60; i++)
        strcat(doc, "]");
    strcat(doc, "\nb: [[[[[[*deep]]]]]]\n");
    expect_failure(doc, strlen(doc), IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 2, 10, "",
                   "nesting deeper than 64 levels (through the alias *deep)");
}
END_TEST

START_TEST(test_deep_json)
{
    size_t n = 100000;
    char *doc = malloc(2 * n + 1);
    ck_assert_ptr_nonnull(doc);
    memset(doc, '[', n);
    memset(doc + n, ']', n);
    doc[2 * n] = '\0';
    expect_failure(doc, 2 * n, IVRSM_FORMAT_JSON, IVRSM_ELIMIT, 1, 65, "",
                   "nesting deeper than 64 levels");
    free(doc);
}
END_TEST

START_TEST(test_too_many_json_values)
{
    /* Refused before jansson builds 200000 values. */
    size_t n = 200000;
    char *doc = malloc(2 * n + 16);
    ck_assert_ptr_nonnull(doc);
    size_t len = (size_t)sprintf(doc, "{\"a\":[");
    for (size_t i = 0; i < n; i++) {
        doc[len++] = '0';
        doc[len++] = i + 1 < n ? ',' : ']';
    }
    doc[len++] = '}';
    /* root, "a", the first item, then one per comma: the 199998th comma is one too many. */
    expect_failure(doc, len, IVRSM_FORMAT_JSON, IVRSM_ELIMIT, 1, 6 + 2 * 199998, "",
                   "the document has more than 200000 nodes");
    free(doc);
}
END_TEST

START_TEST(test_too_many_states)
{
    size_t n = IVRSM_MAX_STATES + 1;
    char *doc = malloc(n * 40 + 100);
    ck_assert_ptr_nonnull(doc);
    size_t len = (size_t)sprintf(doc, "machine: m\nversion: \"1\"\nstates:\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(doc + len, "  s%zu: {type: prompt_end}\n", i);
    expect_failure(doc, len, IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 3, 1, "states",
                   "the machine has 10001 states, more than the limit of 10000");
    free(doc);
}
END_TEST

START_TEST(test_oversized_string)
{
    size_t n = IVRSM_MAX_STRING_BYTES + 1;
    char *doc = malloc(n + 64);
    ck_assert_ptr_nonnull(doc);
    size_t len = (size_t)sprintf(doc, "machine: m\nversion: \"");
    memset(doc + len, 'a', n);
    len += n;
    len += (size_t)sprintf(doc + len, "\"\n");
    expect_failure(doc, len, IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 2, 10, "",
                   "a string longer than 65536 bytes");
    /* The same in JSON. */
    len = (size_t)sprintf(doc, "{\"machine\": \"");
    memset(doc + len, 'b', n);
    len += n;
    len += (size_t)sprintf(doc + len, "\"}");
    expect_failure(doc, len, IVRSM_FORMAT_JSON, IVRSM_ELIMIT, 1, 13, "",
                   "a string longer than 65536 bytes");
    free(doc);
}
END_TEST

START_TEST(test_oversized_document)
{
    size_t n = IVRSM_MAX_DOCUMENT_BYTES + 1;
    char *doc = malloc(n);
    ck_assert_ptr_nonnull(doc);
    memset(doc, '#', n);
    expect_failure(doc, n, IVRSM_FORMAT_YAML, IVRSM_ELIMIT, 0, 0, "",
                   "the document is larger than 4194304 bytes");
    /* From a file, too: refused while reading. */
    char path[] = "/tmp/ivrsm-big-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, doc, n), (ssize_t)n);
    close(fd);
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, &err), IVRSM_ELIMIT);
    ck_assert_str_eq(err.file, path);
    ck_assert_ptr_nonnull(strstr(err.message, "larger than 4194304 bytes"));
    unlink(path);
    free(doc);
}
END_TEST

START_TEST(test_file_errors)
{
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_machine_load_file("/nonexistent/machine.yaml", IVRSM_FORMAT_AUTO, &m, &err),
        IVRSM_EIO);
    ck_assert_int_eq(err.code, IVRSM_EIO);
    ck_assert_str_eq(err.file, "/nonexistent/machine.yaml");
    ck_assert_ptr_nonnull(strstr(err.message, "cannot open the file"));
    ck_assert_int_eq(ivrsm_machine_load_file(NULL, IVRSM_FORMAT_AUTO, &m, &err), IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_machine_load_buffer("a: 1", 4, IVRSM_FORMAT_AUTO, NULL, NULL, NULL),
                     IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_machine_load_buffer("a: 1", 4, (ivrsm_format)7, NULL, &m, NULL),
                     IVRSM_EINVAL);
    /* err may be NULL. */
    ck_assert_int_eq(ivrsm_machine_load_buffer("[", 1, IVRSM_FORMAT_YAML, NULL, &m, NULL),
                     IVRSM_ESYNTAX);
    ck_assert_ptr_null(m);
    /* The name defaults to <buffer>. */
    ck_assert_int_eq(ivrsm_machine_load_buffer("x: 1", 4, IVRSM_FORMAT_YAML, NULL, &m, &err),
                     IVRSM_EMACHINE);
    ck_assert_str_eq(err.file, "<buffer>");
}
END_TEST

START_TEST(test_json_file_by_extension)
{
    /* A .json file is read as JSON even when it starts with blank lines. */
    char path[] = "/tmp/ivrsm-json-XXXXXX.json";
    int fd = mkstemps(path, 5);
    ck_assert_int_ge(fd, 0);
    const char *doc = "\n\n{\"machine\": \"j\", \"version\": \"1\", \"states\": {\"a\": "
                      "{\"type\": \"prompt_end\", \"prompt\": \"Salut\", \"bogus\": 1}}}";
    ck_assert_int_eq(write(fd, doc, strlen(doc)), (ssize_t)strlen(doc));
    close(fd);
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_file(path, IVRSM_FORMAT_AUTO, &m, &err), IVRSM_EMACHINE);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 92);
    ck_assert_str_eq(err.path, "states.a.bogus");
    unlink(path);
}
END_TEST

/* ------------------------------------------------------------ check API */

/*
 * The owner a message names ("in noinput of state 'a'") is written only when
 * a message needs it: every kind of owner, for an unknown key and for a
 * missing one, and one past the 299 bytes an owner's text holds (cut there).
 */
START_TEST(test_owner_messages)
{
    char doc[4096];
    size_t len = 0;
    static const char *const head[] = {
        "machine: m\n",
        "version: \"1\"\n",
        "globals: {endpoints: {get: \"GET /x\"}}\n",
        "inputs:\n",
        "  who: {type: string, zz: 1}\n",
        "intents:\n",
        "  yes: {dtmf: [\"1\"], zz: 1}\n",
        "states:\n",
        "  a:\n",
        "    type: prompt_and_listen\n",
        "    prompt: \"P\"\n",
        "    zz: 1\n",
        "    routes:\n",
        "      - {when_intent: yes, zz: 1}\n",
        "      - {zz: 1}\n",
        "    noinput: {zz: 1}\n",
        "    nomatch: {zz: 1, next: a}\n",
        "    fallback: {zz: 1}\n",
        "    collect: {zz: 1, retry: {zz: 1, max: 2}}\n",
        "    next: b\n",
        "  b:\n",
        "    type: action_then_prompt\n",
        "    prompt: \"Q\"\n",
        "    action: {zz: 1, on_success: {zz: 1, next: a}}\n",
        "    on_fail: {zz: 1, next: a}\n",
        "  c:\n",
        "    type: action_then_prompt\n",
        "    prompt: \"R\"\n",
        "  d:\n",
        "    prompt: \"S\"\n",
    };
    for (size_t i = 0; i < sizeof(head) / sizeof(head[0]); i++) {
        memcpy(doc + len, head[i], strlen(head[i]));
        len += strlen(head[i]);
    }
    char name[400] = "";
    for (int i = 0; i < 160; i++)
        strcat(name, "\xc3\xa9");
    len += (size_t)snprintf(doc + len, sizeof(doc) - len,
                            "  %s:\n    type: prompt_end\n    prompt: \"T\"\n    zz: 1\n", name);
    static const struct {
        int line, column;
        const char *rule, *message;
    } want[] = {
        {5, 23, "unknown-key",
         "unknown key 'zz' in input 'who' (expected one of: type, default, required, description)"},
        {7, 22, "unknown-key",
         "unknown key 'zz' in intent 'yes' (expected one of: utterances, dtmf)"},
        {12, 5, "unknown-key",
         "unknown key 'zz' in state 'a' (expected one of: type, description, prompt, "
         "prompt_template, prompt_from_action, routes, noinput, nomatch, fallback, next, collect, "
         "action, on_success, on_fail, on_status, on_timeout, on_error, enabled, queue_id, "
         "prompt_before)"},
        {14, 9, "missing-key", "missing key 'next' in a route of state 'a'"},
        {14, 28, "unknown-key",
         "unknown key 'zz' in a route of state 'a' (expected one of: when_intent, when_text, when, "
         "set, next)"},
        {15, 9, "missing-key",
         "missing key 'when_intent', 'when_text' or 'when' in a route of state 'a'"},
        {15, 9, "missing-key", "missing key 'next' in a route of state 'a'"},
        {15, 10, "unknown-key",
         "unknown key 'zz' in a route of state 'a' (expected one of: when_intent, when_text, when, "
         "set, next)"},
        {16, 5, "missing-key", "missing key 'max' in noinput of state 'a'"},
        {16, 15, "unknown-key",
         "unknown key 'zz' in noinput of state 'a' (expected one of: max, next, prompts, "
         "repeat_prompt)"},
        {17, 5, "missing-key", "missing key 'max' in nomatch of state 'a'"},
        {17, 15, "unknown-key",
         "unknown key 'zz' in nomatch of state 'a' (expected one of: max, next, prompts, "
         "repeat_prompt)"},
        {18, 5, "missing-key", "missing key 'next' in fallback of state 'a'"},
        {18, 16, "unknown-key",
         "unknown key 'zz' in fallback of state 'a' (expected one of: set, next)"},
        {19, 5, "missing-key", "missing key 'mode' in collect of state 'a'"},
        {19, 15, "unknown-key",
         "unknown key 'zz' in collect of state 'a' (expected one of: mode, allow_dtmf, length, "
         "target, validate, retry, min, max, terminator, check, min_value, max_value, "
         "max_years_ago, pattern, year)"},
        {19, 30, "unknown-key",
         "unknown key 'zz' in collect.retry of state 'a' (expected one of: max, on_fail_next)"},
        {23, 5, "ignored-key",
         "'prompt' has no effect in state 'b': an action_then_prompt state speaks through "
         "on_success / on_fail (to speak before its request, write prompt_before)"},
        {24, 5, "missing-key", "missing key 'call' in action of state 'b'"},
        {24, 14, "unknown-key",
         "unknown key 'zz' in action of state 'b' (expected one of: call, headers, query, path, "
         "body, timeout_ms, on_success, on_fail, on_status, on_timeout, on_error)"},
        {24, 34, "unknown-key",
         "unknown key 'zz' in on_success of state 'b' (expected one of: set, prompt, "
         "prompt_template, prompt_from_action, next)"},
        {25, 15, "unknown-key",
         "unknown key 'zz' in on_fail of state 'b' (expected one of: set, prompt, prompt_template, "
         "prompt_from_action, next)"},
        {26, 3, "missing-key", "missing key 'action' in state 'c'"},
        {28, 5, "ignored-key",
         "'prompt' has no effect in state 'c': an action_then_prompt state speaks through "
         "on_success / on_fail (to speak before its request, write prompt_before)"},
        {29, 3, "missing-key",
         "missing key 'type' in state 'd' (expected one of: prompt_and_listen, action_then_prompt, "
         "listen, handoff, prompt_end, decide)"},
        /* No unreachable-state: the routes of a state with an error are not all known. */
    };
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(doc, len, IVRSM_FORMAT_YAML, "x.yaml", &d), 0);
    size_t n = sizeof(want) / sizeof(want[0]);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), n + 1);
    for (size_t i = 0; i < n; i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        ck_assert_str_eq(x->message, want[i].message);
        ck_assert_str_eq(x->rule, want[i].rule);
        ck_assert_int_eq(x->line, want[i].line);
        ck_assert_int_eq(x->column, want[i].column);
    }
    /* "unknown key 'zz' in state '" and the name, cut at 299 bytes of owner text. */
    char owner[300];
    snprintf(owner, sizeof(owner), "state '%s'", name);
    char message[512];
    snprintf(message, sizeof(message), "unknown key 'zz' in %s (expected one of: ", owner);
    const char *last = ivrsm_diagnostics_get(d, n)->message;
    ck_assert_msg(!strncmp(last, message, strlen(message)), "%s", last);
    ivrsm_diagnostics_free(d);
}
END_TEST

START_TEST(test_check_collects_everything)
{
    const char *doc = BASE_HEAD "    rout: 1\n"
                                "    routes:\n"
                                "      - when_intent: nope\n"
                                "        next: nowhere\n"
                                "  b: {type: prompt_end}\n";
    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, "x.yaml", &d),
                     0);
    ck_assert_str_eq(ivrsm_diagnostics_file(d), "x.yaml");
    ck_assert_uint_eq(ivrsm_diagnostics_error_count(d), 3);
    /* Sorted by position. b is reachable (escalations go to the goodbye state), and
     * yes is not reported unused since a route names an unknown intent. */
    const char *rules[] = {"unknown-key", "unknown-intent", "dangling-next", "missing-prompt"};
    const int lines[] = {13, 15, 16, 17};
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), 4);
    for (size_t i = 0; i < 4; i++) {
        const ivrsm_diagnostic *x = ivrsm_diagnostics_get(d, i);
        ck_assert_str_eq(x->rule, rules[i]);
        ck_assert_int_eq(x->line, lines[i]);
    }
    ck_assert_ptr_null(ivrsm_diagnostics_get(d, 4));
    ivrsm_diagnostics_free(d);

    /* A syntax error stops everything, and is still a diagnostic. */
    ck_assert_int_eq(ivrsm_machine_check_buffer("a: [", 4, IVRSM_FORMAT_YAML, NULL, &d), 0);
    ck_assert_uint_eq(ivrsm_diagnostics_count(d), 1);
    ck_assert_str_eq(ivrsm_diagnostics_get(d, 0)->rule, "syntax");
    ck_assert_str_eq(ivrsm_diagnostics_file(d), "<buffer>");
    ivrsm_diagnostics_free(d);

    ck_assert_int_eq(ivrsm_machine_check_file("/nonexistent.yaml", IVRSM_FORMAT_AUTO, &d),
                     IVRSM_EIO);
    ck_assert_int_eq(ivrsm_machine_check_buffer(NULL, 3, IVRSM_FORMAT_AUTO, NULL, &d),
                     IVRSM_EINVAL);
    ck_assert_uint_eq(ivrsm_diagnostics_count(NULL), 0);
    ivrsm_diagnostics_free(NULL);
}
END_TEST

/* ------------------------------------------------------------ convert */

static char *write_temp(const char *text, const char *suffix)
{
    char *path = malloc(64);
    ck_assert_ptr_nonnull(path);
    snprintf(path, 64, "/tmp/ivrsm-conv-XXXXXX%s", suffix);
    int fd = mkstemps(path, (int)strlen(suffix));
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

START_TEST(test_convert_round_trip)
{
    /* The seed, a small machine, and the card line of format 1.1 (conditions, parts,
     * outcomes by status, hours, inputs, amounts). */
    static const char *const files[] = {"examples/synergia_rdv/machine.yaml",
                                        "tests/fixtures/load/mini.yaml",
                                        "examples/bank_card/machine.yaml"};
    char *src = source_path(files[_i]);
    ivrsm_error err;
    char *json = NULL, *yaml = NULL;
    ck_assert_int_eq(
        ivrsm_document_convert_file(src, IVRSM_FORMAT_AUTO, IVRSM_FORMAT_JSON, &json, &err), 0);
    char *json_path = write_temp(json, ".json");
    ck_assert_int_eq(
        ivrsm_document_convert_file(json_path, IVRSM_FORMAT_AUTO, IVRSM_FORMAT_YAML, &yaml, &err),
        0);
    ivrsm_machine *a = load_path(files[_i]);
    ivrsm_machine *b = load_text(json, IVRSM_FORMAT_JSON);
    ivrsm_machine *c = load_text(yaml, IVRSM_FORMAT_YAML);
    same_machine(a, b);
    same_machine(a, c);
    /* YAML → YAML is stable. */
    char *yaml_path = write_temp(yaml, ".yaml");
    char *again = NULL;
    ck_assert_int_eq(
        ivrsm_document_convert_file(yaml_path, IVRSM_FORMAT_YAML, IVRSM_FORMAT_YAML, &again, &err),
        0);
    ck_assert_str_eq(again, yaml);
    unlink(json_path);
    unlink(yaml_path);
    ivrsm_machine_unref(a);
    ivrsm_machine_unref(b);
    ivrsm_machine_unref(c);
    ivrsm_free(json);
    ivrsm_free(yaml);
    ivrsm_free(again);
    free(json_path);
    free(yaml_path);
    free(src);
}
END_TEST

/* The public document reader: the library's tree, typed by the core schema, with positions. */
START_TEST(test_document_api)
{
    const char *text = "name: ana\n"
                       "age: 0x1F\n"
                       "ok: yes\n"
                       "vip: true\n"
                       "ratio: 1.5\n"
                       "none: ~\n"
                       "list: [a, {b: 1}]\n";
    ivrsm_document *doc = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_document_load_buffer(text, strlen(text), IVRSM_FORMAT_YAML, "t.yaml", &doc, &err), 0);
    const ivrsm_node *root = ivrsm_document_root(doc);
    ck_assert_int_eq(ivrsm_node_type(root), IVRSM_NODE_MAP);
    ck_assert_uint_eq(ivrsm_node_size(root), 7);
    int line = 0, column = 0;
    ck_assert_str_eq(ivrsm_node_key(root, 1, &line, &column), "age");
    ck_assert_int_eq(line, 2);
    ck_assert_int_eq(column, 1);
    const ivrsm_node *age = ivrsm_node_get(root, "age");
    ck_assert_int_eq(ivrsm_node_type(age), IVRSM_NODE_INT);
    ck_assert_int_eq(ivrsm_node_int(age), 31);
    ck_assert_str_eq(ivrsm_node_text(age), "0x1F");
    ck_assert_int_eq(ivrsm_node_line(age), 2);
    ck_assert_int_eq(ivrsm_node_column(age), 6);
    ck_assert_int_eq(ivrsm_node_type(ivrsm_node_get(root, "ok")), IVRSM_NODE_STRING); /* YAML 1.2 */
    ck_assert(ivrsm_node_bool(ivrsm_node_get(root, "vip")));
    ck_assert(ivrsm_node_real(ivrsm_node_get(root, "ratio")) == 1.5);
    ck_assert_int_eq(ivrsm_node_type(ivrsm_node_get(root, "none")), IVRSM_NODE_NULL);
    const ivrsm_node *list = ivrsm_node_get(root, "list");
    ck_assert_uint_eq(ivrsm_node_size(list), 2);
    ck_assert_str_eq(ivrsm_node_text(ivrsm_node_item(list, 0)), "a");
    ck_assert_ptr_null(ivrsm_node_item(list, 2));
    ck_assert_ptr_null(ivrsm_node_get(root, "missing"));
    char *json = ivrsm_node_json(list);
    ck_assert_str_eq(json, "[\"a\",{\"b\":1}]");
    ivrsm_free(json);
    ivrsm_document_free(doc);

    /* As JSON, numbers keep their text where JSON can write it (an amount keeps its cents). */
    static const char numbers[] = "amount: 12.50\nsci: 1.5E3\nneg: -0.0\nshort: .5\n"
                                  "hex: 0x1F\ntext: \"é\\\"\\n\"\nnone: ~\n";
    ck_assert_int_eq(ivrsm_document_load_buffer(numbers, sizeof(numbers) - 1, IVRSM_FORMAT_YAML,
                                                "n.yaml", &doc, &err),
                     0);
    json = ivrsm_node_json(ivrsm_document_root(doc));
    ck_assert_str_eq(json, "{\"amount\":12.50,\"sci\":1.5E3,\"neg\":-0.0,\"short\":0.5,"
                           "\"hex\":31,\"text\":\"é\\\"\\n\",\"none\":null}");
    ivrsm_free(json);
    ivrsm_document_free(doc);

    /* Its errors: the library's, in words that do not speak of machines. */
    ck_assert_int_eq(
        ivrsm_document_load_buffer("- a\n", 4, IVRSM_FORMAT_YAML, "l.yaml", &doc, &err),
        IVRSM_EMACHINE);
    ck_assert_str_eq(err.message, "the document root must be a map, found a list");
    ck_assert_int_eq(
        ivrsm_document_load_buffer("a: 1\na: 2\n", 10, IVRSM_FORMAT_YAML, "d.yaml", &doc, &err),
        IVRSM_ESYNTAX);
    ck_assert_int_eq(err.line, 2);
    ck_assert_int_eq(ivrsm_document_load_file("/no/such.yaml", IVRSM_FORMAT_AUTO, &doc, &err),
                     IVRSM_EIO);
}
END_TEST

START_TEST(test_convert_scalars)
{
    const char *doc =
        "machine: m\n"
        "s: [\"yes\", \"no\", \"on\", \"off\", \"null\", \"~\", \"true\", \"12\", "
        "\"1.5\", \"0x1F\", \"\", \" lead\", \"a: b\", \"x #y\", \"- z\", "
        "\"{{ctx.a}}\", \"tab\\there\", \"l1\\nl2\", \"caf\xC3\xA9\", \"${globals.a}\"]\n"
        "n: [1, -2, 2.50, 1e3, 0x1F, .inf, true, null]\n"
        "\"yes\": 1\n"
        "long: \"Une phrase assez longue pour etre pliee sur plusieurs lignes par "
        "le convertisseur, mot apres mot, sans perte d'espace.\\n\"\n"
        "long_strip: \"Une phrase assez longue mais sans retour final, pliee elle "
        "aussi par le convertisseur YAML du projet.\"\n"
        "spaces: \"Une phrase avec  deux espaces  au milieu, assez longue pour etre "
        "pliee par le convertisseur.\"\n"
        "empty_map: {}\n"
        "empty_list: []\n"
        "nested: [[1, 2], {a: [b]}, []]\n";
    char *path = write_temp(doc, ".yaml");
    char *yaml = NULL, *json = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_document_convert_file(path, IVRSM_FORMAT_YAML, IVRSM_FORMAT_YAML, &yaml, &err), 0);
    /* libfyaml's emitter lays the document out; the library picks each scalar's style. */
    ck_assert_ptr_nonnull(strstr(yaml, "- \"yes\"\n- \"no\"\n- \"on\"\n- \"off\"\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "- \"{{ctx.a}}\"\n- \"tab\\there\"\n- \"l1\\nl2\"\n"
                                       "- café\n- \"${globals.a}\"\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "- 2.50\n- 1e3\n- 31\n- .inf\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "\"yes\": 1\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "long: >\n  Une phrase"));
    ck_assert_ptr_nonnull(strstr(yaml, "long_strip: >-\n  Une phrase"));
    ck_assert_ptr_nonnull(strstr(yaml, "empty_map: {}\nempty_list: []\n"));
    ck_assert_ptr_nonnull(strstr(yaml, "nested:\n- - 1\n  - 2\n- a:\n  - b\n- []\n"));
    /* Reading the output back gives the same document. */
    char *back_path = write_temp(yaml, ".yaml");
    /* .inf has no JSON form: converting the original to JSON says where it is. */
    ck_assert_int_eq(
        ivrsm_document_convert_file(path, IVRSM_FORMAT_YAML, IVRSM_FORMAT_JSON, &json, &err),
        IVRSM_EINVAL);
    ck_assert_int_eq(err.line, 3);
    ck_assert_int_eq(err.column, 29);
    char *again = NULL;
    ck_assert_int_eq(
        ivrsm_document_convert_file(back_path, IVRSM_FORMAT_YAML, IVRSM_FORMAT_YAML, &again, &err),
        0);
    ck_assert_str_eq(again, yaml);
    unlink(path);
    unlink(back_path);
    free(path);
    free(back_path);
    ivrsm_free(yaml);
    ivrsm_free(again);
}
END_TEST

/*
 * Long text with characters past U+00FF (found by tests/adversarial's random machines):
 * libfyaml 0.7's emitter garbled the one it put at the start of a line when it folded a
 * long scalar, '>' or double-quoted ("İ" came back "0", "Ω" "©", "日本" "å本", "€" lost
 * bytes, an emoji became "\0", which no reader takes). The YAML written reads back as the
 * same strings.
 */
START_TEST(test_convert_folds_keep_wide_characters)
{
    static const char *const texts[] = {
        "horario \\u200d agente {{ctx.day | weekday}} {{ctx.amount | weekday}} {{ctx.amount}} fin",
        "cancelar \\u65e5\\u672c {{ctx.day}} no {{ctx.n | money}} {{ctx.list}} cancelar {{ctx.day}} no",
        "tarjeta {{now.date}} {{now.time}} {{#if ctx.n > -3}}ma\\u00f1ana \\ud83d\\ude00{{else}}a{{/if}} x y z",
        "l'accueil \\u0130 annuler {{now.date}} {{now.time}} {{#if ctx.n > -3}}decembre{{/if}} ordonnance",
        "une phrase assez longue pour etre pliee, avec un \\u03a9 et un \\u01c5 au milieu de la ligne",
        /* double-quoted (braces inside), the character where the emitter folds the line */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {{x}} bbbbbbbbbbbbbbb \\u0130 ccc",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {{x}} bbbbbbbbbbbbbbb \\u20ac ccc",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa {{x}} bbbbbbbbbbbbbbb \\ud83d\\ude00 c",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        char doc[512];
        snprintf(doc, sizeof doc, "{\"k\": \"%s\"}", texts[i]);
        char *path = write_temp(doc, ".json");
        char *yaml = NULL, *json = NULL, *want = NULL;
        ivrsm_error err;
        ck_assert_int_eq(
            ivrsm_document_convert_file(path, IVRSM_FORMAT_JSON, IVRSM_FORMAT_YAML, &yaml, &err), 0);
        char *back = write_temp(yaml, ".yaml");
        ck_assert_int_eq(
            ivrsm_document_convert_file(back, IVRSM_FORMAT_YAML, IVRSM_FORMAT_JSON, &json, &err), 0);
        ck_assert_int_eq(
            ivrsm_document_convert_file(path, IVRSM_FORMAT_JSON, IVRSM_FORMAT_JSON, &want, &err), 0);
        ck_assert_msg(!strcmp(json, want), "YAML written:\n%s\nread back as\n%s", yaml, json);
        unlink(path);
        unlink(back);
        free(path);
        free(back);
        ivrsm_free(yaml);
        ivrsm_free(json);
        ivrsm_free(want);
    }
}
END_TEST

START_TEST(test_convert_empty_root)
{
    /* An empty block map would read back as an empty document. */
    char *path = write_temp("{}", ".json");
    char *yaml = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_document_convert_file(path, IVRSM_FORMAT_AUTO, IVRSM_FORMAT_YAML, &yaml, &err), 0);
    ck_assert_str_eq(yaml, "{}\n");
    unlink(path);
    free(path);
    ivrsm_free(yaml);
}
END_TEST

START_TEST(test_convert_json_numbers)
{
    char *path = write_temp("a: [0.4, 2.5, 3.0, 0.1, 1e-7, 123456789.123, 7]\n", ".yaml");
    char *json = NULL;
    ivrsm_error err;
    ck_assert_int_eq(
        ivrsm_document_convert_file(path, IVRSM_FORMAT_AUTO, IVRSM_FORMAT_JSON, &json, &err), 0);
    json_t *j = json_loads(json, 0, NULL);
    ck_assert(json_real_value(json_array_get(json_object_get(j, "a"), 0)) == 0.4);
    ck_assert(json_real_value(json_array_get(json_object_get(j, "a"), 5)) == 123456789.123);
    ck_assert_ptr_nonnull(strstr(json, "0.4,"));
    ck_assert_ptr_nonnull(strstr(json, "3.0,"));
    json_decref(j);
    ivrsm_free(json);
    unlink(path);
    free(path);

    /* Numbers keep their text where JSON reads it: a converted machine says "2.50 euros" too. */
    path = write_temp("machine: m\nglobals: {fee: 2.50, big: 1.5E3, neg: -0, short: .5, hex: 0x1F, "
                      "plus: +3, tiny: 1e-7}\nempty: {}\nnone: []\n",
                      ".yaml");
    ck_assert_int_eq(
        ivrsm_document_convert_file(path, IVRSM_FORMAT_AUTO, IVRSM_FORMAT_JSON, &json, &err), 0);
    ck_assert_str_eq(json, "{\n  \"machine\": \"m\",\n  \"globals\": {\n    \"fee\": 2.50,\n"
                           "    \"big\": 1.5E3,\n    \"neg\": 0,\n    \"short\": 0.5,\n"
                           "    \"hex\": 31,\n    \"plus\": 3,\n    \"tiny\": 1e-7\n  },\n"
                           "  \"empty\": {},\n  \"none\": []\n}\n");
    ck_assert_int_eq(
        ivrsm_document_convert_file(path, IVRSM_FORMAT_AUTO, (ivrsm_format)0, &json, &err),
        IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_document_convert_file("/nonexistent.yaml", IVRSM_FORMAT_AUTO,
                                                 IVRSM_FORMAT_JSON, &json, &err),
                     IVRSM_EIO);
    unlink(path);
    free(path);
    ivrsm_free(json);
}
END_TEST

/* ------------------------------------------------------------ allocation failures */

/*
 * The load and the check allocate through the allocator of their options,
 * and jansson through the same failing budget (failing_mem.h). libfyaml's
 * parser allocates with the C library and is not made to fail here: it has
 * no allocator hook, and -Wl,--wrap would not reach it either (it only
 * renames the calls of the objects linked into this program).
 */

/*
 * A machine lives in the allocator it was loaded with, the load's scratch
 * too, and gives all of it back when freed; a check likewise, its list
 * included. Options of an unknown size, or an allocator without one of its
 * functions, are refused.
 */
START_TEST(test_machine_allocates_through_its_allocator)
{
    char *path = source_path("examples/synergia_rdv/machine.yaml");
    failing_mem fm;
    failing_mem_init(&fm);
    ivrsm_load_options opts = IVRSM_LOAD_OPTIONS_INIT;
    opts.mem = &fm.mem;
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_file_opts(path, IVRSM_FORMAT_AUTO, &opts, &m, &err), 0);
    ck_assert_int_gt(fm.calls, 100);
    ck_assert_int_gt(fm.live, 0);
    /* Sessions on it use their own allocator (the default here): the machine's is not called. */
    long calls = fm.calls;
    ivrsm_session *s = NULL;
    ck_assert_int_eq(ivrsm_session_new(m, NULL, &s, NULL), 0);
    ck_assert_int_eq(ivrsm_session_start(s), 0);
    char *redacted = ivrsm_machine_redact_json(m, "{\"otp\":\"123456\"}");
    ck_assert_str_eq(redacted, "{\"otp\":\"***\"}");
    ivrsm_free(redacted);
    ck_assert_int_eq(fm.calls, calls);
    ivrsm_session_free(s);
    ivrsm_machine_unref(m);
    ck_assert_int_eq(fm.live, 0);

    ivrsm_diagnostics *d = NULL;
    ck_assert_int_eq(ivrsm_machine_check_file_opts(path, IVRSM_FORMAT_AUTO, &opts, &d), 0);
    ck_assert_int_gt(fm.live, 0);
    ivrsm_diagnostics_free(d);
    ck_assert_int_eq(fm.live, 0);
    ck_assert(!fm.misused);

    /* A zeroed struct (size 0) is this version's layout; a size below it, no version's. */
    ivrsm_load_options zeroed = {.mem = &fm.mem};
    ck_assert_int_eq(ivrsm_machine_load_file_opts(path, IVRSM_FORMAT_AUTO, &zeroed, &m, &err), 0);
    ck_assert_int_gt(fm.live, 0);
    ivrsm_machine_unref(m);
    ivrsm_load_options tiny = {.size = 1};
    ck_assert_int_eq(ivrsm_machine_load_file_opts(path, IVRSM_FORMAT_AUTO, &tiny, &m, &err),
                     IVRSM_EINVAL);
    ivrsm_mem incomplete = fm.mem;
    incomplete.free = NULL;
    opts.mem = &incomplete;
    ck_assert_int_eq(ivrsm_machine_load_file_opts(path, IVRSM_FORMAT_AUTO, &opts, &m, &err),
                     IVRSM_EINVAL);
    ck_assert_int_eq(
        ivrsm_machine_load_buffer_opts("machine: x", 10, IVRSM_FORMAT_AUTO, NULL, &opts, &m, &err),
        IVRSM_EINVAL);
    ck_assert_int_eq(ivrsm_machine_check_file_opts(path, IVRSM_FORMAT_AUTO, &opts, &d),
                     IVRSM_EINVAL);
    ck_assert_int_eq(
        ivrsm_machine_check_buffer_opts("machine: x", 10, IVRSM_FORMAT_AUTO, NULL, &opts, &d),
        IVRSM_EINVAL);
    ck_assert_int_eq(fm.live, 0);
    free(path);
}
END_TEST

/* Fail the n-th allocation of a load and of a check, for every n: ENOMEM, never a crash. */
START_TEST(test_allocation_failures)
{
    static const char *const files[] = {"tests/fixtures/load/mini.yaml",
                                        "tests/fixtures/load/mini.json"};
    char *path = source_path(files[_i]);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char text[16384];
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);
    failing_mem fm;
    failing_mem_init(&fm);
    ivrsm_load_options opts = IVRSM_LOAD_OPTIONS_INIT;
    opts.mem = &fm.mem;
    failing_mem_jansson_route(&fm);
    int loaded = 0, checked = 0;
    for (long n = 0; !(loaded && checked) && n < 200000; n++) {
        ivrsm_machine *m = NULL;
        ivrsm_error err;
        failing_mem_fail_from(&fm, n);
        int rc = loaded ? 0
                        : ivrsm_machine_load_buffer_opts(text, len, IVRSM_FORMAT_AUTO, "t", &opts,
                                                         &m, &err);
        failing_mem_off(&fm);
        ck_assert_msg(rc == 0 || rc == IVRSM_ENOMEM, "allocation %ld: load gave %d: %s", n, rc,
                      err.message);
        if (rc == 0 && !loaded) {
            ck_assert_uint_eq(m->state_count, 7);
            loaded = 1;
        }
        ivrsm_machine_unref(m);
        ck_assert_int_eq(fm.live, 0); /* all of it back, failed or not */

        ivrsm_diagnostics *d = NULL;
        failing_mem_fail_from(&fm, n);
        rc = checked
                 ? 0
                 : ivrsm_machine_check_buffer_opts(text, len, IVRSM_FORMAT_AUTO, "t", &opts, &d);
        failing_mem_off(&fm);
        ck_assert_msg(rc == 0 || rc == IVRSM_ENOMEM, "allocation %ld: check gave %d", n, rc);
        if (rc == 0 && d) {
            ck_assert_uint_eq(ivrsm_diagnostics_error_count(d), 0);
            ck_assert_uint_eq(ivrsm_diagnostics_count(d), 4);
            checked = 1;
        }
        ivrsm_diagnostics_free(d);
        ck_assert_int_eq(fm.live, 0);
    }
    failing_mem_jansson_release();
    ck_assert(loaded && checked);
    ck_assert(!fm.misused);
    free(path);
}
END_TEST

/* ------------------------------------------------------------ suite */

/*
 * A dotted ctx key the runtime could not write (a part longer than 127
 * bytes, an empty part) is refused at load: it was loaded, and the `set:`
 * did nothing at run time.
 */
START_TEST(test_ctx_key_parts)
{
    char part[200];
    memset(part, 'k', sizeof(part) - 1);
    part[sizeof(part) - 1] = '\0';
    static const char *const fmt = "machine: m\nversion: '1'\ninitial: a\nstates:\n"
                                   "  a:\n    type: decide\n"
                                   "    routes:\n      - when: 'true'\n        next: b\n"
                                   "        set:\n          %s: 1\n    next: b\n"
                                   "  b:\n    type: prompt_end\n    prompt: Au revoir\n";
    char doc[1024];
    char key[300];
    snprintf(key, sizeof(key), "%s.name", part);
    snprintf(doc, sizeof(doc), fmt, key);
    ivrsm_machine *m = NULL;
    ivrsm_error err;
    ck_assert_int_eq(ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, "t", &m, &err),
                     IVRSM_ELIMIT);
    ck_assert_ptr_nonnull(strstr(err.message, "more than the limit of 127"));
    static const char *const empty[] = {"a..b", "a.", ".a"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        snprintf(doc, sizeof(doc), fmt, empty[i]);
        ck_assert_int_eq(
            ivrsm_machine_load_buffer(doc, strlen(doc), IVRSM_FORMAT_YAML, "t", &m, &err),
            IVRSM_EMACHINE);
        ck_assert_msg(strstr(err.message, "empty part"), "%s: %s", empty[i], err.message);
    }
    /* 127 bytes is still a name. */
    part[127] = '\0';
    snprintf(key, sizeof(key), "%s.name", part);
    snprintf(doc, sizeof(doc), fmt, key);
    m = load_text(doc, IVRSM_FORMAT_YAML);
    ivrsm_machine_unref(m);
}
END_TEST

/*
 * The library's hash (strmap.c) on the keys its tables hold: every byte of a
 * text of any length up to 40 changes it; 65,536 keys alike but for one or
 * two bytes fill 65,536 buckets of the low 16 bits as random values would
 * (1 - 1/e of them, 41,427); the hash of a text is the same
 * wherever the text sits in memory; a table of names finds each of them.
 */
START_TEST(test_hash_spreads_keys)
{
    char a[48], b[48];
    for (size_t len = 1; len <= 40; len++)
        for (size_t at = 0; at < len; at++)
            for (int bit = 0; bit < 8; bit++) {
                memset(a, 'k', len);
                memcpy(b, a, len);
                b[at] = (char)(b[at] ^ (1 << bit));
                ck_assert_msg(ivrsm_hash(a, len) != ivrsm_hash(b, len), "len %zu byte %zu", len,
                              at);
            }
    for (size_t len = 0; len < 40; len++) {
        memset(a, 'x', sizeof a);
        ck_assert(ivrsm_hash(a, len) != ivrsm_hash(a, len + 1));
        memcpy(b + 3, a, len);
        ck_assert(ivrsm_hash(a, len) == ivrsm_hash(b + 3, len));
    }
    static unsigned char seen[65536];
    memset(seen, 0, sizeof seen);
    size_t used = 0;
    for (unsigned k = 0; k < 65536; k++) {
        /* "state_" and two bytes, or a longer name with the bytes inside. */
        int n = k & 1 ? snprintf(a, sizeof a, "state_%c%c", (char)(k >> 8), (char)(k >> 1 & 0x7F))
                      : snprintf(a, sizeof a, "ivr.handoff.%c%c.agent_gate", (char)(k >> 8),
                                 (char)(k >> 1 & 0x7F));
        size_t slot = (size_t)ivrsm_hash(a, (size_t)n) & 0xFFFF;
        used += !seen[slot];
        seen[slot] = 1;
    }
    ck_assert_msg(used > 40700 && used < 42200, "%zu buckets of 65536 used", used);
    ivrsm_strmap m = IVRSM_STRMAP_INIT(ivrsm_mem_default());
    static char names[2000][16];
    for (int i = 0; i < 2000; i++) {
        snprintf(names[i], sizeof names[i], "s%d", i * 7);
        ck_assert_int_eq(ivrsm_strmap_put(&m, names[i], strlen(names[i]), names[i], NULL), 1);
    }
    for (int i = 0; i < 2000; i++)
        ck_assert_ptr_eq(ivrsm_strmap_get(&m, names[i], strlen(names[i])), names[i]);
    ck_assert_ptr_null(ivrsm_strmap_get(&m, "s1", 2));
    ivrsm_strmap_free(&m);
}
END_TEST

static Suite *load_suite(void)
{
    Suite *s = suite_create("load");
    TCase *tc = tcase_create("model");
    tcase_add_test(tc, test_mini_yaml_model);
    tcase_add_test(tc, test_mini_yaml_states);
    tcase_add_test(tc, test_mini_json_same_model);
    tcase_add_test(tc, test_seed_yaml_json_same_model);
    tcase_add_test(tc, test_state_tables_as_scans);
    tcase_add_test(tc, test_ctx_root_keys_as_object);
    tcase_add_test(tc, test_hash_spreads_keys);
    tcase_add_test(tc, test_phrase_tables_as_insertion);
    tcase_add_test(tc, test_match_by_first_byte_as_scan);
    tcase_add_test(tc, test_ask_keys_as_worked_out_at_each_ask);
    tcase_add_test(tc, test_typed_globals);
    tcase_add_test(tc, test_yaml_features);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_refcount_and_lookup);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_loop_test(tc, test_error_table, 0, sizeof(error_cases) / sizeof(error_cases[0]));
    tcase_add_test(tc, test_resp_in_outcomes);
    tcase_add_loop_test(tc, test_names_refused, 0, sizeof(name_cases) / sizeof(name_cases[0]));
    tcase_add_test(tc, test_names_of_any_script);
    tcase_add_test(tc, test_diagnostics_show_no_direction_controls);
    tcase_add_loop_test(tc, test_template_error_positions, 0,
                        sizeof(template_pos_cases) / sizeof(template_pos_cases[0]));
    tcase_add_test(tc, test_alias_bomb);
    tcase_add_test(tc, test_json_refusal_is_not_out_of_memory);
    tcase_add_loop_test(tc, test_block_scalars, 0, sizeof(block_cases) / sizeof(block_cases[0]));
    tcase_add_test(tc, test_alias_text_bomb);
    tcase_add_test(tc, test_globals_text_bomb);
    tcase_add_test(tc, test_globals_node_bomb);
    tcase_add_test(tc, test_deep_yaml);
    tcase_add_test(tc, test_deep_yaml_alias);
    tcase_add_test(tc, test_deep_json);
    tcase_add_test(tc, test_too_many_json_values);
    tcase_add_test(tc, test_too_many_states);
    tcase_add_test(tc, test_oversized_string);
    tcase_add_test(tc, test_ctx_key_parts);
    tcase_add_test(tc, test_oversized_document);
    tcase_add_test(tc, test_file_errors);
    tcase_add_test(tc, test_json_file_by_extension);
    suite_add_tcase(s, tc);

    tc = tcase_create("check-convert");
    tcase_add_test(tc, test_check_collects_everything);
    tcase_add_test(tc, test_owner_messages);
    tcase_add_loop_test(tc, test_convert_round_trip, 0, 3);
    tcase_add_test(tc, test_convert_scalars);
    tcase_add_test(tc, test_convert_folds_keep_wide_characters);
    tcase_add_test(tc, test_document_api);
    tcase_add_test(tc, test_convert_empty_root);
    tcase_add_test(tc, test_convert_json_numbers);
    suite_add_tcase(s, tc);

    tc = tcase_create("oom");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_machine_allocates_through_its_allocator);
    tcase_add_loop_test(tc, test_allocation_failures, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(load_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
