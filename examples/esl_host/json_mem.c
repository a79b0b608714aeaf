/* jansson's allocations watched (json_mem.h). */
#include "json_mem.h"

#include <jansson.h>
#include <stddef.h>

static json_malloc_t next_malloc;
static json_free_t next_free;
static unsigned long refused; /* updated atomically: any thread may parse */

static void *watched_malloc(size_t n)
{
    void *p = next_malloc(n);
    if (!p)
        __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);
    return p;
}

static void watched_free(void *p)
{
    next_free(p);
}

void json_mem_watch(void)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    if (m == watched_malloc)
        return;
    next_malloc = m;
    next_free = f;
    json_set_alloc_funcs(watched_malloc, watched_free);
}

unsigned long json_mem_refused(void)
{
    return __atomic_load_n(&refused, __ATOMIC_RELAXED);
}
