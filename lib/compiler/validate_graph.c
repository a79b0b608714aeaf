/*
 * The validator's walks of the machine's graph (model/graph.c): cycles that
 * never wait for the caller (input-free-cycle) and states no path reaches
 * (unreachable-state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

#define MAX_CYCLE_REPORTS 32

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
const dom_node *ivrsm_v_edge_node(const vctx *v, size_t i, const ivrsm_transition *e, char *sub,
                                  size_t cap)
{
    const dom_node *st = ivrsm_v_state_node(v, i);
    const dom_node *n = NULL;
    const char *outcome = e->kind == IVRSM_TRANSITION_SUCCESS ? "on_success" : "on_fail";
    switch (e->kind) {
    case IVRSM_TRANSITION_ROUTE: {
        const dom_node *routes = ivrsm_dom_get(st, "routes");
        if (routes && routes->kind == DOM_LIST && e->route < routes->count)
            n = ivrsm_dom_get(routes->items[e->route], "next");
        snprintf(sub, cap, "routes[%zu].next", e->route);
        break;
    }
    case IVRSM_TRANSITION_NOINPUT:
        n = ivrsm_v_dig(st, "noinput", "next");
        snprintf(sub, cap, "noinput.next");
        break;
    case IVRSM_TRANSITION_NOMATCH:
        n = ivrsm_v_dig(st, "nomatch", "next");
        snprintf(sub, cap, "nomatch.next");
        break;
    case IVRSM_TRANSITION_FALLBACK:
        n = ivrsm_v_dig(st, "fallback", "next");
        snprintf(sub, cap, "fallback.next");
        break;
    case IVRSM_TRANSITION_RETRY:
        n = ivrsm_dom_get(ivrsm_v_dig(st, "collect", "retry"), "on_fail_next");
        snprintf(sub, cap, "collect.retry.on_fail_next");
        break;
    case IVRSM_TRANSITION_NEXT:
        n = ivrsm_dom_get(st, "next");
        snprintf(sub, cap, "next");
        break;
    case IVRSM_TRANSITION_SUCCESS:
    case IVRSM_TRANSITION_FAIL:
    case IVRSM_TRANSITION_TIMEOUT:
    case IVRSM_TRANSITION_ERROR:
        outcome = e->kind == IVRSM_TRANSITION_SUCCESS   ? "on_success"
                  : e->kind == IVRSM_TRANSITION_FAIL    ? "on_fail"
                  : e->kind == IVRSM_TRANSITION_TIMEOUT ? "on_timeout"
                                                        : "on_error";
        n = ivrsm_v_dig(st, outcome, "next");
        snprintf(sub, cap, "%s.next", outcome);
        if (!n) {
            n = ivrsm_dom_get(ivrsm_v_dig(st, "action", outcome), "next");
            snprintf(sub, cap, "action.%s.next", outcome);
        }
        break;
    case IVRSM_TRANSITION_STATUS: {
        /* Written "401", 401 or "4XX": found by the key it reads as. */
        const dom_node *map = ivrsm_dom_get(st, "on_status");
        const char *where = "on_status";
        if (!map) {
            map = ivrsm_v_dig(st, "action", "on_status");
            where = "action.on_status";
        }
        for (size_t k = 0; map && map->kind == DOM_MAP && k < map->count && !n; k++) {
            char key[4];
            if (ivrsm_m_status_key(map->pairs[k].key, key) && e->status &&
                !strcmp(key, e->status)) {
                n = ivrsm_dom_get(map->pairs[k].value, "next");
                snprintf(sub, cap, "%s.%s.next", where, map->pairs[k].key);
            }
        }
        break;
    }
    }
    return n;
}

/* --- input-free-cycle ------------------------------------------------------------------- */

static bool in_cycle_graph(const m_state *st)
{
    return st->type != M_PROMPT_END;
}

/* An edge taken without the caller: out of a state that does not wait, or a
 * route on a condition alone, which is tried before the state listens. */
static bool input_free(const struct ivrsm_machine *m, const ivrsm_transition *e)
{
    if (!ivrsm_graph_state_waits(&m->states[e->from]))
        return true;
    return e->kind == IVRSM_TRANSITION_ROUTE && e->condition && !e->intent && !e->text;
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
    for (const ivrsm_transition *e = IVRSM_GRAPH_BEGIN(m, a); e < IVRSM_GRAPH_END(m, a); e++) {
        if (e->to != (size_t)b || !input_free(m, e))
            continue;
        const dom_node *n = ivrsm_v_edge_node(v, (size_t)a, e, sub, sizeof(sub));
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
    unsigned char *color = ivrsm_mem_calloc(m->mem, n, 1); /* 0 new, 1 on the path, 2 done */
    int32_t *stack = ivrsm_mem_malloc(m->mem, n * sizeof(*stack));
    size_t *iter = ivrsm_mem_malloc(m->mem, n * sizeof(*iter));
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
        iter[top++] = m->transition_start[root];
        color[root] = 1;
        while (top) {
            int32_t u = stack[top - 1];
            if (iter[top - 1] == m->transition_start[u + 1]) {
                color[u] = 2;
                top--;
                continue;
            }
            const ivrsm_transition *e = &m->transitions[iter[top - 1]++];
            int32_t w = (int32_t)e->to;
            if (!in_cycle_graph(&m->states[w]) || !input_free(m, e))
                continue;
            if (color[w] == 1 && reports++ < MAX_CYCLE_REPORTS) {
                size_t from = top;
                while (from > 0 && stack[from - 1] != w)
                    from--;
                report_cycle(v, stack, from - 1, top);
            } else if (color[w] == 0) {
                color[w] = 1;
                stack[top] = w;
                iter[top++] = m->transition_start[w];
            }
        }
    }
    ivrsm_mem_free(m->mem, color);
    ivrsm_mem_free(m->mem, stack);
    ivrsm_mem_free(m->mem, iter);
}

/* --- unreachable-state ----------------------------------------------------------------- */

void ivrsm_v_check_reachable(vctx *v)
{
    const struct ivrsm_machine *m = v->m;
    size_t n = m->state_count;
    if (!n || m->initial == M_NONE)
        return;
    unsigned char *seen = ivrsm_mem_calloc(m->mem, n, 1);
    int32_t *queue = ivrsm_mem_malloc(m->mem, n * sizeof(*queue));
    if (!seen || !queue) {
        ivrsm_mem_free(m->mem, seen);
        ivrsm_mem_free(m->mem, queue);
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
        for (const ivrsm_transition *e = IVRSM_GRAPH_BEGIN(m, u); e < IVRSM_GRAPH_END(m, u); e++) {
            int32_t w = (int32_t)e->to;
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
    ivrsm_mem_free(m->mem, seen);
    ivrsm_mem_free(m->mem, queue);
}
