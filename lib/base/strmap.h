/*
 * One string hash for the whole library, and a string-keyed hash map
 * (duplicate keys and anchors in the readers, names in the converter).
 */
#ifndef IVRSM_STRMAP_H
#define IVRSM_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "ivrsm/ivrsm.h"

/* A 64-bit hash of s[0..len) (strmap.c): the hash behind every table of the library. */
uint64_t ivrsm_hash(const char *s, size_t len);

typedef struct ivrsm_strmap {
    struct ivrsm_strmap_slot *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t count;
    const ivrsm_mem *mem; /* where the slots live; must outlive the map */
} ivrsm_strmap;

/* An empty map whose memory comes from `mem`. */
#define IVRSM_STRMAP_INIT(mem)                                                                     \
    {                                                                                              \
        NULL, 0, 0, (mem)                                                                          \
    }

/*
 * Insert key → value unless the key is there. Returns 1 when inserted, 0 when
 * the key already exists (then *existing, if not NULL, receives its value),
 * -1 on no memory. The key is not copied: it must outlive the map.
 */
int ivrsm_strmap_put(ivrsm_strmap *m, const char *key, size_t len, void *value, void **existing);
/* Room for n keys in all, made at once (no growth, no rehashing while they go in). 0, or -1
 * on no memory (the map as it was). */
int ivrsm_strmap_reserve(ivrsm_strmap *m, size_t n);
/* Insert key → value, replacing any earlier value. Returns 0, or -1 on no memory. */
int ivrsm_strmap_set(ivrsm_strmap *m, const char *key, size_t len, void *value);
/* The value of `key`, or NULL. */
void *ivrsm_strmap_get(const ivrsm_strmap *m, const char *key, size_t len);
void ivrsm_strmap_free(ivrsm_strmap *m);

#endif
