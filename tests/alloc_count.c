/*
 * Allocation counter for the benchmarks: malloc, calloc and realloc of the
 * whole process (the library, jansson, libc's strdup) counted on their way to
 * glibc's allocator, which glibc supports replacing by ELF interposition.
 * Built only without sanitizers (they bring their own malloc); then
 * bench_allocations() says -1, "not counted".
 */
#include <stddef.h>

#include "alloc_count.h"

#ifdef BENCH_COUNT_ALLOCS
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t alignment, size_t n);

static long long allocations;

void *malloc(size_t n)
{
    allocations++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    allocations++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    allocations++;
    return __libc_realloc(p, n);
}

int posix_memalign(void **p, size_t alignment, size_t n)
{
    allocations++;
    *p = __libc_memalign(alignment, n);
    return *p ? 0 : 12; /* ENOMEM */
}

void free(void *p)
{
    __libc_free(p);
}

long long bench_allocations(void)
{
    return allocations;
}
#else
long long bench_allocations(void)
{
    return -1;
}
#endif
