/*
 * YAML → dom, from libfyaml's event stream.
 *
 * libfyaml only tokenises and parses here; typing follows the YAML 1.2 core
 * schema by hand (plain true/false/null/numbers are typed, everything else is
 * a string, so `yes`, `no`, `on` and `off` stay strings), and aliases are
 * resolved by pointing at the anchored node. Every alias counts as the whole
 * subtree it stands for, in nodes and in bytes of text, so a "billion laughs"
 * document hits IVRSM_MAX_NODES after a few dozen events, and one that
 * repeats a long string hits IVRSM_MAX_EXPANDED_BYTES, both refused without
 * building anything large.
 */
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dom.h"
#include "json_scan.h"
#include "mem.h"
#include "yaml_core.h"
#include "syntax_hints.h"
#include "utf8.h"
#include "yaml_block.h"
#include "yaml_fast.h"

#define TAG_PREFIX "tag:yaml.org,2002:"
#define LINEAR_KEY_CHECK 8 /* maps up to this size find duplicates by scanning */

typedef struct frame {
    dom_node *node;     /* DOM_MAP or DOM_LIST being filled */
    const char *anchor; /* arena copy, or NULL */
    size_t anchor_len;
    dom_pair *pairs;  /* DOM_MAP: malloc'ed while open */
    dom_node **items; /* DOM_LIST: malloc'ed while open */
    size_t count;
    size_t cap;
    ivrsm_strmap keys; /* DOM_MAP: keys seen, once the map grows past LINEAR_KEY_CHECK */
    bool have_key;     /* DOM_MAP: a key was read, its value is next */
    bool key_is_merge;
    dom_pair key;
    dom_node **merges; /* values of `<<` keys, applied when the map closes */
    size_t merge_count;
    size_t merge_cap;
    uint32_t weight;
    size_t bytes;
    uint16_t height;
} frame;

typedef struct yaml_reader {
    dom_doc *doc;
    const char *data;
    size_t len;
    ivrsm_error *err;
    frame stack[IVRSM_MAX_DEPTH + 1];
    int depth;
    ivrsm_strmap anchors;
    size_t nodes; /* counted with aliases expanded */
    size_t bytes; /* text of scalars and keys, aliases expanded */
    int documents;
    int last_line; /* position of the last event that had one */
    int last_column;
    int failed;                 /* an error is in *err */
    struct fy_token_iter *iter; /* reads block scalars (yaml_block.c), made on first use */
    ivrsm_buf block;            /* the text of the last block scalar */
} yaml_reader;

