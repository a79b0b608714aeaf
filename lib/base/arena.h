/*
 * A bump allocator for data that lives exactly as long as its owner (a
 * compiled machine): many small allocations, one free. Blocks are chained.
 *
 * An allocation that fits in the current block is a few inline instructions
 * (a document and a machine make thousands); strings are packed byte to
 * byte, everything else aligned for any type.
 */
#ifndef IVRSM_ARENA_H
#define IVRSM_ARENA_H

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

typedef struct ivrsm_arena ivrsm_arena;

/* Read only by the inline functions below; arena.c owns it. */
struct ivrsm_arena {
    unsigned char *cur, *end; /* the free part of the current block; NULL before the first */
    struct ivrsm_arena_block *head;
    size_t total;
    const ivrsm_mem *mem;
};

/* An arena whose blocks come from mem, which must outlive it. NULL on no memory. */
ivrsm_arena *ivrsm_arena_new(const ivrsm_mem *mem);
void ivrsm_arena_free(ivrsm_arena *a);
/* What the inline functions do when the current block has no room: size bytes aligned to
 * `align` (a power of two) from a new block. NULL when out of memory. */
void *ivrsm_arena_alloc_slow(ivrsm_arena *a, size_t size, size_t align);

/* The same, not zeroed: for memory written whole at once. Aligned for any type. */
static inline void *ivrsm_arena_alloc_raw(ivrsm_arena *a, size_t size)
{
    const uintptr_t mask = alignof(max_align_t) - 1;
    uintptr_t at = ((uintptr_t)a->cur + mask) & ~mask, end = (uintptr_t)a->end;
    if (size && at <= end && size <= end - at) {
        a->cur = (unsigned char *)at + size;
        return (void *)at;
    }
    return ivrsm_arena_alloc_slow(a, size, mask + 1);
}

/* Zeroed memory aligned for any type, or NULL when out of memory. */
static inline void *ivrsm_arena_alloc(ivrsm_arena *a, size_t size)
{
    void *p = ivrsm_arena_alloc_raw(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

/* Copies of strings; NULL in gives NULL out. */
static inline char *ivrsm_arena_strndup(ivrsm_arena *a, const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *p;
    if (len < (size_t)((uintptr_t)a->end - (uintptr_t)a->cur)) {
        p = (char *)a->cur;
        a->cur += len + 1;
    } else if ((p = ivrsm_arena_alloc_slow(a, len + 1, 1)) == NULL) {
        return NULL;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

static inline char *ivrsm_arena_strdup(ivrsm_arena *a, const char *s)
{
    return s ? ivrsm_arena_strndup(a, s, strlen(s)) : NULL;
}

/* Bytes requested from the system so far. */
size_t ivrsm_arena_size(const ivrsm_arena *a);

#endif
