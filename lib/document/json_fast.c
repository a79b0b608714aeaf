/*
 * A JSON document read straight into the document tree, in one pass.
 *
 * Strings and numbers are read as jansson reads them (base/json_scan.c,
 * shared with the answers' reader), so the same texts are JSON and the
 * values are the same; the tree is the one load_json.c builds from
 * jansson's, position for position. Any mistake, and anything past a bound
 * (nesting, nodes, a string's length) or a duplicate key, makes this
 * reader give up (JSON_FAST_UNSUPPORTED): load_json.c then reads the text
 * with jansson, whose verdict and messages are the document's. Only valid
 * documents within the bounds are built here, without a jansson tree and
 * without a second scan for positions (tests/test_json_fast.c compares
 * both readers).
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json_fast.h"
#include "json_scan.h"
#include "mem.h"
#include "utf8.h"

typedef struct jfast {
    dom_doc *doc;
    const char *s;
    const char *end;
    const char *p;
    const char *line_start;
    int line;
    const char *col_at; /* the last place a column was counted for, and that column */
    int col;
    /* Text known to be ASCII, where a column is a count of bytes: [ascii_from, ascii_to),
     * ascii_to the next byte that is not (or the end). */
    const char *ascii_from, *ascii_to;
    int depth;
    size_t nodes;
    dom_pair *pairs; /* the pairs of the open objects, innermost last */
    size_t npairs, pairs_cap;
    dom_node **items; /* the items of the open arrays */
    size_t nitems, items_cap;
    ivrsm_buf text; /* a string with escapes, decoded */
    int status;     /* 0, JSON_FAST_UNSUPPORTED or IVRSM_ENOMEM */
} jfast;

static dom_node *give_up(jfast *f)
{
    if (!f->status)
        f->status = JSON_FAST_UNSUPPORTED;
    return NULL;
}

static dom_node *no_memory(jfast *f)
{
    f->status = IVRSM_ENOMEM;
    return NULL;
}

/* The blanks from the cursor on; spaces up to eight at a time (an indented file's are
 * runs). */
static void skip_blank_run(jfast *f)
{
    while (f->p < f->end) {
        char c = *f->p;
        if (c == ' ') {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            if (f->end - f->p >= 8) {
                uint64_t w;
                memcpy(&w, f->p, 8);
                uint64_t other = w ^ 0x2020202020202020u; /* nonzero bytes: not spaces */
                /* All eight, or the spaces before the first byte that is not one. */
                f->p += other ? (size_t)__builtin_ctzll(other) / 8 : 8;
                continue;
            }
#endif
            f->p++;
            continue;
        }
        if (c == '\n') {
            f->line++;
            f->line_start = f->p + 1;
        } else if (c != '\t' && c != '\r') {
            return;
        }
        f->p++;
    }
}

static inline void skip_blank(jfast *f)
{
    /* Every blank is at most ' ': a byte above it ends the blanks at once (most calls). */
    if (f->p < f->end && (unsigned char)*f->p > ' ')
        return;
    skip_blank_run(f);
}

/*
 * 1-based column in characters of the cursor, counted on from the last
 * column asked on the same line: a line of any length is counted once.
 */
static int column(jfast *f)
{
    const char *q = f->line_start;
    int col = 1;
    if (f->col_at >= f->line_start && f->col_at <= f->p) {
        q = f->col_at;
        col = f->col;
    }
    if (q >= f->ascii_from && f->p <= f->ascii_to) {
        col += (int)(f->p - q);
    } else {
        col += (int)ivrsm_utf8_count(q, (size_t)(f->p - q));
        f->ascii_from = f->p;
        f->ascii_to = f->p + ivrsm_utf8_ascii_run(f->p, (size_t)(f->end - f->p));
    }
    f->col_at = f->p;
    f->col = col;
    return col;
}

/* A string at the cursor (on its quote): its text, or false. */
static bool string(jfast *f, const char **t, size_t *len)
{
    f->p++;
    if (ivrsm_json_scan_string(&f->p, f->end, &f->text, t, len) != 0) {
        if (f->text.failed)
            no_memory(f);
        else
            give_up(f);
        return false;
    }
    if (*len > IVRSM_MAX_STRING_BYTES)
        return give_up(f), false;
    return true;
}