static int fail(yaml_reader *r, int code, int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int fail(yaml_reader *r, int code, int line, int column, const char *fmt, ...)
{
    char message[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    r->failed = 1;
    ivrsm_diag_set_error(r->err, code, r->doc->name, line, column, "", "%s", message);
    return code;
}

static int no_memory(yaml_reader *r)
{
    return fail(r, IVRSM_ENOMEM, 0, 0, "out of memory");
}

/* --- Positions ------------------------------------------------------------ */

typedef struct pos {
    int line;
    int column;
} pos;

static pos token_pos(yaml_reader *r, struct fy_token *t)
{
    const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
    if (!m || m->line < 0)
        return (pos){r->last_line, r->last_column};
    pos p = {m->line + 1, m->column + 1};
    r->last_line = p.line;
    r->last_column = p.column;
    return p;
}

/*
 * A block scalar's token starts at its first content line; point at its
 * `>` or `|` indicator instead, which is where the author wrote the value.
 * Falls back to the content when a comment follows the indicator.
 */
static pos block_indicator_pos(yaml_reader *r, struct fy_token *t, pos content)
{
    const struct fy_mark *m = fy_token_start_mark(t);
    if (!m || m->input_pos > r->len)
        return content;
    size_t i = m->input_pos;
    int newlines = 0;
    while (i > 0 && (r->data[i - 1] == ' ' || r->data[i - 1] == '\t' || r->data[i - 1] == '\n' ||
                     r->data[i - 1] == '\r')) {
        if (r->data[i - 1] == '\n')
            newlines++;
        i--;
    }
    while (i > 0 && strchr("+-0123456789", r->data[i - 1]))
        i--;
    if (i == 0 || (r->data[i - 1] != '>' && r->data[i - 1] != '|') || newlines == 0)
        return content;
    return (pos){content.line - newlines, ivrsm_utf8_column_at(r->data, i - 1)};
}

static pos scalar_pos(yaml_reader *r, struct fy_token *value)
{
    pos p = token_pos(r, value);
    switch (fy_token_scalar_style(value)) {
    case FYSS_SINGLE_QUOTED:
    case FYSS_DOUBLE_QUOTED:
        /* The mark is on the first character inside the quotes. */
        if (p.column > 1)
            p.column--;
        return p;
    case FYSS_LITERAL:
    case FYSS_FOLDED:
        return block_indicator_pos(r, value, p);
    default:
        return p;
    }
}

/* Give `n` (whose text is set) its core-schema type. Returns 0 or an error code. */
static int type_plain_scalar(yaml_reader *r, dom_node *n)
{
    if (!ivrsm_yaml_core_type_node(n))
        return fail(r, IVRSM_ESYNTAX, n->line, n->column,
                    "the integer %s is out of range (" IVRSM_INT_RANGE ")", n->text);
    return 0;
}

/* Apply an explicit core tag (!!str, !!int...) to a scalar. */
static int type_tagged_scalar(yaml_reader *r, dom_node *n, const char *tag)
{
    const char *name =
        !strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) ? tag + strlen(TAG_PREFIX) : NULL;
    if (!strcmp(tag, "!") || (name && !strcmp(name, "str")))
        return 0;
    if (name && (!strcmp(name, "int") || !strcmp(name, "float") || !strcmp(name, "bool") ||
                 !strcmp(name, "null"))) {
        int rc = type_plain_scalar(r, n);
        if (rc)
            return rc;
        bool ok = (!strcmp(name, "int") && n->kind == DOM_INT) ||
                  (!strcmp(name, "float") && (n->kind == DOM_REAL || n->kind == DOM_INT)) ||
                  (!strcmp(name, "bool") && n->kind == DOM_BOOL) ||
                  (!strcmp(name, "null") && n->kind == DOM_NULL);
        if (!ok)
            return fail(r, IVRSM_ESYNTAX, n->line, n->column, "'%s' is not a valid !!%s value",
                        n->text, name);
        if (!strcmp(name, "float") && n->kind == DOM_INT) {
            n->kind = DOM_REAL;
            n->as.real = (double)n->as.integer;
        }
        return 0;
    }
    return fail(r, IVRSM_ESYNTAX, n->line, n->column,
                "unsupported tag '%s' (only the core tags !!str, !!int, !!float, !!bool and "
                "!!null are accepted)",
                tag);
}

/* --- Building --------------------------------------------------------------- */

static int count_nodes(yaml_reader *r, uint32_t weight, int line, int column)
{
    r->nodes += weight;
    if (r->nodes > IVRSM_MAX_NODES)
        return fail(r, IVRSM_ELIMIT, line, column,
                    "the document has more than %d nodes (aliases count as the nodes they "
                    "repeat)",
                    IVRSM_MAX_NODES);
    return 0;
}

/* Text read (or repeated by an alias): bounded so aliases cannot multiply memory. */
static int count_bytes(yaml_reader *r, size_t bytes, int line, int column)
{
    r->bytes += bytes;
    if (r->bytes > IVRSM_MAX_EXPANDED_BYTES)
        return fail(r, IVRSM_ELIMIT, line, column,
                    "the document holds more than %u bytes of text once its aliases are "
                    "expanded (an alias counts as the text it repeats)",
                    IVRSM_MAX_EXPANDED_BYTES);
    return 0;
}

static int grow(yaml_reader *r, void **array, size_t *cap, size_t count, size_t size)
{
    return ivrsm_mem_grow(r->doc->mem, array, cap, count, size, 8) == 0 ? 0 : no_memory(r);
}

static int check_duplicate(yaml_reader *r, frame *f, const dom_pair *key)
{
    const dom_pair *first = NULL;
    if (f->count < LINEAR_KEY_CHECK) {
        for (size_t i = 0; i < f->count; i++)
            if (f->pairs[i].key_len == key->key_len &&
                !memcmp(f->pairs[i].key, key->key, key->key_len))
                first = &f->pairs[i];
    } else {
        if (f->keys.count == 0)
            for (size_t i = 0; i < f->count; i++)
                if (ivrsm_strmap_put(&f->keys, f->pairs[i].key, f->pairs[i].key_len,
                                     (void *)(uintptr_t)(i + 1), NULL) < 0)
                    return no_memory(r);
        void *prev = ivrsm_strmap_get(&f->keys, key->key, key->key_len);
        if (prev)
            first = &f->pairs[(uintptr_t)prev - 1];
    }
    if (first)
        return fail(r, IVRSM_ESYNTAX, key->line, key->column,
                    "duplicate key '%s' (first defined at line %d, column %d)", key->key,
                    first->line, first->column);
    return 0;
}

static uint16_t levels_of(const dom_node *n)
{
    return (n->kind == DOM_MAP || n->kind == DOM_LIST) ? (uint16_t)(n->height) : 0;
}

static int add_pair(yaml_reader *r, frame *f, dom_node *value)
{
    if (f->key_is_merge) {
        int rc = grow(r, (void **)&f->merges, &f->merge_cap, f->merge_count, sizeof(*f->merges));
        if (rc)
            return rc;
        bool ok = value->kind == DOM_MAP;
        if (value->kind == DOM_LIST) {
            ok = true;
            for (size_t i = 0; i < value->count; i++)
                ok = ok && value->items[i]->kind == DOM_MAP;
        }
        if (!ok)
            return fail(r, IVRSM_ESYNTAX, value->line, value->column,
                        "the value of a merge key '<<' must be a map or a list of maps, found %s",
                        ivrsm_dom_kind_article(value->kind));
        f->merges[f->merge_count++] = value;
    } else {
        int rc = check_duplicate(r, f, &f->key);
        if (!rc)
            rc = grow(r, (void **)&f->pairs, &f->cap, f->count, sizeof(*f->pairs));
        if (rc)
            return rc;
        f->key.value = value;
        if (f->keys.count)
            if (ivrsm_strmap_put(&f->keys, f->key.key, f->key.key_len,
                                 (void *)(uintptr_t)(f->count + 1), NULL) < 0)
                return no_memory(r);
        f->pairs[f->count++] = f->key;
    }
    f->have_key = false;
    f->key_is_merge = false;
    return 0;
}

/* Hand a finished node (scalar, alias target or closed container) to its parent. */
static int add_value(yaml_reader *r, dom_node *value)
{
    if (r->depth == 0) {
        r->doc->root = value;
        return 0;
    }
    frame *f = &r->stack[r->depth - 1];
    f->weight += value->weight;
    f->node->no_refs &= value->no_refs;
    f->bytes += value->bytes + (f->node->kind == DOM_MAP && !f->key_is_merge ? f->key.key_len : 0);
    uint16_t h = (uint16_t)(levels_of(value) + 1);
    if (h > f->height)
        f->height = h;
    if (f->node->kind == DOM_MAP)
        return add_pair(r, f, value);
    if (grow(r, (void **)&f->items, &f->cap, f->count, sizeof(*f->items)))
        return IVRSM_ENOMEM;
    f->items[f->count++] = value;
    return 0;
}

/* YAML lets an anchor be redefined: later aliases see the newest node. */
static int set_anchor(yaml_reader *r, const char *name, size_t len, dom_node *node)
{
    if (ivrsm_strmap_set(&r->anchors, name, len, node) < 0)
        return no_memory(r);
    return 0;
}

static const char *copy_anchor(yaml_reader *r, struct fy_token *anchor, size_t *len)
{
    if (!anchor)
        return NULL;
    const char *text = fy_token_get_text(anchor, len);
    return text ? ivrsm_arena_strndup(r->doc->arena, text, *len) : NULL;
}

/* A scalar in key position becomes the pending key of the open map. */
static int read_key(yaml_reader *r, frame *f, const char *text, size_t len, pos p, bool plain)
{
    if (len > IVRSM_MAX_STRING_BYTES)
        return fail(r, IVRSM_ELIMIT, p.line, p.column, "a key longer than %u bytes",
                    IVRSM_MAX_STRING_BYTES);
    if (memchr(text, '\0', len))
        return fail(r, IVRSM_ESYNTAX, p.line, p.column, "a key must not contain a NUL character");
    if (count_bytes(r, len, p.line, p.column))
        return r->err->code;
    char *key = ivrsm_arena_strndup(r->doc->arena, text, len);
    if (!key)
        return no_memory(r);
    f->key = (dom_pair){key, len, p.line, p.column, NULL};
    f->have_key = true;
    f->key_is_merge = plain && len == 2 && !memcmp(text, "<<", 2);
    return 0;
}

/* An anchored key (`&k name: value`) can be aliased later as a string. */
static int anchor_key(yaml_reader *r, struct fy_token *anchor, const dom_pair *key)
{
    size_t alen = 0;
    const char *name = copy_anchor(r, anchor, &alen);
    dom_node *n =
        name ? ivrsm_dom_new_string(r->doc, key->key, key->key_len, key->line, key->column) : NULL;
    if (!n)
        return no_memory(r);
    n->bytes = key->key_len;
    return set_anchor(r, name, alen, n);
}

static bool awaiting_key(const yaml_reader *r)
{
    if (r->depth == 0)
        return false;
    const frame *f = &r->stack[r->depth - 1];
    return f->node->kind == DOM_MAP && !f->have_key;
}

/*
 * A single-quoted scalar on one line, read from the source into r->block:
 * the text between the quotes, each '' an apostrophe. libfyaml 0.7.12
 * decodes some runs of '' wrongly (`'''a:''''id:'''''` gave "'a:'''id:'"
 * where PyYAML reads "'a:''id:''"; docs/fuzzing.md, finding 13). Returns
 * whether it did: a scalar over several lines folds its line breaks, and
 * keeps libfyaml's text.
 */
static bool single_quoted_line(yaml_reader *r, struct fy_token *value)
{
    /* The token's marks hold the text between the quotes. */
    const struct fy_mark *start = fy_token_start_mark(value), *end = fy_token_end_mark(value);
    if (!start || !end || start->input_pos < 1 || start->input_pos > end->input_pos ||
        end->input_pos >= r->len)
        return false;
    const char *src = r->data + start->input_pos;
    size_t len = end->input_pos - start->input_pos;
    if (src[-1] != '\'' || src[len] != '\'' || memchr(src, '\n', len) || memchr(src, '\r', len))
        return false;
    ivrsm_buf_reset(&r->block);
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\'') {
            if (i + 1 == len || src[i + 1] != '\'')
                return false; /* not the text of one quoted scalar: libfyaml's */
            i++;              /* '' is one apostrophe */
        }
        ivrsm_buf_putc(&r->block, src[i]);
    }
    return true;
}

