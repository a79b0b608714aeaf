/*
 * A request's path, query and headers worked out at load as pieces
 * (m_req_piece): the path split at its {name} parameters, each parameter's
 * `path:` value found once; a query's keys URL-encoded once with their "&"
 * and "="; each header's name with its length. Building a request then
 * copies the pieces' texts and writes only the values (runtime/action.c),
 * where it searched the path for braces and the parameters by name, and
 * encoded the keys, at every request.
 */
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "compile.h"
#include "strmap.h"

/* The `path:` entries by name: a map when there are many (a load stays linear in them), else
 * a scan of the few. */
typedef struct params {
    const m_kvlist *list;
    ivrsm_strmap by_name;
} params;

#define PARAMS_SCANNED 8

static int params_index(params *p, const m_kvlist *l, const ivrsm_mem *mem)
{
    p->list = l;
    p->by_name = (ivrsm_strmap)IVRSM_STRMAP_INIT(mem);
    if (l->count <= PARAMS_SCANNED)
        return 0;
    if (ivrsm_strmap_reserve(&p->by_name, l->count) != 0)
        return -1;
    for (size_t i = 0; i < l->count; i++) /* the first of a name stays */
        if (ivrsm_strmap_put(&p->by_name, l->items[i].key, strlen(l->items[i].key),
                             (void *)&l->items[i], NULL) < 0)
            return -1;
    return 0;
}

/* The `path:` entry named name[0..len), the first of that name, or NULL. */
static const m_kv *find_param(const params *p, const char *name, size_t len)
{
    const m_kvlist *l = p->list;
    if (l->count > PARAMS_SCANNED)
        return ivrsm_strmap_get(&p->by_name, name, len);
    for (size_t i = 0; i < l->count; i++)
        if (strlen(l->items[i].key) == len && !memcmp(l->items[i].key, name, len))
            return &l->items[i];
    return NULL;
}

/* Pieces of the path as the runtime read it before: the text up to a '{' that a '}' closes
 * later, then the parameter between them; text with no such pair is written as it is. The
 * pieces' texts point into a->path. Returns the count, written from out[0]. */
static size_t path_pieces(const m_action *a, const params *given, m_req_piece *out)
{
    size_t n = 0;
    const char *p = a->path;
    while (*p) {
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            out[n++] = (m_req_piece){p, strlen(p), NULL, false};
            break;
        }
        const m_kv *kv = find_param(given, open + 1, (size_t)(close - open - 1));
        out[n++] = (m_req_piece){p, (size_t)(open - p), kv ? &kv->value : NULL, !kv};
        p = close + 1;
    }
    return n;
}

/* Parameters a path can hold: each one takes a '{' and a '}'. */
static size_t path_piece_bound(const char *path)
{
    size_t braces = 1;
    for (const char *p = path; *p; p++)
        braces += *p == '{';
    return braces;
}

/* Query entry i's "&key=" (no "&" for the first), encoded, in the machine's arena. */
static bool query_piece(cc *c, const m_action *a, size_t i, m_req_piece *out)
{
    const char *key = a->query.items[i].key;
    char stack[256];
    ivrsm_buf b;
    ivrsm_buf_on(&b, c->m->mem, stack, sizeof(stack));
    if (i)
        ivrsm_buf_putc(&b, '&');
    ivrsm_buf_url_encode(&b, key, strlen(key));
    ivrsm_buf_putc(&b, '=');
    char *text = b.failed ? NULL : ivrsm_arena_strndup(c->arena, ivrsm_buf_str(&b), b.len);
    *out = (m_req_piece){text, b.len, &a->query.items[i].value, false};
    ivrsm_buf_free(&b);
    return text != NULL;
}

bool ivrsm_cc_request_program(cc *c, m_action *a)
{
    size_t bound = path_piece_bound(a->path) + a->query.count + a->headers.count;
    m_req_piece *pieces = ivrsm_arena_alloc(c->arena, bound * sizeof(*pieces));
    if (!pieces) {
        ivrsm_cc_nomem(c);
        return false;
    }
    params given;
    if (params_index(&given, &a->path_params, c->m->mem) != 0) {
        ivrsm_strmap_free(&given.by_name);
        ivrsm_cc_nomem(c);
        return false;
    }
    size_t n = path_pieces(a, &given, pieces);
    ivrsm_strmap_free(&given.by_name);
    a->path_piece_count = n;
    for (size_t i = 0; i < a->query.count; i++)
        if (!query_piece(c, a, i, &pieces[n++])) {
            ivrsm_cc_nomem(c);
            return false;
        }
    a->query_piece_count = a->query.count;
    for (size_t i = 0; i < a->headers.count; i++) {
        const m_kv *h = &a->headers.items[i];
        pieces[n++] = (m_req_piece){h->key, strlen(h->key), &h->value, false};
    }
    a->pieces = pieces;
    return true;
}
