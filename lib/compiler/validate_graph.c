/*
 * The machine as a graph: the transitions out of each state, cycles that
 * never wait for the caller (input-free-cycle) and states no path reaches
 * (unreachable-state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

#define MAX_CYCLE_REPORTS 32

/* --- Edges ----------------------------------------------------------------------- */

bool ivrsm_machine_state_waits(const m_state *st)
{
    return st->type == M_PROMPT_AND_LISTEN || st->type == M_LISTEN;
}

static void add_edge(m_edge *out, size_t *n, int32_t to, m_edge_kind kind, size_t route)
{
    if (to != M_NONE)
        out[(*n)++] = (m_edge){to, kind, route};
}

size_t ivrsm_machine_edges(const m_state *st, m_edge *out)
{
    size_t n = 0;
    bool listens = ivrsm_machine_state_waits(st);
    if (st->type == M_PROMPT_END)
        return 0; /* the call ends there, whatever else is written */
    if (listens) {
        for (size_t i = 0; i < st->route_count; i++)
            add_edge(out, &n, st->routes[i].next, M_EDGE_ROUTE, i);
        if (st->noinput.present)
            add_edge(out, &n, st->noinput.next, M_EDGE_NOINPUT, 0);
        if (st->nomatch.present)
            add_edge(out, &n, st->nomatch.next, M_EDGE_NOMATCH, 0);
        if (st->fallback.present)
            add_edge(out, &n, st->fallback.next, M_EDGE_FALLBACK, 0);
        if (st->collect.mode && st->collect.retry.present)
            add_edge(out, &n, st->collect.retry.on_fail_next, M_EDGE_RETRY, 0);
    }
    /* After an action or a handoff, `next` is where an outcome without its own next goes. */
    bool acts = st->type == M_ACTION_THEN_PROMPT || st->type == M_HANDOFF ||
                (listens && st->collect.mode && st->action.present);
    bool next_used = listens || !acts || !st->on_success.present || st->on_success.next == M_NONE ||
                     (st->on_fail.present && st->on_fail.next == M_NONE);
    if (next_used)
        add_edge(out, &n, st->next, M_EDGE_NEXT, 0);
    if (acts && st->on_success.present)
        add_edge(out, &n, st->on_success.next, M_EDGE_SUCCESS, 0);
    if (acts && st->on_fail.present)
        add_edge(out, &n, st->on_fail.next, M_EDGE_FAIL, 0);
    return n;
}

bool ivrsm_v_build_edges(vctx *v)
{
    const struct ivrsm_machine *m = v->m;
    size_t total = 0;
    for (size_t i = 0; i < m->state_count; i++)
        total += M_EDGES_MAX(&m->states[i]);
    v->edges = malloc((total ? total : 1) * sizeof(*v->edges));
    v->edge_start = malloc((m->state_count + 1) * sizeof(*v->edge_start));
    if (!v->edges || !v->edge_start)
        return false;
    size_t at = 0;
    for (size_t i = 0; i < m->state_count; i++) {
        v->edge_start[i] = at;
        at += ivrsm_machine_edges(&m->states[i], v->edges + at);
    }
    v->edge_start[m->state_count] = at;
    return true;
}

/* --- Positions and reporting --------------------------------------------------------- */

const dom_node *ivrsm_v_state_node(const vctx *v, size_t i)
{
    const dom_node *states = v->info->states;
    if (!states || states->kind != DOM_MAP || i >= states->count)
        return NULL;
    const dom_node *n = states->pairs[i].value;
    return n->kind == DOM_MAP ? n : NULL;
}

/* "states.NAME" or "states.NAME.SUFFIX", in v->path. */
const char *ivrsm_v_state_path(vctx *v, size_t i, const char *suffix)
{
    snprintf(v->path, sizeof(v->path), "states.%s%s%s", v->m->states[i].name,
             suffix && *suffix ? (suffix[0] == '[' ? "" : ".") : "", suffix ? suffix : "");
    return v->path;
}

void ivrsm_v_report(vctx *v, ivrsm_severity sev, int line, int column, const char *path,
                    const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ivrsm_diag_addv(v->diag, sev, IVRSM_EMACHINE, line, column, path, rule, fmt, ap);
    va_end(ap);
}

/* A value two levels down (`collect.retry`), NULL when absent. */
const dom_node *ivrsm_v_dig(const dom_node *n, const char *a, const char *b)
{
    n = ivrsm_dom_get(n, a);
    return b ? ivrsm_dom_get(n, b) : n;
}

/* Where an edge is written: its `next` node and the path below the state. */
const dom_node *ivrsm_v_edge_node(const vctx *v, size_t i, const m_edge *e, char *sub, size_t cap)
{
    const dom_node *st = ivrsm_v_state_node(v, i);
    const dom_node *n = NULL;
    const char *outcome = e->kind == M_EDGE_SUCCESS ? "on_success" : "on_fail";
    switch (e->kind) {
    case M_EDGE_ROUTE: {
        const dom_node *routes = ivrsm_dom_get(st, "routes");
        if (routes && routes->kind == DOM_LIST && e->route < routes->count)
            n = ivrsm_dom_get(routes->items[e->route], "next");
        snprintf(sub, cap, "routes[%zu].next", e->route);
        break;
    }
    case M_EDGE_NOINPUT:
        n = ivrsm_v_dig(st, "noinput", "next");
        snprintf(sub, cap, "noinput.next");
        break;
    case M_EDGE_NOMATCH:
        n = ivrsm_v_dig(st, "nomatch", "next");
        snprintf(sub, cap, "nomatch.next");
        break;
    case M_EDGE_FALLBACK:
        n = ivrsm_v_dig(st, "fallback", "next");
        snprintf(sub, cap, "fallback.next");
        break;
    case M_EDGE_RETRY:
        n = ivrsm_dom_get(ivrsm_v_dig(st, "collect", "retry"), "on_fail_next");
        snprintf(sub, cap, "collect.retry.on_fail_next");
        break;
    case M_EDGE_NEXT:
        n = ivrsm_dom_get(st, "next");
        snprintf(sub, cap, "next");
        break;
    case M_EDGE_SUCCESS:
    case M_EDGE_FAIL:
        n = ivrsm_v_dig(st, outcome, "next");
        snprintf(sub, cap, "%s.next", outcome);
        if (!n) {
            n = ivrsm_dom_get(ivrsm_v_dig(st, "action", outcome), "next");
            snprintf(sub, cap, "action.%s.next", outcome);
        }
        break;
    }
    return n;
}