/*
 * The text of a scalar token. Block scalars are read through the iterator
 * (yaml_block.c: libfyaml 0.7.12 may hand back a byte it never wrote for
 * them); flow scalars are libfyaml's text as it is. Returns 0 or an error.
 */
static int scalar_text(yaml_reader *r, struct fy_token *value, const char **text, size_t *len)
{
    *text = "";
    *len = 0;
    if (!value)
        return 0;
    enum fy_scalar_style style = fy_token_scalar_style(value);
    if (style == FYSS_SINGLE_QUOTED && single_quoted_line(r, value)) {
        if (r->block.failed)
            return no_memory(r);
        *text = r->block.len ? ivrsm_buf_str(&r->block) : "";
        *len = r->block.len;
        return 0;
    }
    if (style != FYSS_LITERAL && style != FYSS_FOLDED) {
        const char *t = fy_token_get_text(value, len);
        *text = t ? t : "";
        if (!t)
            *len = 0;
        return 0;
    }
    if (!r->iter && !(r->iter = fy_token_iter_create(NULL)))
        return no_memory(r);
    ivrsm_buf_reset(&r->block);
    if (ivrsm_yaml_block_text(value, r->iter, r->data, r->len, &r->block) != 0) {
        if (r->block.failed)
            return no_memory(r);
        pos p = scalar_pos(r, value);
        return fail(r, IVRSM_ESYNTAX, p.line, p.column,
                    "YAML syntax error: unreadable block scalar");
    }
    *text = ivrsm_buf_str(&r->block);
    *len = r->block.len;
    return 0;
}

