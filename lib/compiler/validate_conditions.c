/*
 * The validator's rules on conditions: a route's `when` that can never hold
 * (condition-never-true, an error: the route is dead), a `when` that reads a
 * globals value the machine does not define or a field `now` does not have
 * (unknown-path, an error: it would read nothing, always), and an {{#if}} of a
 * template that can never hold (if-never-true, a warning: its text is never
 * said).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

/* Where routes[r].when of state i is written. */
static m_pos when_pos(const vctx *v, size_t i, size_t r)
{
    const dom_node *routes = ivrsm_dom_get(ivrsm_v_state_node(v, i), "routes");
    const dom_node *when = routes && routes->kind == DOM_LIST && r < routes->count
                               ? ivrsm_dom_get(routes->items[r], "when")
                               : NULL;
    return when ? (m_pos){when->line, when->column} : v->m->states[i].routes[r].pos;
}

typedef struct when_site {
    vctx *v;
    size_t state, route;
    bool reported;
} when_site;

static void on_never_true(void *user, size_t offset)
{
    when_site *w = user;
    vctx *v = w->v;
    (void)offset;
    const m_route *r = &v->m->states[w->state].routes[w->route];
    m_pos p = when_pos(v, w->state, w->route);
    char sub[64];
    snprintf(sub, sizeof(sub), "routes[%zu].when", w->route);
    ivrsm_v_report(v, IVRSM_SEVERITY_ERROR, p.line, p.column, ivrsm_v_state_path(v, w->state, sub),
                   "condition-never-true",
                   "the condition \"%s\" of routes[%zu] of state '%s' can never be true, so the "
                   "route is never taken",
                   ivrsm_tmpl_source(r->when), w->route, v->m->states[w->state].name);
}

static void unknown_path(when_site *w, const char *path, const char *why)
{
    vctx *v = w->v;
    m_pos p = when_pos(v, w->state, w->route);
    char sub[64];
    snprintf(sub, sizeof(sub), "routes[%zu].when", w->route);
    ivrsm_v_report(v, IVRSM_SEVERITY_ERROR, p.line, p.column, ivrsm_v_state_path(v, w->state, sub),
                   "unknown-path", "the condition of routes[%zu] of state '%s' reads %s, %s",
                   w->route, v->m->states[w->state].name, path, why);
}

static void on_condition_path(void *user, const char *path, size_t offset)
{
    when_site *w = user;
    (void)offset;
    if (!strncmp(path, "globals.", 8) && !ivrsm_v_globals_has(w->v->m->globals, path + 8)) {
        unknown_path(w, path, "which globals does not define (it is always missing)");
    } else if (!strncmp(path, "now", 3) && (path[3] == '.' || path[3] == '\0')) {
        const char *field = path[3] ? path + 4 : "";
        size_t len = strcspn(field, ".[");
        if (!ivrsm_v_now_field(field, len) || field[len])
            unknown_path(w, path,
                         "which is not a field of now (known: now.date, now.time, now.hour, "
                         "now.minute, now.weekday, now.open)");
        else if (!strcmp(field, "open") && !w->v->m->hours)
            unknown_path(w, path, "but globals.hours is not given (now.open follows it)");
    }
}

static void check_route_conditions(vctx *v, size_t i)
{
    const m_state *st = &v->m->states[i];
    for (size_t r = 0; r < st->route_count; r++) {
        if (!st->routes[r].when)
            continue;
        when_site w = {v, i, r, false};
        ivrsm_tmpl_each_never_true(st->routes[r].when, on_never_true, &w);
        ivrsm_tmpl_each_path(st->routes[r].when, on_condition_path, &w);
    }
}

typedef struct if_site {
    vctx *v;
    const tmpl_site *site;
} if_site;

static void on_if_never_true(void *user, size_t offset)
{
    if_site *s = user;
    (void)offset;
    WARN(s->v, s->site->line, s->site->column, s->site->path, "if-never-true",
         "an {{#if}} of this template can never be true: the text it guards is never said");
}

void ivrsm_v_check_conditions(vctx *v, bool warnings)
{
    for (size_t i = 0; i < v->m->state_count; i++)
        if (!v->info->broken || v->info->broken[i] != 1)
            check_route_conditions(v, i);
    if (!warnings)
        return;
    for (size_t k = 0; k < v->info->site_count; k++) {
        const tmpl_site *site = &v->info->sites[k];
        /* Route conditions are sites too: checked above, as errors. */
        if (ivrsm_tmpl_is_expression(site->tmpl))
            continue;
        if_site s = {v, site};
        ivrsm_tmpl_each_never_true(site->tmpl, on_if_never_true, &s);
    }
}
