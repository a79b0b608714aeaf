/*
 * The validator's rules, run on a compiled machine (and on what the compiler
 * could build of a broken one). Each rule has a stable id (the list below);
 * positions come from the document tree kept in compile_info.
 *
 * Errors: input-free-cycle. Warnings: unreachable-state (those two in
 * validate_graph.c), dead-end, dtmf-conflict, utterance-conflict,
 * shadowed-route, dtmf-terminator-conflict, action-without-on-fail,
 * template-path-never-set, counter-unreachable, unused-intent,
 * missing-prompt, ignored-key, unused-path-param, language-missing (in
 * validate_language.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "validate.h"

/* --- Per-state rules ---------------------------------------------------------------------- */

static void check_dead_end(vctx *v, size_t i)
{
    const m_state *st = &v->m->states[i];
    const m_pos p = st->pos;
    /* A next written but naming no state is already an error (dangling-next). */
    bool next_written = st->next != M_NONE || ivrsm_dom_get(ivrsm_v_state_node(v, i), "next");
    if (ivrsm_graph_state_waits(st)) {
        bool out = st->route_count || next_written ||
                   (st->fallback.present && st->fallback.next != M_NONE) ||
                   (st->nomatch.present && st->nomatch.next != M_NONE) ||
                   (st->action.present && st->on_success.next != M_NONE);
        if (!out)
            WARN(v, p.line, p.column, ivrsm_v_state_path(v, i, NULL), "dead-end",
                 "state '%s' has no way out: no routes, no next, no fallback (whatever the "
                 "caller says, the call can only escalate)",
                 st->name);
        else if (st->collect.mode && !st->action.present && !next_written)
            WARN(v, p.line, p.column, ivrsm_v_state_path(v, i, NULL), "dead-end",
                 "state '%s' collects a value but has no next state to continue to", st->name);
    } else if (st->type == M_ACTION_THEN_PROMPT && st->action.present &&
               st->on_success.next == M_NONE && st->next == M_NONE) {
        WARN(v, p.line, p.column, ivrsm_v_state_path(v, i, NULL), "dead-end",
             "state '%s' has nowhere to go after its action succeeds (no on_success.next, no "
             "next): the call escalates",
             st->name);
    }
}

static void check_on_fail(vctx *v, size_t i)
{
    const m_state *st = &v->m->states[i];
    if (!st->action.present || st->on_fail.present)
        return;
    if (ivrsm_graph_state_waits(st) && !st->collect.mode)
        return; /* never called: reported as ignored-key */
    const dom_pair *a = ivrsm_dom_get_pair(ivrsm_v_state_node(v, i), "action");
    m_pos p = a ? (m_pos){a->line, a->column} : st->pos;
    WARN(v, p.line, p.column, ivrsm_v_state_path(v, i, "action"), "action-without-on-fail",
         "the action of state '%s' has no on_fail: a failed request escalates (handoff if "
         "enabled, else goodbye)",
         st->name);
}

static const char *route_label(const vctx *v, const m_route *r, char *buf, size_t cap)
{
    if (r->kind == M_ROUTE_INTENT && r->intent != M_NONE)
        snprintf(buf, cap, "%s", v->m->intents[r->intent].name);
    else if (r->kind == M_ROUTE_CONDITION)
        snprintf(buf, cap, "when '%s'", r->when ? ivrsm_tmpl_source(r->when) : "");
    else
        snprintf(buf, cap, "when_text '%s'", r->text ? r->text : "");
    return buf;
}

/* Two routes that do the same thing do not conflict. */
static bool same_effect(const m_route *a, const m_route *b)
{
    return a->next == b->next && a->set.count == 0 && b->set.count == 0;
}

/*
 * The conflict rules look each trigger up among the earlier ones in a hash
 * map (text → first index + 1), so a state with many routes, keys or
 * phrases is checked in linear time.
 */
static size_t first_seen(vctx *v, ivrsm_strmap *map, const char *key, size_t len, size_t index)
{
    void *prev = NULL;
    int rc = ivrsm_strmap_put(map, key, len, (void *)(uintptr_t)(index + 1), &prev);
    if (rc < 0)
        v->diag->nomem = true;
    return rc == 0 ? (size_t)(uintptr_t)prev - 1 : index;
}

/*
 * A route's trigger and condition as one key (from mem, owned by the caller,
 * NULL when the route has no trigger): its kind, its intent or phrase, then its `when`
 * source ("" without one), so that routes that take the same inputs under
 * the same condition have the same key.
 */
static char *trigger_key(const ivrsm_mem *mem, const m_route *r, const char *when, size_t *len)
{
    char intent[24] = "";
    const char *what = "";
    if (r->kind == M_ROUTE_INTENT) {
        if (r->intent == M_NONE)
            return NULL;
        snprintf(intent, sizeof(intent), "%d", (int)r->intent);
        what = intent;
    } else if (r->kind == M_ROUTE_TEXT) {
        if (!r->text)
            return NULL;
        what = r->text;
    } else if (!r->when) {
        return NULL;
    }
    size_t a = strlen(what), b = strlen(when);
    char *key = ivrsm_mem_malloc(mem, a + b + 3);
    if (!key)
        return NULL;
    key[0] = (char)('0' + r->kind);
    memcpy(key + 1, what, a);
    key[a + 1] = '\x01'; /* neither a phrase nor a condition holds it */
    memcpy(key + a + 2, when, b + 1);
    *len = a + b + 2;
    return key;
}

