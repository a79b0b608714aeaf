/*
 * The one string hash of the library (64-bit FNV-1a) and an open-addressing
 * hash map on it, keyed by byte strings the caller keeps alive.
 */
#include "strmap.h"
#include "mem.h"

#include <string.h>

static uint64_t load64(const char *s)
{
    uint64_t w;
    memcpy(&w, s, sizeof(w));
    return w;
}

static uint64_t load32(const char *s)
{
    uint32_t w;
    memcpy(&w, s, sizeof(w));
    return w;
}

/* One word mixed into the state: multiply, then fold the high bits down. */
static uint64_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9E3779B97F4A7C15u;
    return h ^ (h >> 29);
}

/*
 * Eight bytes a step (keys and phrases are hashed by the thousand at a load):
 * the last word is read ending at the text's end (overlapping the one before
 * it), a short text read as two overlapping halves or three bytes; the
 * length is in the seed. MurmurHash3's finaliser spreads every bit of the
 * state over the low bits the tables use.
 */
uint64_t ivrsm_hash(const char *s, size_t len)
{
    uint64_t h = mix(0x243F6A8885A308D3u, len);
    size_t i = 0;
    for (; len - i > 8; i += 8)
        h = mix(h, load64(s + i));
    if (len >= 8)
        h = mix(h, load64(s + len - 8));
    else if (len >= 4)
        h = mix(h, load32(s) | load32(s + len - 4) << 32);
    else if (len)
        h = mix(h, (uint64_t)(unsigned char)s[0] | (uint64_t)(unsigned char)s[len / 2] << 8 |
                       (uint64_t)(unsigned char)s[len - 1] << 16);
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDu;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53u;
    return h ^ (h >> 33);
}

struct ivrsm_strmap_slot {
    const char *key; /* NULL: empty */
    size_t len;
    size_t hash;
    void *value;
};

static struct ivrsm_strmap_slot *strmap_find(const ivrsm_strmap *m, const char *key, size_t len,
                                             size_t hash)
{
    for (size_t i = hash & m->mask;; i = (i + 1) & m->mask) {
        struct ivrsm_strmap_slot *s = &m->slots[i];
        if (!s->key || (s->hash == hash && s->len == len && !memcmp(s->key, key, len)))
            return s;
    }
}

/* The slots moved to a table of cap slots (a power of two, more than twice the count). */
static int strmap_resize(ivrsm_strmap *m, size_t cap)
{
    struct ivrsm_strmap_slot *slots = ivrsm_mem_calloc(m->mem, cap, sizeof(*slots));
    if (!slots)
        return -1;
    ivrsm_strmap grown = {slots, cap - 1, m->count, m->mem};
    for (size_t i = 0; m->slots && i <= m->mask; i++)
        if (m->slots[i].key)
            *strmap_find(&grown, m->slots[i].key, m->slots[i].len, m->slots[i].hash) = m->slots[i];
    ivrsm_mem_free(m->mem, m->slots);
    *m = grown;
    return 0;
}

static int strmap_grow(ivrsm_strmap *m)
{
    return strmap_resize(m, m->slots ? (m->mask + 1) * 2 : 16);
}

int ivrsm_strmap_reserve(ivrsm_strmap *m, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2) {
        if (cap > (size_t)-1 / 4)
            return -1;
        cap *= 2;
    }
    if (m->slots && cap <= m->mask + 1)
        return 0;
    return strmap_resize(m, cap);
}

int ivrsm_strmap_put(ivrsm_strmap *m, const char *key, size_t len, void *value, void **existing)
{
    /* Keep the load factor under 1/2 so probes stay short. */
    if ((!m->slots || (m->count + 1) * 2 > m->mask + 1) && strmap_grow(m) != 0)
        return -1;
    size_t hash = ivrsm_hash(key, len);
    struct ivrsm_strmap_slot *s = strmap_find(m, key, len, hash);
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

int ivrsm_strmap_set(ivrsm_strmap *m, const char *key, size_t len, void *value)
{
    void *prev = NULL;
    int rc = ivrsm_strmap_put(m, key, len, value, &prev);
    if (rc == 0) {
        struct ivrsm_strmap_slot *s = strmap_find(m, key, len, ivrsm_hash(key, len));
        s->key = key;
        s->value = value;
    }
    return rc < 0 ? -1 : 0;
}

void *ivrsm_strmap_get(const ivrsm_strmap *m, const char *key, size_t len)
{
    if (!m->slots)
        return NULL;
    struct ivrsm_strmap_slot *s = strmap_find(m, key, len, ivrsm_hash(key, len));
    return s->key ? s->value : NULL;
}

void ivrsm_strmap_free(ivrsm_strmap *m)
{
    ivrsm_mem_free(m->mem, m->slots);
    m->slots = NULL;
    m->mask = m->count = 0;
}
