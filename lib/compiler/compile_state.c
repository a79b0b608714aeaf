/*
 * One state: its type, prompts, routes, counters, collect, action, outcomes
 * and handoff settings, then its matching tables (DTMF in route order,
 * phrases by their own words, then longest first) and speech hints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "strmap.h"
#include "text.h"

static const char *const state_keys[] = {
    "type",       "description", "prompt",     "prompt_template", "prompt_from_action",
    "routes",     "noinput",     "nomatch",    "fallback",        "next",
    "collect",    "action",      "on_success", "on_fail",         "on_status",
    "on_timeout", "on_error",    "enabled",    "queue_id",        "prompt_before",
    NULL};

static const char *const type_names[M_STATE_TYPE_COUNT + 1] = {
    "prompt_and_listen", "action_then_prompt", "listen", "handoff", "prompt_end", "decide", NULL};
#define TYPE_LIST "prompt_and_listen, action_then_prompt, listen, handoff, prompt_end, decide"

/* Push `key` and read it as a state reference; M_NONE when absent or wrong. */
static int32_t state_ref_at(cc *c, const dom_node *map, const char *key)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return M_NONE;
    size_t mark = ivrsm_cc_push_key(c, key);
    int32_t idx = ivrsm_cc_state_ref(c, n);
    ivrsm_cc_pop(c, mark);
    return idx;
}

static ivrsm_tmpl *template_at(cc *c, const dom_node *map, const char *key)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return NULL;
    size_t mark = ivrsm_cc_push_key(c, key);
    ivrsm_tmpl *t = ivrsm_cc_template(c, n);
    ivrsm_cc_pop(c, mark);
    return t;
}

static m_message *message_at(cc *c, const dom_node *map, const char *key)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return NULL;
    size_t mark = ivrsm_cc_push_key(c, key);
    m_message *msg = ivrsm_cc_message(c, n);
    ivrsm_cc_pop(c, mark);
    return msg;
}

static void kvlist_at(cc *c, const dom_node *map, const char *key, m_kvlist *out, bool scalars)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return;
    size_t mark = ivrsm_cc_push_key(c, key);
    ivrsm_cc_kvlist(c, n, out, scalars);
    ivrsm_cc_pop(c, mark);
}

/* Maps a dotted ctx key nests ("a.b.c": three levels of ctx). */
static size_t ctx_key_depth(const char *key)
{
    size_t depth = 1;
    for (; *key; key++)
        depth += *key == '.';
    return depth;
}

/* A ctx key no deeper than a document may be (the runtime nests one map per segment). */
static void check_ctx_key(cc *c, const char *key, int line, int column, const char *what)
{
    /* Templates read {{ctx.house}}; a key written the same way would land in ctx.ctx.house. */
    if (!strncmp(key, "ctx.", 4) && key[4]) {
        ivrsm_cc_error(c, "invalid-value", line, column,
                       "%s: '%s' would write ctx.%s: a ctx key is written without 'ctx.' "
                       "(write '%s'; templates read it as {{%s}})",
                       what, key, key, key + 4, key);
        return;
    }
    size_t depth = ctx_key_depth(key);
    if (depth > IVRSM_MAX_DEPTH) {
        ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", line, column,
                            "%s: the ctx key nests %zu levels, more than the limit of %d", what,
                            depth, IVRSM_MAX_DEPTH);
        return;
    }
    /* Every map on the way has a name the runtime can write (runtime/ctx.c). */
    for (const char *p = key, *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
        size_t len = (size_t)(dot - p);
        if (len == 0 || !dot[1]) {
            ivrsm_cc_error(c, "invalid-value", line, column,
                           "%s: the ctx key '%s' has an empty part", what, key);
            return;
        }
        if (len > M_CTX_KEY_PART_MAX) {
            ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", line, column,
                                "%s: a part of the ctx key is %zu bytes, more than the limit of %d",
                                what, len, M_CTX_KEY_PART_MAX);
            return;
        }
    }
}

/* `set:` of a route, fallback or outcome: ctx keys and their values. */
static void set_at(cc *c, const dom_node *map, m_kvlist *out)
{
    kvlist_at(c, map, "set", out, false);
    for (size_t i = 0; i < out->count; i++) {
        const char *key = out->items[i].key;
        out->items[i].plain_len = strchr(key, '.') ? 0 : (uint32_t)strlen(key);
    }
    const dom_node *n = ivrsm_dom_get(map, "set");
    if (!n || n->kind != DOM_MAP)
        return;
    size_t mark = ivrsm_cc_push_key(c, "set");
    for (size_t i = 0; i < n->count; i++) {
        const dom_pair *p = &n->pairs[i];
        check_ctx_key(c, p->key, p->line, p->column, "set");
        out->writes_language |= ivrsm_m_key_writes_language(p->key);
        /* set: { language: en-US } switches the call's language: to one of the machine's. */
        if (!strcmp(p->key, "language") && p->value->kind == DOM_STRING &&
            !strstr(p->value->text, "{{")) {
            size_t m2 = ivrsm_cc_push_key(c, "language");
            ivrsm_cc_language_index(c, "language", p->value->text, p->value->line,
                                    p->value->column);
            ivrsm_cc_pop(c, m2);
        }
    }
    ivrsm_cc_pop(c, mark);
}

static void compile_prompt(cc *c, const dom_node *map, m_prompt *p, bool with_prompt)
{
    if (with_prompt)
        p->prompt = message_at(c, map, "prompt");
    p->prompt_template = message_at(c, map, "prompt_template");
    ivrsm_cc_get_bool(c, map, "prompt_from_action", &p->from_action);
}

/* --- Routes ------------------------------------------------------------------ */

static void route_intent(cc *c, m_route *r, const dom_node *n)
{
    size_t mark = ivrsm_cc_push_key(c, "when_intent");
    if (ivrsm_cc_expect(c, n, DOM_STRING, "an intent name")) {
        r->intent = ivrsm_m_find_intent(c->m, n->text);
        if (r->intent == M_NONE) {
            const char *guess = c->m->intent_count
                                    ? ivrsm_cc_suggest(c, n->text, &c->m->intents[0].name,
                                                       sizeof(m_intent), c->m->intent_count)
                                    : NULL;
            ivrsm_cc_error(c, "unknown-intent", n->line, n->column,
                           "when_intent: no intent named '%s'%s%s%s", n->text,
                           guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
        }
    }
    ivrsm_cc_pop(c, mark);
}

/* One language's when_text phrase, normalised with that language's rules. */
static bool route_text_in(cc *c, const dom_node *n, size_t lang, void *out)
{
    m_route *r = out;
    if (!ivrsm_cc_expect(c, n, DOM_STRING, "a phrase (or a map of phrases by language)"))
        return false;
    size_t cap = 2 * n->len + 2;
    char *norm = ivrsm_arena_alloc(c->arena, cap);
    int len = norm ? ivrsm_text_normalize_rules(ivrsm_cc_language_rules(c, lang), n->text, n->len,
                                                norm, cap)
                   : -1;
    if (!norm) {
        ivrsm_cc_nomem(c);
        return false;
    }
    if (len <= 0) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "when_text: \"%s\" has no words to match (only spaces or punctuation)",
                       n->text);
        return false;
    }
    r->texts[lang] = norm;
    r->text_lens[lang] = (size_t)len;
    r->texts_raw[lang] = ivrsm_arena_strdup(c->arena, n->text); /* the document goes */
    if (!r->texts_raw[lang]) {
        ivrsm_cc_nomem(c);
        return false;
    }
    return true;
}

/* when_text: a phrase (the first language's), or a map of phrases by language. */
static void route_text(cc *c, m_route *r, const dom_node *n)
{
    size_t mark = ivrsm_cc_push_key(c, "when_text");
    size_t count = c->m->language_count;
    r->texts = ivrsm_arena_alloc(c->arena, count * sizeof(*r->texts));
    r->text_lens = ivrsm_arena_alloc(c->arena, count * sizeof(*r->text_lens));
    r->texts_raw = ivrsm_arena_alloc(c->arena, count * sizeof(*r->texts_raw));
    if (!r->texts || !r->text_lens || !r->texts_raw) {
        ivrsm_cc_nomem(c);
    } else {
        ivrsm_cc_by_language(c, n, route_text_in, r);
        for (size_t i = 0; i < count && !r->text; i++) {
            r->text = r->texts[i];
            r->text_len = r->text_lens[i];
        }
    }
    ivrsm_cc_pop(c, mark);
}

/* The machine language a route's `set: {language: TAG}` names literally, or M_NONE (set_at()
 * reported a tag that is none of the machine's). */
static int32_t route_language(const cc *c, const dom_node *route)
{
    const dom_node *tag = ivrsm_dom_get(ivrsm_dom_get(route, "set"), "language");
    if (!tag || tag->kind != DOM_STRING || strstr(tag->text, "{{"))
        return M_NONE;
    int index = ivrsm_m_language_index(c->m, tag->text);
    return index >= 0 ? (int32_t)index : M_NONE;
}

static void compile_route(cc *c, m_route *r, const dom_node *n, const char *state)
{
    static const char *const keys[] = {"when_intent", "when_text", "when", "set", "next", NULL};
    r->intent = M_NONE;
    r->next = M_NONE;
    r->language = M_NONE;
    r->pos = (m_pos){n->line, n->column};
    if (!ivrsm_cc_expect(c, n, DOM_MAP,
                         "a route (a map with when_intent, when_text or when, and next)"))
        return;
    cc_owner owner = {"a route of state ", "", state, ""};
    ivrsm_cc_check_keys_of(c, n, keys, &owner);
    const dom_node *intent = ivrsm_dom_get(n, "when_intent"), *text = ivrsm_dom_get(n, "when_text");
    const dom_node *when = ivrsm_dom_get(n, "when");
    if (when) {
        size_t mark = ivrsm_cc_push_key(c, "when");
        r->when = ivrsm_cc_condition(c, when);
        ivrsm_cc_pop(c, mark);
    }
    if (intent && text) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "a route takes when_intent or when_text, not both");
    } else if (intent) {
        r->kind = M_ROUTE_INTENT;
        route_intent(c, r, intent);
    } else if (text) {
        r->kind = M_ROUTE_TEXT;
        route_text(c, r, text);
    } else if (when) {
        r->kind = M_ROUTE_CONDITION;
    } else {
        ivrsm_cc_error(c, "missing-key", n->line, n->column,
                       "missing key 'when_intent', 'when_text' or 'when' in %s",
                       ivrsm_cc_owner(c, &owner));
    }
    set_at(c, n, &r->set);
    r->language = route_language(c, n);
    if (!ivrsm_dom_get(n, "next"))
        ivrsm_cc_missing(c, n->line, n->column, "next", ivrsm_cc_owner(c, &owner));
    r->next = state_ref_at(c, n, "next");
}

/* Condition routes are tried when a state is entered: not where the call ends,
 * and only they in a decide state, which never listens. */
static void check_route_kinds(cc *c, m_state *st, const dom_node *routes)
{
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        const dom_node *n = routes->items[i];
        st->has_entry_routes |= r->kind == M_ROUTE_CONDITION;
        if (r->kind == M_ROUTE_CONDITION && st->type == M_PROMPT_END) {
            size_t mark = ivrsm_cc_push_index(c, i);
            ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                           "state '%s' ends the call: a condition route is never taken there (use "
                           "a decide state before it)",
                           st->name);
            ivrsm_cc_pop(c, mark);
        } else if (r->kind != M_ROUTE_CONDITION && st->type == M_DECIDE && n->kind == DOM_MAP) {
            const char *key = ivrsm_dom_get(n, "when_intent") ? "when_intent" : "when_text";
            const dom_pair *p = ivrsm_dom_get_pair(n, key);
            size_t mark = ivrsm_cc_push_index(c, i);
            ivrsm_cc_push_key(c, key);
            ivrsm_cc_error(c, "invalid-value", p ? p->line : n->line, p ? p->column : n->column,
                           "state '%s' is a decide state: it does not listen, its routes take "
                           "`when` alone (move %s to a listening state)",
                           st->name, key);
            ivrsm_cc_pop(c, mark);
        }
    }
}

