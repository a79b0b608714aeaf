/*
 * A bump allocator for data that lives exactly as long as its owner (a
 * compiled machine): many small allocations, one free. Blocks are chained.
 */
#ifndef IVRSM_ARENA_H
#define IVRSM_ARENA_H

#include <stddef.h>

#include "ivrsm/ivrsm.h"

typedef struct ivrsm_arena ivrsm_arena;

/* An arena whose blocks come from mem, which must outlive it. NULL on no memory. */
ivrsm_arena *ivrsm_arena_new(const ivrsm_mem *mem);
void ivrsm_arena_free(ivrsm_arena *a);
/* Zeroed memory aligned for any type, or NULL when out of memory. */
void *ivrsm_arena_alloc(ivrsm_arena *a, size_t size);
/* The same, not zeroed: for memory written whole at once (copies of strings). */
void *ivrsm_arena_alloc_raw(ivrsm_arena *a, size_t size);
/* Copies of strings; NULL in gives NULL out. */
char *ivrsm_arena_strdup(ivrsm_arena *a, const char *s);
char *ivrsm_arena_strndup(ivrsm_arena *a, const char *s, size_t len);
/* Bytes requested from the system so far. */
size_t ivrsm_arena_size(const ivrsm_arena *a);

#endif
