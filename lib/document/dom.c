/*
 * The document tree: nodes built by the readers, looked up by the compiler.
 */
#include "dom.h"
#include "mem.h"

#include <string.h>

#include "strmap.h"

dom_doc *ivrsm_dom_doc_new(const char *name, const ivrsm_mem *mem)
{
    dom_doc *doc = ivrsm_mem_calloc(mem, 1, sizeof(*doc));
    if (!doc)
        return NULL;
    doc->alloc = *mem;
    doc->mem = &doc->alloc;
    doc->arena = ivrsm_arena_new(doc->mem);
    if (!doc->arena) {
        ivrsm_mem_free(mem, doc);
        return NULL;
    }
    doc->name = ivrsm_arena_strdup(doc->arena, name ? name : "<buffer>");
    if (!doc->name) {
        ivrsm_dom_free(doc);
        return NULL;
    }
    return doc;
}

void ivrsm_dom_free(dom_doc *doc)
{
    if (!doc)
        return;
    ivrsm_arena_free(doc->arena);
    ivrsm_mem_free(doc->mem, doc);
}

bool ivrsm_dom_text_has_ref(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        const char *dollar = memchr(s + i, '$', len - 1 - i);
        if (!dollar)
            return false;
        i = (size_t)(dollar - s);
        if (s[i + 1] == '{')
            return true;
    }
    return false;
}

dom_node *ivrsm_dom_new_node(dom_doc *doc, dom_kind kind, int line, int column)
{
    /* Zeroed here: at this fixed size the compiler writes the zeros inline (a memset call
     * per node showed in profiles). */
    dom_node *n = ivrsm_arena_alloc_raw(doc->arena, sizeof(*n));
    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->kind = (uint8_t)kind;
    n->weight = 1;
    n->line = line;
    n->column = column;
    return n;
}

dom_node *ivrsm_dom_new_string(dom_doc *doc, const char *s, size_t len, int line, int column)
{
    dom_node *n = ivrsm_dom_new_node(doc, DOM_STRING, line, column);
    if (!n)
        return NULL;
    char *copy = ivrsm_arena_strndup(doc->arena, s, len);
    if (!copy)
        return NULL;
    n->text = copy;
    n->len = len;
    return n;
}

dom_node *ivrsm_dom_clone_at(dom_doc *doc, const dom_node *node, int line, int column)
{
    dom_node *n = ivrsm_arena_alloc_raw(doc->arena, sizeof(*n)); /* copied whole below */
    if (!n)
        return NULL;
    *n = *node;
    n->line = line;
    n->column = column;
    return n;
}

/* Slots of a map's index: a power of two at least twice the pairs (load under 1/2). */
static size_t index_capacity(size_t count)
{
    size_t cap = 16;
    while (cap < count * 2)
        cap *= 2;
    return cap;
}

int ivrsm_dom_index_map(dom_doc *doc, dom_node *map)
{
    map->index = NULL;
    if (map->kind != DOM_MAP || map->count <= DOM_INDEX_MIN)
        return 0;
    size_t cap = index_capacity(map->count);
    uint32_t *slots = ivrsm_arena_alloc(doc->arena, cap * sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->count; i++) {
        size_t s = ivrsm_hash(map->pairs[i].key, map->pairs[i].key_len) & (cap - 1);
        while (slots[s])
            s = (s + 1) & (cap - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    map->index = slots;
    return 0;
}

int ivrsm_dom_finish_map(dom_doc *doc, dom_node *map, size_t *first, size_t *second)
{
    *first = *second = 0;
    map->index = NULL;
    if (map->count <= DOM_INDEX_MIN) {
        for (size_t i = 1; i < map->count; i++)
            for (size_t j = 0; j < i; j++)
                if (map->pairs[i].key_len == map->pairs[j].key_len &&
                    !memcmp(map->pairs[i].key, map->pairs[j].key, map->pairs[i].key_len)) {
                    *first = j + 1;
                    *second = i + 1;
                    return 1;
                }
        return 0;
    }
    size_t cap = index_capacity(map->count);
    uint32_t *slots = ivrsm_arena_alloc(doc->arena, cap * sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < map->count; i++) {
        const dom_pair *p = &map->pairs[i];
        size_t s = ivrsm_hash(p->key, p->key_len) & (cap - 1);
        for (; slots[s]; s = (s + 1) & (cap - 1)) {
            const dom_pair *q = &map->pairs[slots[s] - 1];
            if (q->key_len == p->key_len && !memcmp(q->key, p->key, p->key_len)) {
                *first = slots[s];
                *second = i + 1;
                return 1;
            }
        }
        slots[s] = (uint32_t)(i + 1);
    }
    map->index = slots;
    return 0;
}

const dom_pair *ivrsm_dom_get_pair_indexed(const dom_node *map, const char *key, size_t len)
{
    size_t mask = index_capacity(map->count) - 1;
    for (size_t s = ivrsm_hash(key, len) & mask; map->index[s]; s = (s + 1) & mask) {
        const dom_pair *p = &map->pairs[map->index[s] - 1];
        if (p->key_len == len && !memcmp(p->key, key, len))
            return p;
    }
    return NULL;
}

const char *ivrsm_dom_kind_article(dom_kind kind)
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