static void compile_routes(cc *c, m_state *st, const dom_node *n)
{
    size_t mark = ivrsm_cc_push_key(c, "routes");
    if (!ivrsm_cc_expect(c, n, DOM_LIST, "a list of routes")) {
        ivrsm_cc_pop(c, mark);
        return;
    }
    if (n->count > UINT16_MAX) {
        ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", n->line, n->column,
                            "routes: %zu routes, more than the limit of %d", n->count, UINT16_MAX);
        ivrsm_cc_pop(c, mark);
        return;
    }
    st->routes = n->count ? ivrsm_arena_alloc(c->arena, n->count * sizeof(m_route)) : NULL;
    if (n->count && !st->routes) {
        ivrsm_cc_nomem(c);
        ivrsm_cc_pop(c, mark);
        return;
    }
    st->route_count = n->count;
    for (size_t i = 0; i < n->count; i++) {
        size_t m2 = ivrsm_cc_push_index(c, i);
        compile_route(c, &st->routes[i], n->items[i], st->name);
        ivrsm_cc_pop(c, m2);
    }
    check_route_kinds(c, st, n);
    ivrsm_cc_pop(c, mark);
}

/* prompt_before: words said once the state's request is sent for, before its answer ("un
 * instant, je vérifie"); only a state with an action has a request to say it before. */
static void compile_prompt_before(cc *c, m_state *st, const dom_node *n, bool has_action)
{
    const dom_pair *p = ivrsm_dom_get_pair(n, "prompt_before");
    if (!p)
        return;
    if (!has_action) {
        size_t mark = ivrsm_cc_push_key(c, "prompt_before");
        ivrsm_cc_error(c, "invalid-value", p->line, p->column,
                       "prompt_before: only a state with an action takes it (it is said before "
                       "the request); state '%s' has none",
                       st->name);
        ivrsm_cc_pop(c, mark);
        return;
    }
    st->action.prompt_before = message_at(c, n, "prompt_before");
}

/* --- Counters, fallback ------------------------------------------------------- */

static void compile_counter(cc *c, m_counter *out, const dom_node *map, const char *key,
                            const char *state)
{
    static const char *const keys[] = {"max", "next", "prompts", "repeat_prompt", NULL};
    const dom_pair *p = ivrsm_dom_get_pair(map, key);
    if (!p)
        return;
    size_t mark = ivrsm_cc_push_key(c, key);
    if (ivrsm_cc_expect(c, p->value, DOM_MAP, "a map with max and next, or prompts")) {
        cc_owner owner = {key, " of state ", state, ""};
        ivrsm_cc_check_keys_of(c, p->value, keys, &owner);
        out->present = true;
        /* Re-prompts alone keep the globals' limit: max is only needed with a next. */
        const dom_node *prompts = ivrsm_dom_get(p->value, "prompts");
        out->repeat_prompt_set =
            ivrsm_cc_get_bool(c, p->value, "repeat_prompt", &out->repeat_prompt);
        bool noinput = !strcmp(key, "noinput");
        out->max = noinput ? c->m->limits.max_noinput : c->m->limits.max_nomatch;
        if (!prompts && !out->repeat_prompt_set && !ivrsm_dom_get(p->value, "max"))
            ivrsm_cc_missing(c, p->line, p->column, "max", ivrsm_cc_owner(c, &owner));
        ivrsm_cc_get_int(c, p->value, "max", 1, 1000, &out->max);
        out->next = state_ref_at(c, p->value, "next");
        if (prompts) {
            size_t m2 = ivrsm_cc_push_key(c, "prompts");
            ivrsm_cc_messages(c, prompts, &out->prompts);
            ivrsm_cc_pop(c, m2);
        }
    }
    ivrsm_cc_pop(c, mark);
}

static void compile_fallback(cc *c, m_fallback *out, const dom_node *map, const char *state)
{
    static const char *const keys[] = {"set", "next", NULL};
    const dom_pair *p = ivrsm_dom_get_pair(map, "fallback");
    if (!p)
        return;
    size_t mark = ivrsm_cc_push_key(c, "fallback");
    if (ivrsm_cc_expect(c, p->value, DOM_MAP, "a map with next (and set)")) {
        cc_owner owner = {"fallback of state ", "", state, ""};
        ivrsm_cc_check_keys_of(c, p->value, keys, &owner);
        out->present = true;
        set_at(c, p->value, &out->set);
        if (!ivrsm_dom_get(p->value, "next"))
            ivrsm_cc_missing(c, p->line, p->column, "next", ivrsm_cc_owner(c, &owner));
        out->next = state_ref_at(c, p->value, "next");
    }
    ivrsm_cc_pop(c, mark);
}

/* --- Collect ------------------------------------------------------------------------ */

static void collect_validate(cc *c, m_collect *col, const dom_node *n)
{
    size_t mark = ivrsm_cc_push_key(c, "validate");
    if (ivrsm_cc_expect(c, n, DOM_MAP, "a map of ctx key → required") && n->count) {
        col->required = ivrsm_arena_alloc(c->arena, n->count * sizeof(char *));
        if (!col->required)
            ivrsm_cc_nomem(c);
        for (size_t i = 0; col->required && i < n->count; i++) {
            const dom_pair *p = &n->pairs[i];
            size_t m2 = ivrsm_cc_push_key(c, p->key);
            if (p->value->kind != DOM_STRING || strcmp(p->value->text, "required")) {
                char buf[96];
                ivrsm_cc_error(c, "invalid-value", p->value->line, p->value->column,
                               "%s: expected \"required\", found %s", p->key,
                               ivrsm_cc_describe(p->value, buf, sizeof(buf)));
            } else {
                col->required[col->required_count++] = ivrsm_arena_strdup(c->arena, p->key);
            }
            ivrsm_cc_pop(c, m2);
        }
    }
    ivrsm_cc_pop(c, mark);
}

static void collect_retry(cc *c, m_collect *col, const dom_pair *p, const char *state)
{
    static const char *const keys[] = {"max", "on_fail_next", NULL};
    size_t mark = ivrsm_cc_push_key(c, "retry");
    if (ivrsm_cc_expect(c, p->value, DOM_MAP, "a map with max and on_fail_next")) {
        cc_owner owner = {"collect.retry of state ", "", state, ""};
        ivrsm_cc_check_keys_of(c, p->value, keys, &owner);
        col->retry.present = true;
        col->retry.max = c->m->limits.max_retries;
        ivrsm_cc_get_int(c, p->value, "max", 1, 1000, &col->retry.max);
        col->retry.on_fail_next = state_ref_at(c, p->value, "on_fail_next");
    }
    ivrsm_cc_pop(c, mark);
}

static void collect_mode(cc *c, m_collect *col, const dom_node *n)
{
    static const char *const modes[] = {
        "phone", "otp", "digits", "date_nl", "date_past", "free_speech_or_no", "reference", NULL};
    size_t mark = ivrsm_cc_push_key(c, "mode");
    if (ivrsm_cc_expect(c, n, DOM_STRING, "a collect mode")) {
        col->mode = ivrsm_collect_mode_from_name(n->text);
        const char *guess = col->mode == IVRSM_COLLECT_NONE
                                ? ivrsm_cc_suggest(c, n->text, modes, sizeof *modes, 7)
                                : NULL;
        if (col->mode == IVRSM_COLLECT_NONE)
            ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                           "mode: unknown collect mode '%s'%s%s%s (expected one of: phone, otp, "
                           "digits, date_nl, date_past, free_speech_or_no, reference)",
                           n->text, guess ? "; did you mean '" : "", guess ? guess : "",
                           guess ? "'?" : "");
    }
    ivrsm_cc_pop(c, mark);
}

/* Keys that belong to one collect mode: an error in any other mode's collect. */
static void collect_foreign_keys(cc *c, const m_collect *col, const dom_node *n, const char *state,
                                 const char *owner_mode, const char *const *own)
{
    for (const char *const *k = own; *k; k++) {
        const dom_pair *p = ivrsm_dom_get_pair(n, *k);
        if (!p || !col->mode)
            continue;
        size_t mark = ivrsm_cc_push_key(c, *k);
        const char *own_keys = col->mode == IVRSM_COLLECT_OTP ? ": its digits are `length`"
                               : col->mode == IVRSM_COLLECT_DIGITS
                                   ? ": its digits are `min` to `max`"
                                   : "";
        ivrsm_cc_error(c, "invalid-value", p->line, p->column,
                       "%s: only a collect of mode %s takes it (state '%s' collects %s%s)", *k,
                       owner_mode, state, ivrsm_collect_mode_name(col->mode), own_keys);
        ivrsm_cc_pop(c, mark);
    }
}

/* mode: date_past, with max_years_ago: how far back a date may be. */
static void collect_date_past(cc *c, m_collect *col, const dom_node *n, const char *state)
{
    static const char *const own[] = {"max_years_ago", "year", NULL};
    if (col->mode != IVRSM_COLLECT_DATE_PAST) {
        collect_foreign_keys(c, col, n, state, "date_past", own);
        return;
    }
    col->past_years = IVRSM_COLLECT_PAST_YEARS_DEFAULT;
    ivrsm_cc_get_int(c, n, "max_years_ago", 1, IVRSM_COLLECT_PAST_YEARS_MAX, &col->past_years);
    const dom_pair *year = ivrsm_dom_get_pair(n, "year");
    if (!year)
        return;
    size_t mark = ivrsm_cc_push_key(c, "year");
    const dom_node *v = year->value;
    if (v->kind == DOM_STRING && !strcmp(v->text, "optional")) {
        col->past_year_optional = true;
    } else if (v->kind != DOM_STRING || strcmp(v->text, "required")) {
        char buf[96];
        ivrsm_cc_error(c, "invalid-value", v->line, v->column,
                       "year: expected \"required\" (a date said without its year is not "
                       "understood, for a date of birth) or \"optional\" (\"the 3rd of March\" "
                       "is the latest 3 March, today or before), found %s",
                       ivrsm_cc_describe(v, buf, sizeof(buf)));
    }
    ivrsm_cc_pop(c, mark);
}

/* One pattern of a reference collect, appended to buf (used bytes in *used); false when it is
 * none (reported). */
static bool reference_pattern(cc *c, const dom_node *n, char *buf, size_t cap, size_t *used)
{
    if (!ivrsm_cc_expect(c, n, DOM_STRING, "a pattern of A (a letter), 9 (a digit), X (either)"))
        return false;
    size_t bad = strspn(n->text, "A9X");
    if (!n->len || n->len > IVRSM_COLLECT_REFERENCE_MAX || n->text[bad]) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "%s: \"%s\" is no pattern: write 1 to %d of A (a letter), 9 (a digit) and "
                       "X (a letter or a digit), one per character of the code (\"AA999999999AA\" "
                       "for AB123456789GB)%s",
                       ivrsm_cc_field(c), n->text, IVRSM_COLLECT_REFERENCE_MAX,
                       n->text[bad] && n->len <= IVRSM_COLLECT_REFERENCE_MAX
                           ? "; a fixed part is written as its kind too (GB is AA), and the "
                             "backend checks it"
                           : "");
        return false;
    }
    if (*used + n->len + 2 > cap)
        return false;
    if (*used)
        buf[(*used)++] = '|';
    memcpy(buf + *used, n->text, n->len);
    *used += n->len;
    buf[*used] = '\0';
    return true;
}