static int on_scalar(yaml_reader *r, struct fy_event *ev)
{
    struct fy_token *value = ev->scalar.value;
    size_t len = 0;
    const char *text;
    if (scalar_text(r, value, &text, &len))
        return r->err->code;
    pos p = value ? scalar_pos(r, value) : (pos){r->last_line, r->last_column};
    bool plain = !value || fy_token_scalar_style(value) == FYSS_PLAIN;
    if (awaiting_key(r)) {
        const char *tag = ev->scalar.tag ? fy_token_get_text0(ev->scalar.tag) : NULL;
        if (tag && strcmp(tag, "!") && strcmp(tag, TAG_PREFIX "str"))
            return fail(r, IVRSM_ESYNTAX, p.line, p.column,
                        "unsupported tag '%s' on a key (keys are strings: only !!str is accepted)",
                        tag);
        int rc = read_key(r, &r->stack[r->depth - 1], text, len, p, plain && !tag);
        if (rc == 0 && ev->scalar.anchor)
            rc = anchor_key(r, ev->scalar.anchor, &r->stack[r->depth - 1].key);
        return rc;
    }
    if (len > IVRSM_MAX_STRING_BYTES)
        return fail(r, IVRSM_ELIMIT, p.line, p.column, "a string longer than %u bytes",
                    IVRSM_MAX_STRING_BYTES);
    if (memchr(text, '\0', len))
        return fail(r, IVRSM_ESYNTAX, p.line, p.column,
                    "a string must not contain a NUL character (\\0)");
    if (count_nodes(r, 1, p.line, p.column) || count_bytes(r, len, p.line, p.column))
        return r->err->code;
    dom_node *n = ivrsm_dom_new_string(r->doc, text, len, p.line, p.column);
    if (!n)
        return no_memory(r);
    n->bytes = len;
    n->no_refs = !ivrsm_dom_text_has_ref(text, len);
    enum fy_scalar_style style = value ? fy_token_scalar_style(value) : FYSS_PLAIN;
    n->style = style == FYSS_PLAIN                               ? DOM_STYLE_PLAIN
               : (style == FYSS_LITERAL || style == FYSS_FOLDED) ? DOM_STYLE_BLOCK
                                                                 : DOM_STYLE_QUOTED;
    int rc = 0;
    if (ev->scalar.tag)
        rc = type_tagged_scalar(r, n, fy_token_get_text0(ev->scalar.tag));
    else if (plain)
        rc = type_plain_scalar(r, n);
    if (rc)
        return rc;
    size_t alen = 0;
    const char *anchor = copy_anchor(r, ev->scalar.anchor, &alen);
    if (ev->scalar.anchor && !anchor)
        return no_memory(r);
    if (anchor && set_anchor(r, anchor, alen, n))
        return r->err->code;
    return add_value(r, n);
}

