/*
 * A small read-only document tree: what the YAML and JSON readers produce and
 * what the compiler, the validator and the converter walk.
 *
 * Every node and every map key remembers its 1-based line and column, so any
 * later stage can point at the exact spot of a mistake. All memory belongs to
 * the document's arena: a document is freed in one call.
 *
 * YAML aliases are not copied: an alias points at the anchored node, so a
 * node may have several parents. Nodes are never modified after the reader
 * returns, which makes that sharing safe.
 */
#ifndef IVRSM_DOM_H
#define IVRSM_DOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "strmap.h"
#include "ivrsm/ivrsm.h"

typedef enum dom_kind {
    DOM_NULL = 0,
    DOM_BOOL,
    DOM_INT,
    DOM_REAL,
    DOM_STRING,
    DOM_MAP,
    DOM_LIST
} dom_kind;

/* How a scalar was written; the converter uses it to keep strings strings. */
typedef enum dom_style {
    DOM_STYLE_PLAIN = 0, /* plain YAML scalar, or any JSON scalar */
    DOM_STYLE_QUOTED,    /* single or double quoted */
    DOM_STYLE_BLOCK      /* YAML literal | or folded > */
} dom_style;

typedef struct dom_node dom_node;

typedef struct dom_pair {
    const char *key; /* NUL-terminated, never NULL */
    size_t key_len;
    int line; /* of the key */
    int column;
    dom_node *value;
} dom_pair;

struct dom_node {
    uint8_t kind;       /* dom_kind */
    unsigned style : 7; /* dom_style */
    /* 1 when no string value of this subtree holds "${" (the readers set it;
     * 0 means it may): ${globals...} resolution passes such a subtree by
     * without walking it. */
    unsigned no_refs : 1;
    uint16_t height; /* levels of maps/lists below this node (0 for a scalar) */
    uint32_t weight; /* nodes in this subtree, counting every alias expanded */
    size_t bytes;    /* text of the subtree (scalars and keys), every alias expanded */
    int line;        /* 1-based; 0 unknown */
    int column;
    /* Set on nodes that stand for a whole-scalar "${globals.X}" reference
     * (see globals.h): "X", e.g. "endpoints.verify_otp". NULL otherwise. */
    const char *ref;
    union {
        bool boolean;
        int64_t integer;
        double real;
    } as;
    /* DOM_STRING: the value (NUL-terminated, no NUL inside).
     * Other scalars: the text as written ("0x1F", "1.50", "~"), for messages
     * and for a faithful conversion. NULL for maps and lists. */
    const char *text;
    size_t len;
    size_t count;     /* DOM_MAP: pairs; DOM_LIST: items */
    dom_pair *pairs;  /* DOM_MAP, in document order */
    dom_node **items; /* DOM_LIST */
    /* DOM_MAP with more than DOM_INDEX_MIN pairs: key → pair index + 1, open
     * addressing (ivrsm_dom_index_map), so a lookup in a large map is O(1)
     * and no walk of the document is quadratic. NULL for small maps. */
    uint32_t *index;
};

/* Maps up to this size are searched by scanning; larger ones get an index. */
#define DOM_INDEX_MIN 8

typedef struct dom_doc {
    ivrsm_mem alloc;      /* the allocator of the document (a copy of the caller's) */
    const ivrsm_mem *mem; /* &alloc: what the arena, the readers and their scratch use */
    ivrsm_arena *arena;
    dom_node *root;    /* a DOM_MAP once the reader succeeded */
    const char *name;  /* file or buffer name, for messages */
    size_t node_count; /* with aliases expanded */
    size_t bytes;      /* text (scalars and keys) with aliases expanded: IVRSM_MAX_EXPANDED_BYTES */
    /* The text read (after a byte order mark), borrowed from the caller of
     * ivrsm_dom_load(): valid only while that buffer lives, which the load
     * and check pipelines guarantee until they free the document. For
     * positions inside scalars (ivrsm_dom_scalar_pos). NULL when unknown. */
    const char *source;
    size_t source_len;
} dom_doc;

