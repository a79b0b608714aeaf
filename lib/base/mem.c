/*
 * The C library's allocator as an ivrsm_mem, and ivrsm_free(): the two ends
 * of what the library allocates (mem.h in between).
 */
#include "mem.h"

#include <stdlib.h>

static void *c_malloc(size_t size, void *user)
{
    (void)user;
    return malloc(size);
}

static void c_free(void *ptr, void *user)
{
    (void)user;
    free(ptr);
}

static void *c_calloc(size_t count, size_t size, void *user)
{
    (void)user;
    return calloc(count, size);
}

static void *c_realloc(void *ptr, size_t size, void *user)
{
    (void)user;
    return realloc(ptr, size);
}

static const ivrsm_mem c_library = {NULL, c_malloc, c_free, c_calloc, c_realloc};

const ivrsm_mem *ivrsm_mem_default(void)
{
    return &c_library;
}

bool ivrsm_mem_is_default(const ivrsm_mem *mem)
{
    return mem->malloc == c_malloc && mem->free == c_free && mem->calloc == c_calloc &&
           mem->realloc == c_realloc;
}

void *ivrsm_mem_calloc_lines(const ivrsm_mem *mem, size_t size)
{
    if (!ivrsm_mem_is_default(mem))
        return ivrsm_mem_calloc(mem, 1, size);
    void *p = NULL;
    if (posix_memalign(&p, IVRSM_CACHE_LINE, size ? size : 1) != 0)
        return NULL;
    memset(p, 0, size);
    return p;
}

void ivrsm_free(void *p)
{
    if (!p)
        return;
    ivrsm_given *g = (ivrsm_given *)p - 1;
    g->free(g, g->user);
}