/* Routes on one input that depend on data branch on purpose: no conflict. */
static bool conditional(const m_route *a, const m_route *b)
{
    return a->when || b->when;
}

/* The first earlier route whose key is `key`, or `none`. */
static size_t earlier(const ivrsm_strmap *map, const char *key, size_t len, size_t none)
{
    void *prev = key ? ivrsm_strmap_get(map, key, len) : NULL;
    return prev ? (size_t)(uintptr_t)prev - 1 : none;
}

/*
 * Mark routes that repeat an earlier route's trigger: they can never match.
 * An earlier route shadows a later one with the same trigger when it has no
 * condition, or the very same condition; both are looked up.
 */
static void check_shadowed(vctx *v, size_t i, unsigned char *shadowed)
{
    const m_state *st = &v->m->states[i];
    ivrsm_strmap seen = IVRSM_STRMAP_INIT(v->m->mem);
    char **keys =
        ivrsm_mem_calloc(v->m->mem, st->route_count, sizeof(*keys)); /* they outlive the map */
    if (!keys) {
        v->diag->nomem = true;
        return;
    }
    for (size_t b = 0; b < st->route_count; b++) {
        const m_route *rb = &st->routes[b];
        const char *when = rb->when ? ivrsm_tmpl_source(rb->when) : "";
        size_t len = 0, plain_len = 0;
        keys[b] = trigger_key(v->m->mem, rb, when, &len);
        if (!keys[b])
            continue;
        size_t a = earlier(&seen, keys[b], len, b);
        if (*when && rb->kind != M_ROUTE_CONDITION) {
            char *plain = trigger_key(v->m->mem, rb, "", &plain_len);
            size_t without = earlier(&seen, plain, plain_len, b);
            ivrsm_mem_free(v->m->mem, plain);
            if (without < a)
                a = without;
        }
        if (ivrsm_strmap_put(&seen, keys[b], len, (void *)(uintptr_t)(b + 1), NULL) < 0)
            v->diag->nomem = true;
        if (a == b)
            continue;
        shadowed[b] = 1;
        char label[160], sub[32];
        snprintf(sub, sizeof(sub), "routes[%zu]", b);
        WARN(v, rb->pos.line, rb->pos.column, ivrsm_v_state_path(v, i, sub), "shadowed-route",
             "routes[%zu] of state '%s' repeats %s of routes[%zu]; it can never match", b, st->name,
             route_label(v, rb, label, sizeof(label)), a);
    }
    ivrsm_strmap_free(&seen);
    for (size_t b = 0; b < st->route_count; b++)
        ivrsm_mem_free(v->m->mem, keys[b]);
    ivrsm_mem_free(v->m->mem, keys);
}

/* DTMF entries are in route order: the first entry with the same keys is the route that wins. */
static void check_dtmf_conflicts(vctx *v, size_t i, const unsigned char *shadowed)
{
    const m_state *st = &v->m->states[i];
    ivrsm_strmap seen = IVRSM_STRMAP_INIT(v->m->mem);
    for (size_t b = 0; b < st->dtmf_count; b++) {
        const m_dtmf_entry *eb = &st->dtmf[b];
        size_t a = first_seen(v, &seen, eb->digits, eb->len, b);
        const m_dtmf_entry *ea = &st->dtmf[a];
        /* Entries of one route are consecutive: an earlier one of the same route means no
         * other route had these keys before it. */
        if (a == b || ea->route == eb->route)
            continue;
        const m_route *ra = &st->routes[ea->route], *rb = &st->routes[eb->route];
        if (!shadowed[eb->route] && !shadowed[ea->route] && !same_effect(ra, rb) &&
            !conditional(ra, rb)) {
            char la[160], lb[160], sub[32];
            snprintf(sub, sizeof(sub), "routes[%u]", eb->route);
            WARN(v, rb->pos.line, rb->pos.column, ivrsm_v_state_path(v, i, sub), "dtmf-conflict",
                 "DTMF '%s' is routed to both %s (routes[%u]) and %s (routes[%u]) in state "
                 "'%s'; the first one wins",
                 eb->digits, route_label(v, ra, la, sizeof(la)), ea->route,
                 route_label(v, rb, lb, sizeof(lb)), eb->route, st->name);
        }
    }
    ivrsm_strmap_free(&seen);
}

/* The phrases a route listens for in a language: its intent's normalised utterances, or its text.
 */
static size_t route_phrases(const vctx *v, const m_route *r, size_t lang, const char *const **list)
{
    if (r->kind == M_ROUTE_INTENT && r->intent != M_NONE) {
        const m_intent *in = &v->m->intents[r->intent];
        if (!in->utterances)
            return 0;
        *list = in->utterances[lang].norm;
        return in->utterances[lang].count;
    }
    if (!r->texts || !r->texts[lang])
        return 0;
    *list = (const char *const *)&r->texts[lang];
    return 1;
}