static int on_alias(yaml_reader *r, struct fy_event *ev)
{
    pos p = token_pos(r, ev->alias.anchor);
    if (p.column > 1)
        p.column--; /* the mark is on the name: point at the '*' */
    size_t len = 0;
    const char *name = fy_token_get_text(ev->alias.anchor, &len);
    dom_node *target = name ? ivrsm_strmap_get(&r->anchors, name, len) : NULL;
    if (!target)
        return fail(r, IVRSM_ESYNTAX, p.line, p.column,
                    "the alias *%.*s refers to no anchor defined before it", (int)len,
                    name ? name : "");
    if (awaiting_key(r)) {
        if (target->kind == DOM_MAP || target->kind == DOM_LIST)
            return fail(r, IVRSM_ESYNTAX, p.line, p.column, "a map key must be a scalar, found %s",
                        ivrsm_dom_kind_article(target->kind));
        return read_key(r, &r->stack[r->depth - 1], target->text, target->len, p, false);
    }
    if (r->depth + levels_of(target) > IVRSM_MAX_DEPTH)
        return fail(r, IVRSM_ELIMIT, p.line, p.column,
                    "nesting deeper than %d levels (through the alias *%.*s)", IVRSM_MAX_DEPTH,
                    (int)len, name);
    if (count_nodes(r, target->weight, p.line, p.column) ||
        count_bytes(r, target->bytes, p.line, p.column))
        return r->err->code;
    return add_value(r, target);
}

