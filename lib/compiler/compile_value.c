/*
 * Values the runtime evaluates: run-time templates, `set` values, headers,
 * query and path parameters, bodies. Everything compiled here is owned by
 * the machine (model.h: owned_templates, owned_json) and freed with it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "say.h"

/* --- Ownership ------------------------------------------------------------ */

/* Capacity of an owned array holding n items: 16, then doubling. */
static size_t owned_capacity(size_t n)
{
    size_t cap = 16;
    while (cap < n)
        cap *= 2;
    return cap;
}

static bool push_owned(cc *c, void ***array, size_t *count, void *item)
{
    size_t n = *count;
    if (n == 0 || n == owned_capacity(n)) {
        void **p = ivrsm_mem_realloc(c->m->mem, *array, (n ? n * 2 : 16) * sizeof(void *));
        if (!p) {
            ivrsm_cc_nomem(c);
            return false;
        }
        *array = p;
    }
    (*array)[(*count)++] = item;
    return true;
}

bool ivrsm_cc_own_json(cc *c, json_t *j)
{
    if (push_owned(c, (void ***)&c->m->owned_json, &c->m->owned_json_count, j))
        return true;
    json_decref(j);
    return false;
}

static bool own_template(cc *c, ivrsm_tmpl *t)
{
    if (push_owned(c, (void ***)&c->m->owned_templates, &c->m->owned_template_count, t))
        return true;
    ivrsm_tmpl_free(t);
    return false;
}

static void record_site(cc *c, const ivrsm_tmpl *t, const dom_node *n)
{
    compile_info *info = c->info;
    if (ivrsm_mem_grow(c->m->mem, (void **)&info->sites, &info->site_cap, info->site_count,
                       sizeof(*info->sites), 64) != 0) {
        ivrsm_cc_nomem(c);
        return;
    }
    const char *path = ivrsm_arena_strdup(c->doc->arena, c->path);
    if (!path) {
        ivrsm_cc_nomem(c);
        return;
    }
    info->sites[info->site_count++] =
        (tmpl_site){t, n, n->line, n->column, path, c->state, c->said_text};
}

/* --- JSON ------------------------------------------------------------------- */

/* The machine's numbers are said as written ("fee: 12.50"): their texts, by value. */
static void keep_number_texts(cc *c, const dom_node *n, const json_t *j)
{
    if (n->kind == DOM_REAL && ivrsm_numtexts_worth(&c->m->numbers, j, n->text, n->len)) {
        if (ivrsm_numtexts_add(&c->m->numbers, j, n->text, n->len) != 0)
            ivrsm_cc_nomem(c);
    } else if (n->kind == DOM_LIST) {
        for (size_t i = 0; i < n->count; i++)
            keep_number_texts(c, n->items[i], json_array_get(j, i));
    } else if (n->kind == DOM_MAP) {
        for (size_t i = 0; i < n->count; i++)
            keep_number_texts(c, n->pairs[i].value, json_object_get(j, n->pairs[i].key));
    }
}

json_t *ivrsm_cc_json(cc *c, const dom_node *n)
{
    const dom_node *bad;
    json_t *j = ivrsm_dom_to_json(n, &bad);
    if (!j && bad) {
        char what[96];
        ivrsm_cc_error(c, "invalid-value", bad->line, bad->column,
                       "%s cannot be represented in JSON (%s)",
                       ivrsm_cc_describe(bad, what, sizeof(what)), ivrsm_dom_json_refusal(bad));
    } else if (!j) {
        ivrsm_cc_nomem(c);
    }
    if (j)
        keep_number_texts(c, n, j);
    return j;
}

/* --- Templates ----------------------------------------------------------------- */

void ivrsm_cc_text_pos(const dom_doc *doc, const dom_node *n, size_t offset, int *line, int *column)
{
    if (n->kind != DOM_STRING || ivrsm_dom_scalar_pos(doc, n, offset, line, column) != 0) {
        *line = n->line;
        *column = n->column;
    }
}