/* mode: reference, with pattern: a string or a list of them; the key belongs to it alone. */
static void collect_reference(cc *c, m_collect *col, const dom_node *n, const dom_pair *p,
                              const char *state)
{
    static const char *const own[] = {"pattern", NULL};
    if (col->mode != IVRSM_COLLECT_REFERENCE) {
        collect_foreign_keys(c, col, n, state, "reference", own);
        return;
    }
    const dom_pair *pat = ivrsm_dom_get_pair(n, "pattern");
    if (!pat) {
        cc_owner owner = {"collect of state ", "", state,
                          " (mode reference: the code's shape, "
                          "such as \"AA999999999AA\")"};
        ivrsm_cc_missing(c, p->line, p->column, "pattern", ivrsm_cc_owner(c, &owner));
        return;
    }
    char buf[IVRSM_COLLECT_REFERENCE_PATTERNS_MAX * (IVRSM_COLLECT_REFERENCE_MAX + 1) + 1];
    size_t used = 0;
    bool ok = true;
    size_t mark = ivrsm_cc_push_key(c, "pattern");
    const dom_node *v = pat->value;
    if (v->kind == DOM_LIST) {
        if (v->count == 0 || v->count > IVRSM_COLLECT_REFERENCE_PATTERNS_MAX) {
            ivrsm_cc_error(c, "invalid-value", v->line, v->column,
                           "pattern: a list of 1 to %d patterns, found %zu",
                           IVRSM_COLLECT_REFERENCE_PATTERNS_MAX, v->count);
            ok = false;
        }
        for (size_t i = 0; ok && i < v->count; i++) {
            size_t m2 = ivrsm_cc_push_index(c, i);
            ok = reference_pattern(c, v->items[i], buf, sizeof buf, &used);
            ivrsm_cc_pop(c, m2);
        }
    } else {
        ok = reference_pattern(c, v, buf, sizeof buf, &used);
    }
    ivrsm_cc_pop(c, mark);
    if (!ok)
        return;
    col->patterns = ivrsm_arena_strdup(c->arena, buf);
    if (!col->patterns)
        ivrsm_cc_nomem(c);
}

/* One bound of a digits collect's value range (min_value, max_value), when given. */
static bool value_bound(cc *c, const dom_node *map, const char *key, int64_t *out)
{
    const dom_node *n = ivrsm_dom_get(map, key);
    if (!n)
        return false;
    size_t mark = ivrsm_cc_push_key(c, key);
    bool ok = ivrsm_cc_expect(c, n, DOM_INT, "a whole number (0 to 999999999999999999)");
    if (ok && (n->as.integer < 0 || n->as.integer > IVRSM_COLLECT_VALUE_MAX)) {
        ivrsm_cc_error(c, "invalid-value", n->line, n->column,
                       "%s: %lld is out of range (0 to 999999999999999999: the value the digits "
                       "write, never negative)",
                       key, (long long)n->as.integer);
        ok = false;
    }
    if (ok)
        *out = n->as.integer;
    ivrsm_cc_pop(c, mark);
    return ok;
}

/* How many keys write v; value_bound() keeps the bounds from 0 up. */
static int decimal_digits(int64_t v)
{
    return (int)ivrsm_decimal_digits((unsigned long long)v);
}

/*
 * min_value, max_value: the number the digits write lies between them (a score of 1 to 5).
 * Without `max`, the keys a caller types stop at max_value's digits, so a score of 1 to 5
 * takes one key and no terminator.
 */
static void collect_value_range(cc *c, m_collect *col, const dom_node *n)
{
    bool has_min = value_bound(c, n, "min_value", &col->value_min);
    bool has_max = value_bound(c, n, "max_value", &col->value_max);
    if (!has_min && !has_max)
        return;
    col->has_range = true;
    if (!has_min)
        col->value_min = 0;
    if (!has_max)
        col->value_max = IVRSM_COLLECT_VALUE_MAX;
    if (col->value_min > col->value_max) {
        const dom_node *v = ivrsm_dom_get(n, "max_value");
        size_t mark = ivrsm_cc_push_key(c, "max_value");
        ivrsm_cc_error(c, "invalid-value", v->line, v->column,
                       "max_value: %lld is below min_value (%lld)", (long long)col->value_max,
                       (long long)col->value_min);
        ivrsm_cc_pop(c, mark);
        return;
    }
    if (!ivrsm_dom_get(n, "max"))
        col->max =
            decimal_digits(col->value_max) > col->min ? decimal_digits(col->value_max) : col->min;
    else if (col->max < decimal_digits(col->value_min)) {
        const dom_node *v = ivrsm_dom_get(n, "max");
        size_t mark = ivrsm_cc_push_key(c, "max");
        ivrsm_cc_error(c, "invalid-value", v->line, v->column,
                       "max: %d digits cannot write min_value %lld: write max: %d, or leave "
                       "max out (max_value's digits)",
                       col->max, (long long)col->value_min, decimal_digits(col->value_min));
        ivrsm_cc_pop(c, mark);
    }
}

/* mode: digits, with min, max, terminator, check and the value's range; those keys belong to
 * it alone. */
static void collect_digits(cc *c, m_collect *col, const dom_node *n, const char *state)
{
    static const char *const own[] = {"min",       "max",       "terminator", "check",
                                      "min_value", "max_value", NULL};
    if (col->mode != IVRSM_COLLECT_DIGITS) {
        collect_foreign_keys(c, col, n, state, "digits", own);
        return;
    }
    col->min = 1;
    col->max = IVRSM_COLLECT_DIGITS_MAX;
    ivrsm_cc_get_int(c, n, "min", 1, IVRSM_COLLECT_DIGITS_MAX, &col->min);
    ivrsm_cc_get_int(c, n, "max", 1, IVRSM_COLLECT_DIGITS_MAX, &col->max);
    const dom_pair *max = ivrsm_dom_get_pair(n, "max");
    if (col->min > col->max) {
        const dom_pair *where = max ? max : ivrsm_dom_get_pair(n, "min");
        size_t mark = ivrsm_cc_push_key(c, max ? "max" : "min");
        ivrsm_cc_error(c, "invalid-value", where->value->line, where->value->column,
                       "max: %d digits at most, fewer than min (%d)", col->max, col->min);
        ivrsm_cc_pop(c, mark);
    }
    const char *term = NULL;
    if (ivrsm_cc_get_string(c, n, "terminator", &term)) {
        const dom_node *t = ivrsm_dom_get(n, "terminator");
        if (strlen(term) > 1 || (*term && !strchr("*#ABCD", *term))) {
            size_t mark = ivrsm_cc_push_key(c, "terminator");
            ivrsm_cc_error(c, "invalid-value", t->line, t->column,
                           "terminator: expected one key that is not a digit (*, #, A-D), or \"\" "
                           "for none, found \"%s\"",
                           term);
            ivrsm_cc_pop(c, mark);
        } else {
            col->terminator = ivrsm_arena_strdup(c->arena, term);
        }
    }
    const char *check = NULL;
    if (ivrsm_cc_get_string(c, n, "check", &check)) {
        const dom_node *t = ivrsm_dom_get(n, "check");
        if (strcmp(check, "luhn")) {
            size_t mark = ivrsm_cc_push_key(c, "check");
            ivrsm_cc_error(c, "invalid-value", t->line, t->column,
                           "check: unknown check '%s' (expected luhn: the last digit checks the "
                           "others, as on card numbers)",
                           check);
            ivrsm_cc_pop(c, mark);
        } else {
            col->luhn = true;
            if (col->min < 2)
                col->min = 2; /* a check digit and at least one digit it checks */
        }
    }
    if (col->min <= col->max)
        collect_value_range(c, col, n);
}

static void compile_collect(cc *c, m_state *st, const dom_pair *p)
{
    static const char *const keys[] = {"mode",          "allow_dtmf", "length",    "target",
                                       "validate",      "retry",      "min",       "max",
                                       "terminator",    "check",      "min_value", "max_value",
                                       "max_years_ago", "pattern",    "year",      NULL};
    m_collect *col = &st->collect;
    size_t mark = ivrsm_cc_push_key(c, "collect");
    if (!ivrsm_cc_expect(c, p->value, DOM_MAP, "a map with mode")) {
        ivrsm_cc_pop(c, mark);
        return;
    }
    const dom_node *n = p->value;
    cc_owner owner = {"collect of state ", "", st->name, ""};
    ivrsm_cc_check_keys_of(c, n, keys, &owner);
    col->allow_dtmf = c->m->limits.allow_dtmf;
    const dom_node *mode = ivrsm_dom_get(n, "mode");
    if (mode)
        collect_mode(c, col, mode);
    else
        ivrsm_cc_missing(c, p->line, p->column, "mode", ivrsm_cc_owner(c, &owner));
    ivrsm_cc_get_bool(c, n, "allow_dtmf", &col->allow_dtmf);
    static const char *const otp_own[] = {"length", NULL};
    if (col->mode == IVRSM_COLLECT_OTP)
        ivrsm_cc_get_int(c, n, "length", 1, IVRSM_COLLECT_OTP_MAX, &col->length);
    else
        collect_foreign_keys(c, col, n, st->name, "otp", otp_own);
    const char *target = NULL;
    if (ivrsm_cc_get_string(c, n, "target", &target)) {
        const dom_node *t = ivrsm_dom_get(n, "target");
        if (!target[0]) {
            size_t m2 = ivrsm_cc_push_key(c, "target");
            ivrsm_cc_error(c, "invalid-value", t->line, t->column, "target: the ctx key is empty");
            ivrsm_cc_pop(c, m2);
        } else {
            size_t m2 = ivrsm_cc_push_key(c, "target");
            check_ctx_key(c, target, t->line, t->column, "target");
            bool named = ivrsm_cc_name_ok(c, t, "ctx key", IVRSM_NAME_RULES_NAME);
            ivrsm_cc_pop(c, m2);
            if (named)
                col->target = ivrsm_arena_strdup(c->arena, target);
        }
    }
    collect_digits(c, col, n, st->name);
    collect_date_past(c, col, n, st->name);
    collect_reference(c, col, n, p, st->name);
    const dom_node *v = ivrsm_dom_get(n, "validate");
    if (v)
        collect_validate(c, col, v);
    const dom_pair *retry = ivrsm_dom_get_pair(n, "retry");
    if (retry)
        collect_retry(c, col, retry, st->name);
    ivrsm_cc_pop(c, mark);
}

/* --- Outcomes, action ----------------------------------------------------------- */

static void compile_outcome(cc *c, m_outcome *out, const dom_node *n, const char *key,
                            const char *state)
{
    static const char *const keys[] = {"set",  "prompt", "prompt_template", "prompt_from_action",
                                       "next", NULL};
    if (!ivrsm_cc_expect(c, n, DOM_MAP, "a map (set, prompt, prompt_template, next)"))
        return;
    cc_owner owner = {key, " of state ", state, ""};
    ivrsm_cc_check_keys_of(c, n, keys, &owner);
    out->present = true;
    set_at(c, n, &out->set);
    compile_prompt(c, n, &out->prompt, true);
    out->next = state_ref_at(c, n, "next");
}