static int check_container_tag(yaml_reader *r, struct fy_token *tag, dom_kind kind, pos p)
{
    if (!tag)
        return 0;
    const char *t = fy_token_get_text0(tag);
    const char *want = kind == DOM_MAP ? TAG_PREFIX "map" : TAG_PREFIX "seq";
    if (t && (!strcmp(t, "!") || !strcmp(t, want)))
        return 0;
    return fail(r, IVRSM_ESYNTAX, p.line, p.column, "unsupported tag '%s' on %s", t ? t : "?",
                ivrsm_dom_kind_article(kind));
}

static int on_start(yaml_reader *r, struct fy_event *ev, dom_kind kind)
{
    struct fy_token *start, *tag, *anchor;
    if (kind == DOM_MAP) {
        start = ev->mapping_start.mapping_start;
        tag = ev->mapping_start.tag;
        anchor = ev->mapping_start.anchor;
    } else {
        start = ev->sequence_start.sequence_start;
        tag = ev->sequence_start.tag;
        anchor = ev->sequence_start.anchor;
    }
    pos p = token_pos(r, start);
    if (awaiting_key(r))
        return fail(r, IVRSM_ESYNTAX, p.line, p.column, "a map key must be a scalar, found %s",
                    ivrsm_dom_kind_article(kind));
    if (check_container_tag(r, tag, kind, p))
        return r->err->code;
    if (r->depth >= IVRSM_MAX_DEPTH)
        return fail(r, IVRSM_ELIMIT, p.line, p.column, "nesting deeper than %d levels",
                    IVRSM_MAX_DEPTH);
    if (count_nodes(r, 1, p.line, p.column))
        return r->err->code;
    dom_node *n = ivrsm_dom_new_node(r->doc, kind, p.line, p.column);
    if (!n)
        return no_memory(r);
    frame *f = &r->stack[r->depth++];
    memset(f, 0, sizeof(*f));
    f->keys.mem = r->doc->mem;
    n->no_refs = 1;
    f->node = n;
    f->weight = 1;
    f->anchor = copy_anchor(r, anchor, &f->anchor_len);
    if (anchor && !f->anchor)
        return no_memory(r);
    return 0;
}

