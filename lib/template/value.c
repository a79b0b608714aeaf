/*
 * Values of templates (jansson's or a store's) and the value store: see
 * value.h. The store's nodes, at any byte offset (read and written with
 * memcpy, so no alignment is needed):
 *
 *   string   tag, u32 length, bytes, NUL
 *   integer  tag, i64
 *   real     tag, f64, u8 length of its text as written (0: none), the text and a NUL
 *   true, false, null   tag
 *   array    tag, u32 count, u32 item nodes[count]
 *   object   tag, u32 count, u32 room, (u32 key, u32 value)[room]
 *   key      u32 length, bytes, NUL (no tag: only objects point at keys)
 *
 * Every node is referenced once (a put copies), so what a write replaces is
 * counted as garbage exactly, and compaction knows when it pays.
 */
#include "value.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "ivrsm/ivrsm.h"

#define STORE_MAX (UINT32_MAX / 4) /* a bound far above any ctx (bodies are 1 MB at most) */
#define OBJECT_ROOM 4              /* members an object made by a write has room for */
/* Free member slots an object keeps through compaction (of those it had), COMPACT_ROOM and a
 * quarter of its members: without them, the next new key of a tight object moves it whole, and
 * that garbage brings the next compaction. */
#define COMPACT_ROOM 2
/* A block's first size: a new session's ctx (its call and session ids, its language, ~130 bytes
 * for the seed) and its first writes, without growing at once. */
#define STORE_FIRST 160
#define OBJECT_HEAD 9
#define ARRAY_HEAD 5

/* ---------------------------------------------------------------- bytes */

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static const uint8_t *node(const ivrsm_vstore *st, uint32_t at)
{
    return st->data + at;
}

/*
 * memcpy(dst, src, len) of up to 16 bytes (most keys and strings) without a call: two words that
 * overlap, both read before either is written, read and written only within [0, len).
 */
static inline void copy_short(uint8_t *dst, const void *src, size_t len)
{
    const uint8_t *s = src;
    if (len >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + len - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + len - 8, &b, 8);
    } else if (len >= 4 && len < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + len - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + len - 4, &b, 4);
    } else if (len) {
        uint8_t a = s[0], b = s[len / 2], c = s[len - 1];
        dst[0] = a;
        dst[len / 2] = b;
        dst[len - 1] = c;
    }
}

/* memmove(dst, src, len), copy_short() up to 16 bytes. */
static inline void copy_bytes(uint8_t *dst, const void *src, size_t len)
{
    if (len <= 16)
        copy_short(dst, src, len);
    else
        memmove(dst, src, len);
}

/*
 * Whether a put is the usual one: the room is there (SHORT_ROOM bytes past the end) and its text
 * is of up to 16 bytes. That one is written by the put itself, a leaf; any other (the block grown
 * first, a longer copy) by a call of its own: GCC saves registers for the whole of a function
 * that has a call on a path that goes on after it, and an answer's reader puts a node for every
 * key and value it keeps.
 */
#define SHORT_ROOM 32

static inline bool short_put(const ivrsm_vstore *st, size_t len)
{
    return len <= 16 && st->cap - st->len >= SHORT_ROOM;
}

/* The bytes of a node without items or members (a string, a number, true, false, null). */
static inline uint32_t leaf_size(const uint8_t *p)
{
    switch (p[0]) {
    case JSON_STRING:
        return 5 + rd32(p + 1) + 1;
    case JSON_INTEGER:
        return 9;
    case JSON_REAL:
        return 10 + (p[9] ? p[9] + 1u : 0u);
    default:
        return 1;
    }
}

/* The bytes of node `at` itself, its items and members excluded. */
static uint32_t self_size(const ivrsm_vstore *st, uint32_t at)
{
    const uint8_t *p = node(st, at);
    switch (p[0]) {
    case JSON_ARRAY:
        return ARRAY_HEAD + 4 * rd32(p + 1);
    case JSON_OBJECT:
        return OBJECT_HEAD + 8 * rd32(p + 5);
    default:
        return leaf_size(p);
    }
}

static uint32_t key_size(const ivrsm_vstore *st, uint32_t key)
{
    return 4 + rd32(node(st, key)) + 1;
}

/* The bytes of node `at` and all it reaches. */
static uint32_t tree_size(const ivrsm_vstore *st, uint32_t at)
{
    const uint8_t *p = node(st, at);
    uint32_t n = self_size(st, at);
    if (p[0] == JSON_ARRAY) {
        uint32_t count = rd32(p + 1);
        for (uint32_t i = 0; i < count; i++)
            n += tree_size(st, rd32(node(st, at) + ARRAY_HEAD + 4 * i));
    } else if (p[0] == JSON_OBJECT) {
        uint32_t count = rd32(p + 1);
        for (uint32_t i = 0; i < count; i++) {
            const uint8_t *slot = node(st, at) + OBJECT_HEAD + 8 * i;
            n += key_size(st, rd32(slot)) + tree_size(st, rd32(slot + 4));
        }
    }
    return n;
}

/* The block grown to hold `extra` more bytes; 0 or IVRSM_ENOMEM. A call of its own, so that
 * the puts' usual path (the room is there) saves no registers. */
__attribute__((noinline)) static int grow(ivrsm_vstore *st, size_t extra)
{
    /* A store without an allocator has fixed storage (compaction's copy aside). */
    if (!st->mem || extra > STORE_MAX || st->len + extra > STORE_MAX)
        return IVRSM_ENOMEM;
    size_t need = st->len + extra;
    size_t cap = st->cap + st->cap / 2;
    if (cap < need)
        cap = need;
    if (cap < STORE_FIRST)
        cap = STORE_FIRST;
    if (cap > STORE_MAX)
        cap = need;
    uint8_t *d = ivrsm_mem_realloc(st->mem, st->data, cap);
    if (!d)
        return IVRSM_ENOMEM;
    st->data = d;
    st->cap = (uint32_t)cap;
    return 0;
}

/* Room for `extra` more bytes at the end; 0 or IVRSM_ENOMEM. */
static inline int reserve(ivrsm_vstore *st, size_t extra)
{
    return extra <= st->cap - st->len ? 0 : grow(st, extra);
}