/*
 * A phrase of a route that an earlier route already listens for: the first
 * earlier route (not shadowed) that has it wins. Phrases are entered in the
 * map once their route is checked, so a route never conflicts with itself.
 */
static void check_utterance_conflicts_in(vctx *v, size_t i, const unsigned char *shadowed,
                                         size_t lang)
{
    const m_state *st = &v->m->states[i];
    /* " (en-US)" after the utterance when the machine speaks more than one language. */
    char in_lang[32] = "";
    if (v->m->language_count > 1)
        snprintf(in_lang, sizeof(in_lang), " (%s)", v->m->language_tags[lang]);
    ivrsm_strmap seen = IVRSM_STRMAP_INIT(v->m->mem);
    for (size_t b = 0; b < st->route_count; b++) {
        if (shadowed[b])
            continue;
        const char *const *pb;
        size_t nb = route_phrases(v, &st->routes[b], lang, &pb);
        for (size_t k = 0; k < nb; k++) {
            void *prev = ivrsm_strmap_get(&seen, pb[k], strlen(pb[k]));
            size_t a = prev ? (size_t)(uintptr_t)prev - 1 : b;
            if (a == b || same_effect(&st->routes[a], &st->routes[b]) ||
                conditional(&st->routes[a], &st->routes[b]))
                continue;
            char la[160], lb[160], sub[32];
            snprintf(sub, sizeof(sub), "routes[%zu]", b);
            WARN(v, st->routes[b].pos.line, st->routes[b].pos.column, ivrsm_v_state_path(v, i, sub),
                 "utterance-conflict",
                 "utterance '%s'%s matches both %s (routes[%zu]) and %s (routes[%zu]) in "
                 "state '%s'; the first one wins",
                 pb[k], in_lang, route_label(v, &st->routes[a], la, sizeof(la)), a,
                 route_label(v, &st->routes[b], lb, sizeof(lb)), b, st->name);
        }
        for (size_t k = 0; k < nb; k++)
            if (ivrsm_strmap_put(&seen, pb[k], strlen(pb[k]), (void *)(uintptr_t)(b + 1), NULL) < 0)
                v->diag->nomem = true;
    }
    ivrsm_strmap_free(&seen);
}

static void check_utterance_conflicts(vctx *v, size_t i, const unsigned char *shadowed)
{
    for (size_t lang = 0; lang < v->m->language_count; lang++)
        check_utterance_conflicts_in(v, i, shadowed, lang);
}

static void check_conflicts(vctx *v, size_t i)
{
    const m_state *st = &v->m->states[i];
    if (!st->route_count)
        return;
    unsigned char *shadowed = ivrsm_mem_calloc(v->m->mem, st->route_count, 1);
    if (!shadowed) {
        v->diag->nomem = true;
        return;
    }
    check_shadowed(v, i, shadowed);
    check_dtmf_conflicts(v, i, shadowed);
    check_utterance_conflicts(v, i, shadowed);
    ivrsm_mem_free(v->m->mem, shadowed);
}

static void check_counter(vctx *v, size_t i, const char *block, const char *key, int max)
{
    int limit = v->m->limits.max_consecutive_failures;
    if (max < limit)
        return;
    const dom_node *n = ivrsm_v_dig(ivrsm_v_dig(ivrsm_v_state_node(v, i), block, NULL), key, NULL);
    char sub[64];
    snprintf(sub, sizeof(sub), "%s.%s", block, key);
    m_pos p = n ? (m_pos){n->line, n->column} : v->m->states[i].pos;
    WARN(v, p.line, p.column, ivrsm_v_state_path(v, i, sub), "counter-unreachable",
         "%s is %d, but the call escalates after %d consecutive failures "
         "(globals.limits.max_consecutive_failures): its target is never taken",
         sub, max, limit);
}

static void check_counters(vctx *v, size_t i)
{
    const m_state *st = &v->m->states[i];
    if (st->noinput.present && st->noinput.next != M_NONE)
        check_counter(v, i, "noinput", "max", st->noinput.max);
    if (st->nomatch.present && st->nomatch.next != M_NONE)
        check_counter(v, i, "nomatch", "max", st->nomatch.max);
    if (st->collect.retry.present && st->collect.retry.on_fail_next != M_NONE) {
        int limit = v->m->limits.max_consecutive_failures;
        if (st->collect.retry.max < limit)
            return;
        const dom_node *n =
            ivrsm_dom_get(ivrsm_v_dig(ivrsm_v_state_node(v, i), "collect", "retry"), "max");
        m_pos p = n ? (m_pos){n->line, n->column} : st->pos;
        WARN(v, p.line, p.column, ivrsm_v_state_path(v, i, "collect.retry.max"),
             "counter-unreachable",
             "collect.retry.max is %d, but the call escalates after %d consecutive failures "
             "(globals.limits.max_consecutive_failures): on_fail_next is never taken",
             st->collect.retry.max, limit);
    }
}