/* on_status: { "401": OUTCOME, "4xx": OUTCOME, ... } */
static void compile_on_status(cc *c, m_state *st, const dom_node *n)
{
    if (!ivrsm_cc_expect(c, n, DOM_MAP, "a map of status (\"401\", \"4xx\") → outcome"))
        return;
    st->on_status =
        n->count ? ivrsm_arena_alloc(c->arena, n->count * sizeof(m_status_outcome)) : NULL;
    if (n->count && !st->on_status) {
        ivrsm_cc_nomem(c);
        return;
    }
    for (size_t i = 0; i < n->count; i++) {
        const dom_pair *p = &n->pairs[i];
        size_t mark = ivrsm_cc_push_key(c, p->key);
        m_status_outcome *so = &st->on_status[st->on_status_count];
        memset(so, 0, sizeof(*so));
        so->outcome.next = M_NONE;
        char label[32];
        snprintf(label, sizeof(label), "on_status \"%.8s\"", p->key);
        if (!ivrsm_m_status_key(p->key, so->key)) {
            ivrsm_cc_error(c, "invalid-value", p->line, p->column,
                           "on_status: \"%s\" is not a status (\"401\") or a class of statuses "
                           "(\"4xx\"), from 1xx to 5xx",
                           p->key);
        } else {
            bool twice = false;
            for (size_t k = 0; k < st->on_status_count && !twice; k++)
                twice = !strcmp(st->on_status[k].key, so->key);
            if (twice)
                ivrsm_cc_error(c, "invalid-value", p->line, p->column,
                               "on_status: \"%s\" is given twice", p->key);
            compile_outcome(c, &so->outcome, p->value, label, st->name);
            if (!twice)
                st->on_status_count++;
        }
        ivrsm_cc_pop(c, mark);
    }
}

/*
 * on_success, on_fail and the outcomes by answer (on_status, on_timeout,
 * on_error) of the state, or (nested variant) inside its action.
 */
static void compile_outcomes(cc *c, m_state *st, const dom_node *state, const dom_node *action)
{
    static const char *const names[5] = {"on_success", "on_fail", "on_timeout", "on_error",
                                         "on_status"};
    m_outcome *outs[5] = {&st->on_success, &st->on_fail, &st->on_timeout, &st->on_error, NULL};
    for (int i = 0; i < 5; i++) {
        const dom_node *outer = ivrsm_dom_get(state, names[i]);
        const dom_node *inner =
            action && action->kind == DOM_MAP ? ivrsm_dom_get(action, names[i]) : NULL;
        if (outer && inner) {
            size_t mark = ivrsm_cc_push_key(c, "action");
            ivrsm_cc_push_key(c, names[i]);
            ivrsm_cc_error(c, "invalid-value", inner->line, inner->column,
                           "%s is given twice, in the state and inside action; keep one", names[i]);
            ivrsm_cc_pop(c, mark);
            continue;
        }
        size_t mark = inner ? ivrsm_cc_push_key(c, "action") : c->path_len;
        if (outer || inner) {
            ivrsm_cc_push_key(c, names[i]);
            c->in_outcome = true;
            if (outs[i])
                compile_outcome(c, outs[i], outer ? outer : inner, names[i], st->name);
            else
                compile_on_status(c, st, outer ? outer : inner);
            c->in_outcome = false;
        }
        ivrsm_cc_pop(c, mark);
    }
}

/*
 * on_success, on_fail or an outcome by answer in a listening state without an action: it
 * would never be taken, since outcomes follow an action's answer, and the call would go on
 * by the state's next without its words, its set or its next. An error: the author meant
 * the state's next after its collect, or forgot the action.
 */
static void outcomes_without_action(cc *c, const m_state *st, const dom_node *state)
{
    static const char *const names[] = {"on_success", "on_fail", "on_status", "on_timeout",
                                        "on_error"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        const dom_pair *p = ivrsm_dom_get_pair(state, names[i]);
        if (!p)
            continue;
        const dom_node *next = p->value->kind == DOM_MAP ? ivrsm_dom_get(p->value, "next") : NULL;
        size_t mark = ivrsm_cc_push_key(c, names[i]);
        if (next && next->kind == DOM_STRING && i == 0)
            ivrsm_cc_error(c, "outcome-without-action", p->line, p->column,
                           "state '%s' has on_success but no action, so it is never taken: "
                           "outcomes follow an answer of the backend. After a collect, the "
                           "state goes to its own next: write 'next: %s' in the state (beside "
                           "routes); to call the backend first, add an action",
                           st->name, next->text);
        else
            ivrsm_cc_error(c, "outcome-without-action", p->line, p->column,
                           "state '%s' has %s but no action, so it is never taken: outcomes "
                           "follow an answer of the backend (add an action, or write what the "
                           "state does next in its own next, noinput, nomatch or "
                           "collect.retry)",
                           st->name, names[i]);
        ivrsm_cc_pop(c, mark);
    }
}

static void resolve_call(cc *c, m_action *a, const dom_node *call)
{
    size_t mark = ivrsm_cc_push_key(c, "call");
    const struct ivrsm_machine *m = c->m;
    const char *name = NULL;
    if (call->ref && !strncmp(call->ref, "endpoints.", 10))
        name = call->ref + 10; /* written as ${globals.endpoints.NAME} */
    else if (call->kind == DOM_STRING && !strchr(call->text, ' '))
        name = call->text; /* a bare endpoint name */
    int32_t e = name ? ivrsm_m_find_endpoint(m, name) : M_NONE;
    if (e != M_NONE) {
        a->endpoint = e;
        a->method = m->endpoints[e].method;
        a->path = m->endpoints[e].path;
    }
    /* An unresolved ${globals...} reference was reported already; a "${" that no "}"
     * closes is no reference, so it is reported below as a malformed call. */
    const char *dollar = call->kind == DOM_STRING && !call->ref ? strstr(call->text, "${") : NULL;
    bool unresolved = dollar && strchr(dollar, '}');
    if (a->endpoint != M_NONE || unresolved ||
        !ivrsm_cc_expect(c, call, DOM_STRING, "\"METHOD /path\" or an endpoint name")) {
        ivrsm_cc_pop(c, mark);
        return;
    }
    if (!ivrsm_cc_call_parse(c, call->text, &a->method, &a->path, call, "call", NULL)) {
        const dom_node *declared =
            ivrsm_dom_get(ivrsm_dom_get(c->globals, "endpoints"), name ? name : "");
        if (call->ref && declared) {
            /* A malformed endpoint: reported where globals.endpoints declares it. */
        } else if (name && !strchr(name, '/')) {
            const char *guess = m->endpoint_count
                                    ? ivrsm_cc_suggest(c, name, &m->endpoints[0].name,
                                                       sizeof(m_endpoint), m->endpoint_count)
                                    : NULL;
            ivrsm_cc_error(c, "unknown-endpoint", call->line, call->column,
                           "call: no endpoint named '%s' in globals.endpoints%s%s%s", name,
                           guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "");
        } else {
            ivrsm_cc_error(
                c, "invalid-value", call->line, call->column,
                "call: expected \"METHOD /path\" (GET, POST, PUT, PATCH or DELETE) or an "
                "endpoint name, found \"%s\"",
                call->text);
        }
    }
    ivrsm_cc_pop(c, mark);
}

/* Every {name} of the path (read as the runtime reads it) needs a `path:` value. */
static void check_path_params(cc *c, const m_action *a, const dom_node *call)
{
    ivrsm_strmap given = IVRSM_STRMAP_INIT(c->m->mem);
    for (size_t i = 0; i < a->path_params.count; i++) {
        const char *k = a->path_params.items[i].key;
        if (ivrsm_strmap_put(&given, k, strlen(k), (void *)k, NULL) < 0)
            ivrsm_cc_nomem(c);
    }
    for (const char *p = a->path ? strchr(a->path, '{') : NULL; p; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (!close)
            break;
        int n = (int)(close - p - 1);
        if (!ivrsm_strmap_get(&given, p + 1, (size_t)n)) {
            size_t mark = ivrsm_cc_push_key(c, "call");
            ivrsm_cc_error(c, "missing-path-param", call->line, call->column,
                           "call: the path %s needs a value for {%.*s} (add path: { %.*s: ... } to "
                           "the action)",
                           a->path, n, p + 1, n, p + 1);
            ivrsm_cc_pop(c, mark);
        }
        p = close;
    }
    ivrsm_strmap_free(&given);
}

/* Header names are HTTP tokens (RFC 9110), and an action sends at most IVRSM_MAX_HEADERS. */
static void check_headers(cc *c, const dom_node *action)
{
    const dom_node *h = ivrsm_dom_get(action, "headers");
    if (!h || h->kind != DOM_MAP)
        return;
    size_t mark = ivrsm_cc_push_key(c, "headers");
    if (h->count > IVRSM_MAX_HEADERS)
        ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", h->line, h->column,
                            "headers: %zu headers, more than the limit of %d", h->count,
                            IVRSM_MAX_HEADERS);
    for (size_t i = 0; i < h->count; i++) {
        const dom_pair *p = &h->pairs[i];
        size_t bad = strspn(p->key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                    "0123456789!#$%&'*+-.^_`|~");
        if (bad == p->key_len)
            continue;
        size_t m2 = ivrsm_cc_push_key(c, p->key);
        ivrsm_cc_error(c, "invalid-value", p->line, p->column,
                       "headers: '%s' is not a header name (letters, digits and !#$%%&'*+-.^_`|~ "
                       "only)",
                       p->key);
        ivrsm_cc_pop(c, m2);
    }
    ivrsm_cc_pop(c, mark);
}

static void compile_action(cc *c, m_state *st, const dom_pair *p)
{
    static const char *const keys[] = {"call",      "headers",    "query",      "path",
                                       "body",      "timeout_ms", "on_success", "on_fail",
                                       "on_status", "on_timeout", "on_error",   NULL};
    m_action *a = &st->action;
    a->endpoint = M_NONE;
    size_t mark = ivrsm_cc_push_key(c, "action");
    if (!ivrsm_cc_expect(c, p->value, DOM_MAP, "a map with call")) {
        ivrsm_cc_pop(c, mark);
        return;
    }
    const dom_node *n = p->value;
    cc_owner owner = {"action of state ", "", st->name, ""};
    ivrsm_cc_check_keys_of(c, n, keys, &owner);
    a->present = true;
    const dom_node *call = ivrsm_dom_get(n, "call");
    if (call)
        resolve_call(c, a, call);
    else
        ivrsm_cc_missing(c, p->line, p->column, "call", ivrsm_cc_owner(c, &owner));
    kvlist_at(c, n, "headers", &a->headers, true);
    check_headers(c, n);
    kvlist_at(c, n, "query", &a->query, true);
    kvlist_at(c, n, "path", &a->path_params, true);
    const dom_node *body = ivrsm_dom_get(n, "body");
    if (body) {
        size_t m2 = ivrsm_cc_push_key(c, "body");
        a->has_body = ivrsm_cc_value(c, body, &a->body) && ivrsm_cc_body_program(c, a);
        ivrsm_cc_pop(c, m2);
    }
    ivrsm_cc_get_int(c, n, "timeout_ms", 1, 600000, &a->timeout_ms);
    if (call && a->path) {
        check_path_params(c, a, call);
        ivrsm_cc_request_program(c, a);
    }
    ivrsm_cc_pop(c, mark);
}

/* --- Handoff ------------------------------------------------------------------------ */