/* `size` bytes at the end, reserved before; their offset. */
static uint32_t take(ivrsm_vstore *st, size_t size)
{
    uint32_t at = st->len;
    st->len += (uint32_t)size;
    return at;
}

/* ---------------------------------------------------------------- reading */

json_type ivrsm_val_type(ivrsm_val v)
{
    if (v.j)
        return json_typeof(v.j);
    return (json_type)node(v.st, v.at)[0];
}

int ivrsm_val_depth(ivrsm_val v, int limit)
{
    if (ivrsm_val_missing(v))
        return 0;
    json_type type = ivrsm_val_type(v);
    if (type != JSON_OBJECT && type != JSON_ARRAY)
        return 0;
    if (limit <= 0)
        return 1; /* past the limit already: no need to look further down */
    int deepest = 0;
    size_t n = ivrsm_val_size(v);
    for (size_t i = 0; i < n && deepest < limit; i++) {
        const char *key;
        size_t key_len;
        ivrsm_val item =
            type == JSON_OBJECT ? ivrsm_val_member(v, i, &key, &key_len) : ivrsm_val_at(v, i);
        int d = ivrsm_val_depth(item, limit - 1);
        if (d > deepest)
            deepest = d;
    }
    return 1 + deepest;
}

json_int_t ivrsm_val_int(ivrsm_val v)
{
    if (v.j)
        return json_integer_value(v.j);
    if (!v.st || node(v.st, v.at)[0] != JSON_INTEGER)
        return 0;
    int64_t i;
    memcpy(&i, node(v.st, v.at) + 1, 8);
    return (json_int_t)i;
}

double ivrsm_val_real(ivrsm_val v)
{
    if (v.j)
        return json_real_value(v.j);
    if (!v.st || node(v.st, v.at)[0] != JSON_REAL)
        return 0;
    double d;
    memcpy(&d, node(v.st, v.at) + 1, 8);
    return d;
}

double ivrsm_val_number(ivrsm_val v)
{
    if (v.j)
        return json_number_value(v.j);
    if (!v.st)
        return 0;
    json_type t = ivrsm_val_type(v);
    return t == JSON_INTEGER ? (double)ivrsm_val_int(v) : ivrsm_val_real(v);
}

const char *ivrsm_val_str(ivrsm_val v, size_t *len)
{
    if (v.j) {
        *len = json_string_length(v.j);
        return json_string_value(v.j);
    }
    *len = 0;
    if (!v.st || node(v.st, v.at)[0] != JSON_STRING)
        return NULL;
    *len = rd32(node(v.st, v.at) + 1);
    return (const char *)node(v.st, v.at) + 5;
}

size_t ivrsm_val_size(ivrsm_val v)
{
    if (v.j)
        return json_is_object(v.j) ? json_object_size(v.j) : json_array_size(v.j);
    if (!v.st)
        return 0;
    const uint8_t *p = node(v.st, v.at);
    return p[0] == JSON_OBJECT || p[0] == JSON_ARRAY ? rd32(p + 1) : 0;
}

static ivrsm_val at_node(const ivrsm_vstore *st, uint32_t at)
{
    ivrsm_val v = {NULL, st, at};
    return v;
}

static const ivrsm_val missing = {NULL, NULL, 0};

/* Whether member i of object node p (of st) has the key key[0..len). */
static inline bool has_key(const ivrsm_vstore *st, const uint8_t *p, uint32_t i, const char *key,
                           size_t len)
{
    const uint8_t *k = node(st, rd32(p + OBJECT_HEAD + 8 * i));
    /* The first byte before the rest: most keys of the same length differ there. */
    return rd32(k) == len && (!len || k[4] == (uint8_t)key[0]) && ivrsm_same_bytes(k + 4, key, len);
}

/*
 * The bit of key[0..len) in a root's summary of its keys (ivrsm_vstore.root_keys): its length,
 * first, middle and last bytes mixed, the top 6 bits of the product. A machine's ctx keys
 * differ in one of these far more often than not; two keys that share a bit only cost a scan.
 */
static inline uint64_t key_bit(const char *key, size_t len)
{
    uint64_t h = len;
    if (len)
        h ^= (uint64_t)(uint8_t)key[0] << 8 ^ (uint64_t)(uint8_t)key[len / 2] << 16 ^
             (uint64_t)(uint8_t)key[len - 1] << 24;
    return 1ull << ((h * 0x9E3779B97F4A7C15ull) >> 58);
}

/* The place of member key[0..len) in object node p, or IVRSM_VSTORE_NONE: the scan. Never
 * inline: a hinted lookup's first try stays a leaf that saves no registers. */
__attribute__((noinline)) static uint32_t member_index(const ivrsm_vstore *st, const uint8_t *p,
                                                       const char *key, size_t len)
{
    uint32_t count = rd32(p + 1);
    for (uint32_t i = 0; i < count; i++)
        if (has_key(st, p, i, key, len))
            return i;
    return IVRSM_VSTORE_NONE;
}

/* member_index(), the place *hint names tried first, and noted there when the scan finds the
 * member elsewhere (value.h: any hint is safe, so relaxed atomics are enough). */
static inline uint32_t member_index_hinted(const ivrsm_vstore *st, const uint8_t *p,
                                           const char *key, size_t len, ivrsm_member_hint *hint)
{
    uint32_t i = __atomic_load_n(hint, __ATOMIC_RELAXED);
    if (i < rd32(p + 1) && has_key(st, p, i, key, len))
        return i;
    i = member_index(st, p, key, len);
    if (i != IVRSM_VSTORE_NONE)
        __atomic_store_n(hint, i, __ATOMIC_RELAXED);
    return i;
}

/* The node of member key[0..len) of node `obj`, or IVRSM_VSTORE_NONE (also when obj is no
 * object); hint may be NULL. */
static uint32_t find(const ivrsm_vstore *st, uint32_t obj, const char *key, size_t len,
                     ivrsm_member_hint *hint)
{
    const uint8_t *p = node(st, obj);
    if (p[0] != JSON_OBJECT)
        return IVRSM_VSTORE_NONE;
    uint32_t i = hint ? member_index_hinted(st, p, key, len, hint) : member_index(st, p, key, len);
    return i == IVRSM_VSTORE_NONE ? i : rd32(p + OBJECT_HEAD + 8 * i + 4);
}