static void check_prompt(vctx *v, size_t i)
{
    const m_state *st = &v->m->states[i];
    if (st->prompt.prompt || st->prompt.prompt_template)
        return;
    const dom_node *n = ivrsm_v_state_node(v, i);
    if (!n || ivrsm_dom_get(n, "prompt") || ivrsm_dom_get(n, "prompt_template"))
        return; /* written but broken: already an error */
    if (st->type == M_PROMPT_AND_LISTEN)
        WARN(v, st->pos.line, st->pos.column, ivrsm_v_state_path(v, i, NULL), "missing-prompt",
             "state '%s' is a prompt_and_listen state without prompt or prompt_template (use "
             "type listen when the previous state asks the question)",
             st->name);
    else if (st->type == M_PROMPT_END)
        WARN(v, st->pos.line, st->pos.column, ivrsm_v_state_path(v, i, NULL), "missing-prompt",
             "state '%s' ends the call without a word: it has no prompt", st->name);
}

static void ignored(vctx *v, size_t i, const char *key, const char *why)
{
    const dom_pair *p = ivrsm_dom_get_pair(ivrsm_v_state_node(v, i), key);
    if (!p)
        return;
    WARN(v, p->line, p->column, ivrsm_v_state_path(v, i, key), "ignored-key",
         "'%s' has no effect in state '%s': %s", key, v->m->states[i].name, why);
}

/* Routes on the caller's input in a state that does not listen (routes on a
 * condition alone are taken there, on entering it). */
static void input_routes_ignored(vctx *v, size_t i, const char *why)
{
    const m_state *st = &v->m->states[i];
    const dom_node *routes = ivrsm_dom_get(ivrsm_v_state_node(v, i), "routes");
    for (size_t r = 0; r < st->route_count; r++) {
        if (st->routes[r].kind == M_ROUTE_CONDITION || !routes || routes->kind != DOM_LIST ||
            r >= routes->count)
            continue;
        const dom_node *n = routes->items[r];
        char sub[32];
        snprintf(sub, sizeof(sub), "routes[%zu]", r);
        WARN(v, n->line, n->column, ivrsm_v_state_path(v, i, sub), "ignored-key",
             "routes[%zu] has no effect in state '%s': %s (only routes with `when` alone are "
             "taken there, on entering it)",
             r, st->name, why);
    }
}

/*
 * repeat_prompt: true in a listen state's noinput or nomatch block: the state has no
 * prompt of its own, so its re-prompt is said alone and the key does nothing.
 */
static void repeat_prompt_ignored(vctx *v, size_t i)
{
    static const char *const blocks[] = {"noinput", "nomatch", NULL};
    const m_state *st = &v->m->states[i];
    const dom_node *state = ivrsm_v_state_node(v, i);
    for (const char *const *b = blocks; *b; b++) {
        const m_counter *block = !strcmp(*b, "noinput") ? &st->noinput : &st->nomatch;
        const dom_node *n = ivrsm_dom_get(state, *b);
        const dom_pair *p = n && n->kind == DOM_MAP ? ivrsm_dom_get_pair(n, "repeat_prompt") : NULL;
        if (!p || !block->repeat_prompt_set || !block->repeat_prompt)
            continue;
        char sub[32];
        snprintf(sub, sizeof(sub), "%s.repeat_prompt", *b);
        WARN(v, p->line, p->column, ivrsm_v_state_path(v, i, sub), "ignored-key",
             "'repeat_prompt' has no effect in state '%s': a listen state has no prompt of its "
             "own to repeat, so its re-prompt is said alone (give the re-prompt the words of the "
             "question)",
             st->name);
    }
}

static void check_ignored_keys(vctx *v, size_t i)
{
    static const char *const listening[] = {"noinput", "nomatch", "fallback", "collect", NULL};
    static const char *const by_answer[] = {"on_status", "on_timeout", "on_error", NULL};
    const m_state *st = &v->m->states[i];
    const char *const *k;
    switch (st->type) {
    case M_DECIDE:
        break; /* other keys are errors (compile_state.c) */
    case M_ACTION_THEN_PROMPT:
        input_routes_ignored(v, i, "an action_then_prompt state does not listen");
        for (k = listening; *k; k++)
            ignored(v, i, *k, "an action_then_prompt state does not listen");
        ignored(v, i, "prompt",
                "an action_then_prompt state speaks through on_success / on_fail (to speak "
                "before its request, write prompt_before)");
        ignored(v, i, "prompt_template",
                "an action_then_prompt state speaks through on_success / on_fail (to speak "
                "before its request, write prompt_before)");
        break;
    case M_HANDOFF:
        input_routes_ignored(v, i, "a handoff state does not listen");
        for (k = listening; *k; k++)
            ignored(v, i, *k, "a handoff state does not listen");
        ignored(v, i, "action", "a handoff state calls no action");
        for (k = by_answer; *k; k++)
            ignored(v, i, *k, "a handoff has no HTTP answer (it takes on_success or on_fail)");
        ignored(v, i, "prompt_template", "a handoff state says its prompt");
        break;
    case M_PROMPT_END:
        ignored(v, i, "routes", "the call ends there");
        for (k = listening; *k; k++)
            ignored(v, i, *k, "the call ends there");
        ignored(v, i, "action", "the call ends there");
        ignored(v, i, "next", "the call ends there");
        ignored(v, i, "on_success", "the call ends there");
        ignored(v, i, "on_fail", "the call ends there");
        for (k = by_answer; *k; k++)
            ignored(v, i, *k, "the call ends there");
        break;
    default:
        if (st->type == M_LISTEN)
            repeat_prompt_ignored(v, i);
        /* A collect written but refused (an unknown mode) is its own error: no echo. */
        if (st->action.present && !st->collect.mode &&
            !ivrsm_dom_get(ivrsm_v_state_node(v, i), "collect"))
            ignored(v, i, "action",
                    "a listening state calls its action only after a collect (add collect, or "
                    "move the action to an action_then_prompt state)");
        /* Outcomes without an action are an error (compile_state.c). */
        break;
    }
}