/* Append the pairs of `<<` sources that the map does not define itself. */
static int apply_merges(yaml_reader *r, frame *f)
{
    ivrsm_strmap seen = IVRSM_STRMAP_INIT(r->doc->mem);
    int rc = 0;
    for (size_t i = 0; i < f->count && rc == 0; i++)
        if (ivrsm_strmap_put(&seen, f->pairs[i].key, f->pairs[i].key_len, f, NULL) < 0)
            rc = no_memory(r);
    for (size_t s = 0; s < f->merge_count && rc == 0; s++) {
        const dom_node *src = f->merges[s];
        size_t maps = src->kind == DOM_LIST ? src->count : 1;
        for (size_t m = 0; m < maps && rc == 0; m++) {
            const dom_node *map = src->kind == DOM_LIST ? src->items[m] : src;
            for (size_t i = 0; i < map->count && rc == 0; i++) {
                const dom_pair *pp = &map->pairs[i];
                int put = ivrsm_strmap_put(&seen, pp->key, pp->key_len, f, NULL);
                if (put < 0)
                    rc = no_memory(r);
                else if (put == 1 &&
                         grow(r, (void **)&f->pairs, &f->cap, f->count, sizeof(*f->pairs)))
                    rc = IVRSM_ENOMEM;
                else if (put == 1)
                    f->pairs[f->count++] = *pp;
            }
        }
    }
    ivrsm_strmap_free(&seen);
    return rc;
}

static void frame_release(yaml_reader *r, frame *f)
{
    ivrsm_mem_free(r->doc->mem, f->pairs);
    ivrsm_mem_free(r->doc->mem, f->items);
    ivrsm_mem_free(r->doc->mem, f->merges);
    ivrsm_strmap_free(&f->keys);
    f->pairs = NULL;
    f->items = NULL;
    f->merges = NULL;
}

static int on_end(yaml_reader *r)
{
    frame *f = &r->stack[r->depth - 1];
    dom_node *n = f->node;
    int rc = f->merge_count ? apply_merges(r, f) : 0;
    if (rc) {
        return rc;
    }
    if (n->kind == DOM_MAP && f->count) {
        n->pairs = ivrsm_arena_alloc(r->doc->arena, f->count * sizeof(*n->pairs));
        if (!n->pairs)
            return no_memory(r);
        memcpy(n->pairs, f->pairs, f->count * sizeof(*n->pairs));
    } else if (n->kind == DOM_LIST && f->count) {
        n->items = ivrsm_arena_alloc(r->doc->arena, f->count * sizeof(*n->items));
        if (!n->items)
            return no_memory(r);
        memcpy(n->items, f->items, f->count * sizeof(*n->items));
    }
    n->count = f->count;
    n->weight = f->weight;
    n->bytes = f->bytes;
    n->height = f->height ? f->height : 1;
    if (ivrsm_dom_index_map(r->doc, n) != 0)
        return no_memory(r);
    const char *anchor = f->anchor;
    size_t alen = f->anchor_len;
    frame_release(r, f);
    r->depth--;
    if (anchor && set_anchor(r, anchor, alen, n))
        return r->err->code;
    return add_value(r, n);
}

static int on_document_start(yaml_reader *r, struct fy_event *ev)
{
    if (++r->documents > 1) {
        pos p = token_pos(r, ev->document_start.document_start);
        return fail(r, IVRSM_ESYNTAX, p.line, p.column,
                    "a second YAML document starts here; a file holds exactly one "
                    "document");
    }
    return 0;
}

static int on_event(yaml_reader *r, struct fy_event *ev)
{
    switch (ev->type) {
    case FYET_DOCUMENT_START:
        return on_document_start(r, ev);
    case FYET_MAPPING_START:
        return on_start(r, ev, DOM_MAP);
    case FYET_SEQUENCE_START:
        return on_start(r, ev, DOM_LIST);
    case FYET_MAPPING_END:
    case FYET_SEQUENCE_END:
        return on_end(r);
    case FYET_SCALAR:
        return on_scalar(r, ev);
    case FYET_ALIAS:
        return on_alias(r, ev);
    default:
        return 0;
    }
}