/* --- input-free-cycle ------------------------------------------------------------------- */

static bool in_cycle_graph(const m_state *st)
{
    return !ivrsm_machine_state_waits(st) && st->type != M_PROMPT_END;
}

static void report_cycle(vctx *v, const int32_t *stack, size_t from, size_t top)
{
    const struct ivrsm_machine *m = v->m;
    size_t len = top - from, first = from;
    for (size_t k = from; k < top; k++)
        if (stack[k] < stack[first])
            first = k;
    char names[600] = "";
    size_t used = 0;
    for (size_t k = 0; k <= len && used < sizeof(names); k++) {
        int32_t s = stack[from + (first - from + k) % len];
        used += (size_t)snprintf(names + used, sizeof(names) - used, "%s%s", k ? " → " : "",
                                 m->states[s].name);
    }
    int32_t a = stack[first], b = stack[from + (first - from + 1) % len];
    m_pos pos = m->states[a].pos;
    char sub[96] = "";
    for (size_t e = v->edge_start[a]; e < v->edge_start[a + 1]; e++) {
        if (v->edges[e].to != b)
            continue;
        const dom_node *n = ivrsm_v_edge_node(v, (size_t)a, &v->edges[e], sub, sizeof(sub));
        if (n)
            pos = (m_pos){n->line, n->column};
        break;
    }
    ivrsm_v_report(v, IVRSM_SEVERITY_ERROR, pos.line, pos.column,
                   ivrsm_v_state_path(v, (size_t)a, sub), "input-free-cycle",
                   "input-free cycle: %s; none of these states waits for the caller, so the call "
                   "could go round without end (route one of them through a listening state)",
                   names);
}

void ivrsm_v_check_cycles(vctx *v)
{
    const struct ivrsm_machine *m = v->m;
    size_t n = m->state_count;
    unsigned char *color = calloc(n ? n : 1, 1); /* 0 new, 1 on the path, 2 done */
    int32_t *stack = malloc((n ? n : 1) * sizeof(*stack));
    size_t *iter = malloc((n ? n : 1) * sizeof(*iter));
    int reports = 0;
    if (!color || !stack || !iter) {
        v->diag->nomem = true;
        n = 0;
    }
    for (size_t root = 0; root < n; root++) {
        if (color[root] || !in_cycle_graph(&m->states[root]))
            continue;
        size_t top = 0;
        stack[top] = (int32_t)root;
        iter[top++] = v->edge_start[root];
        color[root] = 1;
        while (top) {
            int32_t u = stack[top - 1];
            if (iter[top - 1] == v->edge_start[u + 1]) {
                color[u] = 2;
                top--;
                continue;
            }
            int32_t w = v->edges[iter[top - 1]++].to;
            if (!in_cycle_graph(&m->states[w]))
                continue;
            if (color[w] == 1 && reports++ < MAX_CYCLE_REPORTS) {
                size_t from = top;
                while (from > 0 && stack[from - 1] != w)
                    from--;
                report_cycle(v, stack, from - 1, top);
            } else if (color[w] == 0) {
                color[w] = 1;
                stack[top] = w;
                iter[top++] = v->edge_start[w];
            }
        }
    }
    free(color);
    free(stack);
    free(iter);
}

/* --- unreachable-state ----------------------------------------------------------------- */

void ivrsm_v_check_reachable(vctx *v)
{
    const struct ivrsm_machine *m = v->m;
    size_t n = m->state_count;
    if (!n || m->initial == M_NONE)
        return;
    unsigned char *seen = calloc(n, 1);
    int32_t *queue = malloc(n * sizeof(*queue));
    if (!seen || !queue) {
        free(seen);
        free(queue);
        v->diag->nomem = true;
        return;
    }
    size_t head = 0, tail = 0;
    /* Escalation reaches the handoff state (when enabled) and the goodbye state. */
    int32_t roots[3] = {m->initial, m->goodbye_state,
                        m->handoff_enabled ? m->handoff_state : M_NONE};
    for (int r = 0; r < 3; r++)
        if (roots[r] != M_NONE && !seen[roots[r]]) {
            seen[roots[r]] = 1;
            queue[tail++] = roots[r];
        }
    while (head < tail) {
        int32_t u = queue[head++];
        for (size_t e = v->edge_start[u]; e < v->edge_start[u + 1]; e++) {
            int32_t w = v->edges[e].to;
            if (!seen[w]) {
                seen[w] = 1;
                queue[tail++] = w;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            WARN(v, m->states[i].pos.line, m->states[i].pos.column, ivrsm_v_state_path(v, i, NULL),
                 "unreachable-state", "state '%s' is unreachable from the initial state '%s'",
                 m->states[i].name, m->states[m->initial].name);
    free(seen);
    free(queue);
}
