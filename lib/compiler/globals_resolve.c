/*
 * Load-time references: "${globals.a.b}" and "${globals.list[0]}" in the
 * values of `states`, `intents` and `globals` itself (where a reference may
 * name a value that holds references in turn; a cycle is an error).
 *
 * A scalar that is exactly one reference becomes the referenced value, type
 * and all (`max: ${globals.max_retries}` is the integer 2), and remembers
 * where it came from in dom_node.ref, so `call: ${globals.endpoints.X}`
 * still names endpoint X after resolution. A reference inside a longer
 * string is replaced by the text of a scalar. The tree is copied only
 * along the paths that change; the rest is shared.
 *
 * What a reference repeats counts against the document's bounds, like a
 * YAML alias (IVRSM_MAX_NODES, IVRSM_MAX_EXPANDED_BYTES): a large global
 * referenced many times is refused instead of compiled once per reference.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "compile.h"

typedef struct reference {
    size_t start;      /* offset of "${" */
    size_t end;        /* offset just past "}" */
    const char *inner; /* trimmed text between the braces */
    size_t inner_len;
} reference;

/* The next "${...}" at or after `from`, or false when there is none. */
static bool next_reference(const char *s, size_t len, size_t from, reference *ref)
{
    for (size_t i = from; i + 1 < len; i++) {
        if (s[i] != '$' || s[i + 1] != '{')
            continue;
        const char *close = memchr(s + i + 2, '}', len - i - 2);
        if (!close)
            return false;
        const char *a = s + i + 2, *b = close;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        *ref = (reference){i, (size_t)(close - s) + 1, a, (size_t)(b - a)};
        return true;
    }
    return false;
}

static void list_keys(const dom_node *map, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < map->count && used + 1 < cap; i++) {
        if (i == 8) {
            snprintf(buf + used, cap - used, ", ...");
            return;
        }
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", map->pairs[i].key);
    }
}

/* Report a reference to a key that is not there, with what is there. */
static void report_missing_key(cc *c, const dom_node *at, const reference *ref, const dom_node *map,
                               const char *seg, size_t prefix_len)
{
    char keys[200];
    list_keys(map, keys, sizeof(keys));
    const char *guess =
        map->count ? ivrsm_cc_suggest(c, seg, &map->pairs[0].key, sizeof(dom_pair), map->count)
                   : NULL;
    ivrsm_cc_error(c, "unresolved-globals", at->line, at->column,
                   "${%.*s} is not defined: %.*s has no key '%s'%s%s%s (it has: %s)",
                   (int)ref->inner_len, ref->inner, (int)prefix_len, ref->inner, seg,
                   guess ? "; did you mean '" : "", guess ? guess : "", guess ? "'?" : "",
                   map->count ? keys : "nothing");
}

static dom_node *resolve(cc *c, dom_node *n);

/* What a node of globals resolved to, when it was resolved already. */
static dom_node *done(const cc *c, const dom_node *raw)
{
    for (size_t i = 0; i < c->globals_done_count; i++)
        if (c->globals_done[i].raw == raw)
            return c->globals_done[i].resolved;
    return NULL;
}

static bool remember(cc *c, const dom_node *raw, dom_node *resolved)
{
    if (ivrsm_mem_grow(c->m->mem, (void **)&c->globals_done, &c->globals_done_cap,
                       c->globals_done_count, sizeof(*c->globals_done), 16) != 0) {
        ivrsm_cc_nomem(c);
        return false;
    }
    c->globals_done[c->globals_done_count++] = (struct globals_done){raw, resolved};
    return true;
}

/*
 * Inside globals, the value a reference names may hold references itself:
 * resolve it first (once), at its own path, unless it is being resolved
 * already: then the references go round, reported where this one is written.
 */
