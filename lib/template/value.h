/*
 * Values as templates read them (value.c): a jansson value (literals,
 * globals, an answer) or a node of a value store, the session's compact
 * storage of its ctx.
 *
 * A value store is one block of bytes holding a tree of JSON values: nodes
 * found by their offset, objects with their members in insertion order and
 * room for more, strings and keys inline. jansson gives every value, key and
 * member table an allocation of its own (42 blocks, 2,993 bytes for a
 * logged-in caller's ctx of 258 bytes of JSON); a store holds the same ctx in
 * one block of a few hundred bytes, and a `set:` appends to it instead of
 * allocating (docs/architecture.md, "Where ctx lives").
 *
 * Writing appends: a value is put first (ivrsm_vstore_put_*), then set
 * under a key (ivrsm_vstore_set). What a write replaces stays in the block
 * as garbage until ivrsm_vstore_compact() moves the live tree to the block's
 * start. Offsets stay valid when the block moves (it grows by realloc).
 */
#ifndef IVRSM_VALUE_H
#define IVRSM_VALUE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"

#define IVRSM_VSTORE_NONE UINT32_MAX

typedef struct ivrsm_vstore {
    const ivrsm_mem *mem;
    uint8_t *data;
    uint32_t len, cap;
    /* The root object, or IVRSM_VSTORE_NONE before ivrsm_vstore_init(). Made another node only
     * by ivrsm_vstore_set_root() (or this file's functions), which keeps root_keys. */
    uint32_t root;
    uint32_t garbage; /* bytes of len no longer reachable from root */
    /*
     * A summary of the root's keys: one bit of 64 for each key it has held since it became
     * the root (value.c, key_bit()). A key whose bit is clear is none of its members, so a
     * write of a new key, the usual `set:`, adds the member without scanning the others. Bits
     * are never cleared (a removed key's stays): a set bit proves nothing, and costs the scan.
     */
    uint64_t root_keys;
} ivrsm_vstore;

/* A value: j (jansson), or node `at` of store st; both NULL: missing. Borrowed. */
typedef struct ivrsm_val {
    const json_t *j;
    const ivrsm_vstore *st;
    uint32_t at;
} ivrsm_val;

static inline ivrsm_val ivrsm_val_of(const json_t *j)
{
    ivrsm_val v = {j, NULL, 0};
    return v;
}

static inline bool ivrsm_val_missing(ivrsm_val v)
{
    return !v.j && !v.st;
}

/*
 * Whether a[0..len) and b[0..len) are the same bytes: memcmp's verdict, inline for the lengths
 * of keys (a member lookup compares the key it finds, an answer's reader each member's key with
 * the ones its state reads): from 4 bytes to 16, two words of 4 or 8 bytes that overlap, read
 * only within [0, len) of both.
 */
static inline bool ivrsm_same_bytes(const void *a, const void *b, size_t len)
{
    const unsigned char *x = a, *y = b;
    if (len >= 8 && len <= 16) {
        uint64_t p, q, u, v;
        memcpy(&p, x, 8);
        memcpy(&q, y, 8);
        memcpy(&u, x + len - 8, 8);
        memcpy(&v, y + len - 8, 8);
        return ((p ^ q) | (u ^ v)) == 0;
    }
    if (len >= 4 && len < 8) {
        uint32_t p, q, u, v;
        memcpy(&p, x, 4);
        memcpy(&q, y, 4);
        memcpy(&u, x + len - 4, 4);
        memcpy(&v, y + len - 4, 4);
        return ((p ^ q) | (u ^ v)) == 0;
    }
    if (len < 4) {
        for (size_t i = 0; i < len; i++)
            if (x[i] != y[i])
                return false;
        return true;
    }
    return !memcmp(x, y, len);
}

/* The JSON type of a value that is not missing. */
json_type ivrsm_val_type(ivrsm_val v);
json_int_t ivrsm_val_int(ivrsm_val v);
/* A real's value; 0 for any other type. */
double ivrsm_val_real(ivrsm_val v);
/* An integer's or a real's value as a double; 0 for any other type. */
double ivrsm_val_number(ivrsm_val v);
/* A string's bytes (NUL-terminated) and length; NULL for any other type. */
const char *ivrsm_val_str(ivrsm_val v, size_t *len);
/* Items of an array, members of an object; 0 for any other type. */
size_t ivrsm_val_size(ivrsm_val v);
/* Member key[0..len) of an object (missing when there is none, or v is no object). */
ivrsm_val ivrsm_val_getn(ivrsm_val v, const char *key, size_t len);
/* The same for a NUL-terminated key (json_object_get's reading: its length, then getn); inline,
 * so that a literal key's length is known when compiled. */
