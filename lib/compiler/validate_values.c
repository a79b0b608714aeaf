/*
 * The values a machine stores and sends as written (a route's or an outcome's
 * `set`, an action's path, query, headers and body): a text without `{{ }}`
 * is never a template, so a path written bare (`card: ctx.cards[0].id`) or
 * in single braces (`"{ctx.card}"`) stores or sends those very characters,
 * and the call goes on with a value nobody meant: the rules
 * path-without-braces and template-single-braces.
 */
#include <ctype.h>
#include <string.h>

#include "validate.h"

/* Whether text is one path of the call's data, ctx.a.b[0].c or resp.x, and nothing else. */
static bool bare_path(const char *text)
{
    static const char *const roots[] = {"ctx.", "resp.", "globals.", "now."};
    size_t root = 0;
    for (size_t i = 0; i < sizeof(roots) / sizeof(*roots) && !root; i++)
        if (!strncmp(text, roots[i], strlen(roots[i])))
            root = strlen(roots[i]);
    if (!root || !(isalpha((unsigned char)text[root]) || text[root] == '_'))
        return false;
    for (const char *p = text + root; *p; p++) {
        if (isalnum((unsigned char)*p) || *p == '_' || *p == '.')
            continue;
        if (*p == '[' && isdigit((unsigned char)p[1])) {
            p++;
            while (isdigit((unsigned char)*p))
                p++;
            if (*p != ']')
                return false;
            continue;
        }
        return false;
    }
    return text[strlen(text) - 1] != '.';
}

static void check_text(vctx *v, const dom_node *n, const char *path, const char *use)
{
    if (strstr(n->text, "{{"))
        return; /* a template: checked with the templates */
    if (bare_path(n->text)) {
        WARN(v, n->line, n->column, path, "path-without-braces",
             "'%s' is %s as these very characters, not the value it names: to use the value, "
             "write \"{{%s}}\"",
             n->text, use, n->text);
        return;
    }
    for (const char *t = strchr(n->text, '{'); t; t = strchr(t + 1, '{')) {
        size_t len = t > n->text && t[-1] == '$' ? 0 : ivrsm_v_single_brace_ref(t);
        if (!len)
            continue;
        int line, column;
        ivrsm_cc_text_pos(v->info->doc, n, (size_t)(t - n->text), &line, &column);
        WARN(v, line, column, path, "template-single-braces",
             "%.*s has single braces, so it is %s as written: a template reads {%.*s}", (int)len, t,
             use, (int)len, t);
        t += len - 1;
    }
}

/* Every string under n (a value as written), with its document path. */
static void check_value(vctx *v, const dom_node *n, char *path, size_t len, size_t cap,
                        const char *use)
{
    if (!n)
        return;
    if (n->kind == DOM_STRING) {
        check_text(v, n, path, use);
    } else if (n->kind == DOM_MAP) {
        for (size_t i = 0; i < n->count; i++) {
            snprintf(path + len, cap - len, ".%s", n->pairs[i].key);
            check_value(v, n->pairs[i].value, path, strlen(path), cap, use);
        }
    } else if (n->kind == DOM_LIST) {
        for (size_t i = 0; i < n->count; i++) {
            snprintf(path + len, cap - len, "[%zu]", i);
            check_value(v, n->items[i], path, strlen(path), cap, use);
        }
    }
    path[len] = '\0';
}

static void check_at(vctx *v, size_t state, const dom_node *n, const char *sub, const char *use)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s", ivrsm_v_state_path(v, state, sub));
    check_value(v, n, path, strlen(path), sizeof(path), use);
}

/* The `set` of an outcome (on_success, an on_status entry...) under `owner`. */
static void check_outcome(vctx *v, size_t state, const dom_node *owner, const char *key,
                          const char *prefix)
{
    const dom_node *o = ivrsm_dom_get(owner, key);
    char sub[300];
    if (!o || o->kind != DOM_MAP)
        return;
    if (!strcmp(key, "on_status")) {
        for (size_t i = 0; i < o->count; i++) {
            snprintf(sub, sizeof(sub), "%son_status.%s.set", prefix, o->pairs[i].key);
            check_at(v, state, ivrsm_dom_get(o->pairs[i].value, "set"), sub, "stored");
        }
        return;
    }
    snprintf(sub, sizeof(sub), "%s%s.set", prefix, key);
    check_at(v, state, ivrsm_dom_get(o, "set"), sub, "stored");
}

void ivrsm_v_check_literal_values(vctx *v)
{
    static const char *const outcomes[] = {"on_success", "on_fail",  "on_status",
                                           "on_timeout", "on_error", NULL};
    for (size_t i = 0; i < v->m->state_count; i++) {
        const dom_node *s = ivrsm_v_state_node(v, i);
        if (!s)
            continue;
        const dom_node *routes = ivrsm_dom_get(s, "routes");
        for (size_t r = 0; routes && routes->kind == DOM_LIST && r < routes->count; r++) {
            char sub[64];
            snprintf(sub, sizeof(sub), "routes[%zu].set", r);
            check_at(v, i, ivrsm_dom_get(routes->items[r], "set"), sub, "stored");
        }
        check_at(v, i, ivrsm_v_dig(s, "fallback", "set"), "fallback.set", "stored");
        const dom_node *action = ivrsm_dom_get(s, "action");
        check_at(v, i, ivrsm_dom_get(action, "path"), "action.path", "sent");
        check_at(v, i, ivrsm_dom_get(action, "query"), "action.query", "sent");
        check_at(v, i, ivrsm_dom_get(action, "headers"), "action.headers", "sent");
        check_at(v, i, ivrsm_dom_get(action, "body"), "action.body", "sent");
        for (size_t k = 0; outcomes[k]; k++) {
            check_outcome(v, i, s, outcomes[k], "");
            check_outcome(v, i, action, outcomes[k], "action.");
        }
    }
}