static bool is_object(const ivrsm_vstore *st, uint32_t at)
{
    return at != IVRSM_VSTORE_NONE && node(st, at)[0] == JSON_OBJECT;
}

ivrsm_val ivrsm_val_getn(ivrsm_val v, const char *key, size_t len)
{
    if (v.j)
        return ivrsm_val_of(json_object_getn(v.j, key, len));
    if (!v.st)
        return missing;
    uint32_t at = find(v.st, v.at, key, len, NULL);
    return at == IVRSM_VSTORE_NONE ? missing : at_node(v.st, at);
}

/* The scan of ivrsm_vstore_member(), its hint then noted: a call of its own, so that the first
 * try stays a leaf that saves no registers. */
__attribute__((noinline)) static uint32_t member_scan(const ivrsm_vstore *st, const uint8_t *p,
                                                      const char *key, size_t len,
                                                      ivrsm_member_hint *hint)
{
    uint32_t i = member_index_hinted(st, p, key, len, hint);
    return i == IVRSM_VSTORE_NONE ? i : rd32(p + OBJECT_HEAD + 8 * i + 4);
}

uint32_t ivrsm_vstore_member(const ivrsm_vstore *st, uint32_t obj, const char *key, size_t len,
                             ivrsm_member_hint *hint)
{
    const uint8_t *p = node(st, obj);
    if (p[0] != JSON_OBJECT)
        return IVRSM_VSTORE_NONE;
    /* The first try written here for keys of up to 16 bytes (compared without memcmp): the
     * usual case, without a call. */
    uint32_t i = __atomic_load_n(hint, __ATOMIC_RELAXED);
    if (len <= 16 && i < rd32(p + 1) && has_key(st, p, i, key, len))
        return rd32(p + OBJECT_HEAD + 8 * i + 4);
    return member_scan(st, p, key, len, hint);
}

ivrsm_val ivrsm_val_getn_hinted(ivrsm_val v, const char *key, size_t len, ivrsm_member_hint *hint)
{
    if (v.j)
        return ivrsm_val_of(json_object_getn(v.j, key, len));
    if (!v.st)
        return missing;
    uint32_t at = ivrsm_vstore_member(v.st, v.at, key, len, hint);
    return at == IVRSM_VSTORE_NONE ? missing : at_node(v.st, at);
}

ivrsm_val ivrsm_val_at(ivrsm_val v, size_t i)
{
    if (v.j)
        return ivrsm_val_of(json_array_get(v.j, i));
    if (!v.st)
        return missing;
    const uint8_t *p = node(v.st, v.at);
    if (p[0] != JSON_ARRAY || i >= rd32(p + 1))
        return missing;
    return at_node(v.st, rd32(p + ARRAY_HEAD + 4 * i));
}

ivrsm_val ivrsm_val_member(ivrsm_val v, size_t i, const char **key, size_t *key_len)
{
    if (v.j) {
        void *it = json_object_iter((json_t *)v.j);
        for (size_t k = 0; it && k < i; k++)
            it = json_object_iter_next((json_t *)v.j, it);
        if (!it)
            return missing;
        *key = json_object_iter_key(it);
        *key_len = json_object_iter_key_len(it);
        return ivrsm_val_of(json_object_iter_value(it));
    }
    const uint8_t *p = node(v.st, v.at);
    if (p[0] != JSON_OBJECT || i >= rd32(p + 1))
        return missing;
    const uint8_t *slot = p + OBJECT_HEAD + 8 * i;
    const uint8_t *k = node(v.st, rd32(slot));
    *key = (const char *)k + 4;
    *key_len = rd32(k);
    return at_node(v.st, rd32(slot + 4));
}

const char *ivrsm_val_numtext(ivrsm_val v)
{
    if (!v.st || v.j)
        return NULL;
    const uint8_t *p = node(v.st, v.at);
    return p[0] == JSON_REAL && p[9] ? (const char *)p + 10 : NULL;
}