/* libfyaml reports syntax errors through its diagnostic object; take the first. */
static int parser_error(yaml_reader *r, struct fy_diag *diag)
{
    void *iter = NULL;
    struct fy_diag_error *e;
    while ((e = fy_diag_errors_iterate(diag, &iter)) != NULL) {
        if (e->type != FYET_ERROR)
            continue;
        int line = e->line > 0 ? e->line : r->last_line;
        char hint[400];
        bool hinted = ivrsm_yaml_text_hint(r->data, r->len, line, e->msg, hint, sizeof(hint)) ||
                      ivrsm_yaml_indent_hint(r->data, r->len, line, e->msg, hint, sizeof(hint));
        return fail(r, IVRSM_ESYNTAX, line, e->column > 0 ? e->column : r->last_column,
                    "YAML syntax error: %s%s%s%s", e->msg ? e->msg : "malformed document",
                    hinted ? " (" : "", hinted ? hint : "", hinted ? ")" : "");
    }
    return fail(r, IVRSM_ESYNTAX, r->last_line, r->last_column,
                "YAML syntax error: malformed document");
}

static void discard_output(struct fy_diag *diag, void *user, const char *buf, size_t len)
{
    (void)diag;
    (void)user;
    (void)buf;
    (void)len;
}

int ivrsm_dom_load_yaml(const char *data, size_t len, dom_doc *doc, ivrsm_error *err)
{
    int rc = ivrsm_dom_load_yaml_fast(data, len, doc);
    if (rc == IVRSM_ENOMEM)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    if (rc != YAML_FAST_UNSUPPORTED)
        return rc;
    return ivrsm_dom_load_yaml_events(data, len, doc, err);
}

int ivrsm_dom_load_yaml_events(const char *data, size_t len, dom_doc *doc, ivrsm_error *err)
{
    yaml_reader *r = ivrsm_mem_calloc(doc->mem, 1, sizeof(*r));
    if (!r)
        return ivrsm_diag_set_error(err, IVRSM_ENOMEM, doc->name, 0, 0, "", "out of memory");
    ivrsm_error local;
    r->doc = doc;
    r->anchors.mem = doc->mem;
    r->block.mem = doc->mem;
    r->data = data;
    r->len = len;
    r->err = err ? err : &local;
    r->last_line = 1;
    r->last_column = 1;

    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = discard_output;
    dcfg.colorize = false;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    struct fy_parse_cfg cfg = {NULL, FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2, NULL, diag};
    struct fy_parser *parser = diag ? fy_parser_create(&cfg) : NULL;
    int rc = 0;
    if (!parser || fy_parser_set_string(parser, data, len) != 0) {
        rc = no_memory(r);
    } else {
        fy_diag_set_collect_errors(diag, true);
        struct fy_event *ev;
        while ((ev = fy_parser_parse(parser)) != NULL) {
            rc = on_event(r, ev);
            fy_parser_event_free(parser, ev);
            if (rc)
                break;
        }
        if (!rc && fy_parser_get_stream_error(parser))
            rc = parser_error(r, diag);
    }
    doc->node_count = r->nodes;
    doc->bytes = r->bytes;
    for (int i = 0; i < r->depth; i++)
        frame_release(r, &r->stack[i]);
    ivrsm_strmap_free(&r->anchors);
    if (r->iter)
        fy_token_iter_destroy(r->iter);
    ivrsm_buf_free(&r->block);
    if (parser)
        fy_parser_destroy(parser);
    if (diag)
        fy_diag_destroy(diag);
    ivrsm_mem_free(doc->mem, r);
    return rc;
}