/* At the mistake's own line and column when the source shows it, else at the string. */
static void template_error(cc *c, const dom_node *n, size_t offset, const char *why)
{
    int line, column;
    if (n->kind == DOM_STRING && ivrsm_dom_scalar_pos(c->doc, n, offset, &line, &column) == 0) {
        ivrsm_cc_error(c, "bad-template", line, column, "%s: invalid template: %s",
                       ivrsm_cc_field(c), why);
        return;
    }
    size_t chars = 1; /* 1-based, in characters */
    for (size_t i = 0; i < offset && i < n->len; i++)
        chars += ((unsigned char)n->text[i] & 0xC0) != 0x80;
    ivrsm_cc_error(c, "bad-template", n->line, n->column,
                   "%s: invalid template at character %zu of the text: %s", ivrsm_cc_field(c),
                   chars, why);
}

typedef struct resp_check {
    cc *c;
    const dom_node *n;
    size_t start; /* where the compiled text starts in n's text */
    bool reported;
} resp_check;

/* resp is the answer of the state's own action: an error anywhere it was not just received. */
static void check_resp_path(void *user, const char *path, size_t offset)
{
    resp_check *rc = user;
    cc *c = rc->c;
    if (rc->reported || strncmp(path, "resp", 4) != 0 ||
        (path[4] && path[4] != '.' && path[4] != '['))
        return;
    rc->reported = true;
    int line, column;
    ivrsm_cc_text_pos(c->doc, rc->n, rc->start + offset, &line, &column);
    const char *field = ivrsm_cc_field(c);
    const char *name = c->state >= 0 ? c->m->states[c->state].name : NULL;
    const char *key = path[4] == '.' ? path + 5 : "value";
    size_t key_len = strcspn(key, ".[");
    char why[200];
    if (!name)
        snprintf(why, sizeof(why), "no action answers before it is rendered");
    else if (!c->state_has_action)
        snprintf(why, sizeof(why), "state '%s' has no action, so there is no response here", name);
    else
        snprintf(why, sizeof(why), "it is rendered before the action of state '%s' answers", name);
    ivrsm_cc_error(c, "resp-without-response", line, column,
                   "%s reads %s, but %s: resp is readable only in on_success and on_fail of a "
                   "state with an action (keep what later states need there with set: { %.*s: "
                   "\"{{%s}}\" } and read {{ctx.%.*s}})",
                   field, path, why, (int)key_len, key, path, (int)key_len, key);
}

/* A member of the answer that the current state's outcomes read: kept when it answers. */
static void note_resp_key(void *user, const char *key)
{
    cc *c = user;
    m_state *st = &c->m->states[c->state];
    if (!key) {
        st->resp_whole = true;
        return;
    }
    for (size_t i = 0; i < st->resp_key_count; i++)
        if (!strcmp(st->resp_keys[i], key))
            return;
    const char **keys = ivrsm_arena_alloc(c->arena, (st->resp_key_count + 1) * sizeof(*keys));
    size_t *lens = ivrsm_arena_alloc(c->arena, (st->resp_key_count + 1) * sizeof(*lens));
    size_t len = strlen(key);
    char *copy = ivrsm_arena_strndup(c->arena, key, len);
    if (!keys || !lens || !copy) {
        ivrsm_cc_nomem(c);
        return;
    }
    if (st->resp_key_count) {
        memcpy(keys, st->resp_keys, st->resp_key_count * sizeof(*keys));
        memcpy(lens, st->resp_key_lens, st->resp_key_count * sizeof(*lens));
    }
    keys[st->resp_key_count] = copy;
    lens[st->resp_key_count++] = len;
    st->resp_keys = keys;
    st->resp_key_lens = lens;
    if (!strcmp(key, "status") || !strcmp(key, "error"))
        st->resp_status_read = true;
}