/* The {name} parameters of a path, in a set (names point into the path). */
static int path_param_names(const char *path, ivrsm_strmap *names)
{
    for (const char *p = strchr(path, '{'); p; p = strchr(p + 1, '{')) {
        const char *close = strchr(p, '}');
        if (!close)
            break;
        if (ivrsm_strmap_put(names, p + 1, (size_t)(close - p - 1), (void *)p, NULL) < 0)
            return -1;
        p = close;
    }
    return 0;
}

static void check_path_params(vctx *v, size_t i)
{
    const m_action *a = &v->m->states[i].action;
    if (!a->present || !a->path)
        return;
    const dom_node *params = ivrsm_v_dig(ivrsm_v_state_node(v, i), "action", "path");
    if (!params || params->kind != DOM_MAP || !params->count)
        return;
    ivrsm_strmap names = IVRSM_STRMAP_INIT(v->m->mem);
    if (path_param_names(a->path, &names) != 0)
        v->diag->nomem = true;
    for (size_t k = 0; k < params->count; k++) {
        const dom_pair *p = &params->pairs[k];
        if (ivrsm_strmap_get(&names, p->key, p->key_len))
            continue;
        char sub[300];
        snprintf(sub, sizeof(sub), "action.path.%s", p->key);
        WARN(v, p->line, p->column, ivrsm_v_state_path(v, i, sub), "unused-path-param",
             "path: '%s' is not a parameter of %s (no {%s} in it)", p->key, a->path, p->key);
    }
    ivrsm_strmap_free(&names);
}

/* --- Machine-wide rules ------------------------------------------------------------------ */

static void check_unused_intents(vctx *v)
{
    const struct ivrsm_machine *m = v->m;
    if (!m->intent_count)
        return;
    unsigned char *used = ivrsm_mem_calloc(m->mem, m->intent_count, 1);
    if (!used) {
        v->diag->nomem = true;
        return;
    }
    for (size_t i = 0; i < m->state_count; i++) {
        for (size_t r = 0; r < m->states[i].route_count; r++) {
            const m_route *route = &m->states[i].routes[r];
            if (route->kind != M_ROUTE_INTENT)
                continue;
            if (route->intent == M_NONE) {
                /* A route names an unknown intent (an error): perhaps one of these. */
                ivrsm_mem_free(m->mem, used);
                return;
            }
            used[route->intent] = 1;
        }
    }
    for (size_t k = 0; k < m->intent_count; k++) {
        if (used[k] || !m->intents[k].name)
            continue;
        snprintf(v->path, sizeof(v->path), "intents.%s", m->intents[k].name);
        WARN(v, m->intents[k].pos.line, m->intents[k].pos.column, v->path, "unused-intent",
             "intent '%s' is not routed by any state", m->intents[k].name);
    }
    ivrsm_mem_free(m->mem, used);
}

static void check_terminator(vctx *v)
{
    const struct ivrsm_machine *m = v->m;
    const char *term = m->limits.dtmf_terminator;
    const dom_node *intents = v->info->intents;
    if (!term || !*term || !intents || intents->kind != DOM_MAP)
        return;
    for (size_t k = 0; k < m->intent_count && k < intents->count; k++) {
        const m_intent *in = &m->intents[k];
        const dom_node *list = ivrsm_dom_get(intents->pairs[k].value, "dtmf");
        for (size_t d = 0; list && list->kind == DOM_LIST && d < list->count; d++) {
            const dom_node *item = list->items[d];
            if (item->kind != DOM_STRING || !strstr(item->text, term))
                continue;
            snprintf(v->path, sizeof(v->path), "intents.%s.dtmf[%zu]", in->name, d);
            WARN(v, item->line, item->column, v->path, "dtmf-terminator-conflict",
                 "intent '%s' uses DTMF \"%s\", which contains globals.dtmf_terminator \"%s\": "
                 "that key ends a keyed entry, so the caller may not be able to send it",
                 in->name, item->text, term);
        }
    }
}

/* --- template-path-never-set ---------------------------------------------------------------- */

/* A set of ctx keys (copies), with a hash index: O(1) to add or test. */
typedef struct key_set {
    char **keys; /* owned copies, for freeing */
    size_t count;
    size_t cap;
    ivrsm_strmap index;
} key_set;