static void compile_handoff(cc *c, m_state *st, const dom_node *n)
{
    /* Without `enabled`, a handoff state follows globals.handoff.enabled when
     * the machine sets it, and is enabled otherwise: the state exists to transfer. */
    const dom_node *gh = ivrsm_dom_get(c->globals, "handoff");
    st->handoff.enabled = gh && ivrsm_dom_get(gh, "enabled") ? c->m->handoff_enabled : true;
    ivrsm_cc_get_bool(c, n, "enabled", &st->handoff.enabled);
    size_t qmark = ivrsm_cc_push_key(c, "queue_id");
    bool queue_ok =
        ivrsm_cc_name_ok(c, ivrsm_dom_get(n, "queue_id"), "queue", IVRSM_NAME_RULES_NAME);
    ivrsm_cc_pop(c, qmark);
    if (queue_ok)
        st->handoff.queue = template_at(c, n, "queue_id");
    st->handoff.prompt = message_at(c, n, "prompt");
}

/* --- Matching tables ---------------------------------------------------------------- */

/* Whether phrase a goes before phrase b: more letters in words of its own first, then
 * longer. */
static bool phrase_before(const m_phrase_entry *a, const m_phrase_entry *b)
{
    if (a->own_bytes != b->own_bytes)
        return a->own_bytes > b->own_bytes;
    if (a->len != b->len)
        return a->len > b->len;
    /* Of two of one length, a route's phrase before the ambiguous words around another. */
    return a->route != M_PHRASE_AMBIGUOUS && b->route == M_PHRASE_AMBIGUOUS;
}

/* One pass of a bottom-up merge sort (phrase_before()): runs of `width` in `from` merged in
 * pairs into `to`. Stable: of two phrases of one rank, the left run's goes first. */
static void merge_phrases(const m_phrase_entry *from, m_phrase_entry *to, size_t n, size_t width)
{
    for (size_t lo = 0; lo < n; lo += 2 * width) {
        size_t mid = lo + width < n ? lo + width : n;
        size_t hi = mid + width < n ? mid + width : n;
        size_t i = lo, j = mid, k = lo;
        while (i < mid && j < hi)
            to[k++] = phrase_before(&from[j], &from[i]) ? from[j++] : from[i++];
        while (i < mid)
            to[k++] = from[i++];
        while (j < hi)
            to[k++] = from[j++];
    }
}

/* Sorts the n phrases of `in` (route order) by phrase_before(), stable, into `out`; `in` is
 * scratch. O(n log n) moves, no calls. */
static void sort_phrases(m_phrase_entry *in, m_phrase_entry *out, size_t n)
{
    m_phrase_entry *from = in, *to = out;
    for (size_t width = 1; width < n; width *= 2) {
        merge_phrases(from, to, n, width);
        m_phrase_entry *t = from;
        from = to;
        to = t;
    }
    if (from != out)
        memcpy(out, from, n * sizeof(*out));
}

/* What route r of a state means, as a number: two routes of one intent (under different
 * conditions, say) mean the same, any other two differ. */
static uintptr_t meaning_of(const m_state *st, uint16_t r)
{
    const m_route *route = &st->routes[r];
    if (route->kind == M_ROUTE_INTENT && route->intent != M_NONE)
        return st->route_count + (uintptr_t)route->intent;
    return r;
}

/* The value of a word several meanings' phrases have, in the map of words to meanings. */
#define WORD_SHARED UINTPTR_MAX

/*
 * Each word of the n phrases, mapped to the meaning of the phrases that have it (plus one), or
 * WORD_SHARED when phrases of two meanings do. One look-up per word: a state of a thousand
 * phrases costs a thousand times one, not a million. false on no memory.
 */
static bool map_word_meanings(cc *c, const m_state *st, const m_phrase_entry *slots, size_t n,
                              ivrsm_strmap *words)
{
    /* Room for every word at once: a map grown from 16 slots was most of a load's time here. */
    size_t word_count = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t at = 0; at <= slots[i].len; at++)
            word_count += at == slots[i].len || slots[i].phrase[at] == ' ';
    if (ivrsm_strmap_reserve(words, word_count) != 0) {
        ivrsm_cc_nomem(c);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const uintptr_t meaning = meaning_of(st, slots[i].route) + 1;
        const char *p = slots[i].phrase;
        for (size_t at = 0; at < slots[i].len;) {
            size_t end = at;
            while (end < slots[i].len && p[end] != ' ')
                end++;
            void *seen = NULL;
            int rc = ivrsm_strmap_put(words, p + at, end - at, (void *)meaning, &seen);
            if (rc == 0 && (uintptr_t)seen != meaning && (uintptr_t)seen != WORD_SHARED)
                rc = ivrsm_strmap_set(words, p + at, end - at, (void *)WORD_SHARED);
            if (rc < 0) {
                ivrsm_cc_nomem(c);
                return false;
            }
            at = end + 1;
        }
    }
    return true;
}

/* Whether a word of a phrase is one no phrase of another meaning has (`words`: the map). */
static bool word_is_own(const ivrsm_strmap *words, const char *w, size_t len)
{
    return (uintptr_t)ivrsm_strmap_get(words, w, len) != WORD_SHARED;
}

/*
 * The bytes of each phrase's words that no phrase of another meaning in the state has
 * (own_bytes): "cancel" in "cancel my appointment" when "appointment" and "my" are in other
 * intents' phrases too. A sentence that holds phrases of several routes is heard as the one
 * with the most of its own, not as the longest: "cancel my Tuesday appointment" is no booking
 * through "appointment". Bytes, not words: a short word of its own ("meine" in "meine
 * Lieferung", the other intents saying "Lieferung stornieren") is weaker evidence than a verb
 * ("stornieren").
 */
static void count_own_bytes(const ivrsm_strmap *words, m_phrase_entry *slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = slots[i].phrase;
        unsigned own = 0;
        for (size_t at = 0; at < slots[i].len;) {
            size_t end = at;
            while (end < slots[i].len && p[end] != ' ')
                end++;
            if (word_is_own(words, p + at, end - at))
                own += (unsigned)(end - at);
            at = end + 1;
        }
        slots[i].own_bytes = (uint8_t)(own > 255 ? 255 : own);
    }
}

/* The shortest word of its own whose stem is kept: shorter ones are mostly politeness and
 * determiners ("merci", "bitte", "meinen"), whose forms say little of a request. */
#define STEM_WORD_MIN 7

/*
 * The stems of the words of their own of the state's phrases (m_phrase_table.stems): a word
 * of STEM_WORD_MIN bytes or more without its last two, where verbs end ("annul" of "annuler",
 * "cancel" of "cancelar", "verschieb" of "verschieben"), each once per route.
 */
static bool build_stems(cc *c, const ivrsm_strmap *words, m_phrase_table *t,
                        const m_phrase_entry *slots, size_t n)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        if (slots[i].own_bytes)
            for (size_t k = 0; k < slots[i].len; k++)
                cap += k == 0 || slots[i].phrase[k] == ' ';
    if (!cap)
        return true;
    m_phrase_stem *stems = ivrsm_arena_alloc(c->arena, cap * sizeof(*stems));
    if (!stems) {
        ivrsm_cc_nomem(c);
        return false;
    }
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!slots[i].own_bytes)
            continue;
        const char *p = slots[i].phrase;
        for (size_t at = 0; at < slots[i].len;) {
            size_t end = at;
            while (end < slots[i].len && p[end] != ' ')
                end++;
            const size_t len = end - at, stem = len - 2;
            bool known = len < STEM_WORD_MIN || !word_is_own(words, p + at, len);
            for (size_t k = 0; k < count && !known; k++)
                known = stems[k].route == slots[i].route && stems[k].len == stem &&
                        memcmp(stems[k].stem, p + at, stem) == 0;
            if (!known)
                stems[count++] = (m_phrase_stem){p + at, (uint16_t)stem, slots[i].route};
            at = end + 1;
        }
    }
    t->stems = stems;
    t->stem_count = count;
    return true;
}

/* At most this many separable verbs a state's table gets per language, and forms of them. */
#define SEPARABLE_MAX 16

/*
 * The separable verbs of the state's phrases (rules->separable_prefixes: a word made of a
 * prefix, a stem of two bytes or more and "en", "absagen", "anrufen"), in t->separable, and for
 * each phrase holding one the same phrase with its "zu" infinitive ("termin abzusagen"), added
 * to slots[*np] up to cap.
 */
static bool add_separable_forms(cc *c, const ivrsm_text_rules *rules, m_phrase_table *t,
                                m_phrase_entry *slots, size_t *np, size_t cap)
{
    const struct ivrsm_text_words *prefixes = rules ? rules->separable_prefixes : NULL;
    if (!prefixes)
        return true;
    m_separable found[SEPARABLE_MAX];
    size_t count = 0;
    const size_t n = *np;
    for (size_t i = 0; i < n; i++) {
        const char *p = slots[i].phrase;
        for (size_t at = 0; at < slots[i].len;) {
            size_t end = at;
            while (end < slots[i].len && p[end] != ' ')
                end++;
            const size_t wlen = end - at;
            for (const struct ivrsm_text_words *pre = prefixes; pre->text; pre++) {
                if (wlen < pre->len + 4 || memcmp(p + at, pre->text, pre->len) != 0 ||
                    memcmp(p + end - 2, "en", 2) != 0 || pre->len > UINT8_MAX ||
                    memcmp(p + at + pre->len, "zu", 2) == 0)
                    continue;
                const char *stem = p + at + pre->len;
                const size_t stem_len = wlen - pre->len - 2;
                if (stem_len > UINT8_MAX)
                    continue;
                bool known = false;
                for (size_t k = 0; k < count && !known; k++)
                    known = found[k].prefix == pre->text && found[k].stem_len == stem_len &&
                            memcmp(found[k].stem, stem, stem_len) == 0;
                if (!known && count < SEPARABLE_MAX)
                    found[count++] =
                        (m_separable){pre->text, stem, (uint8_t)pre->len, (uint8_t)stem_len};
                if (*np >= cap)
                    continue;
                /* The phrase with prefix + "zu" + stem + "en" for the word. */
                const size_t zu_len = slots[i].len + 2;
                char *zu = ivrsm_arena_alloc(c->arena, zu_len + 1);
                if (!zu) {
                    ivrsm_cc_nomem(c);
                    return false;
                }
                memcpy(zu, p, at + pre->len);
                memcpy(zu + at + pre->len, "zu", 2);
                memcpy(zu + at + pre->len + 2, stem, slots[i].len - (at + pre->len));
                zu[zu_len] = '\0';
                slots[(*np)++] = (m_phrase_entry){zu, (uint16_t)zu_len, slots[i].route,
                                                  ivrsm_text_may_not_know(rules, zu, zu_len), 0};
            }
            at = end + 1;
        }
    }
    if (!count)
        return true;
    m_separable *kept = ivrsm_arena_alloc(c->arena, count * sizeof(*kept));
    if (!kept) {
        ivrsm_cc_nomem(c);
        return false;
    }
    memcpy(kept, found, count * sizeof(*kept));
    t->separable = kept;
    t->separable_count = count;
    return true;
}

/* At most this many phrases of ambiguous words a state's table gets per language. */
#define AMBIGUOUS_MAX 64

/* Adds text[from..to) as a phrase of ambiguous words, unless a phrase of the state is those
 * words (`listed`) or the room is used up. false on no memory. */
static bool add_ambiguous(cc *c, const ivrsm_text_rules *rules, ivrsm_strmap *listed,
                          const char *text, size_t from, size_t to, m_phrase_entry *slots,
                          size_t *np, size_t cap)
{
    if (*np >= cap || to - from > UINT16_MAX)
        return true;
    if (ivrsm_strmap_get(listed, text + from, to - from))
        return true;
    char *copy = ivrsm_arena_alloc(c->arena, to - from + 1);
    if (!copy) {
        ivrsm_cc_nomem(c);
        return false;
    }
    memcpy(copy, text + from, to - from);
    copy[to - from] = '\0';
    if (ivrsm_strmap_put(listed, copy, to - from, copy, NULL) < 0) {
        ivrsm_cc_nomem(c);
        return false;
    }
    slots[(*np)++] = (m_phrase_entry){copy, (uint16_t)(to - from), M_PHRASE_AMBIGUOUS,
                                      ivrsm_text_may_not_know(rules, copy, to - from), 0};
    return true;
}