/* A real as jansson's jsonp_strtod() reads it: strtod in the C locale's spelling; overflow refused.
 */
static bool real_value(const char *t, size_t len, double *out)
{
    char buf[64];
    if (len >= sizeof(buf))
        return false; /* long spellings are left to jansson */
    memcpy(buf, t, len);
    buf[len] = '\0';
    const char *point = localeconv()->decimal_point;
    if (point && point[0] != '.' && point[0] && !point[1]) {
        char *dot = strchr(buf, '.');
        if (dot)
            *dot = point[0];
    } else if (point && strcmp(point, ".") != 0) {
        return false;
    }
    errno = 0;
    char *stop;
    double v = strtod(buf, &stop);
    if (stop != buf + len || ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE))
        return false;
    *out = v;
    return true;
}

static bool word(jfast *f, const char *w, size_t n)
{
    if ((size_t)(f->end - f->p) < n || memcmp(f->p, w, n) != 0)
        return false;
    f->p += n;
    return true;
}

/* true, false, null or a number at the cursor, as a node at line:col. */
static dom_node *token(jfast *f, int line, int col)
{
    const char *start = f->p;
    dom_kind kind;
    int64_t integer = 0;
    double real = 0;
    bool boolean = false;
    if (word(f, "true", 4)) {
        kind = DOM_BOOL;
        boolean = true;
    } else if (word(f, "false", 5)) {
        kind = DOM_BOOL;
    } else if (word(f, "null", 4)) {
        kind = DOM_NULL;
    } else {
        bool is_real, exponent;
        const char *after = ivrsm_json_scan_number(f->p, f->end, &is_real, &exponent);
        if (!after)
            return give_up(f);
        size_t len = (size_t)(after - start);
        json_int_t v;
        if (is_real ? !real_value(start, len, &real) : ivrsm_json_int_value(start, len, &v) != 0)
            return give_up(f);
        if (!is_real)
            integer = (int64_t)v;
        kind = is_real ? DOM_REAL : DOM_INT;
        f->p = after;
    }
    size_t len = (size_t)(f->p - start);
    dom_node *n = ivrsm_dom_new_node(f->doc, kind, line, col);
    char *text = n ? ivrsm_arena_strndup(f->doc->arena, start, len) : NULL;
    if (!text)
        return no_memory(f);
    n->text = text;
    n->len = len;
    n->bytes = len;
    n->no_refs = 1;
    if (kind == DOM_BOOL)
        n->as.boolean = boolean;
    else if (kind == DOM_INT)
        n->as.integer = integer;
    else if (kind == DOM_REAL)
        n->as.real = real;
    return n;
}

static void add_child(dom_node *n, const dom_node *child, size_t key_len)
{
    n->weight += child->weight;
    n->bytes += key_len + child->bytes;
    n->no_refs &= child->no_refs;
    if (child->height + 1 > n->height)
        n->height = (uint16_t)(child->height + 1);
}

static dom_node *value(jfast *f);

/* After an item: true at ',' (another follows), false at `close`; both consumed. */
static int item_end(jfast *f, char close)
{
    skip_blank(f);
    if (f->p >= f->end || (*f->p != ',' && *f->p != close))
        return -1;
    return *f->p++ == ',';
}