static inline ivrsm_val ivrsm_val_get(ivrsm_val v, const char *key)
{
    ivrsm_val none = {NULL, NULL, 0};
    return key ? ivrsm_val_getn(v, key, strlen(key)) : none;
}
/*
 * Where a lookup found its member last: the member's place in its object, tried first by the
 * next lookup from the same place in a machine (a template's path segment, a `set:` key), then
 * the scan. Objects built from the same machine's writes and the same backend's answers put
 * their members in the same order, so the first try is usually the member; it is always
 * checked (its key compared), so a hint that is wrong, stale or torn costs the scan and never
 * changes a result: keys are unique in an object (answers' repeated keys are merged as
 * jansson merges them). The sessions of a machine share its hints across threads: they are
 * read and written with relaxed atomics, and any value is valid (0 at load).
 */
typedef uint32_t ivrsm_member_hint;
/* ivrsm_val_getn(), trying the member `*hint` names first and noting where it found it. */
ivrsm_val ivrsm_val_getn_hinted(ivrsm_val v, const char *key, size_t len, ivrsm_member_hint *hint);
/* The same for node obj of store st: the member's node, or IVRSM_VSTORE_NONE (missing, or obj
 * is no object). */
uint32_t ivrsm_vstore_member(const ivrsm_vstore *st, uint32_t obj, const char *key, size_t len,
                             ivrsm_member_hint *hint);
/* Item i of an array (missing past its end, or when v is no array). */
ivrsm_val ivrsm_val_at(ivrsm_val v, size_t i);
/* Member i of an object in insertion order, its key in *key and *key_len. */
ivrsm_val ivrsm_val_member(ivrsm_val v, size_t i, const char **key, size_t *key_len);
/* How many levels of objects and arrays v nests (a scalar 0, {} and [] 1, [[1]] 2), counted no
 * further than limit + 1: a value deeper than `limit` gives limit + 1. */
int ivrsm_val_depth(ivrsm_val v, int limit);
/* json_equal()'s equality (objects regardless of member order); missing equals nothing. */
bool ivrsm_val_equal(ivrsm_val a, ivrsm_val b);
/* A store real's text as it was written ("12.50"), or NULL. */
const char *ivrsm_val_numtext(ivrsm_val v);
/* The value as jansson's (new reference: a copy of a store's node), NULL when out of memory or
 * missing. */
json_t *ivrsm_val_json(ivrsm_val v);

/* An empty store on mem (no block yet). */
void ivrsm_vstore_on(ivrsm_vstore *st, const ivrsm_mem *mem);
void ivrsm_vstore_free(ivrsm_vstore *st);
/*
 * A store whose block starts in the struct's own storage (on the caller's
 * stack) and moves to `heap` only when it outgrows it: for values that live
 * during one call, as an action's answer while its outcome is taken. Free it
 * with ivrsm_vstore_free(); it must not move (its store points into it).
 */
#define IVRSM_VSTORE_SCRATCH 2048
typedef struct ivrsm_vstore_scratch {
    ivrsm_vstore st;
    ivrsm_mem mem; /* heap's functions, that never free or reallocate `storage` */
    const ivrsm_mem *heap;
    uint8_t storage[IVRSM_VSTORE_SCRATCH];
} ivrsm_vstore_scratch;
void ivrsm_vstore_scratch_on(ivrsm_vstore_scratch *sc, const ivrsm_mem *heap);
/* Make node `at` (an object put before, or IVRSM_VSTORE_NONE) the root, its keys summarised. */
void ivrsm_vstore_set_root(ivrsm_vstore *st, uint32_t at);
/* Make the root an empty object (with room for four members). 0 or IVRSM_ENOMEM. */
int ivrsm_vstore_init(ivrsm_vstore *st);
/* The same with room for `room` members (four at least): the keys the store's writer knows it
 * will add, so that the root does not move as they come. */
int ivrsm_vstore_init_room(ivrsm_vstore *st, uint32_t room);
/* The root object (inline: every ctx.* path starts here). */
static inline ivrsm_val ivrsm_vstore_root(const ivrsm_vstore *st)
{
    ivrsm_val v = {NULL, NULL, 0};
    if (st->root != IVRSM_VSTORE_NONE) {
        v.st = st;
        v.at = st->root;
    }
    return v;
}
/* Node `at` (IVRSM_VSTORE_NONE: missing); inline as ivrsm_vstore_root(). */
static inline ivrsm_val ivrsm_vstore_at(const ivrsm_vstore *st, uint32_t at)
{
    ivrsm_val v = {NULL, NULL, 0};
    if (at != IVRSM_VSTORE_NONE) {
        v.st = st;
        v.at = at;
    }
    return v;
}
/* Bytes the store holds. */
size_t ivrsm_vstore_memory(const ivrsm_vstore *st);