/* A template that reads now.* makes sessions keep `now` current. */
static void note_now(void *user, const char *path, size_t offset)
{
    struct ivrsm_machine *m = user;
    (void)offset;
    if (!strncmp(path, "now", 3) && (path[3] == '.' || path[3] == '[' || path[3] == '\0'))
        m->uses_now = true;
}

/* Compile `len` bytes at `src` (the text of n, from byte `start`) as a template or an expression.
 */
static ivrsm_tmpl *compile_at(cc *c, const dom_node *n, const char *src, size_t len, size_t start,
                              bool expression)
{
    char err[256] = "";
    size_t off = 0;
    /* The template's block in the machine's arena, freed with it. */
    ivrsm_tmpl *t =
        ivrsm_tmpl_compile_in(c->m->mem, c->arena, expression, src, len, err, sizeof(err), &off);
    if (!t) {
        if (!strcmp(err, "out of memory")) {
            ivrsm_cc_nomem(c);
            return NULL;
        }
        /* The two slips of a newcomer who writes conditions as in other languages. */
        const char *hint = "";
        if (strstr(err, "unexpected character '='"))
            hint = " (to compare, write '==': ctx.vip == true)";
        else if (expression && strstr(err, "unexpected character '{'"))
            hint = " (a condition reads paths without braces: ctx.vip == true; or write the "
                   "whole condition inside one {{ }})";
        char why[sizeof(err) + 128];
        snprintf(why, sizeof(why), "%s%s", err, hint);
        template_error(c, n, start + off, why);
        return NULL;
    }
    if (!own_template(c, t))
        return NULL;
    ivrsm_tmpl_each_path(t, note_now, c->m);
    /* A date is said without its year when it is this year's: sessions keep today. */
    if (ivrsm_tmpl_uses_format(t, IVRSM_SAY_DATE))
        c->m->uses_now = true;
    if (!(c->in_outcome && c->state_has_action)) {
        resp_check rc = {c, n, start, false};
        ivrsm_tmpl_each_path(t, check_resp_path, &rc);
    } else if (c->state >= 0) {
        ivrsm_tmpl_each_resp_key(t, note_resp_key, c);
    }
    record_site(c, t, n);
    return t;
}

ivrsm_tmpl *ivrsm_cc_template(cc *c, const dom_node *n)
{
    if (n->kind == DOM_INT || n->kind == DOM_REAL || n->kind == DOM_BOOL) {
        /* `prompt: 3` reads as the text "3": a scalar is what the author meant. */
    } else if (!ivrsm_cc_expect(c, n, DOM_STRING, "a string (a template)")) {
        return NULL;
    }
    return compile_at(c, n, n->text, n->len, 0, false);
}

ivrsm_tmpl *ivrsm_cc_condition(cc *c, const dom_node *n)
{
    if (n->kind == DOM_BOOL) {
        /* `when: true` reads as the literal. */
    } else if (!ivrsm_cc_expect(c, n, DOM_STRING, "a condition (e.g. \"ctx.balance < 0\")")) {
        return NULL;
    }
    /* "{{ expr }}" is the same condition written as in a template. */
    size_t start = 0, len = n->len;
    while (start < len && strchr(" \t\r\n", n->text[start]))
        start++;
    while (len > start && strchr(" \t\r\n", n->text[len - 1]))
        len--;
    bool inner_close = false;
    for (size_t i = start + 2; i + 3 < len && !inner_close; i++)
        inner_close = n->text[i] == '}' && n->text[i + 1] == '}';
    if (len - start >= 4 && !strncmp(n->text + start, "{{", 2) &&
        !strncmp(n->text + len - 2, "}}", 2) && !inner_close) {
        start += 2;
        len -= 2;
    } else {
        start = 0;
        len = n->len;
    }
    return compile_at(c, n, n->text + start, len - start, start, true);
}

