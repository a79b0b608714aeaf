#include "dom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"

/* --- Hash set ------------------------------------------------------------- */

struct dom_strmap_slot {
    const char *key; /* NULL: empty */
    size_t len;
    size_t hash;
    void *value;
};

static size_t strmap_hash(const char *s, size_t len)
{
    size_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return h;
}

static struct dom_strmap_slot *strmap_find(const dom_strmap *m, const char *key, size_t len,
                                           size_t hash)
{
    for (size_t i = hash & m->mask;; i = (i + 1) & m->mask) {
        struct dom_strmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == hash && s->len == len && !memcmp(s->key, key, len)))
            return s;
    }
}

static int strmap_grow(dom_strmap *m)
{
    size_t cap = m->slots ? (m->mask + 1) * 2 : 16;
    struct dom_strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    dom_strmap grown = {slots, cap - 1, m->count};
    for (size_t i = 0; m->slots && i <= m->mask; i++)
        if (m->slots[i].key)
            *strmap_find(&grown, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
    free(m->slots);
    *m = grown;
    return 0;
}

int dom_strmap_put(dom_strmap *m, const char *key, size_t len, void *value, void **existing)
{
    /* Keep the load factor under 1/2 so probes stay short. */
    if ((!m->slots || (m->count + 1) * 2 > m->mask + 1) && strmap_grow(m) != 0)
        return -1;
    size_t hash = strmap_hash(key, len);
    struct dom_strmap_slot *s = strmap_find(m, key, len, hash);
    if (s->key) {
        if (existing)
            *existing = s->value;
        return 0;
    }
    s->key = key;
    s->len = len;
    s->hash = hash;
    s->value = value;
    m->count++;
    return 1;
}

int dom_strmap_set(dom_strmap *m, const char *key, size_t len, void *value)
{
    void *prev = NULL;
    int rc = dom_strmap_put(m, key, len, value, &prev);
    if (rc == 0) {
        struct dom_strmap_slot *s = strmap_find(m, key, len, strmap_hash(key, len));
        s->key = key;
        s->value = value;
    }
    return rc < 0 ? -1 : 0;
}

void *dom_strmap_get(const dom_strmap *m, const char *key, size_t len)
{
    if (!m->slots)
        return NULL;
    struct dom_strmap_slot *s = strmap_find(m, key, len, strmap_hash(key, len));
    return s->key ? s->value : NULL;
}

void dom_strmap_free(dom_strmap *m)
{
    free(m->slots);
    m->slots = NULL;
    m->mask = m->count = 0;
}

/* --- Text checks ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t need;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return need;
}

int dom_check_text(const char *data, size_t len, int *line, int *column)
{
    const unsigned char *s = (const unsigned char *)data;
    int ln = 1, col = 1;
    for (size_t i = 0; i < len;) {
        if (s[i] == 0) {
            *line = ln;
            *column = col;
            return -2;
        }
        size_t n = utf8_sequence(s + i, len - i);
        if (n == 0) {
            *line = ln;
            *column = col;
            return -1;
        }
        if (s[i] == '\n') {
            ln++;
            col = 1;
        } else {
            col++;
        }
        i += n;
    }
    return 0;
}

int dom_column_at(const char *data, size_t offset)
{
    size_t start = offset;
    while (start > 0 && data[start - 1] != '\n')
        start--;
    int col = 1;
    for (size_t i = start; i < offset; i++)
        if (((unsigned char)data[i] & 0xC0) != 0x80)
            col++;
    return col;
}

/* --- Nodes ---------------------------------------------------------------- */

dom_doc *dom_doc_new(const char *name)
{
    dom_doc *doc = calloc(1, sizeof(*doc));
    if (!doc)
        return NULL;
    doc->arena = ivrsm_arena_new();
    if (!doc->arena) {
        free(doc);
        return NULL;
    }
    doc->name = ivrsm_arena_strdup(doc->arena, name ? name : "<buffer>");
    if (!doc->name) {
        dom_free(doc);
        return NULL;
    }
    return doc;
}

void dom_free(dom_doc *doc)
{
    if (!doc)
        return;
    ivrsm_arena_free(doc->arena);
    free(doc);
}

dom_node *dom_new_node(dom_doc *doc, dom_kind kind, int line, int column)
{
    dom_node *n = ivrsm_arena_alloc(doc->arena, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = (uint8_t)kind;
    n->weight = 1;
    n->line = line;
    n->column = column;
    return n;
}

dom_node *dom_new_string(dom_doc *doc, const char *s, size_t len, int line, int column)
{
    dom_node *n = dom_new_node(doc, DOM_STRING, line, column);
    if (!n)
        return NULL;
    char *copy = ivrsm_arena_strndup(doc->arena, s, len);
    if (!copy)
        return NULL;
    n->text = copy;
    n->len = len;
    return n;
}

dom_node *dom_clone_at(dom_doc *doc, const dom_node *node, int line, int column)
{
    dom_node *n = ivrsm_arena_alloc(doc->arena, sizeof(*n));
    if (!n)
        return NULL;
    *n = *node;
    n->line = line;
    n->column = column;
    return n;
}

const dom_pair *dom_get_pair(const dom_node *map, const char *key)
{
    if (!map || map->kind != DOM_MAP)
        return NULL;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->count; i++)
        if (map->pairs[i].key_len == len && !memcmp(map->pairs[i].key, key, len))
            return &map->pairs[i];
    return NULL;
}

dom_node *dom_get(const dom_node *map, const char *key)
{
    const dom_pair *p = dom_get_pair(map, key);
    return p ? p->value : NULL;
}

const char *dom_kind_article(dom_kind kind)
{
    switch (kind) {
    case DOM_NULL:
        return "null";
    case DOM_BOOL:
        return "a boolean";
    case DOM_INT:
        return "an integer";
    case DOM_REAL:
        return "a number";
    case DOM_STRING:
        return "a string";
    case DOM_MAP:
        return "a map";
    case DOM_LIST:
        return "a list";
    }
    return "a value";
}

int dom_memory_exhausted(void)
{
    void *probe = malloc(256);
    free(probe);
    return probe == NULL;
}

/* --- Files and dispatch ----------------------------------------------------- */

ivrsm_format dom_format_for_path(const char *path)
{
    size_t n = strlen(path);
    return n >= 5 && !strcasecmp(path + n - 5, ".json") ? IVRSM_FORMAT_JSON : IVRSM_FORMAT_YAML;
}

int dom_read_file(const char *path, char **data, size_t *len, ivrsm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return diag_set_error(err, IVRSM_EIO, path, 0, 0, "", "cannot open the file: %s",
                              strerror(errno));
    size_t cap = 64 * 1024, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return diag_set_error(err, IVRSM_ENOMEM, path, 0, 0, "", "out of memory");
    }
    for (;;) {
        if (n == cap) {
            if (cap > IVRSM_MAX_DOCUMENT_BYTES) {
                free(buf);
                fclose(f);
                return diag_set_error(err, IVRSM_ELIMIT, path, 0, 0, "",
                                      "the document is larger than %u bytes",
                                      IVRSM_MAX_DOCUMENT_BYTES);
            }
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                fclose(f);
                return diag_set_error(err, IVRSM_ENOMEM, path, 0, 0, "", "out of memory");
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        return diag_set_error(err, IVRSM_EIO, path, 0, 0, "", "cannot read the file");
    }
    if (n > IVRSM_MAX_DOCUMENT_BYTES) {
        free(buf);
        return diag_set_error(err, IVRSM_ELIMIT, path, 0, 0, "",
                              "the document is larger than %u bytes", IVRSM_MAX_DOCUMENT_BYTES);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static int only_blank(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' && data[i] != '\n')
            return 0;
    return 1;
}

static ivrsm_format sniff_format(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = data[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '{' ? IVRSM_FORMAT_JSON : IVRSM_FORMAT_YAML;
    }
    return IVRSM_FORMAT_YAML;
}

/* The root must be a map; an empty stream or a null root is an empty document. */
static int check_root(const dom_doc *doc, ivrsm_error *err)
{
    const dom_node *r = doc->root;
    if (!r || r->kind == DOM_NULL)
        return diag_set_error(err, IVRSM_ESYNTAX, doc->name, r ? r->line : 1, r ? r->column : 1, "",
                              "the document is empty (expected a map with machine, version "
                              "and states)");
    if (r->kind != DOM_MAP)
        return diag_set_error(err, IVRSM_EMACHINE, doc->name, r->line, r->column, "",
                              "the document root must be a map (with machine, version and "
                              "states), found %s",
                              dom_kind_article(r->kind));
    return 0;
}

int dom_load(const char *data, size_t len, ivrsm_format format, const char *name, dom_doc **out,
             ivrsm_error *err)
{
    if (!name)
        name = "<buffer>";
    if (!data && len)
        return diag_set_error(err, IVRSM_EINVAL, name, 0, 0, "", "no document given");
    if (len > IVRSM_MAX_DOCUMENT_BYTES)
        return diag_set_error(err, IVRSM_ELIMIT, name, 0, 0, "",
                              "the document is larger than %u bytes", IVRSM_MAX_DOCUMENT_BYTES);
    /* A UTF-8 byte order mark is tolerated and skipped (editors add it). */
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3)) {
        data += 3;
        len -= 3;
    }
    int line, column;
    int bad = dom_check_text(data, len, &line, &column);
    if (bad != 0)
        return diag_set_error(err, IVRSM_ESYNTAX, name, line, column, "",
                              bad == -2 ? "a NUL byte is not allowed in a machine document"
                                        : "invalid UTF-8 (the document must be UTF-8 text)");
    if (only_blank(data, len))
        return diag_set_error(
            err, IVRSM_ESYNTAX, name, 1, 1, "",
            "the document is empty (expected a map with machine, version and states)");
    if (format == IVRSM_FORMAT_AUTO)
        format = sniff_format(data, len);
    dom_doc *doc = dom_doc_new(name);
    if (!doc)
        return diag_set_error(err, IVRSM_ENOMEM, name, 0, 0, "", "out of memory");
    int rc = format == IVRSM_FORMAT_JSON ? dom_load_json(data, len, doc, err)
                                         : dom_load_yaml(data, len, doc, err);
    if (rc == 0)
        rc = check_root(doc, err);
    if (rc != 0) {
        dom_free(doc);
        return rc;
    }
    *out = doc;
    return 0;
}