static const dom_node *follow(cc *c, const dom_node *at, const reference *ref,
                              const dom_node *target)
{
    dom_node *d = done(c, target);
    if (d)
        return d;
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)ref->inner_len, ref->inner);
    for (size_t i = 0; i < c->globals_depth; i++) {
        if (c->globals_stack[i].raw != target)
            continue;
        char chain[600] = "";
        size_t used = 0;
        for (size_t k = i; k < c->globals_depth && used < sizeof(chain); k++)
            used += (size_t)snprintf(chain + used, sizeof(chain) - used, "%s → ",
                                     c->globals_stack[k].name);
        ivrsm_cc_error(c, "unresolved-globals", at->line, at->column,
                       "${%s} goes round: %s%s (a value of globals cannot be made of itself)", name,
                       chain, name);
        return NULL;
    }
    if (c->globals_depth == IVRSM_MAX_DEPTH) {
        ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", at->line, at->column,
                            "${%s}: references inside globals followed more than %d deep", name,
                            IVRSM_MAX_DEPTH);
        return NULL;
    }
    /* The target is resolved at its own path, for its own messages. */
    char saved_path[sizeof(c->path)];
    size_t saved_len = c->path_len, saved_fields = c->field_count;
    memcpy(saved_path, c->path, sizeof(c->path));
    c->path_len = 0;
    c->path[0] = '\0';
    c->field_count = 0;
    ivrsm_cc_push_key(c, name);
    c->globals_stack[c->globals_depth++] =
        (struct globals_step){target, ivrsm_arena_strdup(c->doc->arena, name)};
    dom_node *r = resolve(c, (dom_node *)target);
    c->globals_depth--;
    memcpy(c->path, saved_path, sizeof(c->path));
    c->path_len = saved_len;
    c->field_count = saved_fields;
    if (r && !remember(c, target, r))
        return NULL;
    return r;
}

/*
 * Find the value a reference names. Returns NULL after reporting why.
 * The inner text is "globals" followed by ".key" and "[index]" steps.
 */
static const dom_node *lookup(cc *c, const dom_node *at, const reference *ref)
{
    const char *s = ref->inner, *end = ref->inner + ref->inner_len;
    if (ref->inner_len < 7 || memcmp(s, "globals", 7) != 0 ||
        (ref->inner_len > 7 && s[7] != '.' && s[7] != '[')) {
        ivrsm_cc_error(
            c, "unresolved-globals", at->line, at->column,
            "${%.*s} is not a globals reference: only ${globals...} is resolved when the "
            "machine loads (use {{...}} for values known during the call)",
            (int)ref->inner_len, ref->inner);
        return NULL;
    }
    const dom_node *node = c->globals;
    if (!node) {
        ivrsm_cc_error(c, "unresolved-globals", at->line, at->column,
                       "${%.*s} is not defined: the machine has no globals", (int)ref->inner_len,
                       ref->inner);
        return NULL;
    }
    const char *p = s + 7;
    while (p < end) {
        char seg[256];
        size_t prefix_len = (size_t)(p - s);
        if (*p == '.') {
            const char *q = ++p;
            while (q < end && *q != '.' && *q != '[')
                q++;
            size_t n = (size_t)(q - p);
            if (n == 0 || n >= sizeof(seg))
                break;
            memcpy(seg, p, n);
            seg[n] = '\0';
            p = q;
            const dom_node *child = node->kind == DOM_MAP ? ivrsm_dom_get(node, seg) : NULL;
            if (!child) {
                if (node->kind == DOM_MAP)
                    report_missing_key(c, at, ref, node, seg, prefix_len);
                else
                    ivrsm_cc_error(c, "unresolved-globals", at->line, at->column,
                                   "${%.*s} is not defined: %.*s is %s, not a map",
                                   (int)ref->inner_len, ref->inner, (int)prefix_len, ref->inner,
                                   ivrsm_dom_kind_article((dom_kind)node->kind));
                return NULL;
            }
            node = child;
        } else if (*p == '[') {
            char *close;
            unsigned long long idx = strtoull(p + 1, &close, 10);
            if (close == p + 1 || close >= end || *close != ']')
                break;
            p = close + 1;
            if (node->kind != DOM_LIST || idx >= node->count) {
                ivrsm_cc_error(c, "unresolved-globals", at->line, at->column,
                               "${%.*s} is not defined: %.*s %s", (int)ref->inner_len, ref->inner,
                               (int)prefix_len, ref->inner,
                               node->kind == DOM_LIST ? "has fewer items" : "is not a list");
                return NULL;
            }
            node = node->items[idx];
        } else {
            break;
        }
    }
    if (p < end) {
        ivrsm_cc_error(c, "unresolved-globals", at->line, at->column,
                       "${%.*s} is malformed (expected ${globals.key.key} or ${globals.list[0]})",
                       (int)ref->inner_len, ref->inner);
        return NULL;
    }
    return c->resolving_globals ? follow(c, at, ref, node) : node;
}