bool ivrsm_val_equal(ivrsm_val a, ivrsm_val b)
{
    if (ivrsm_val_missing(a) || ivrsm_val_missing(b))
        return false;
    if (a.j && b.j)
        return json_equal((json_t *)a.j, (json_t *)b.j);
    json_type t = ivrsm_val_type(a);
    if (t != ivrsm_val_type(b))
        return false;
    size_t la, lb;
    switch (t) {
    case JSON_STRING: {
        const char *sa = ivrsm_val_str(a, &la), *sb = ivrsm_val_str(b, &lb);
        return la == lb && !memcmp(sa, sb, la);
    }
    case JSON_INTEGER:
        return ivrsm_val_int(a) == ivrsm_val_int(b);
    case JSON_REAL:
        return ivrsm_val_real(a) == ivrsm_val_real(b);
    case JSON_ARRAY: {
        size_t n = ivrsm_val_size(a);
        if (n != ivrsm_val_size(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!ivrsm_val_equal(ivrsm_val_at(a, i), ivrsm_val_at(b, i)))
                return false;
        return true;
    }
    case JSON_OBJECT: {
        size_t n = ivrsm_val_size(a);
        if (n != ivrsm_val_size(b))
            return false;
        for (size_t i = 0; i < n; i++) {
            const char *k = "";
            size_t kl = 0;
            ivrsm_val x = ivrsm_val_member(a, i, &k, &kl);
            if (strlen(k) != kl || !ivrsm_val_equal(x, ivrsm_val_get(b, k)))
                return false;
        }
        return true;
    }
    default:
        return true; /* true, false, null */
    }
}

json_t *ivrsm_val_json(ivrsm_val v)
{
    if (v.j)
        return json_incref((json_t *)v.j);
    if (!v.st)
        return NULL;
    const uint8_t *p = node(v.st, v.at);
    switch (p[0]) {
    case JSON_STRING:
        return json_stringn_nocheck((const char *)p + 5, rd32(p + 1));
    case JSON_INTEGER:
        return json_integer(ivrsm_val_int(v));
    case JSON_REAL:
        return json_real(ivrsm_val_real(v));
    case JSON_TRUE:
        return json_true();
    case JSON_FALSE:
        return json_false();
    case JSON_NULL:
        return json_null();
    case JSON_ARRAY: {
        json_t *a = json_array();
        size_t n = rd32(p + 1);
        for (size_t i = 0; a && i < n; i++) {
            json_t *x = ivrsm_val_json(ivrsm_val_at(v, i));
            if (!x || json_array_append_new(a, x) != 0) {
                json_decref(a);
                a = NULL;
            }
        }
        return a;
    }
    default: {
        json_t *o = json_object();
        size_t n = rd32(p + 1);
        for (size_t i = 0; o && i < n; i++) {
            const char *k = "";
            size_t kl = 0;
            json_t *x = ivrsm_val_json(ivrsm_val_member(v, i, &k, &kl));
            if (!x || json_object_setn_new_nocheck(o, k, kl, x) != 0) {
                json_decref(o);
                o = NULL;
            }
        }
        return o;
    }
    }
}

/* ---------------------------------------------------------------- the store */

void ivrsm_vstore_on(ivrsm_vstore *st, const ivrsm_mem *mem)
{
    *st = (ivrsm_vstore){.mem = mem, .root = IVRSM_VSTORE_NONE};
}

/* A scratch store's allocator: its heap's, but for its own storage, which stays where it is. */
static void *scratch_malloc(size_t size, void *user)
{
    const ivrsm_vstore_scratch *sc = user;
    return ivrsm_mem_malloc(sc->heap, size);
}

static void *scratch_calloc(size_t count, size_t size, void *user)
{
    const ivrsm_vstore_scratch *sc = user;
    return ivrsm_mem_calloc(sc->heap, count, size);
}

static void *scratch_realloc(void *p, size_t size, void *user)
{
    ivrsm_vstore_scratch *sc = user;
    if (p != sc->storage)
        return ivrsm_mem_realloc(sc->heap, p, size);
    void *moved = ivrsm_mem_malloc(sc->heap, size);
    if (moved)
        memcpy(moved, p, size < sizeof sc->storage ? size : sizeof sc->storage);
    return moved;
}

static void scratch_free(void *p, void *user)
{
    ivrsm_vstore_scratch *sc = user;
    if (p != sc->storage)
        ivrsm_mem_free(sc->heap, p);
}

void ivrsm_vstore_scratch_on(ivrsm_vstore_scratch *sc, const ivrsm_mem *heap)
{
    sc->heap = heap;
    sc->mem = (ivrsm_mem){sc, scratch_malloc, scratch_free, scratch_calloc, scratch_realloc};
    ivrsm_vstore_on(&sc->st, &sc->mem);
    sc->st.data = sc->storage;
    sc->st.cap = sizeof sc->storage;
}

void ivrsm_vstore_free(ivrsm_vstore *st)
{
    ivrsm_mem_free(st->mem, st->data);
    ivrsm_vstore_on(st, st->mem);
}

size_t ivrsm_vstore_memory(const ivrsm_vstore *st)
{
    return st->cap;
}

void ivrsm_vstore_truncate(ivrsm_vstore *st, uint32_t len)
{
    if (len < st->len)
        st->len = len;
}

/* An object node with room for `room` members, none yet (reserved before). */
static uint32_t new_object(ivrsm_vstore *st, uint32_t room)
{
    uint32_t at = take(st, OBJECT_HEAD + 8 * (size_t)room);
    uint8_t *p = st->data + at;
    p[0] = JSON_OBJECT;
    wr32(p + 1, 0);
    wr32(p + 5, room);
    return at;
}

static uint32_t new_key(ivrsm_vstore *st, const char *key, size_t len)
{
    uint32_t at = take(st, 4 + len + 1);
    wr32(st->data + at, (uint32_t)len);
    copy_bytes(st->data + at + 4, key, len);
    st->data[at + 4 + len] = '\0';
    return at;
}

int ivrsm_vstore_init(ivrsm_vstore *st)
{
    return ivrsm_vstore_init_room(st, OBJECT_ROOM);
}

int ivrsm_vstore_init_room(ivrsm_vstore *st, uint32_t room)
{
    /* Room for the first writes at least, as an object a write makes. */
    if (room < OBJECT_ROOM)
        room = OBJECT_ROOM;
    if (room > STORE_MAX / 16 || reserve(st, OBJECT_HEAD + 8 * (size_t)room) != 0)
        return IVRSM_ENOMEM;
    if (st->root != IVRSM_VSTORE_NONE)
        st->garbage += tree_size(st, st->root);
    st->root = new_object(st, room);
    st->root_keys = 0;
    return 0;
}

void ivrsm_vstore_set_root(ivrsm_vstore *st, uint32_t at)
{
    st->root = at;
    st->root_keys = 0;
    if (at == IVRSM_VSTORE_NONE || node(st, at)[0] != JSON_OBJECT)
        return;
    const uint8_t *p = node(st, at);
    for (uint32_t i = 0, count = rd32(p + 1); i < count; i++) {
        const uint8_t *k = node(st, rd32(p + OBJECT_HEAD + 8 * i));
        st->root_keys |= key_bit((const char *)k + 4, rd32(k));
    }
}

/* A string node at the end (reserved before). */
static inline uint32_t new_string(ivrsm_vstore *st, const char *s, size_t len, bool short_text)
{
    uint32_t at = take(st, 5 + len + 1);
    uint8_t *p = st->data + at;
    p[0] = JSON_STRING;
    wr32(p + 1, (uint32_t)len);
    if (short_text)
        copy_short(p + 5, s, len);
    else
        memcpy(p + 5, s, len);
    p[5 + len] = '\0';
    return at;
}

__attribute__((noinline)) static int put_string_grown(ivrsm_vstore *st, const char *s, size_t len,
                                                      uint32_t *at)
{
    if (len > STORE_MAX || reserve(st, 5 + len + 1) != 0)
        return IVRSM_ENOMEM;
    *at = new_string(st, s, len, false);
    return 0;
}

int ivrsm_vstore_put_string(ivrsm_vstore *st, const char *s, size_t len, uint32_t *at)
{
    if (!short_put(st, len))
        return put_string_grown(st, s, len, at);
    *at = new_string(st, s, len, true);
    return 0;
}

static int put_scalar(ivrsm_vstore *st, json_type t, const void *bits, const char *text,
                      uint32_t *at)
{
    size_t tlen = text ? strlen(text) : 0;
    if (tlen > 255)
        tlen = 0; /* texts kept are 64 bytes at most (numtext.c) */
    size_t size = t == JSON_INTEGER ? 9 : t == JSON_REAL ? 10 + (tlen ? tlen + 1 : 0) : 1;
    if (reserve(st, size) != 0)
        return IVRSM_ENOMEM;
    *at = take(st, size);
    uint8_t *p = st->data + *at;
    p[0] = (uint8_t)t;
    if (t == JSON_INTEGER || t == JSON_REAL)
        memcpy(p + 1, bits, 8);
    if (t == JSON_REAL) {
        p[9] = (uint8_t)tlen;
        if (tlen)
            memcpy(p + 10, text, tlen + 1);
    }
    return 0;
}

int ivrsm_vstore_put_object(ivrsm_vstore *st, const char *const *keys, const uint32_t *items,
                            size_t n, uint32_t *at)
{
    size_t size = OBJECT_HEAD + 8 * n;
    for (size_t i = 0; i < n; i++)
        size += 4 + strlen(keys[i]) + 1;
    if (n > STORE_MAX / 8 || reserve(st, size) != 0)
        return IVRSM_ENOMEM;
    *at = new_object(st, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        uint32_t k = new_key(st, keys[i], strlen(keys[i]));
        uint8_t *slot = st->data + *at + OBJECT_HEAD + 8 * i;
        wr32(slot, k);
        wr32(slot + 4, items[i]);
    }
    wr32(st->data + *at + 1, (uint32_t)n);
    return 0;
}

int ivrsm_vstore_put_array(ivrsm_vstore *st, const uint32_t *items, size_t n, uint32_t *at)
{
    if (n > STORE_MAX / 4 || reserve(st, ARRAY_HEAD + 4 * n) != 0)
        return IVRSM_ENOMEM;
    *at = take(st, ARRAY_HEAD + 4 * n);
    uint8_t *p = st->data + *at;
    p[0] = JSON_ARRAY;
    wr32(p + 1, (uint32_t)n);
    if (n)
        memcpy(p + ARRAY_HEAD, items, 4 * n); /* the nodes as stored: u32 in the host's order */
    return 0;
}

__attribute__((noinline)) static int put_key_grown(ivrsm_vstore *st, const char *key, size_t len,
                                                   uint32_t *at)
{
    if (len > STORE_MAX || reserve(st, 4 + len + 1) != 0)
        return IVRSM_ENOMEM;
    *at = new_key(st, key, len);
    return 0;
}

int ivrsm_vstore_put_key(ivrsm_vstore *st, const char *key, size_t len, uint32_t *at)
{
    if (!short_put(st, len))
        return put_key_grown(st, key, len, at);
    uint32_t k = take(st, 4 + len + 1);
    wr32(st->data + k, (uint32_t)len);
    copy_short(st->data + k + 4, key, len);
    st->data[k + 4 + len] = '\0';
    *at = k;
    return 0;
}

/* An object of the n members of pairs at the end (reserved before). */
static inline uint32_t new_members(ivrsm_vstore *st, const uint32_t *pairs, size_t n)
{
    uint32_t at = new_object(st, (uint32_t)n);
    for (size_t i = 0; i < n; i++) /* a pair's two u32 in the host's order, as stored */
        memcpy(st->data + at + OBJECT_HEAD + 8 * i, pairs + 2 * i, 8);
    wr32(st->data + at + 1, (uint32_t)n);
    return at;
}

__attribute__((noinline)) static int put_members_grown(ivrsm_vstore *st, const uint32_t *pairs,
                                                       size_t n, uint32_t *at)
{
    if (n > STORE_MAX / 8 || reserve(st, OBJECT_HEAD + 8 * n) != 0)
        return IVRSM_ENOMEM;
    *at = new_members(st, pairs, n);
    return 0;
}

int ivrsm_vstore_put_members(ivrsm_vstore *st, const uint32_t *pairs, size_t n, uint32_t *at)
{
    if (n > 16 || st->cap - st->len < OBJECT_HEAD + 8 * 16)
        return put_members_grown(st, pairs, n, at);
    *at = new_members(st, pairs, n);
    return 0;
}

int ivrsm_vstore_put_integer(ivrsm_vstore *st, int64_t v, uint32_t *at)
{
    if (st->cap - st->len < SHORT_ROOM)
        return put_scalar(st, JSON_INTEGER, &v, NULL, at);
    *at = take(st, 9);
    st->data[*at] = JSON_INTEGER;
    memcpy(st->data + *at + 1, &v, 8);
    return 0;
}

int ivrsm_vstore_put_real(ivrsm_vstore *st, double v, const char *text, uint32_t *at)
{
    return put_scalar(st, JSON_REAL, &v, text, at);
}

int ivrsm_vstore_put_word(ivrsm_vstore *st, json_type type, uint32_t *at)
{
    if (st->cap - st->len < SHORT_ROOM || type == JSON_INTEGER || type == JSON_REAL)
        return put_scalar(st, type, NULL, NULL, at);
    *at = take(st, 1);
    st->data[*at] = (uint8_t)type;
    return 0;
}

const char *ivrsm_vstore_key(const ivrsm_vstore *st, uint32_t key, size_t *len)
{
    *len = rd32(node(st, key));
    return (const char *)node(st, key) + 4;
}

/* Put a jansson value; on failure the caller truncates what was put. */
static int put_json(ivrsm_vstore *st, const json_t *j, ivrsm_vstore_text_fn text, void *user,
                    uint32_t *at)
{
    switch (json_typeof(j)) {
    case JSON_STRING:
        return ivrsm_vstore_put_string(st, json_string_value(j), json_string_length(j), at);
    case JSON_INTEGER: {
        int64_t i = (int64_t)json_integer_value(j);
        return put_scalar(st, JSON_INTEGER, &i, NULL, at);
    }
    case JSON_REAL: {
        double d = json_real_value(j);
        return put_scalar(st, JSON_REAL, &d, text ? text(user, j) : NULL, at);
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        if (n > STORE_MAX / 4 || reserve(st, ARRAY_HEAD + 4 * n) != 0)
            return IVRSM_ENOMEM;
        uint32_t a = take(st, ARRAY_HEAD + 4 * n);
        st->data[a] = JSON_ARRAY;
        wr32(st->data + a + 1, (uint32_t)n);
        for (size_t i = 0; i < n; i++) {
            uint32_t item;
            if (put_json(st, json_array_get(j, i), text, user, &item) != 0)
                return IVRSM_ENOMEM;
            wr32(st->data + a + ARRAY_HEAD + 4 * i, item);
        }
        *at = a;
        return 0;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(j);
        if (n > STORE_MAX / 8 || reserve(st, OBJECT_HEAD + 8 * n) != 0)
            return IVRSM_ENOMEM;
        uint32_t o = new_object(st, (uint32_t)n);
        const char *key;
        size_t key_len;
        json_t *v;
        uint32_t i = 0;
        json_object_keylen_foreach((json_t *)j, key, key_len, v)
        {
            uint32_t item;
            if (reserve(st, 4 + key_len + 1) != 0)
                return IVRSM_ENOMEM;
            uint32_t k = new_key(st, key, key_len);
            if (put_json(st, v, text, user, &item) != 0)
                return IVRSM_ENOMEM;
            wr32(st->data + o + OBJECT_HEAD + 8 * i, k);
            wr32(st->data + o + OBJECT_HEAD + 8 * i + 4, item);
            wr32(st->data + o + 1, ++i);
        }
        *at = o;
        return 0;
    }
    default:
        return put_scalar(st, json_typeof(j), NULL, NULL, at);
    }
}

/* Copy node `at` of src (st itself maybe: read by offset, the block may move) into st. */
static int copy_node(ivrsm_vstore *st, const ivrsm_vstore *src, uint32_t at, uint32_t *out);

/* copy_node() of an item or a member's value: a leaf (most of them: a string, a number) copied
 * here, without a call of its own. */
static inline int copy_child(ivrsm_vstore *st, const ivrsm_vstore *src, uint32_t at, uint32_t *out)
{
    uint8_t tag = node(src, at)[0];
    if (tag == JSON_ARRAY || tag == JSON_OBJECT)
        return copy_node(st, src, at, out);
    uint32_t size = leaf_size(node(src, at));
    if (reserve(st, size) != 0)
        return IVRSM_ENOMEM;
    *out = take(st, size);
    copy_bytes(st->data + *out, node(src, at), size);
    return 0;
}

static int copy_node(ivrsm_vstore *st, const ivrsm_vstore *src, uint32_t at, uint32_t *out)
{
    uint8_t tag = node(src, at)[0];
    if (tag == JSON_ARRAY) {
        uint32_t n = rd32(node(src, at) + 1);
        if (reserve(st, ARRAY_HEAD + 4 * (size_t)n) != 0)
            return IVRSM_ENOMEM;
        uint32_t a = take(st, ARRAY_HEAD + 4 * (size_t)n);
        st->data[a] = JSON_ARRAY;
        wr32(st->data + a + 1, n);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t item;
            if (copy_child(st, src, rd32(node(src, at) + ARRAY_HEAD + 4 * i), &item) != 0)
                return IVRSM_ENOMEM;
            wr32(st->data + a + ARRAY_HEAD + 4 * i, item);
        }
        *out = a;
        return 0;
    }
    if (tag == JSON_OBJECT) {
        uint32_t n = rd32(node(src, at) + 1);
        uint32_t room = rd32(node(src, at) + 5);
        if (reserve(st, OBJECT_HEAD + 8 * (size_t)room) != 0)
            return IVRSM_ENOMEM;
        uint32_t o = new_object(st, room);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t key = rd32(node(src, at) + OBJECT_HEAD + 8 * i);
            uint32_t klen = rd32(node(src, key));
            if (reserve(st, 4 + (size_t)klen + 1) != 0)
                return IVRSM_ENOMEM;
            uint32_t k = take(st, 4 + (size_t)klen + 1);
            copy_bytes(st->data + k, node(src, key), 4 + (size_t)klen + 1);
            uint32_t item;
            if (copy_child(st, src, rd32(node(src, at) + OBJECT_HEAD + 8 * i + 4), &item) != 0)
                return IVRSM_ENOMEM;
            wr32(st->data + o + OBJECT_HEAD + 8 * i, k);
            wr32(st->data + o + OBJECT_HEAD + 8 * i + 4, item);
            wr32(st->data + o + 1, i + 1);
        }
        *out = o;
        return 0;
    }
    return copy_child(st, src, at, out);
}