/* The most words of a phrase a span of it looked up as a phrase of shared words may have. */
#define AMBIGUOUS_SPAN_WORDS 8

/*
 * A phrase made only of words other meanings' phrases have ("appointment", "ma livraison") may
 * be said as part of one of them: "my appointment" is a word of "cancel my appointment" more,
 * "annuler mon rendez-vous" said as "annulez mon rendez-vous". For each phrase found whole in
 * a longer phrase of another meaning, the words it spans there with the word before it, and
 * with the word after it, are added as phrases of no route (M_PHRASE_AMBIGUOUS), ranked before
 * it: a sentence that holds them is a no-match unless a phrase with words of its own is heard.
 * The spans of each phrase (up to AMBIGUOUS_SPAN_WORDS words) are looked up among the phrases
 * of shared words only, a few look-ups a phrase. The first `*np` slots are the state's
 * phrases; ambiguous ones are added up to `cap`.
 */
static bool add_ambiguous_phrases(cc *c, const m_state *st, const ivrsm_text_rules *rules,
                                  ivrsm_strmap *listed, m_phrase_entry *slots, size_t *np,
                                  size_t cap)
{
    const size_t n = *np;
    ivrsm_strmap shared = IVRSM_STRMAP_INIT(c->m->mem);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++)
        if (!slots[i].own_bytes &&
            ivrsm_strmap_put(&shared, slots[i].phrase, slots[i].len, &slots[i], NULL) < 0)
            ok = false;
    if (!ok)
        ivrsm_cc_nomem(c);
    for (size_t j = 0; j < n && ok && shared.count && *np < cap; j++) {
        const m_phrase_entry *q = &slots[j];
        size_t ends[AMBIGUOUS_SPAN_WORDS];
        for (size_t from = 0; from < q->len && ok;) {
            /* The ends of the words of q from `from` on, up to the span's limit. */
            size_t words = 0, at = from;
            while (at < q->len && words < AMBIGUOUS_SPAN_WORDS) {
                while (at < q->len && q->phrase[at] != ' ')
                    at++;
                ends[words++] = at++;
            }
            for (size_t k = 0; k < words && ok; k++) {
                /* q[from, to): k + 1 words; the shared phrase they may be, and its neighbours. */
                const size_t to = ends[k];
                const m_phrase_entry *p = ivrsm_strmap_get(&shared, q->phrase + from, to - from);
                if (!p || p->len >= q->len || meaning_of(st, p->route) == meaning_of(st, q->route))
                    continue;
                if (from > 0) { /* the word before it: q[before..to) */
                    size_t before = from - 1;
                    while (before > 0 && q->phrase[before - 1] != ' ')
                        before--;
                    ok = add_ambiguous(c, rules, listed, q->phrase, before, to, slots, np, cap);
                }
                if (ok && to < q->len) { /* the word after it: q[from..after) */
                    size_t after = to + 1;
                    while (after < q->len && q->phrase[after] != ' ')
                        after++;
                    ok = add_ambiguous(c, rules, listed, q->phrase, from, after, slots, np, cap);
                }
            }
            from = ends[0] + 1;
        }
    }
    ivrsm_strmap_free(&shared);
    return ok;
}

/* Add a speech hint once (`seen` holds those added); `cap` is the size of t->hints. */
static void add_hint(cc *c, m_phrase_table *t, ivrsm_strmap *seen, const char *hint, size_t cap)
{
    if (!hint || t->hint_count >= cap)
        return;
    int rc = ivrsm_strmap_put(seen, hint, strlen(hint), (void *)hint, NULL);
    if (rc < 0)
        ivrsm_cc_nomem(c);
    else if (rc == 1)
        t->hints[t->hint_count++] = hint;
}

/* The keys of a state's routes, in route order. */
static bool build_dtmf(cc *c, m_state *st)
{
    size_t n_dtmf = 0;
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        if (r->kind == M_ROUTE_INTENT && r->intent != M_NONE)
            n_dtmf += c->m->intents[r->intent].dtmf_count;
    }
    st->dtmf = n_dtmf ? ivrsm_arena_alloc(c->arena, n_dtmf * sizeof(m_dtmf_entry)) : NULL;
    if (n_dtmf && !st->dtmf) {
        ivrsm_cc_nomem(c);
        return false;
    }
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        if (r->kind != M_ROUTE_INTENT || r->intent == M_NONE)
            continue;
        const m_intent *in = &c->m->intents[r->intent];
        for (size_t k = 0; k < in->dtmf_count; k++) {
            size_t len = strlen(in->dtmf[k]);
            st->dtmf[st->dtmf_count++] = (m_dtmf_entry){in->dtmf[k], (uint16_t)len, (uint16_t)i};
            st->dtmf_keys |= ivrsm_m_dtmf_keys(in->dtmf[k]);
            if ((int)len > st->max_dtmf_len)
                st->max_dtmf_len = (int)len;
            if (!st->min_dtmf_len || (int)len < st->min_dtmf_len)
                st->min_dtmf_len = (int)len;
        }
    }
    return true;
}

/* The most places of a list a state's table knows, and phrases naming a place from its end. */
#define PLACES_MAX 16
#define PLACE_PHRASES_MAX 32

/* The place phrase[0..len) names with an ordinal of the language ("the third one": 3), 0 when
 * none, -1 when it names two. */
static int phrase_place(const ivrsm_locale *loc, const char *phrase, size_t len)
{
    int place = 0;
    for (size_t at = 0; at < len;) {
        size_t end = at;
        while (end < len && phrase[end] != ' ')
            end++;
        const int p = ivrsm_locale_place_ordinal(loc, phrase + at, end - at);
        if (p > 0 && place > 0 && p != place)
            return -1;
        if (p > 0)
            place = p;
        at = end + 1;
    }
    return place;
}

/*
 * A choice from a list ("the first one", "le deuxième", "den dritten"): when the state's routes
 * name two places or more with the ordinals of the language, from the first on, each place by
 * the phrases of one route only, they are kept in t->places, and the phrases that name a place
 * from the end or the middle ("the last one", "l'avant-dernier", "die mittlere", "el del
 * medio") in t->place_phrases, longest first, unless a route lists them: heard when no phrase
 * of the routes is, they select the route of that place among those whose conditions hold.
 * slots[0..n_own) are the routes' own phrases; one naming a place with an ordinal is added to
 * them too, as a phrase of no route.
 */
static bool add_place_phrases(cc *c, const ivrsm_locale *loc, const ivrsm_text_rules *rules,
                              m_phrase_table *t, ivrsm_strmap *listed, m_phrase_entry *slots,
                              size_t n_own, size_t *np)
{
    int place_route[PLACES_MAX + 1];
    for (size_t k = 0; k <= PLACES_MAX; k++)
        place_route[k] = -1;
    for (size_t i = 0; i < n_own; i++) {
        const int place = phrase_place(loc, slots[i].phrase, slots[i].len);
        if (place < 0 || place > PLACES_MAX || slots[i].route == M_PHRASE_AMBIGUOUS)
            return true; /* a phrase of two places, or beyond those kept: no choice of places */
        if (place == 0)
            continue;
        if (place_route[place] >= 0 && place_route[place] != slots[i].route)
            return true; /* two routes of one place */
        place_route[place] = slots[i].route;
    }
    size_t count = 0;
    while (count < PLACES_MAX && place_route[count + 1] >= 0)
        count++;
    for (size_t a = 1; a <= count; a++)
        for (size_t b = a + 1; b <= count; b++)
            if (place_route[a] == place_route[b])
                return true; /* one route of two places */
    if (count < 2)
        return true;
    uint16_t *places = ivrsm_arena_alloc(c->arena, count * sizeof(*places));
    if (!places) {
        ivrsm_cc_nomem(c);
        return false;
    }
    for (size_t k = 0; k < count; k++)
        places[k] = (uint16_t)place_route[k + 1];
    m_phrase_entry *phrases = ivrsm_arena_alloc(c->arena, PLACE_PHRASES_MAX * sizeof(*phrases));
    if (!phrases) {
        ivrsm_cc_nomem(c);
        return false;
    }
    size_t n = 0;
    int place;
    const char *text;
    for (size_t i = 0; (text = ivrsm_locale_place_phrase(loc, i, &place)) != NULL; i++) {
        const size_t len = strlen(text);
        if (n == PLACE_PHRASES_MAX || len == 0 || len > UINT16_MAX ||
            ivrsm_strmap_get(listed, text, len))
            continue;
        const uint16_t which = place == IVRSM_POSITION_LAST          ? M_PHRASE_LAST
                               : place == IVRSM_POSITION_BEFORE_LAST ? M_PHRASE_BEFORE_LAST
                                                                     : M_PHRASE_MIDDLE;
        phrases[n++] = (m_phrase_entry){text, (uint16_t)len, which,
                                        ivrsm_text_may_not_know(rules, text, len), 0};
        /* "the second to last" holds "second", a route's phrase: among the routes' phrases,
         * first of all, it makes the sentence no route's, and its place is looked for. */
        if (phrase_place(loc, text, len) != 0)
            slots[(*np)++] = (m_phrase_entry){text, (uint16_t)len, M_PHRASE_AMBIGUOUS,
                                              phrases[n - 1].may_not_know, UINT8_MAX};
    }
    /* The longest first: "l avant dernier" before "dernier". */
    for (size_t i = 1; i < n; i++)
        for (size_t k = i; k > 0 && phrases[k - 1].len < phrases[k].len; k--) {
            const m_phrase_entry tmp = phrases[k];
            phrases[k] = phrases[k - 1];
            phrases[k - 1] = tmp;
        }
    t->places = places;
    t->place_count = count;
    t->place_phrases = phrases;
    t->place_phrase_count = n;
    return true;
}

/*
 * The words of the routes' own phrases slots[0..n_own) of three bytes or more, once each and
 * sorted, in t->lexicon: in a language whose words are said in other forms or as compounds
 * (rules->word_endings, rules->compounds), a sentence in which no phrase is heard is heard
 * again with its words written as these ("ich möchte eine Kartensperrung" as "... karte
 * sperren").
 */
static bool build_lexicon(cc *c, const ivrsm_text_rules *rules, m_phrase_table *t,
                          const m_phrase_entry *slots, size_t n_own)
{
    if (!rules || (!rules->word_endings && !rules->compounds))
        return true;
    size_t cap = 0;
    for (size_t i = 0; i < n_own; i++)
        for (size_t k = 0; k < slots[i].len; k++)
            cap += k == 0 || slots[i].phrase[k] == ' ';
    if (cap == 0)
        return true;
    struct ivrsm_text_words *words = ivrsm_arena_alloc(c->arena, cap * sizeof(*words));
    if (!words) {
        ivrsm_cc_nomem(c);
        return false;
    }
    size_t count = 0;
    for (size_t i = 0; i < n_own; i++) {
        const char *p = slots[i].phrase;
        for (size_t at = 0; at < slots[i].len;) {
            size_t end = at;
            while (end < slots[i].len && p[end] != ' ')
                end++;
            if (end - at >= 3)
                words[count++] = (struct ivrsm_text_words){p + at, end - at};
            at = end + 1;
        }
    }
    qsort(words, count, sizeof(*words), ivrsm_text_lexicon_order);
    size_t kept = 0;
    for (size_t i = 0; i < count; i++)
        if (kept == 0 || ivrsm_text_lexicon_order(&words[kept - 1], &words[i]) != 0)
            words[kept++] = words[i];
    t->lexicon = words;
    t->lexicon_count = kept;
    return true;
}