static bool key_has(const key_set *s, const char *key, size_t len)
{
    return ivrsm_strmap_get(&s->index, key, len) != NULL;
}

static void key_add(vctx *v, key_set *s, const char *key, size_t len)
{
    if (key_has(s, key, len))
        return;
    if (ivrsm_mem_grow(v->m->mem, (void **)&s->keys, &s->cap, s->count, sizeof(*s->keys), 32) !=
        0) {
        v->diag->nomem = true;
        return;
    }
    char *copy = ivrsm_mem_strndup(v->m->mem, key, len);
    if (!copy || ivrsm_strmap_put(&s->index, copy, len, copy, NULL) < 0) {
        ivrsm_mem_free(v->m->mem, copy);
        v->diag->nomem = true;
        return;
    }
    s->keys[s->count++] = copy;
}

static void key_set_free(vctx *v, key_set *s)
{
    for (size_t i = 0; i < s->count; i++)
        ivrsm_mem_free(v->m->mem, s->keys[i]);
    ivrsm_mem_free(v->m->mem, s->keys);
    ivrsm_strmap_free(&s->index);
}

/* The first segment of a ctx key ("a.b" and "a[0]" set or read "a"). */
static size_t head_len(const char *key)
{
    return strcspn(key, ".[");
}

typedef struct set_keys {
    vctx *v;
    key_set *s;
} set_keys;

static void add_kv_keys(void *user, const m_kvlist *l)
{
    set_keys *k = user;
    for (size_t i = 0; i < l->count; i++)
        key_add(k->v, k->s, l->items[i].key, head_len(l->items[i].key));
}

static void collect_set_keys(vctx *v, key_set *s)
{
    key_add(v, s, "call_id", 7);
    key_add(v, s, "session_id", 10);
    /* What the host declares it gives. */
    for (size_t i = 0; i < v->m->input_count; i++)
        key_add(v, s, v->m->inputs[i].pub.name, head_len(v->m->inputs[i].pub.name));
    key_add(v, s, "language", 8); /* the call's language, always set (session.c) */
    for (size_t i = 0; i < v->m->state_count; i++) {
        const m_state *st = &v->m->states[i];
        ivrsm_m_each_set(st, add_kv_keys, &(set_keys){v, s});
        const char *target = st->collect.target;
        char key[300];
        switch (st->collect.mode) {
        case IVRSM_COLLECT_PHONE:
            target = target ? target : "phone_e164";
            break;
        case IVRSM_COLLECT_OTP:
            target = target ? target : "otp";
            break;
        case IVRSM_COLLECT_FREE_SPEECH_OR_NO:
            target = target ? target : "cancel_comment";
            break;
        case IVRSM_COLLECT_DIGITS:
            target = target ? target : "digits";
            break;
        case IVRSM_COLLECT_DATE_PAST:
            target = target ? target : "date_past";
            break;
        case IVRSM_COLLECT_REFERENCE:
            target = target ? target : "reference";
            break;
        case IVRSM_COLLECT_DATE_NL:
            /* The value is a range: TARGET_from and TARGET_to (default pref_date). */
            snprintf(key, sizeof(key), "%s_from", target ? target : "pref_date");
            key_add(v, s, key, head_len(key));
            snprintf(key, sizeof(key), "%s_to", target ? target : "pref_date");
            key_add(v, s, key, head_len(key));
            target = NULL;
            break;
        default:
            target = NULL;
            break;
        }
        if (target)
            key_add(v, s, target, head_len(target));
    }
}

typedef struct path_check {
    vctx *v;
    const key_set *set;
    const tmpl_site *site;
    key_set reported; /* ctx keys already reported for this site */
} path_check;

bool ivrsm_v_globals_has(const json_t *g, const char *path)
{
    const json_t *node = g;
    while (*path && node) {
        if (*path == '.') {
            path++;
            continue;
        }
        if (*path == '[') {
            node = json_array_get(node, strtoul(path + 1, NULL, 10));
            path = strchr(path, ']');
            if (!path)
                return node != NULL;
            path++;
            continue;
        }
        size_t n = strcspn(path, ".[");
        char key[256];
        if (n >= sizeof(key))
            return true;
        memcpy(key, path, n);
        key[n] = '\0';
        node = json_object_get(node, key);
        path += n;
    }
    return node != NULL;
}

bool ivrsm_v_now_field(const char *field, size_t len)
{
    static const char *const fields[] = {"date", "time", "hour", "minute", "weekday", "open"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++)
        if (strlen(fields[i]) == len && !strncmp(fields[i], field, len))
            return true;
    return false;
}

/* now.date, now.hour...; now.open only with globals.hours. */
static bool now_field_known(const vctx *v, const char *path)
{
    if (path[3] != '.')
        return false;
    const char *f = path + 4;
    return ivrsm_v_now_field(f, strlen(f)) && (strcmp(f, "open") != 0 || v->m->hours != NULL);
}