int ivrsm_vstore_put_json(ivrsm_vstore *st, const json_t *j, ivrsm_vstore_text_fn text, void *user,
                          uint32_t *at)
{
    uint32_t mark = st->len;
    if (put_json(st, j, text, user, at) != 0) {
        ivrsm_vstore_truncate(st, mark);
        return IVRSM_ENOMEM;
    }
    return 0;
}

int ivrsm_vstore_put_val(ivrsm_vstore *st, ivrsm_val v, ivrsm_vstore_text_fn text, void *user,
                         uint32_t *at)
{
    if (v.j)
        return ivrsm_vstore_put_json(st, v.j, text, user, at);
    if (!v.st)
        return put_scalar(st, JSON_NULL, NULL, NULL, at);
    uint32_t mark = st->len;
    if (copy_node(st, v.st, v.at, at) != 0) {
        ivrsm_vstore_truncate(st, mark);
        return IVRSM_ENOMEM;
    }
    return 0;
}

/*
 * Where object node `obj` is referenced: the byte offset of the u32 that
 * holds it (in its parent's slot), or IVRSM_VSTORE_NONE for the root.
 */
static void repoint(ivrsm_vstore *st, uint32_t ref, uint32_t obj)
{
    if (ref == IVRSM_VSTORE_NONE)
        st->root = obj;
    else
        wr32(st->data + ref, obj);
}

