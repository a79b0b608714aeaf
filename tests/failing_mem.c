#include "failing_mem.h"
#include "failing_pool.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Whether the allocation asked for now is refused, by the mode. */
static bool refuse(failing_mem *fm)
{
    if (fm->mode == FAILING_OFF)
        return false;
    if (fm->countdown > 0) {
        fm->countdown--;
        return false;
    }
    if (fm->mode == FAILING_ONE)
        fm->mode = FAILING_OFF;
    fm->refused = true;
    return true;
}

static void *give(failing_mem *fm, void *p)
{
    if (p)
        fm->live++;
    return p;
}

static void *fm_malloc(size_t size, void *user)
{
    failing_mem *fm = user;
    fm->calls++;
    fm->misused |= size == 0;
    return refuse(fm) ? NULL : give(fm, malloc(size));
}

static void fm_free(void *ptr, void *user)
{
    failing_mem *fm = user;
    fm->misused |= ptr == NULL;
    if (ptr)
        fm->live--;
    free(ptr);
}

static void *fm_calloc(size_t count, size_t size, void *user)
{
    failing_mem *fm = user;
    fm->calls++;
    fm->misused |= count == 0 || size == 0;
    return refuse(fm) ? NULL : give(fm, calloc(count, size));
}

static void *fm_realloc(void *ptr, size_t size, void *user)
{
    failing_mem *fm = user;
    fm->calls++;
    fm->misused |= ptr == NULL || size == 0;
    return refuse(fm) ? NULL : realloc(ptr, size);
}

void failing_mem_init(failing_mem *fm)
{
    *fm = (failing_mem){.mem = {fm, fm_malloc, fm_free, fm_calloc, fm_realloc}};
}

void failing_mem_fail_from(failing_mem *fm, long n)
{
    fm->mode = FAILING_FROM;
    fm->countdown = n;
    fm->refused = false;
}

void failing_mem_fail_one(failing_mem *fm, long n)
{
    fm->mode = FAILING_ONE;
    fm->countdown = n;
    fm->refused = false;
}

void failing_mem_off(failing_mem *fm)
{
    fm->mode = FAILING_OFF;
}

/* jansson's functions take no user pointer: the one routed fm. */
static failing_mem *jansson_fm;

static void *jansson_malloc(size_t size)
{
    return jansson_fm && refuse(jansson_fm) ? NULL : malloc(size);
}

void failing_mem_jansson_route(failing_mem *fm)
{
    jansson_fm = fm;
    json_set_alloc_funcs(jansson_malloc, free);
}

void failing_mem_jansson_release(void)
{
    json_set_alloc_funcs(malloc, free);
    jansson_fm = NULL;
}

/* size bytes of zeroes aligned to size, as the pool's own source maps them (pool.c). */
static void *fps_map(size_t size, void *user)
{
    failing_pool_source *fps = user;
    failing_mem *fm = fps->fm;
    fm->calls++;
    if (refuse(fm))
        return NULL;
    char *p = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    char *at = (char *)(((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1));
    if (at > p)
        munmap(p, (size_t)(at - p));
    if (at + size < p + 2 * size)
        munmap(at + size, (size_t)(p + 2 * size - (at + size)));
    fm->live++;
    fps->mapped++;
    return at;
}

static void fps_unmap(void *chunk, size_t size, void *user)
{
    failing_pool_source *fps = user;
    fps->fm->live--;
    fps->mapped--;
    munmap(chunk, size);
}

static void fps_advise(void *chunk, size_t size, bool huge, void *user)
{
    failing_pool_source *fps = user;
    (void)chunk;
    (void)size;
    if (huge)
        fps->advised_huge++;
    else
        fps->advised_small++;
}

void failing_pool_source_init(failing_pool_source *fps, failing_mem *fm)
{
    *fps = (failing_pool_source){.source = {fps_map, fps_unmap, fps_advise, fps}, .fm = fm};
}