/*
 * The number text of a jansson real being put into a store, or NULL: the
 * caller's texts (the session's and the machine's numbers said as written).
 */
typedef const char *(*ivrsm_vstore_text_fn)(void *user, const json_t *real);

/*
 * Put a value at the end of the block, unlinked; *at receives its node. A
 * jansson value's reals take their texts from `text` (may be NULL), a store's
 * (st's own included) keep theirs. 0 or IVRSM_ENOMEM (nothing put).
 */
int ivrsm_vstore_put_json(ivrsm_vstore *st, const json_t *j, ivrsm_vstore_text_fn text, void *user,
                          uint32_t *at);
int ivrsm_vstore_put_val(ivrsm_vstore *st, ivrsm_val v, ivrsm_vstore_text_fn text, void *user,
                         uint32_t *at);
int ivrsm_vstore_put_string(ivrsm_vstore *st, const char *s, size_t len, uint32_t *at);
/* Scalars: an integer, a real with its text as written (may be NULL), true, false or null. */
int ivrsm_vstore_put_integer(ivrsm_vstore *st, int64_t v, uint32_t *at);
int ivrsm_vstore_put_real(ivrsm_vstore *st, double v, const char *text, uint32_t *at);
int ivrsm_vstore_put_word(ivrsm_vstore *st, json_type type, uint32_t *at);
/* A key, for ivrsm_vstore_put_members(); its bytes read back with ivrsm_vstore_key(). */
int ivrsm_vstore_put_key(ivrsm_vstore *st, const char *key, size_t len, uint32_t *at);
const char *ivrsm_vstore_key(const ivrsm_vstore *st, uint32_t key, size_t *len);
/* An object of n members: pairs[2i] a key node, pairs[2i + 1] its value's node. */
int ivrsm_vstore_put_members(ivrsm_vstore *st, const uint32_t *pairs, size_t n, uint32_t *at);
/* An object of n members (keys, then the nodes put before), or an array of n items. */
int ivrsm_vstore_put_object(ivrsm_vstore *st, const char *const *keys, const uint32_t *items,
                            size_t n, uint32_t *at);
int ivrsm_vstore_put_array(ivrsm_vstore *st, const uint32_t *items, size_t n, uint32_t *at);

/*
 * ctx.<dotted key> = node `at` (put before): objects on the way are made
 * where missing and replace a value that is not an object; a member already
 * there is replaced, a new one added last. 0, IVRSM_EINVAL when a part
 * before the last is empty or longer than part_max bytes, or IVRSM_ENOMEM;
 * then nothing changed but empty objects made on the way, and `at` is not
 * linked (ivrsm_vstore_drop() it).
 */
int ivrsm_vstore_set(ivrsm_vstore *st, const char *key, size_t part_max, uint32_t at);
/* The same, the member of the key's last part looked for first where `*hint` says (value.h's
 * ivrsm_member_hint; NULL: none). */
int ivrsm_vstore_set_hinted(ivrsm_vstore *st, const char *key, size_t part_max, uint32_t at,
                            ivrsm_member_hint *hint);
/* ivrsm_vstore_set_hinted() of key[0..len), a key without a dot: the member of the root. */
int ivrsm_vstore_set_member_hinted(ivrsm_vstore *st, const char *key, size_t len, uint32_t at,
                                   ivrsm_member_hint *hint);
/* Node `at`, put but not linked, is not wanted after all. */
void ivrsm_vstore_drop(ivrsm_vstore *st, uint32_t at);
/* Remove ctx.<dotted key> when it is there (objects on the way are kept). */
void ivrsm_vstore_remove(ivrsm_vstore *st, const char *key);
/* Forget what was put after `len` (a write that failed half-way). */
void ivrsm_vstore_truncate(ivrsm_vstore *st, uint32_t len);

/*
 * Move the live tree to the block's start, leaving no garbage (in place: no
 * allocation unless the live tree passes 2 KB); an object keeps up to two of
 * its free member slots and a quarter of its count, so that the next new keys do not move it.
 * Nothing changes when memory runs out.
 */
void ivrsm_vstore_compact(ivrsm_vstore *st);
/*
 * The same, moving also the `n` trees at keep[] (put, not linked: an answer restored into the
 * block) after the live tree; keep[i] is updated to where its tree went (IVRSM_VSTORE_NONE
 * entries are left alone). Nothing changes when memory runs out.
 */
void ivrsm_vstore_compact_keeping(ivrsm_vstore *st, uint32_t *keep, size_t n);
/* Give back the block's room past its end but `room` bytes (nothing when memory runs out). */
void ivrsm_vstore_shrink(ivrsm_vstore *st, size_t room);

#endif