/* Slot i of object obj: the offset of its value's u32. */
static uint32_t slot_value(uint32_t obj, uint32_t i)
{
    return obj + OBJECT_HEAD + 8 * i + 4;
}

/*
 * Member key = node `at` of object `obj` (referenced from `ref`). *where
 * receives the offset of the member's value reference. 0 or IVRSM_ENOMEM.
 */
static int set_member(ivrsm_vstore *st, uint32_t obj, uint32_t ref, const char *key, size_t len,
                      uint32_t at, ivrsm_member_hint *hint, uint32_t *where)
{
    const uint8_t *p = node(st, obj);
    uint32_t count = rd32(p + 1), room = rd32(p + 5);
    /* The root's new keys, known new by their bits, are added without the scan. */
    uint64_t bit = obj == st->root ? key_bit(key, len) : 0;
    uint32_t i = bit && !(st->root_keys & bit) ? IVRSM_VSTORE_NONE
                 : hint                        ? member_index_hinted(st, p, key, len, hint)
                                               : member_index(st, p, key, len);
    if (i != IVRSM_VSTORE_NONE) {
        *where = slot_value(obj, i);
        st->garbage += tree_size(st, rd32(st->data + *where));
        wr32(st->data + *where, at);
        return 0;
    }
    uint32_t grown = count < room ? room : room < OBJECT_ROOM ? OBJECT_ROOM : 2 * room;
    size_t need = 4 + len + 1 + (grown != room ? OBJECT_HEAD + 8 * (size_t)grown : 0);
    if (len > STORE_MAX || reserve(st, need) != 0)
        return IVRSM_ENOMEM;
    if (grown != room) {
        uint32_t moved = new_object(st, grown);
        memcpy(st->data + moved + OBJECT_HEAD, st->data + obj + OBJECT_HEAD, 8 * (size_t)count);
        wr32(st->data + moved + 1, count);
        st->garbage += OBJECT_HEAD + 8 * room;
        repoint(st, ref, moved);
        obj = moved;
    }
    uint32_t k = new_key(st, key, len);
    wr32(st->data + obj + OBJECT_HEAD + 8 * count, k);
    wr32(st->data + obj + OBJECT_HEAD + 8 * count + 4, at);
    wr32(st->data + obj + 1, count + 1);
    st->root_keys |= bit;
    *where = slot_value(obj, count);
    if (hint)
        __atomic_store_n(hint, count, __ATOMIC_RELAXED);
    return 0;
}

