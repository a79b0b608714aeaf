/*
 * Every allocation of the library goes through an ivrsm_mem (ivrsm.h): a
 * machine's, a session's, an HTTP adapter's, or ivrsm_mem_default() where no
 * object gives one. These wrappers are the only calls into it, so that the
 * caller's functions only ever see what ivrsm.h promises: no size 0, no
 * free(NULL), realloc of NULL as malloc.
 *
 * Inline, so that the HTTP adapter, a library of its own that sees only the
 * public symbols of the core, uses them too.
 */
#ifndef IVRSM_MEM_H
#define IVRSM_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "ivrsm/ivrsm.h"

static inline void *ivrsm_mem_malloc(const ivrsm_mem *mem, size_t size)
{
    return mem->malloc(size ? size : 1, mem->user);
}

static inline void *ivrsm_mem_calloc(const ivrsm_mem *mem, size_t count, size_t size)
{
    return mem->calloc(count ? count : 1, size ? size : 1, mem->user);
}

#define IVRSM_CACHE_LINE 64

/*
 * A zeroed block of `size` bytes (freed with ivrsm_mem_free), that starts on
 * a cache line when mem is the C library's (ivrsm_mem_default()): a block whose
 * first lines are read together then spans as few lines as it can. Another
 * allocator's block is its calloc's, aligned as that one aligns.
 */
void *ivrsm_mem_calloc_lines(const ivrsm_mem *mem, size_t size);

/* Whether mem is the C library's allocator (ivrsm_mem_default(), or a copy of it). */
bool ivrsm_mem_is_default(const ivrsm_mem *mem);

static inline void *ivrsm_mem_realloc(const ivrsm_mem *mem, void *p, size_t size)
{
    if (!p)
        return ivrsm_mem_malloc(mem, size);
    return mem->realloc(p, size ? size : 1, mem->user);
}

static inline void ivrsm_mem_free(const ivrsm_mem *mem, void *p)
{
    if (p)
        mem->free(p, mem->user);
}

/*
 * Room for element `n` of the growable array *arr of `size`-byte elements and
 * capacity *cap: the capacity doubles (from `first`), so that n appends cost
 * O(n) copies. 0, or -1 when out of memory or past SIZE_MAX bytes (the array
 * is left as it was). `arr` is the address of the array's pointer, as
 * (void **)&a->items.
 */
static inline int ivrsm_mem_grow(const ivrsm_mem *mem, void **arr, size_t *cap, size_t n,
                                 size_t size, size_t first)
{
    if (n < *cap)
        return 0;
    size_t ncap = *cap ? *cap : (first ? first : 1);
    while (ncap <= n) {
        if (ncap > (size_t)-1 / 2)
            return -1;
        ncap *= 2;
    }
    if (ncap > (size_t)-1 / size)
        return -1;
    void *p = ivrsm_mem_realloc(mem, *arr, ncap * size);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

/* A copy of s[0..len) with a NUL after it; NULL for NULL or when out of memory. */
static inline char *ivrsm_mem_strndup(const ivrsm_mem *mem, const char *s, size_t len)
{
    if (!s)
        return NULL;
    char *p = (char *)ivrsm_mem_malloc(mem, len + 1);
    if (p) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

static inline char *ivrsm_mem_strdup(const ivrsm_mem *mem, const char *s)
{
    return s ? ivrsm_mem_strndup(mem, s, strlen(s)) : NULL;
}

/*
 * Memory handed to the caller, who frees it with ivrsm_free() whatever
 * allocator it came from: each block starts with how to free it, and the
 * caller sees what follows. Strings the API returns are made here.
 */
typedef struct ivrsm_given {
    void (*free)(void *ptr, void *user);
    void *user;
} ivrsm_given;

/* A block of `size` bytes for the caller, allocated with mem; NULL when out of memory. */
static inline void *ivrsm_mem_give_alloc(const ivrsm_mem *mem, size_t size)
{
    if (size > (size_t)-1 - sizeof(ivrsm_given))
        return NULL;
    ivrsm_given *g = (ivrsm_given *)ivrsm_mem_malloc(mem, sizeof(*g) + size);
    if (!g)
        return NULL;
    g->free = mem->free;
    g->user = mem->user;
    return g + 1;
}

/* s[0..len) and a NUL, as a string for the caller; NULL when out of memory. */
static inline char *ivrsm_mem_give(const ivrsm_mem *mem, const char *s, size_t len)
{
    char *p = (char *)ivrsm_mem_give_alloc(mem, len + 1);
    if (p) {
        if (len)
            memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

/* Whether mem has all four functions (the API refuses one that lacks any). */
static inline int ivrsm_mem_valid(const ivrsm_mem *mem)
{
    return mem->malloc && mem->free && mem->calloc && mem->realloc;
}

#endif