/*
 * Read a document and build its tree.
 *
 * data/len: the document; need not be NUL-terminated; not retained.
 * format:   IVRSM_FORMAT_AUTO picks JSON when the first non-blank byte is '{'.
 * name:     used in messages; NULL means "<buffer>".
 *
 * Refuses, with a position whenever one applies: an empty document, a root
 * that is not a map, invalid UTF-8 or a NUL byte (IVRSM_ESYNTAX), malformed
 * YAML or JSON, a duplicate key, an unsupported YAML tag, a second YAML
 * document (IVRSM_ESYNTAX), and anything past the IVRSM_MAX_* bounds
 * (IVRSM_ELIMIT). Returns 0 and *out, or the error code with *err filled
 * (err may be NULL). IVRSM_ENOMEM when memory runs out.
 */
int ivrsm_dom_load(const char *data, size_t len, ivrsm_format format, const char *name,
                   const ivrsm_mem *mem, dom_doc **out, ivrsm_error *err);

/*
 * ivrsm_dom_load() for a document of any kind whose root is a map (a
 * scenario, a file of one's own): the same checks, bounds and errors, with
 * messages that do not speak of machines.
 */
int ivrsm_dom_load_map(const char *data, size_t len, ivrsm_format format, const char *name,
                       const ivrsm_mem *mem, dom_doc **out, ivrsm_error *err);

/*
 * Read a whole file into a buffer allocated with mem (NUL-terminated; *len
 * excludes the NUL). Refuses files over IVRSM_MAX_DOCUMENT_BYTES
 * (IVRSM_ELIMIT) and unreadable ones (IVRSM_EIO); err may be NULL.
 */
int ivrsm_dom_read_file(const char *path, const ivrsm_mem *mem, char **data, size_t *len,
                        ivrsm_error *err);

/*
 * ivrsm_dom_read_file(), and *format told by the path when it is
 * IVRSM_FORMAT_AUTO: how every *_file() function of the API begins.
 * IVRSM_EINVAL for a NULL path or a format out of range.
 */
int ivrsm_dom_read_path(const char *path, ivrsm_format *format, const ivrsm_mem *mem, char **data,
                        size_t *len, ivrsm_error *err);

/* IVRSM_FORMAT_JSON for a path ending in ".json" (any case), else YAML. */
ivrsm_format ivrsm_dom_format_for_path(const char *path);

void ivrsm_dom_free(dom_doc *doc);

/*
 * Write a document as JSON or YAML (convert.c): in *out, a NUL-terminated
 * text for the API's caller (ivrsm_free(); from the document's allocator).
 * IVRSM_EINVAL for a number JSON cannot hold (.inf, .nan), IVRSM_ENOMEM.
 */
int ivrsm_convert_dom(const dom_doc *doc, ivrsm_format to, char **out, ivrsm_error *err);

/* ivrsm_dom_get_pairn() in a map with an index (more than DOM_INDEX_MIN pairs). */
const dom_pair *ivrsm_dom_get_pair_indexed(const dom_node *map, const char *key, size_t len);

/* The pair of key[0..len) in `map`, or NULL (also NULL when map is not a map). Inline: the
 * compiler looks up thousands of keys a load, mostly in small maps, scanned here with the
 * key's length and first byte known where the key is written in the code. */
static inline const dom_pair *ivrsm_dom_get_pairn(const dom_node *map, const char *key, size_t len)
{
    if (!map || map->kind != DOM_MAP)
        return NULL;
    if (map->index)
        return ivrsm_dom_get_pair_indexed(map, key, len);
    /* A key's first byte tells most of the others apart without a call (keys may be empty). */
    for (size_t i = 0; i < map->count; i++)
        if (map->pairs[i].key_len == len && (!len || map->pairs[i].key[0] == key[0]) &&
            !memcmp(map->pairs[i].key, key, len))
            return &map->pairs[i];
    return NULL;
}

/* The pair of `key` in `map`, or NULL. Inline: a key written in the code has its length
 * known when compiled (most lookups are of such keys). */
static inline const dom_pair *ivrsm_dom_get_pair(const dom_node *map, const char *key)
{
    return ivrsm_dom_get_pairn(map, key, strlen(key));
}