/* Remove member key[0..len) of object node `obj` when it is there. */
static void unlink_member(ivrsm_vstore *st, uint32_t obj, const char *key, size_t len)
{
    uint8_t *p = st->data + obj;
    if (p[0] != JSON_OBJECT)
        return;
    uint32_t count = rd32(p + 1);
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *slot = p + OBJECT_HEAD + 8 * i;
        const uint8_t *k = node(st, rd32(slot));
        if (rd32(k) != len || memcmp(k + 4, key, len) != 0)
            continue;
        st->garbage += key_size(st, rd32(slot)) + tree_size(st, rd32(slot + 4));
        memmove(slot, slot + 8, 8 * (size_t)(count - i - 1));
        wr32(p + 1, count - 1);
        return;
    }
}

void ivrsm_vstore_drop(ivrsm_vstore *st, uint32_t at)
{
    uint32_t size = tree_size(st, at);
    /* A node without items or members, the last thing put: its room is taken back. (A tree's
     * size reaching the end proves nothing: the response reader puts containers after their
     * items, and what came after may be as large.) */
    if (size == self_size(st, at) && at + size == st->len)
        st->len = at;
    else
        st->garbage += size;
}

int ivrsm_vstore_set(ivrsm_vstore *st, const char *key, size_t part_max, uint32_t at)
{
    return ivrsm_vstore_set_hinted(st, key, part_max, at, NULL);
}

int ivrsm_vstore_set_hinted(ivrsm_vstore *st, const char *key, size_t part_max, uint32_t at,
                            ivrsm_member_hint *hint)
{
    uint32_t obj = st->root, ref = IVRSM_VSTORE_NONE;
    for (;;) {
        const char *dot = strchr(key, '.');
        size_t len = dot ? (size_t)(dot - key) : strlen(key);
        if (!dot)
            return set_member(st, obj, ref, key, len, at, hint, &ref);
        if (len == 0 || len > part_max)
            return IVRSM_EINVAL;
        uint32_t child = find(st, obj, key, len, NULL);
        if (is_object(st, child)) {
            /* ref: where obj's member `key` points at child */
            const uint8_t *p = node(st, obj);
            uint32_t count = rd32(p + 1);
            for (uint32_t i = 0; i < count; i++)
                if (rd32(p + OBJECT_HEAD + 8 * i + 4) == child)
                    ref = slot_value(obj, i);
            obj = child;
        } else {
            if (reserve(st, OBJECT_HEAD + 8 * OBJECT_ROOM) != 0)
                return IVRSM_ENOMEM;
            child = new_object(st, OBJECT_ROOM);
            if (set_member(st, obj, ref, key, len, child, NULL, &ref) != 0) {
                ivrsm_vstore_truncate(st, child);
                return IVRSM_ENOMEM;
            }
            obj = child;
        }
        key = dot + 1;
    }
}

int ivrsm_vstore_set_member_hinted(ivrsm_vstore *st, const char *key, size_t len, uint32_t at,
                                   ivrsm_member_hint *hint)
{
    uint32_t ref = IVRSM_VSTORE_NONE;
    return set_member(st, st->root, ref, key, len, at, hint, &ref);
}

void ivrsm_vstore_remove(ivrsm_vstore *st, const char *key)
{
    uint32_t obj = st->root;
    for (;;) {
        const char *dot = strchr(key, '.');
        size_t len = dot ? (size_t)(dot - key) : strlen(key);
        if (!dot) {
            unlink_member(st, obj, key, len);
            return;
        }
        obj = find(st, obj, key, len, NULL);
        if (!is_object(st, obj))
            return;
        key = dot + 1;
    }
}

