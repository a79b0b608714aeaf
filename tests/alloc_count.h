#ifndef BENCH_ALLOC_COUNT_H
#define BENCH_ALLOC_COUNT_H

/* Allocations (malloc, calloc, realloc) made by the process so far; -1 when not counted. */
long long bench_allocations(void);

#endif