/*
 * Count what replacing a node by `nodes` nodes and `bytes` bytes of text adds
 * to the document (`was`: the bytes it replaces). False, reported once, when
 * the document would then pass IVRSM_MAX_NODES or IVRSM_MAX_EXPANDED_BYTES.
 */
static bool count_expansion(cc *c, const dom_node *at, size_t nodes, size_t bytes, size_t was)
{
    if (c->expansion_refused)
        return false;
    dom_doc *d = c->doc;
    d->node_count += nodes > 0 ? nodes - 1 : 0;
    d->bytes += bytes > was ? bytes - was : 0;
    if (d->node_count <= IVRSM_MAX_NODES && d->bytes <= IVRSM_MAX_EXPANDED_BYTES)
        return true;
    c->expansion_refused = true;
    if (d->node_count > IVRSM_MAX_NODES)
        ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", at->line, at->column,
                            "the document has more than %d nodes once its ${globals...} "
                            "references are expanded (a reference counts as the nodes it "
                            "repeats)",
                            IVRSM_MAX_NODES);
    else
        ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", at->line, at->column,
                            "the document holds more than %u bytes of text once its "
                            "${globals...} references are expanded (a reference counts as the "
                            "text it repeats)",
                            IVRSM_MAX_EXPANDED_BYTES);
    return false;
}

static bool append_scalar_text(ivrsm_buf *b, const dom_node *v)
{
    switch ((dom_kind)v->kind) {
    case DOM_STRING:
        return ivrsm_buf_append(b, v->text, v->len) == 0;
    case DOM_INT:
        return ivrsm_buf_printf(b, "%" PRId64, v->as.integer) == 0;
    case DOM_BOOL:
        return ivrsm_buf_puts(b, v->as.boolean ? "true" : "false") == 0;
    case DOM_NULL:
        return true;
    default:
        return ivrsm_buf_puts(b, v->text ? v->text : "") == 0;
    }
}

/* A string holding references: substitute each one as text. */
static dom_node *substitute(cc *c, dom_node *n)
{
    ivrsm_buf out = IVRSM_BUF_INIT(c->m->mem);
    reference ref;
    size_t from = 0;
    bool ok = true;
    while (next_reference(n->text, n->len, from, &ref)) {
        ivrsm_buf_append(&out, n->text + from, ref.start - from);
        from = ref.end;
        const dom_node *v = lookup(c, n, &ref);
        if (!v) {
            ok = false;
        } else if (v->kind == DOM_MAP || v->kind == DOM_LIST) {
            ivrsm_cc_error(c, "wrong-type", n->line, n->column,
                           "${%.*s} is %s: only a scalar can be placed inside a longer string (use "
                           "the reference as the whole value)",
                           (int)ref.inner_len, ref.inner,
                           ivrsm_dom_kind_article((dom_kind)v->kind));
            ok = false;
        } else if (!append_scalar_text(&out, v)) {
            ok = false;
        }
    }
    ivrsm_buf_append(&out, n->text + from, n->len - from);
    dom_node *result = n;
    if (out.failed) {
        ivrsm_cc_nomem(c);
        result = NULL;
    } else if (ok) {
        if (out.len > IVRSM_MAX_STRING_BYTES) {
            ivrsm_cc_error_code(c, IVRSM_ELIMIT, "limit", n->line, n->column,
                                "the string is longer than %u bytes once ${globals...} is replaced",
                                IVRSM_MAX_STRING_BYTES);
        } else if (!count_expansion(c, n, 1, out.len, n->len)) {
            /* Refused: reported once, the text is left as written. */
        } else {
            result = ivrsm_dom_new_string(c->doc, ivrsm_buf_str(&out), out.len, n->line, n->column);
            if (result)
                result->style = n->style;
            else
                ivrsm_cc_nomem(c);
        }
    }
    ivrsm_buf_free(&out);
    return result;
}