/*
 * Copy node `at` of src and all it reaches to dst[*len..cap), objects with at
 * most COMPACT_ROOM and a quarter of their count free slots: node by node, read and written in
 * place (the caller's storage is sized for the live tree). The copy's offset, or IVRSM_VSTORE_NONE
 * when it would pass cap (a wrong count of garbage: the copy fails whole).
 */
static uint32_t copy_live(uint8_t *dst, uint32_t *len, uint32_t cap, const uint8_t *src,
                          uint32_t at);

/* copy_live() of node `at`, a leaf copied here without a call of its own (most of a ctx's
 * nodes are leaves: a member's string or number). */
static inline uint32_t copy_item(uint8_t *dst, uint32_t *len, uint32_t cap, const uint8_t *src,
                                 uint32_t at)
{
    const uint8_t *p = src + at;
    if (p[0] == JSON_OBJECT || p[0] == JSON_ARRAY)
        return copy_live(dst, len, cap, src, at);
    uint32_t to = *len, size = leaf_size(p);
    if (size > cap - to)
        return IVRSM_VSTORE_NONE;
    memcpy(dst + to, p, size);
    *len = to + size;
    return to;
}

static uint32_t copy_live(uint8_t *dst, uint32_t *len, uint32_t cap, const uint8_t *src,
                          uint32_t at)
{
    const uint8_t *p = src + at;
    uint32_t to = *len, n, size, room;
    switch (p[0]) {
    case JSON_ARRAY:
        n = rd32(p + 1);
        size = ARRAY_HEAD + 4 * n;
        if (size > cap - to)
            return IVRSM_VSTORE_NONE;
        *len = to + size;
        memcpy(dst + to, p, ARRAY_HEAD);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t item = copy_item(dst, len, cap, src, rd32(p + ARRAY_HEAD + 4 * i));
            if (item == IVRSM_VSTORE_NONE)
                return item;
            wr32(dst + to + ARRAY_HEAD + 4 * i, item);
        }
        return to;
    case JSON_OBJECT:
        n = rd32(p + 1);
        room = rd32(p + 5) - n > COMPACT_ROOM + n / 4 ? n + COMPACT_ROOM + n / 4 : rd32(p + 5);
        size = OBJECT_HEAD + 8 * room;
        if (size > cap - to)
            return IVRSM_VSTORE_NONE;
        *len = to + size;
        dst[to] = JSON_OBJECT;
        wr32(dst + to + 1, n);
        wr32(dst + to + 5, room);
        for (uint32_t i = 0; i < n; i++) {
            const uint8_t *slot = p + OBJECT_HEAD + 8 * i;
            uint32_t key = rd32(slot), k = *len, ksize = 4 + rd32(src + key) + 1;
            if (ksize > cap - k)
                return IVRSM_VSTORE_NONE;
            memcpy(dst + k, src + key, ksize);
            *len = k + ksize;
            uint32_t item = copy_item(dst, len, cap, src, rd32(slot + 4));
            if (item == IVRSM_VSTORE_NONE)
                return item;
            wr32(dst + to + OBJECT_HEAD + 8 * i, k);
            wr32(dst + to + OBJECT_HEAD + 8 * i + 4, item);
        }
        return to;
    default:
        size = leaf_size(p);
        break;
    }
    if (size > cap - to)
        return IVRSM_VSTORE_NONE;
    memcpy(dst + to, p, size);
    *len = to + size;
    return to;
}

void ivrsm_vstore_compact(ivrsm_vstore *st)
{
    if (st->root == IVRSM_VSTORE_NONE || !st->garbage)
        return;
    /* What is not garbage is live (the count is exact: every node is referenced once), and a
     * copy with no more room in its objects is no larger. The live tree is copied aside, then back
     * to the block's start: no allocation unless the ctx is large. */
    uint32_t live = st->len - st->garbage;
    uint8_t stack[2048];
    uint8_t *aside = live <= sizeof(stack) ? stack : ivrsm_mem_malloc(st->mem, live);
    if (!aside)
        return;
    uint32_t len = 0, root = copy_live(aside, &len, live, st->data, st->root);
    if (root != IVRSM_VSTORE_NONE) {
        memcpy(st->data, aside, len);
        st->len = len;
        st->root = root;
        st->garbage = 0;
    }
    if (aside != stack)
        ivrsm_mem_free(st->mem, aside);
}

void ivrsm_vstore_compact_keeping(ivrsm_vstore *st, uint32_t *keep, size_t n)
{
    if (!st->garbage)
        return;
    /* The kept trees are not garbage: live counts them, and the copy has room for them. */
    uint32_t live = st->len - st->garbage;
    uint8_t *aside = ivrsm_mem_malloc(st->mem, live ? live : 1);
    if (!aside)
        return;
    uint32_t len = 0, root = IVRSM_VSTORE_NONE, moved[8];
    bool whole = n <= sizeof(moved) / sizeof(*moved);
    if (whole && st->root != IVRSM_VSTORE_NONE)
        whole = (root = copy_live(aside, &len, live, st->data, st->root)) != IVRSM_VSTORE_NONE;
    for (size_t i = 0; whole && i < n; i++) {
        moved[i] = keep[i] == IVRSM_VSTORE_NONE ? IVRSM_VSTORE_NONE
                                                : copy_live(aside, &len, live, st->data, keep[i]);
        whole = keep[i] == IVRSM_VSTORE_NONE || moved[i] != IVRSM_VSTORE_NONE;
    }
    if (whole) {
        memcpy(st->data, aside, len);
        st->len = len;
        st->root = root;
        st->garbage = 0;
        memcpy(keep, moved, n * sizeof(*keep));
    }
    ivrsm_mem_free(st->mem, aside);
}

void ivrsm_vstore_shrink(ivrsm_vstore *st, size_t room)
{
    size_t cap = st->len + room;
    if (cap >= st->cap)
        return;
    uint8_t *d = ivrsm_mem_realloc(st->mem, st->data, cap ? cap : 1);
    if (d) {
        st->data = d;
        st->cap = (uint32_t)cap;
    }
}