/* The sets of t's phrases by first byte (m_phrase_table.first_slot), when it has few enough. */
static bool index_phrases(cc *c, m_phrase_table *t)
{
    if (t->phrase_count == 0 || t->phrase_count > M_PHRASES_BY_FIRST)
        return true;
    uint8_t *slot = ivrsm_arena_alloc(c->arena, 256);
    uint64_t *sets = ivrsm_arena_alloc(c->arena, t->phrase_count * sizeof(*sets));
    if (!slot || !sets) {
        ivrsm_cc_nomem(c);
        return false;
    }
    uint8_t used = 0;
    for (size_t i = 0; i < t->phrase_count; i++) {
        const unsigned char first = (unsigned char)t->phrases[i].phrase[0];
        if (!slot[first]) {
            sets[used] = 0;
            slot[first] = ++used;
        }
        sets[slot[first] - 1] |= (uint64_t)1 << i;
    }
    t->first_slot = slot;
    t->by_first = sets;
    return true;
}

static bool false_after(cc *c, m_phrase_entry *slots, ivrsm_strmap *seen)
{
    ivrsm_strmap_free(seen);
    ivrsm_mem_free(c->m->mem, slots);
    return false;
}

/*
 * The utterances of route r's intent in the language r switches to, normalised with the
 * rules of the language being built (`rules`): "English" heard in a Spanish menu is
 * normalised as the Spanish caller's words are.
 */
static bool add_switch_phrases(cc *c, m_phrase_table *t, ivrsm_strmap *seen, m_phrase_entry *slots,
                               size_t *np, size_t n_phrase, const ivrsm_text_rules *rules,
                               const m_route *r, size_t route)
{
    const m_utterances *u = &c->m->intents[r->intent].utterances[r->language];
    for (size_t k = 0; k < u->count; k++) {
        size_t raw_len = strlen(u->raw[k]);
        size_t cap = 2 * raw_len + 2;
        char *norm = ivrsm_arena_alloc(c->arena, cap);
        if (!norm) {
            ivrsm_cc_nomem(c);
            return false;
        }
        int len = ivrsm_text_normalize_rules(rules, u->raw[k], raw_len, norm, cap);
        if (len <= 0)
            continue; /* no words in this language's reading: nothing to hear */
        uint16_t len16 = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
        slots[(*np)++] = (m_phrase_entry){norm, len16, (uint16_t)route,
                                          ivrsm_text_may_not_know(rules, norm, len16), 0};
        add_hint(c, t, seen, u->raw[k], n_phrase);
    }
    return true;
}

/*
 * The forms of an answer (`forms`: the bare answer first, "oui", then "ouais", "carrément"...)
 * that the intent of route r hears beside its own utterances in language `lang`: all of them
 * when the intent lists the bare answer, else none (returns NULL).
 */
static const struct ivrsm_text_words *answer_forms_of(const cc *c, const m_route *r, size_t lang,
                                                      const struct ivrsm_text_words *forms)
{
    if (!forms || !forms[0].text || r->kind != M_ROUTE_INTENT || r->intent == M_NONE)
        return NULL;
    const m_utterances *u = &c->m->intents[r->intent].utterances[lang];
    for (size_t k = 0; k < u->count; k++)
        if (u->lens[k] == forms[0].len && memcmp(u->norm[k], forms[0].text, forms[0].len) == 0)
            return forms;
    return NULL;
}

static size_t count_words(const struct ivrsm_text_words *w)
{
    size_t n = 0;
    while (w && w[n].text)
        n++;
    return n;
}

/*
 * Adds to slots[*np] the forms of an answer that route i hears (answer_forms_of()) and that no
 * route of the state lists itself (`listed`: the state's own phrases, which win), each once.
 */
static bool add_answer_forms(cc *c, const ivrsm_text_rules *rules, ivrsm_strmap *listed,
                             const struct ivrsm_text_words *forms, uint16_t route,
                             m_phrase_entry *slots, size_t *np)
{
    for (size_t k = 1; forms && forms[k].text; k++) {
        const struct ivrsm_text_words *f = &forms[k];
        int rc = ivrsm_strmap_put(listed, f->text, f->len, (void *)f->text, NULL);
        if (rc < 0) {
            ivrsm_cc_nomem(c);
            return false;
        }
        if (rc == 1)
            slots[(*np)++] = (m_phrase_entry){f->text, (uint16_t)f->len, route,
                                              ivrsm_text_may_not_know(rules, f->text, f->len), 0};
    }
    return true;
}

/* The phrases a state listens for in language `lang`, those with the most words of their own
 * first, then the longest, and their hints: its routes' utterances and when_text phrases, the
 * forms of yes and no that the intents listing the bare answer hear (format.md, Intents), and
 * the ambiguous words around shared ones (add_ambiguous_phrases()). */
/* --- The caller's own thing, a new one, and verbs of change -------------------------- */

/* At most this many phrases of a possessive before a phrase of a route asking for a new thing
 * a state's table gets per language. */
#define POSSESSIVE_PHRASES_MAX 32

/*
 * t->route_change and t->kind_route from what the routes' utterances (m_utterances.change,
 * worked out once per intent) and texts say, and, for each of the first n_own slots (the
 * routes' own phrases, not the forms of yes and no) without a word asking for a new thing, of a
 * route that asks for a new thing only
 * ("termin" when booking also says "neuer termin"), the phrase with each possessive before it
 * as a phrase of no route (M_PHRASE_AMBIGUOUS) of its rank: "mein Termin" names the caller's
 * own appointment, which booking is not about, and is a no-match. Added to slots up to cap.
 */
static bool add_change_and_possessives(cc *c, const ivrsm_locale *loc,
                                       const ivrsm_text_rules *rules, const m_state *st,
                                       size_t lang, m_phrase_table *t, ivrsm_strmap *listed,
                                       m_phrase_entry *slots, size_t n_own, size_t *np, size_t cap)
{
    for (size_t k = 0; k < 3; k++)
        t->kind_route[k] = -1;
    if (!loc || st->route_count == 0)
        return true;
    /* What each route's utterances (worked out once per intent) or text say. */
    uint8_t *change = ivrsm_mem_malloc(c->m->mem, st->route_count);
    if (!change) {
        ivrsm_cc_nomem(c);
        return false;
    }
    bool any = false;
    for (size_t r = 0; r < st->route_count; r++) {
        const m_route *route = &st->routes[r];
        unsigned bits = 0;
        if (route->kind == M_ROUTE_INTENT && route->intent != M_NONE)
            bits = c->m->intents[route->intent].utterances[lang].change;
        else if (route->kind == M_ROUTE_TEXT && route->texts && route->texts[lang])
            bits = ivrsm_locale_phrase_change(loc, route->texts[lang], route->text_lens[lang]);
        const unsigned kinds =
            bits & (IVRSM_CHANGE_MOVE | IVRSM_CHANGE_CANCEL | IVRSM_CHANGE_ALTER);
        change[r] = (uint8_t)kinds;
        if ((bits & IVRSM_PHRASE_ASKS_NEW) && !(bits & IVRSM_PHRASE_OWN) && !kinds)
            change[r] |= M_ROUTE_NEW_ONLY;
        any = any || change[r];
        for (size_t k = 0; k < 3; k++)
            if (kinds & (1u << k))
                t->kind_route[k] = t->kind_route[k] == -1 ? (int16_t)r : (int16_t)-2;
    }
    for (size_t k = 0; k < 3; k++)
        if (t->kind_route[k] < 0)
            t->kind_route[k] = -1;
    bool ok = true;
    size_t added = 0;
    for (size_t i = 0; i < n_own && ok && any; i++) {
        const m_phrase_entry p = slots[i];
        if (p.route >= st->route_count || !(change[p.route] & M_ROUTE_NEW_ONLY) ||
            (ivrsm_locale_phrase_change(loc, p.phrase, p.len) & IVRSM_PHRASE_ASKS_NEW))
            continue;
        const char *own;
        for (size_t k = 0; ok && (own = ivrsm_locale_possessive(loc, k)) != NULL; k++) {
            const size_t own_len = strlen(own), len = own_len + 1 + p.len;
            if (added == POSSESSIVE_PHRASES_MAX || *np >= cap || len > UINT16_MAX)
                break;
            char *text = ivrsm_arena_alloc(c->arena, len + 1);
            if (!text) {
                ok = false;
                break;
            }
            memcpy(text, own, own_len);
            text[own_len] = ' ';
            memcpy(text + own_len + 1, p.phrase, p.len);
            text[len] = '\0';
            const size_t before = *np;
            ok = add_ambiguous(c, rules, listed, text, 0, len, slots, np, cap);
            if (ok && *np > before) {
                slots[before].own_bytes = p.own_bytes;
                added++;
            }
        }
    }
    uint8_t *kept = ok && any ? ivrsm_arena_alloc(c->arena, st->route_count) : NULL;
    if (kept)
        memcpy(kept, change, st->route_count);
    ivrsm_mem_free(c->m->mem, change);
    if (!ok || (any && !kept)) {
        ivrsm_cc_nomem(c);
        return false;
    }
    t->route_change = kept;
    return true;
}

/* The words of three bytes or more a phrase has ("carte" and "volee" of "carte volee"). */
static size_t content_words(const char *phrase, size_t len)
{
    size_t count = 0;
    for (size_t at = 0; at < len;) {
        size_t end = at;
        while (end < len && phrase[end] != ' ')
            end++;
        count += end - at >= 3;
        at = end + 1;
    }
    return count;
}

/* The phrases of routes with two words or more of three bytes or more (t->scatter). */
static bool index_scattered(cc *c, m_phrase_table *t)
{
    size_t count = 0;
    for (size_t i = 0; i < t->phrase_count && i <= UINT16_MAX; i++)
        count += t->phrases[i].route != M_PHRASE_AMBIGUOUS &&
                 content_words(t->phrases[i].phrase, t->phrases[i].len) >= 2;
    if (!count)
        return true;
    uint16_t *scatter = ivrsm_arena_alloc(c->arena, count * sizeof(*scatter));
    if (!scatter) {
        ivrsm_cc_nomem(c);
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->phrase_count && i <= UINT16_MAX; i++)
        if (t->phrases[i].route != M_PHRASE_AMBIGUOUS &&
            content_words(t->phrases[i].phrase, t->phrases[i].len) >= 2)
            scatter[k++] = (uint16_t)i;
    t->scatter = scatter;
    t->scatter_count = k;
    return true;
}