static dom_node *object(jfast *f, dom_node *n)
{
    size_t base = f->npairs;
    f->p++;
    skip_blank(f);
    int more = 1;
    if (f->p < f->end && *f->p == '}') {
        f->p++;
        more = 0;
    }
    while (more > 0) {
        skip_blank(f);
        if (f->p >= f->end || *f->p != '"')
            return give_up(f);
        int line = f->line, col = column(f);
        const char *key;
        size_t key_len;
        if (!string(f, &key, &key_len))
            return NULL;
        if (ivrsm_mem_grow(f->doc->mem, (void **)&f->pairs, &f->pairs_cap, f->npairs,
                           sizeof(*f->pairs), 32) != 0)
            return no_memory(f);
        char *copy = ivrsm_arena_strndup(f->doc->arena, key, key_len);
        if (!copy)
            return no_memory(f);
        f->pairs[f->npairs++] = (dom_pair){copy, key_len, line, col, NULL};
        skip_blank(f);
        if (f->p >= f->end || *f->p != ':')
            return give_up(f);
        f->p++;
        dom_node *v = value(f);
        if (!v)
            return NULL;
        f->pairs[f->npairs - 1].value = v;
        add_child(n, v, key_len);
        more = item_end(f, '}');
        if (more < 0)
            return give_up(f);
    }
    n->count = f->npairs - base;
    if (n->count) {
        n->pairs = ivrsm_arena_alloc(f->doc->arena, n->count * sizeof(*n->pairs));
        if (!n->pairs)
            return no_memory(f);
        memcpy(n->pairs, f->pairs + base, n->count * sizeof(*n->pairs));
    }
    f->npairs = base;
    size_t first, second;
    int rc = ivrsm_dom_finish_map(f->doc, n, &first, &second);
    if (rc < 0)
        return no_memory(f);
    return rc ? give_up(f) : n;
}

static dom_node *array(jfast *f, dom_node *n)
{
    size_t base = f->nitems;
    f->p++;
    skip_blank(f);
    int more = 1;
    if (f->p < f->end && *f->p == ']') {
        f->p++;
        more = 0;
    }
    while (more > 0) {
        dom_node *v = value(f);
        if (!v)
            return NULL;
        if (ivrsm_mem_grow(f->doc->mem, (void **)&f->items, &f->items_cap, f->nitems,
                           sizeof(*f->items), 32) != 0)
            return no_memory(f);
        f->items[f->nitems++] = v;
        add_child(n, v, 0);
        more = item_end(f, ']');
        if (more < 0)
            return give_up(f);
    }
    n->count = f->nitems - base;
    if (n->count) {
        n->items = ivrsm_arena_alloc(f->doc->arena, n->count * sizeof(*n->items));
        if (!n->items)
            return no_memory(f);
        memcpy(n->items, f->items + base, n->count * sizeof(*n->items));
    }
    f->nitems = base;
    return n;
}

static dom_node *value(jfast *f)
{
    skip_blank(f);
    if (f->p >= f->end || ++f->nodes > IVRSM_MAX_NODES)
        return give_up(f);
    int line = f->line, col = column(f);
    char c = *f->p;
    if (c == '"') {
        const char *t;
        size_t len;
        if (!string(f, &t, &len))
            return NULL;
        dom_node *n = ivrsm_dom_new_string(f->doc, t, len, line, col);
        if (!n)
            return no_memory(f);
        n->style = DOM_STYLE_QUOTED;
        n->bytes = len;
        n->no_refs = !ivrsm_dom_text_has_ref(t, len);
        return n;
    }
    if (c != '{' && c != '[')
        return token(f, line, col);
    if (f->depth >= IVRSM_MAX_DEPTH)
        return give_up(f);
    dom_node *n = ivrsm_dom_new_node(f->doc, c == '{' ? DOM_MAP : DOM_LIST, line, col);
    if (!n)
        return no_memory(f);
    n->height = 1;
    n->no_refs = 1;
    f->depth++;
    dom_node *done = c == '{' ? object(f, n) : array(f, n);
    f->depth--;
    return done;
}

int ivrsm_dom_load_json_fast(const char *data, size_t len, dom_doc *doc)
{
    jfast f = {.doc = doc,
               .s = data,
               .end = data + len,
               .p = data,
               .line_start = data,
               .line = 1,
               .ascii_from = data,
               .ascii_to = data};
    f.text.mem = doc->mem;
    skip_blank(&f);
    dom_node *root = f.p < f.end && *f.p == '{' ? value(&f) : give_up(&f);
    if (root) {
        skip_blank(&f);
        if (f.p != f.end)
            root = give_up(&f);
    }
    ivrsm_mem_free(doc->mem, f.pairs);
    ivrsm_mem_free(doc->mem, f.items);
    ivrsm_buf_free(&f.text);
    if (!root)
        return f.status ? f.status : JSON_FAST_UNSUPPORTED;
    doc->root = root;
    doc->node_count = f.nodes;
    doc->bytes = root->bytes;
    return 0;
}
