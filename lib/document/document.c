/*
 * A document as JSON (ivrsm_dom_to_json), and the public read-only view of
 * the tree (ivrsm_document_*, ivrsm_node_*): the library's one YAML and JSON
 * reader, with its bounds and its line:column errors, for files of one's
 * own such as the scenarios of `ivrsm test`.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "dom.h"
#include "mem.h"
#include "utf8.h"

_Static_assert((int)DOM_LIST == (int)IVRSM_NODE_LIST && (int)DOM_STRING == (int)IVRSM_NODE_STRING,
               "ivrsm_node_kind follows dom_kind");

/* The public types are the tree's own. */
static const dom_node *node(const ivrsm_node *n)
{
    return (const dom_node *)n;
}

static const ivrsm_node *pub(const dom_node *n)
{
    return (const ivrsm_node *)n;
}

/* Text jansson takes: UTF-8 without NUL (so a NULL from it means memory ran out). */
static bool json_text(const char *s, size_t len)
{
    return ivrsm_utf8_valid(s, len) && !memchr(s, '\0', len);
}

const char *ivrsm_dom_json_refusal(const dom_node *bad)
{
    if (bad->kind == DOM_REAL)
        return "only finite numbers can";
    return "only UTF-8 text without NUL characters can";
}

json_t *ivrsm_dom_to_json(const dom_node *n, const dom_node **bad)
{
    *bad = NULL;
    switch ((dom_kind)n->kind) {
    case DOM_NULL:
        return json_null();
    case DOM_BOOL:
        return json_boolean(n->as.boolean);
    case DOM_INT:
        return json_integer((json_int_t)n->as.integer);
    case DOM_REAL:
        if (!isfinite(n->as.real)) {
            *bad = n;
            return NULL;
        }
        return json_real(n->as.real);
    case DOM_STRING:
        if (!json_text(n->text, n->len)) {
            *bad = n;
            return NULL;
        }
        return json_stringn(n->text, n->len);
    case DOM_LIST: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n->count; i++) {
            json_t *item = ivrsm_dom_to_json(n->items[i], bad);
            if (!item || json_array_append_new(a, item) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case DOM_MAP: {
        json_t *o = json_object();
        for (size_t i = 0; o && i < n->count; i++) {
            if (!json_text(n->pairs[i].key, n->pairs[i].key_len)) {
                *bad = n;
                json_decref(o);
                return NULL;
            }
            json_t *item = ivrsm_dom_to_json(n->pairs[i].value, bad);
            if (!item || json_object_setn_new(o, n->pairs[i].key, n->pairs[i].key_len, item) != 0) {
                json_decref(o);
                return NULL;
            }
        }
        return o;
    }
    }
    return NULL;
}

int ivrsm_document_load_buffer(const char *data, size_t len, ivrsm_format format, const char *name,
                               ivrsm_document **out, ivrsm_error *err)
{
    dom_doc *doc;
    int rc = ivrsm_dom_load_map(data, len, format, name, ivrsm_mem_default(), &doc, err);
    if (rc)
        return rc;
    doc->source = NULL; /* the caller's buffer is not kept */
    doc->source_len = 0;
    *out = (ivrsm_document *)doc;
    return 0;
}

int ivrsm_document_load_file(const char *path, ivrsm_format format, ivrsm_document **out,
                             ivrsm_error *err)
{
    if (!out)
        return ivrsm_diag_set_error(err, IVRSM_EINVAL, path, 0, 0, "", "invalid argument");
    char *data;
    size_t len;
    const ivrsm_mem *mem = ivrsm_mem_default();
    int rc = ivrsm_dom_read_path(path, &format, mem, &data, &len, err);
    if (rc)
        return rc;
    rc = ivrsm_document_load_buffer(data, len, format, path, out, err);
    ivrsm_mem_free(mem, data);
    return rc;
}

void ivrsm_document_free(ivrsm_document *doc)
{
    ivrsm_dom_free((dom_doc *)doc);
}

const ivrsm_node *ivrsm_document_root(const ivrsm_document *doc)
{
    return doc ? pub(((const dom_doc *)doc)->root) : NULL;
}

ivrsm_node_kind ivrsm_node_type(const ivrsm_node *n)
{
    return n ? (ivrsm_node_kind)node(n)->kind : IVRSM_NODE_NULL;
}

int ivrsm_node_line(const ivrsm_node *n)
{
    return n ? node(n)->line : 0;
}

int ivrsm_node_column(const ivrsm_node *n)
{
    return n ? node(n)->column : 0;
}

size_t ivrsm_node_size(const ivrsm_node *n)
{
    const dom_node *d = node(n);
    return d && (d->kind == DOM_MAP || d->kind == DOM_LIST) ? d->count : 0;
}

const ivrsm_node *ivrsm_node_item(const ivrsm_node *list, size_t i)
{
    const dom_node *d = node(list);
    return d && d->kind == DOM_LIST && i < d->count ? pub(d->items[i]) : NULL;
}

const char *ivrsm_node_key(const ivrsm_node *map, size_t i, int *line, int *column)
{
    const dom_node *d = node(map);
    if (!d || d->kind != DOM_MAP || i >= d->count)
        return NULL;
    if (line)
        *line = d->pairs[i].line;
    if (column)
        *column = d->pairs[i].column;
    return d->pairs[i].key;
}

const ivrsm_node *ivrsm_node_value(const ivrsm_node *map, size_t i)
{
    const dom_node *d = node(map);
    return d && d->kind == DOM_MAP && i < d->count ? pub(d->pairs[i].value) : NULL;
}

const ivrsm_node *ivrsm_node_get(const ivrsm_node *map, const char *key)
{
    return key ? pub(ivrsm_dom_get(node(map), key)) : NULL;
}

const char *ivrsm_node_text(const ivrsm_node *n)
{
    return n ? node(n)->text : NULL;
}

int ivrsm_node_bool(const ivrsm_node *n)
{
    return n && node(n)->kind == DOM_BOOL && node(n)->as.boolean;
}

int64_t ivrsm_node_int(const ivrsm_node *n)
{
    return n && node(n)->kind == DOM_INT ? node(n)->as.integer : 0;
}

double ivrsm_node_real(const ivrsm_node *n)
{
    if (n && node(n)->kind == DOM_REAL)
        return node(n)->as.real;
    return n && node(n)->kind == DOM_INT ? (double)node(n)->as.integer : 0.0;
}

char *ivrsm_node_json(const ivrsm_node *n)
{
    if (!n)
        return NULL;
    const dom_node *bad;
    /* A node does not know its document: the default allocator, as ivrsm.h says. */
    ivrsm_buf b = IVRSM_BUF_INIT(ivrsm_mem_default());
    if (ivrsm_dom_write_json(&b, node(n), 0, &bad) != 0) {
        ivrsm_buf_free(&b);
        return NULL;
    }
    return ivrsm_buf_give(&b);
}