/*
 * The key of `set` closest to key[0..len) (a typo: ctx.hose for ctx.house), or NULL. Among
 * many keys only the first CC_SUGGEST_LARGE reports get a guess, so a machine full of them
 * is still checked in linear time.
 */
static const char *close_set_key(vctx *v, const key_set *set, const char *key, size_t len)
{
    char name[M_CTX_KEY_PART_MAX + 1];
    if (len >= sizeof(name) || set->count == 0)
        return NULL;
    if (set->count > CC_SUGGEST_SMALL) {
        if (v->guesses_left == 0)
            return NULL;
        v->guesses_left--;
    }
    memcpy(name, key, len);
    name[len] = '\0';
    return ivrsm_cc_closest(name, (const char *const *)set->keys, sizeof(*set->keys), set->count);
}

static void on_template_path(void *user, const char *path, size_t offset)
{
    path_check *pc = user;
    vctx *v = pc->v;
    /* The position is worked out only for a path that is reported: finding it rescans the
     * scalar's source, and most paths of a machine are fine. */
    int line, column;
    if (!strncmp(path, "ctx.", 4)) {
        const char *key = path + 4;
        size_t len = head_len(key);
        /* While a state has an error of its own, what its collect or routes would set is
         * not known: the error comes first. */
        if (len == 0 || v->sets_unknown || key_has(pc->set, key, len) ||
            key_has(&pc->reported, key, len))
            return;
        key_add(v, &pc->reported, key, len);
        ivrsm_cc_text_pos(v->info->doc, pc->site->node, offset, &line, &column);
        const char *guess = close_set_key(v, pc->set, key, len);
        if (guess)
            WARN(v, line, column, pc->site->path, "template-path-never-set",
                 "the template reads ctx.%.*s, which no set, collect or the runtime ever sets; "
                 "did you mean ctx.%s? (it renders empty unless the host passes it in the initial "
                 "ctx)",
                 (int)len, key, guess);
        else
            WARN(v, line, column, pc->site->path, "template-path-never-set",
                 "the template reads ctx.%.*s, which no set, collect or the runtime ever sets (it "
                 "renders empty unless the host passes it in the initial ctx; when it does, "
                 "declare it in inputs:, or 'ivrsm validate --ignore template-path-never-set' "
                 "silences this warning)",
                 (int)len, key);
    } else if (!strncmp(path, "now", 3) && (path[3] == '.' || path[3] == '\0') &&
               !now_field_known(v, path) && !ivrsm_tmpl_is_expression(pc->site->tmpl)) {
        ivrsm_cc_text_pos(v->info->doc, pc->site->node, offset, &line, &column);
        WARN(v, line, column, pc->site->path, "template-path-never-set",
             "the template reads %s, which now does not have (it renders empty; now has date, "
             "time, hour, minute, weekday, and open with globals.hours)",
             path);
    } else if (!strncmp(path, "globals.", 8) && !ivrsm_v_globals_has(v->m->globals, path + 8) &&
               !ivrsm_tmpl_is_expression(pc->site->tmpl)) {
        /* (In a route's condition it is an error: unknown-path.) */
        ivrsm_cc_text_pos(v->info->doc, pc->site->node, offset, &line, &column);
        WARN(v, line, column, pc->site->path, "template-path-never-set",
             "the template reads %s, which globals does not define (it renders empty)", path);
    }
}

/* Length of "{ctx.a.b}" at t (single braces around a ctx, resp or globals path), or 0. */
size_t ivrsm_v_single_brace_ref(const char *t)
{
    static const char *const roots[] = {"ctx", "resp", "globals"};
    const char *p = t + 1;
    while (*p == ' ')
        p++;
    size_t root = 0;
    for (size_t i = 0; i < sizeof(roots) / sizeof(*roots) && !root; i++) {
        size_t n = strlen(roots[i]);
        if (!strncmp(p, roots[i], n) && (p[n] == '.' || p[n] == '[' || p[n] == '}' || p[n] == ' '))
            root = n;
    }
    if (!root)
        return 0;
    p += root;
    while (*p && (isalnum((unsigned char)*p) || strchr("._-[] ", *p)))
        p++;
    return *p == '}' && p[1] != '}' ? (size_t)(p + 1 - t) : 0;
}

/* `{ctx.x}` in a template is said as written: the author meant {{ctx.x}}. */
static void check_single_braces(vctx *v)
{
    for (size_t i = 0; i < v->info->site_count; i++) {
        const tmpl_site *site = &v->info->sites[i];
        const dom_node *n = site->node;
        if (n->kind != DOM_STRING)
            continue;
        for (const char *t = strchr(n->text, '{'); t; t = strchr(t + 1, '{')) {
            /* "${globals.x}" left as written is unresolved-globals' to report. */
            if ((t > n->text && (t[-1] == '{' || t[-1] == '$')) || t[1] == '{')
                continue;
            size_t len = ivrsm_v_single_brace_ref(t);
            if (!len)
                continue;
            int line, column;
            ivrsm_cc_text_pos(v->info->doc, n, (size_t)(t - n->text), &line, &column);
            WARN(v, line, column, site->path, "template-single-braces",
                 "%.*s has single braces, so it is said as written: a template reads "
                 "{%.*s}",
                 (int)len, t, (int)len, t);
            t += len - 1;
        }
    }
}