static dom_node *resolve_string(cc *c, dom_node *n)
{
    reference ref;
    if (!next_reference(n->text, n->len, 0, &ref))
        return n;
    if (ref.start == 0 && ref.end == n->len) {
        /* The whole scalar is one reference: take the value, type and all. */
        const dom_node *v = lookup(c, n, &ref);
        if (!v || !count_expansion(c, n, v->weight, v->bytes, n->len))
            return n;
        dom_node *copy = ivrsm_dom_clone_at(c->doc, v, n->line, n->column);
        char *origin =
            copy ? ivrsm_arena_strndup(c->doc->arena, ref.inner + 7, ref.inner_len - 7) : NULL;
        if (!copy || !origin) {
            ivrsm_cc_nomem(c);
            return NULL;
        }
        copy->ref = origin[0] == '.' ? origin + 1 : origin;
        return copy;
    }
    return substitute(c, n);
}

static dom_node *resolve_map(cc *c, dom_node *n)
{
    dom_node *copy = NULL;
    for (size_t i = 0; i < n->count; i++) {
        size_t mark = ivrsm_cc_push_key(c, n->pairs[i].key);
        dom_node *v = ivrsm_globals_resolve(c, n->pairs[i].value);
        ivrsm_cc_pop(c, mark);
        if (!v)
            return NULL;
        if (v == n->pairs[i].value)
            continue;
        if (!copy) {
            copy = ivrsm_dom_clone_at(c->doc, n, n->line, n->column);
            dom_pair *pairs =
                copy ? ivrsm_arena_alloc(c->doc->arena, n->count * sizeof(*pairs)) : NULL;
            if (!pairs) {
                ivrsm_cc_nomem(c);
                return NULL;
            }
            memcpy(pairs, n->pairs, n->count * sizeof(*pairs));
            copy->pairs = pairs;
        }
        copy->pairs[i].value = v;
    }
    return copy ? copy : n;
}

static dom_node *resolve_list(cc *c, dom_node *n)
{
    dom_node *copy = NULL;
    for (size_t i = 0; i < n->count; i++) {
        size_t mark = ivrsm_cc_push_index(c, i);
        dom_node *v = ivrsm_globals_resolve(c, n->items[i]);
        ivrsm_cc_pop(c, mark);
        if (!v)
            return NULL;
        if (v == n->items[i])
            continue;
        if (!copy) {
            copy = ivrsm_dom_clone_at(c->doc, n, n->line, n->column);
            dom_node **items =
                copy ? ivrsm_arena_alloc(c->doc->arena, n->count * sizeof(*items)) : NULL;
            if (!items) {
                ivrsm_cc_nomem(c);
                return NULL;
            }
            memcpy(items, n->items, n->count * sizeof(*items));
            copy->items = items;
        }
        copy->items[i] = v;
    }
    return copy ? copy : n;
}

dom_node *ivrsm_globals_resolve(cc *c, dom_node *n)
{
    if (c->resolving_globals) {
        dom_node *d = done(c, n);
        if (d)
            return d;
    }
    return resolve(c, n);
}

static dom_node *resolve(cc *c, dom_node *n)
{
    if (n->no_refs)
        return n; /* the readers saw no "${" in any of its strings */
    switch ((dom_kind)n->kind) {
    case DOM_STRING:
        return resolve_string(c, n);
    case DOM_MAP:
        return resolve_map(c, n);
    case DOM_LIST:
        return resolve_list(c, n);
    default:
        return n;
    }
}

dom_node *ivrsm_globals_resolve_self(cc *c, dom_node *g)
{
    c->resolving_globals = true;
    dom_node *r = ivrsm_globals_resolve(c, g);
    c->resolving_globals = false;
    ivrsm_mem_free(c->m->mem, c->globals_done);
    c->globals_done = NULL;
    c->globals_done_count = c->globals_done_cap = 0;
    return r;
}