/* The value under `key` in map `map`, or NULL (also NULL when map is not a map). */
static inline dom_node *ivrsm_dom_get(const dom_node *map, const char *key)
{
    const dom_pair *p = ivrsm_dom_get_pair(map, key);
    return p ? p->value : NULL;
}

/* "a string", "an integer", "a number", "a boolean", "null", "a map", "a list". */
const char *ivrsm_dom_kind_article(dom_kind kind);

/* JSON of a subtree (document.c, json_write.c). */
/*
 * Convert a dom subtree to JSON, object keys in document order. Returns a
 * new reference, or NULL: *bad then names the value JSON cannot hold (.inf
 * and .nan; a string, or a map with a key, that is not UTF-8 or holds a NUL),
 * or is NULL when memory ran out.
 */
json_t *ivrsm_dom_to_json(const dom_node *n, const dom_node **bad);
/* Why `bad` (from ivrsm_dom_to_json) cannot be JSON: "only finite numbers can"... */
const char *ivrsm_dom_json_refusal(const dom_node *bad);

/*
 * Append the subtree as JSON text to b (json_write.c): keys in document
 * order, numbers as written wherever JSON reads that text ("12.50" stays
 * 12.50), others from their value. indent 0 writes compact JSON, else each
 * item on its own line indented by `indent` spaces a level (jansson's
 * JSON_INDENT layout). Returns 0; IVRSM_EINVAL with *bad naming what JSON
 * cannot hold (as ivrsm_dom_to_json); IVRSM_ENOMEM.
 */
struct ivrsm_buf;
int ivrsm_dom_write_json(struct ivrsm_buf *b, const dom_node *n, int indent, const dom_node **bad);

/* --- Building trees (used by the readers, and by globals resolution) ------ */

/* Whether s[0..len) holds "${" (a ${globals...} reference may start there). */
bool ivrsm_dom_text_has_ref(const char *s, size_t len);

/* A new zeroed node of `kind` at line/column, weight 1; NULL on no memory. */
dom_node *ivrsm_dom_new_node(dom_doc *doc, dom_kind kind, int line, int column);
/* A string node holding a copy of s[0..len). */
dom_node *ivrsm_dom_new_string(dom_doc *doc, const char *s, size_t len, int line, int column);
/* A shallow copy of `node` placed at line/column (children are shared). */
dom_node *ivrsm_dom_clone_at(dom_doc *doc, const dom_node *node, int line, int column);
/*
 * Give a finished map (unique keys, pairs final) its key index when it has
 * more than DOM_INDEX_MIN pairs. Returns 0, or -1 on no memory.
 */
int ivrsm_dom_index_map(dom_doc *doc, dom_node *map);

/*
 * ivrsm_dom_index_map() for a map whose keys are not known to be unique (a
 * reader's, in one pass): 0 when they are (the index made), 1 when pairs
 * *first and *second (1-based, *first the earlier) have the same key, -1 on
 * no memory.
 */
int ivrsm_dom_finish_map(dom_doc *doc, dom_node *map, size_t *first, size_t *second);

/*
 * Create an empty document (arena and name) for a reader to fill, its memory
 * from mem (copied). NULL on no memory.
 */
dom_doc *ivrsm_dom_doc_new(const char *name, const ivrsm_mem *mem);

/*
 * Where the character at byte `offset` of string node `n`'s value was
 * written in doc->source (1-based line, column in characters), seen
 * through quotes, escapes, folding and block indentation; an offset on a
 * blank or at the end gives the place just after the character before it.
 * Returns 0, or -1 when the source is unknown or does not spell the value
 * (a ${globals} reference substituted inside it): then use the node's own
 * position. scalar_pos.c.
 */
int ivrsm_dom_scalar_pos(const dom_doc *doc, const dom_node *n, size_t offset, int *line,
                         int *column);

/* The two readers behind ivrsm_dom_load(); `data` is checked UTF-8 without a BOM. */
int ivrsm_dom_load_yaml(const char *data, size_t len, dom_doc *doc, ivrsm_error *err);
int ivrsm_dom_load_json(const char *data, size_t len, dom_doc *doc, ivrsm_error *err);

#endif