/*
 * Where a plain (unquoted) YAML text of a message ends on its line, when a
 * comment follows it there: "prompt: Press # to confirm." is the text
 * "Press", and "# to confirm." a comment. Returns the comment's start in
 * the source (its line and column in *line, *column) and its length up to
 * the end of the line, or NULL (quoted and block texts, JSON, a text the
 * source does not spell as its value, nothing but blanks after it).
 */
static const char *comment_after(const dom_doc *doc, const dom_node *n, int *line, int *column,
                                 size_t *len)
{
    if (n->kind != DOM_STRING || n->style != DOM_STYLE_PLAIN || !n->len || !doc->source)
        return NULL;
    if (ivrsm_dom_scalar_pos(doc, n, n->len - 1, line, column) != 0)
        return NULL;
    const char *p = doc->source, *end = doc->source + doc->source_len;
    for (int l = 1; l < *line && p < end; l++) {
        p = memchr(p, '\n', (size_t)(end - p));
        p = p ? p + 1 : end;
    }
    /* To the last character (columns count characters), then past it. */
    for (int col = 1; p < end && *p != '\n' && col <= *column; col++) {
        p++;
        while (p < end && ((unsigned char)*p & 0xC0) == 0x80)
            p++;
    }
    const char *blank = p;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    if (p == blank || p == end || *p != '#')
        return NULL;
    /* A whole sentence, then "# " and words: a comment written on purpose ("Sorry?  # the
     * first re-prompt"). */
    bool sentence = strchr(".!?", n->text[n->len - 1]) != NULL ||
                    (n->len >= 3 && !memcmp(n->text + n->len - 3, "\xe2\x80\xa6", 3));
    if (sentence && p + 1 < end && p[1] == ' ')
        return NULL;
    *column += 1 + (int)(p - blank);
    for (*len = 0; p + *len < end && p[*len] != '\n' && p[*len] != '\r'; (*len)++)
        ;
    return p;
}

/* A comment that cuts a text said: what the author wrote after it is not said. */
static void check_comment_cut(vctx *v)
{
    for (size_t i = 0; i < v->info->site_count; i++) {
        const tmpl_site *site = &v->info->sites[i];
        int line, column;
        size_t len;
        const char *hash =
            site->said ? comment_after(v->info->doc, site->node, &line, &column, &len) : NULL;
        if (!hash)
            continue;
        int said = site->node->len > 80 ? 80 : (int)site->node->len;
        int cut = len > 80 ? 80 : (int)len;
        WARN(v, line, column, site->path, "text-cut-by-comment",
             "the caller hears \"%.*s\" without \"%.*s\": in a plain (unquoted) YAML text, a "
             "'#' after a space starts a comment; quote the text if the '#' belongs to it "
             "(\"%.*s %.*s\"), or write the comment on a line of its own",
             said, site->node->text, cut, hash, said, site->node->text, cut, hash);
    }
}

static void check_template_paths(vctx *v)
{
    key_set set = {.index = IVRSM_STRMAP_INIT(v->m->mem)};
    collect_set_keys(v, &set);
    for (size_t i = 0; i < v->info->site_count; i++) {
        path_check pc = {v, &set, &v->info->sites[i], {.index = IVRSM_STRMAP_INIT(v->m->mem)}};
        ivrsm_tmpl_each_path(pc.site->tmpl, on_template_path, &pc);
        key_set_free(v, &pc.reported);
    }
    key_set_free(v, &set);
}

/* --- Entry point ----------------------------------------------------------------------------- */

void ivrsm_validate_machine(const struct ivrsm_machine *m, const compile_info *info,
                            ivrsm_diagnostics *diag, bool warnings)
{
    vctx v = {m, info, diag, "", CC_SUGGEST_LARGE, false};
    {
        ivrsm_v_check_cycles(&v);
        ivrsm_v_check_conditions(&v, warnings);
        if (warnings) {
            /* The routes of a state with an error are not all known, nor which states and
             * intents they use (a map under routes has none). */
            bool any_broken = false;
            for (size_t i = 0; info->broken && i < m->state_count; i++)
                any_broken |= info->broken[i] != 0;
            if (!any_broken)
                ivrsm_v_check_reachable(&v);
            v.sets_unknown = any_broken;
            for (size_t i = 0; i < m->state_count; i++) {
                if (info->broken && info->broken[i] == 1)
                    continue;
                if (!info->broken || info->broken[i] != 2)
                    check_dead_end(&v, i);
                check_on_fail(&v, i);
                check_conflicts(&v, i);
                check_counters(&v, i);
                check_prompt(&v, i);
                check_ignored_keys(&v, i);
                check_path_params(&v, i);
            }
            if (!any_broken)
                check_unused_intents(&v);
            ivrsm_v_check_languages(&v);
            check_terminator(&v);
            check_template_paths(&v);
            check_single_braces(&v);
            ivrsm_v_check_literal_values(&v);
            check_comment_cut(&v);
        }
    }
}
