/*
 * The one reading of a machine as a graph. The rules follow the step engine
 * (runtime/session.c): routes on input, noinput, nomatch, fallback and retry
 * are taken only from a state that listens; routes on a condition alone from
 * any state, on entering it; a prompt_end state ends the call whatever else
 * is written; after an action or a handoff, `next` is where an outcome
 * without its own next goes; a decide state's `next` is its else.
 */
#include "graph.h"

#include "arena.h"

/* The most transitions a state can have. */
static size_t state_max(const m_state *st)
{
    return st->route_count + st->on_status_count + 9;
}

bool ivrsm_graph_state_waits(const m_state *st)
{
    return st->type == M_PROMPT_AND_LISTEN || st->type == M_LISTEN;
}

typedef struct list {
    ivrsm_transition *out;
    size_t n;
    size_t from;
} list;

static ivrsm_transition *add(list *l, int32_t to, ivrsm_transition_kind kind)
{
    if (to == M_NONE)
        return NULL;
    ivrsm_transition *t = &l->out[l->n++];
    *t = (ivrsm_transition){.from = l->from, .to = (size_t)to, .kind = kind};
    return t;
}

/* The routes of st: all of them when it listens, else those on a condition alone. */
static void add_routes(const struct ivrsm_machine *m, const m_state *st, bool listens, list *l)
{
    for (size_t i = 0; i < st->route_count; i++) {
        const m_route *r = &st->routes[i];
        if (!listens && r->kind != M_ROUTE_CONDITION)
            continue;
        ivrsm_transition *t = add(l, r->next, IVRSM_TRANSITION_ROUTE);
        if (!t)
            continue;
        t->route = i;
        /* A machine that failed to compile is still walked by the validator:
         * an unknown intent is then M_NONE. */
        if (r->kind == M_ROUTE_INTENT && r->intent >= 0 && (size_t)r->intent < m->intent_count)
            t->intent = m->intents[r->intent].name;
        else if (r->kind == M_ROUTE_TEXT)
            t->text = r->text;
        if (r->when)
            t->condition = ivrsm_tmpl_source(r->when);
    }
}

static void state_transitions(const struct ivrsm_machine *m, const m_state *st, list *l)
{
    bool listens = ivrsm_graph_state_waits(st);
    if (st->type == M_PROMPT_END)
        return;
    add_routes(m, st, listens, l);
    if (listens) {
        if (st->noinput.present)
            add(l, st->noinput.next, IVRSM_TRANSITION_NOINPUT);
        if (st->nomatch.present)
            add(l, st->nomatch.next, IVRSM_TRANSITION_NOMATCH);
        if (st->fallback.present)
            add(l, st->fallback.next, IVRSM_TRANSITION_FALLBACK);
        if (st->collect.mode && st->collect.retry.present)
            add(l, st->collect.retry.on_fail_next, IVRSM_TRANSITION_RETRY);
    }
    bool acts = st->type == M_ACTION_THEN_PROMPT || st->type == M_HANDOFF ||
                (listens && st->collect.mode && st->action.present);
    /* The outcomes by answer belong to actions; a handoff has none. */
    bool answers = acts && st->action.present;
    bool next_used = listens || !acts || !st->on_success.present || st->on_success.next == M_NONE ||
                     (st->on_fail.present && st->on_fail.next == M_NONE);
    for (size_t i = 0; answers && i < st->on_status_count; i++)
        next_used |= st->on_status[i].outcome.next == M_NONE;
    next_used |= answers && ((st->on_timeout.present && st->on_timeout.next == M_NONE) ||
                             (st->on_error.present && st->on_error.next == M_NONE));
    if (next_used)
        add(l, st->next, IVRSM_TRANSITION_NEXT);
    if (acts && st->on_success.present)
        add(l, st->on_success.next, IVRSM_TRANSITION_SUCCESS);
    if (acts && st->on_fail.present)
        add(l, st->on_fail.next, IVRSM_TRANSITION_FAIL);
    for (size_t i = 0; answers && i < st->on_status_count; i++) {
        ivrsm_transition *t = add(l, st->on_status[i].outcome.next, IVRSM_TRANSITION_STATUS);
        if (t)
            t->status = st->on_status[i].key;
    }
    if (answers && st->on_timeout.present)
        add(l, st->on_timeout.next, IVRSM_TRANSITION_TIMEOUT);
    if (answers && st->on_error.present)
        add(l, st->on_error.next, IVRSM_TRANSITION_ERROR);
}

int ivrsm_graph_build(struct ivrsm_machine *m)
{
    size_t total = 0;
    for (size_t i = 0; i < m->state_count; i++)
        total += state_max(&m->states[i]);
    /* Not zeroed: add() writes each transition whole, and none past the last is read. */
    m->transitions = ivrsm_arena_alloc_raw(m->arena, (total ? total : 1) * sizeof(*m->transitions));
    m->transition_start =
        ivrsm_arena_alloc(m->arena, (m->state_count + 1) * sizeof(*m->transition_start));
    if (!m->transitions || !m->transition_start)
        return -1;
    list l = {m->transitions, 0, 0};
    for (size_t i = 0; i < m->state_count; i++) {
        m->transition_start[i] = l.n;
        l.from = i;
        state_transitions(m, &m->states[i], &l);
    }
    m->transition_start[m->state_count] = l.n;
    return 0;
}

size_t ivrsm_machine_transition_count(const ivrsm_machine *m, size_t state)
{
    if (!m || !m->transition_start || state >= m->state_count)
        return 0;
    return m->transition_start[state + 1] - m->transition_start[state];
}

const ivrsm_transition *ivrsm_machine_transition(const ivrsm_machine *m, size_t state, size_t index)
{
    if (index >= ivrsm_machine_transition_count(m, state))
        return NULL;
    return &m->transitions[m->transition_start[state] + index];
}

const char *ivrsm_transition_kind_name(ivrsm_transition_kind kind)
{
    static const char *const names[] = {"route",  "noinput", "nomatch", "fallback",
                                        "retry",  "next",    "success", "fail",
                                        "status", "timeout", "error"};
    return (unsigned)kind < sizeof(names) / sizeof(*names) ? names[kind] : NULL;
}