static bool build_phrases(cc *c, m_state *st, size_t lang)
{
    m_phrase_table *t = &st->phrases[lang];
    const ivrsm_text_rules *rules = ivrsm_locale_text_rules(c->m->languages[lang]);
    const struct ivrsm_text_words *yes = rules ? rules->yes_forms : NULL;
    const struct ivrsm_text_words *no = rules ? rules->no_forms : NULL;
    size_t n_phrase = 0, n_hint = 0;
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        if (r->kind == M_ROUTE_INTENT && r->intent != M_NONE) {
            n_hint += c->m->intents[r->intent].utterances[lang].count;
            if (r->language != M_NONE && (size_t)r->language != lang)
                n_hint += c->m->intents[r->intent].utterances[r->language].count;
        } else if (r->kind == M_ROUTE_TEXT && r->texts && r->texts[lang])
            n_hint++;
        n_phrase += count_words(answer_forms_of(c, r, lang, yes)) +
                    count_words(answer_forms_of(c, r, lang, no));
    }
    n_phrase += n_hint;
    if (!n_hint)
        return true;
    const size_t cap =
        n_phrase + SEPARABLE_MAX + AMBIGUOUS_MAX + PLACE_PHRASES_MAX + POSSESSIVE_PHRASES_MAX;
    t->hints = ivrsm_arena_alloc(c->arena, n_hint * sizeof(char *));
    m_phrase_entry *slots = ivrsm_mem_malloc(c->m->mem, cap * sizeof(*slots));
    ivrsm_strmap seen = IVRSM_STRMAP_INIT(c->m->mem);
    ivrsm_strmap listed = IVRSM_STRMAP_INIT(c->m->mem);
    /* `listed` grows on demand past the state's own phrases: the forms added after them
     * (separable verbs, ambiguous spans) are few, and a table sized for their bounds in every
     * state and language cost more than the rest of the tables together. */
    if (!t->hints || !slots || ivrsm_strmap_reserve(&seen, n_hint) != 0 ||
        ivrsm_strmap_reserve(&listed, n_phrase) != 0) {
        ivrsm_mem_free(c->m->mem, slots);
        ivrsm_strmap_free(&seen);
        ivrsm_strmap_free(&listed);
        ivrsm_cc_nomem(c);
        return false;
    }
    size_t np = 0;
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        if (r->kind == M_ROUTE_TEXT && r->texts && r->texts[lang]) {
            size_t len = r->text_lens[lang];
            uint16_t len16 = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
            slots[np] = (m_phrase_entry){r->texts[lang], len16, (uint16_t)i,
                                         ivrsm_text_may_not_know(rules, r->texts[lang], len16), 0};
            np++;
            add_hint(c, t, &seen, r->texts_raw[lang], n_hint);
            continue;
        }
        if (r->kind != M_ROUTE_INTENT || r->intent == M_NONE)
            continue;
        const m_utterances *u = &c->m->intents[r->intent].utterances[lang];
        for (size_t k = 0; k < u->count; k++) {
            size_t len = u->lens[k];
            uint16_t len16 = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
            slots[np] = (m_phrase_entry){u->norm[k], len16, (uint16_t)i, u->may_not_know[k], 0};
            np++;
            add_hint(c, t, &seen, u->raw[k], n_hint);
        }
        if (r->language != M_NONE && (size_t)r->language != lang &&
            !add_switch_phrases(c, t, &seen, slots, &np, n_hint, rules, r, i)) {
            ivrsm_strmap_free(&listed);
            return false_after(c, slots, &seen);
        }
    }
    /* The routes' own utterances and texts, before the forms of yes and no added for them. */
    const size_t n_listed = np;
    /* The state's own phrases first: a form one of its routes lists is heard for that route. */
    bool ok = true;
    for (size_t k = 0; k < np && ok; k++)
        ok = ivrsm_strmap_put(&listed, slots[k].phrase, slots[k].len, (void *)slots[k].phrase,
                              NULL) >= 0;
    if (!ok)
        ivrsm_cc_nomem(c);
    for (size_t i = 0; i < st->route_count && ok; i++) {
        const m_route *r = &st->routes[i];
        ok = add_answer_forms(c, rules, &listed, answer_forms_of(c, r, lang, yes), (uint16_t)i,
                              slots, &np) &&
             add_answer_forms(c, rules, &listed, answer_forms_of(c, r, lang, no), (uint16_t)i,
                              slots, &np);
    }
    if (ok)
        ok = add_separable_forms(c, rules, t, slots, &np, n_phrase + SEPARABLE_MAX);
    ivrsm_strmap words = IVRSM_STRMAP_INIT(c->m->mem);
    const size_t n_own = np;
    if (ok && (ok = map_word_meanings(c, st, slots, np, &words))) {
        count_own_bytes(&words, slots, np);
        ok = build_stems(c, &words, t, slots, np) &&
             add_ambiguous_phrases(c, st, rules, &listed, slots, &np, cap) &&
             add_place_phrases(c, c->m->languages[lang], rules, t, &listed, slots, n_own, &np) &&
             add_change_and_possessives(c, c->m->languages[lang], rules, st, lang, t, &listed,
                                        slots, n_listed, &np, cap) &&
             build_lexicon(c, rules, t, slots, n_own);
    }
    ivrsm_strmap_free(&words);
    ivrsm_strmap_free(&seen);
    ivrsm_strmap_free(&listed);
    t->phrases = ok ? ivrsm_arena_alloc(c->arena, np * sizeof(m_phrase_entry)) : NULL;
    if (!t->phrases) {
        if (ok)
            ivrsm_cc_nomem(c);
        ivrsm_mem_free(c->m->mem, slots);
        return false;
    }
    sort_phrases(slots, t->phrases, np);
    t->phrase_count = np;
    ivrsm_mem_free(c->m->mem, slots);
    return index_scattered(c, t) && index_phrases(c, t);
}

static void build_tables(cc *c, m_state *st)
{
    /* Memory ran out earlier: the load fails, and what the tables read (an intent's
     * utterances, say) may never have been made. */
    if (c->nomem)
        return;
    if (!build_dtmf(c, st))
        return;
    st->phrases = ivrsm_arena_alloc(c->arena, c->m->language_count * sizeof(m_phrase_table));
    if (!st->phrases) {
        ivrsm_cc_nomem(c);
        return;
    }
    for (size_t lang = 0; lang < c->m->language_count; lang++) {
        if (!build_phrases(c, st, lang))
            return;
    }
}

/* --- The state ---------------------------------------------------------------------- */

/* Returns false when the type is missing or unknown. */
static bool compile_type(cc *c, m_state *st, const dom_node *n, const dom_pair *pair)
{
    const dom_node *t = ivrsm_dom_get(n, "type");
    if (!t) {
        char owner[300];
        snprintf(owner, sizeof(owner), "state '%s' (expected one of: " TYPE_LIST ")", st->name);
        ivrsm_cc_missing(c, pair->line, pair->column, "type", owner);
        return false;
    }
    size_t mark = ivrsm_cc_push_key(c, "type");
    bool ok = false;
    if (ivrsm_cc_expect(c, t, DOM_STRING, "a state type")) {
        int i = 0;
        while (i < M_STATE_TYPE_COUNT && strcmp(type_names[i], t->text))
            i++;
        if (i < M_STATE_TYPE_COUNT) {
            st->type = (m_state_type)i;
            ok = true;
        } else {
            const char *guess =
                ivrsm_cc_suggest(c, t->text, type_names, sizeof(char *), M_STATE_TYPE_COUNT);
            ivrsm_cc_error(c, "invalid-value", t->line, t->column,
                           "type: unknown state type '%s'%s%s%s (expected one of: " TYPE_LIST ")",
                           t->text, guess ? "; did you mean '" : "", guess ? guess : "",
                           guess ? "'?" : "");
        }
    }
    ivrsm_cc_pop(c, mark);
    return ok;
}

static void handoff_only_keys(cc *c, const m_state *st, const dom_node *n)
{
    static const char *const keys[] = {"enabled", "queue_id", NULL};
    for (const char *const *k = keys; *k; k++) {
        const dom_pair *p = ivrsm_dom_get_pair(n, *k);
        if (!p)
            continue;
        size_t mark = ivrsm_cc_push_key(c, *k);
        ivrsm_cc_error(c, "unknown-key", p->line, p->column,
                       "key '%s' is only allowed in handoff states (state '%s' is of type %s)", *k,
                       st->name, type_names[st->type]);
        ivrsm_cc_pop(c, mark);
    }
}

/* A decide state routes on data and says nothing: type, description, routes and next. */
static void check_decide(cc *c, const m_state *st, const dom_node *n, const dom_pair *pair)
{
    static const char *const allowed[] = {"type", "description", "routes", "next", NULL};
    for (size_t i = 0; i < n->count; i++) {
        const dom_pair *p = &n->pairs[i];
        const char *const *k = allowed;
        while (*k && strcmp(*k, p->key))
            k++;
        if (*k)
            continue;
        size_t mark = ivrsm_cc_push_key(c, p->key);
        ivrsm_cc_error(c, "unknown-key", p->line, p->column,
                       "key '%s' is not allowed in decide state '%s' (a decide state routes on "
                       "data and says nothing: type, description, routes, next)",
                       p->key, st->name);
        ivrsm_cc_pop(c, mark);
    }
    if (!ivrsm_dom_get(n, "next"))
        ivrsm_cc_error(c, "decide-without-next", pair->line, pair->column,
                       "decide state '%s' has no next: when no condition holds, the call would "
                       "have nowhere to go (add next: the else branch)",
                       st->name);
}

void ivrsm_cc_state(cc *c, int32_t index, const dom_pair *pair)
{
    m_state *st = &c->m->states[index];
    st->next = M_NONE;
    st->noinput.next = st->nomatch.next = st->fallback.next = M_NONE;
    st->on_success.next = st->on_fail.next = M_NONE;
    st->on_timeout.next = st->on_error.next = M_NONE;
    st->collect.retry.on_fail_next = M_NONE;
    st->action.endpoint = M_NONE;
    size_t mark = ivrsm_cc_push_key(c, pair->key);
    size_t errors_before = ivrsm_diagnostics_error_count(c->diag);
    const dom_node *n = pair->value;
    if (!ivrsm_cc_expect(c, n, DOM_MAP, "a state (a map with type)")) {
        c->info->broken[index] = 1;
        ivrsm_cc_pop(c, mark);
        return;
    }
    cc_owner owner = {"state ", "", st->name, ""};
    ivrsm_cc_check_keys_of(c, n, state_keys, &owner);
    c->state_has_action = ivrsm_dom_get(n, "action") != NULL;
    st->type = M_PROMPT_AND_LISTEN;
    if (!compile_type(c, st, n, pair))
        c->info->broken[index] = 1;
    const char *description;
    ivrsm_cc_get_string(c, n, "description", &description);
    if (st->type == M_DECIDE)
        check_decide(c, st, n, pair);

    if (st->type == M_HANDOFF)
        compile_handoff(c, st, n);
    else
        handoff_only_keys(c, st, n);
    compile_prompt(c, n, &st->prompt, st->type != M_HANDOFF);

    const dom_node *routes = ivrsm_dom_get(n, "routes");
    if (routes)
        compile_routes(c, st, routes);
    compile_counter(c, &st->noinput, n, "noinput", st->name);
    compile_counter(c, &st->nomatch, n, "nomatch", st->name);
    compile_fallback(c, &st->fallback, n, st->name);
    st->next = state_ref_at(c, n, "next");
    const dom_pair *collect = ivrsm_dom_get_pair(n, "collect");
    if (collect)
        compile_collect(c, st, collect);
    const dom_pair *action = ivrsm_dom_get_pair(n, "action");
    if (action)
        compile_action(c, st, action);
    else if (st->type == M_ACTION_THEN_PROMPT)
        ivrsm_cc_missing(c, pair->line, pair->column, "action", ivrsm_cc_owner(c, &owner));
    compile_prompt_before(c, st, n, action != NULL);
    if (!action && (st->type == M_PROMPT_AND_LISTEN || st->type == M_LISTEN))
        outcomes_without_action(c, st, n);
    else
        compile_outcomes(c, st, n, action ? action->value : NULL);
    build_tables(c, st);
    c->state_has_action = false;
    /* A state with an error of its own: what the checker would say of its routes and
     * outcomes (a dead end, a state no route leads to) only echoes that error. */
    if (ivrsm_diagnostics_error_count(c->diag) > errors_before && !c->info->broken[index])
        c->info->broken[index] = 2;
    ivrsm_cc_pop(c, mark);
}