static bool has_template(const dom_node *n)
{
    if (n->kind == DOM_STRING)
        return n->len >= 2 && strstr(n->text, "{{") != NULL;
    if (n->kind == DOM_MAP) {
        for (size_t i = 0; i < n->count; i++)
            if (has_template(n->pairs[i].value))
                return true;
    } else if (n->kind == DOM_LIST) {
        for (size_t i = 0; i < n->count; i++)
            if (has_template(n->items[i]))
                return true;
    }
    return false;
}

static bool value_object(cc *c, const dom_node *n, m_value *out)
{
    out->kind = MV_OBJECT;
    out->count = n->count;
    out->keys = ivrsm_arena_alloc(c->arena, n->count * sizeof(char *));
    out->items = ivrsm_arena_alloc(c->arena, n->count * sizeof(m_value));
    if (!out->keys || !out->items) {
        ivrsm_cc_nomem(c);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n->count; i++) {
        out->keys[i] = ivrsm_arena_strdup(c->arena, n->pairs[i].key);
        size_t mark = ivrsm_cc_push_key(c, n->pairs[i].key);
        ok = ivrsm_cc_value(c, n->pairs[i].value, &out->items[i]) && ok;
        ivrsm_cc_pop(c, mark);
    }
    return ok;
}

static bool value_array(cc *c, const dom_node *n, m_value *out)
{
    out->kind = MV_ARRAY;
    out->count = n->count;
    out->items = ivrsm_arena_alloc(c->arena, n->count * sizeof(m_value));
    if (!out->items) {
        ivrsm_cc_nomem(c);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n->count; i++) {
        size_t mark = ivrsm_cc_push_index(c, i);
        ok = ivrsm_cc_value(c, n->items[i], &out->items[i]) && ok;
        ivrsm_cc_pop(c, mark);
    }
    return ok;
}

bool ivrsm_cc_value(cc *c, const dom_node *n, m_value *out)
{
    memset(out, 0, sizeof(*out));
    if (!has_template(n)) {
        /* No template anywhere below: one JSON literal, built once. */
        json_t *j = ivrsm_cc_json(c, n);
        if (!j || !ivrsm_cc_own_json(c, j)) {
            out->literal = NULL;
            return false;
        }
        out->kind = MV_LITERAL;
        out->literal = j;
        return true;
    }
    if (n->kind == DOM_STRING) {
        out->kind = MV_TEMPLATE;
        out->tmpl = ivrsm_cc_template(c, n);
        return out->tmpl != NULL;
    }
    return n->kind == DOM_MAP ? value_object(c, n, out) : value_array(c, n, out);
}

bool ivrsm_cc_kvlist(cc *c, const dom_node *n, m_kvlist *out, bool scalars_only)
{
    if (!ivrsm_cc_expect(c, n, DOM_MAP, "a map"))
        return false;
    out->items = n->count ? ivrsm_arena_alloc(c->arena, n->count * sizeof(m_kv)) : NULL;
    if (n->count && !out->items) {
        ivrsm_cc_nomem(c);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < n->count; i++) {
        const dom_pair *p = &n->pairs[i];
        size_t mark = ivrsm_cc_push_key(c, p->key);
        m_kv *kv = &out->items[out->count];
        if (scalars_only && (p->value->kind == DOM_MAP || p->value->kind == DOM_LIST)) {
            char buf[96];
            ivrsm_cc_error(c, "wrong-type", p->value->line, p->value->column,
                           "%s: expected a string, a number or a boolean, found %s", p->key,
                           ivrsm_cc_describe(p->value, buf, sizeof(buf)));
            ok = false;
        } else if (p->key_len == 0) {
            ivrsm_cc_error(c, "invalid-value", p->line, p->column, "a key must not be empty");
            ok = false;
        } else if (ivrsm_cc_value(c, p->value, &kv->value)) {
            kv->key = ivrsm_arena_strdup(c->arena, p->key);
            out->count++;
        } else {
            ok = false;
        }
        ivrsm_cc_pop(c, mark);
    }
    return ok;
}
