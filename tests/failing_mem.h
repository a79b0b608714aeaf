/*
 * An ivrsm_mem for the tests: it counts what the library asks of it and can
 * refuse allocations on demand, so that every allocation of a call can be
 * made to fail in turn (SQLite's malloc-failure testing). jansson can be
 * routed through the same budget (json_set_alloc_funcs(), process-wide).
 *
 *     failing_mem fm;
 *     failing_mem_init(&fm);
 *     ivrsm_load_options o = IVRSM_LOAD_OPTIONS_INIT;
 *     o.mem = &fm.mem;
 *     for (long n = 0;; n++) {
 *         failing_mem_fail_from(&fm, n);      // the n-th allocation and all after it fail
 *         rc = ivrsm_machine_load_buffer_opts(..., &o, &m, &err);
 *         failing_mem_off(&fm);
 *         if (!fm.refused) break;            // every allocation was tried
 *         ...                                // rc is IVRSM_ENOMEM, nothing leaked
 *     }
 *
 * The library's promises to its allocator are checked on every call: no
 * size 0, no free of NULL, no realloc of NULL (ivrsm.h).
 */
#ifndef TESTS_FAILING_MEM_H
#define TESTS_FAILING_MEM_H

#include <stdbool.h>

#include "ivrsm/ivrsm.h"

typedef enum failing_mode {
    FAILING_OFF = 0, /* every allocation succeeds */
    FAILING_FROM,    /* allocations succeed until `countdown` reaches 0, then all fail */
    FAILING_ONE      /* only the allocation at `countdown` fails, the ones after succeed */
} failing_mode;

typedef struct failing_mem {
    ivrsm_mem mem; /* what the library is given: &fm.mem */
    failing_mode mode;
    long countdown; /* allocations still let through before the failure */
    bool refused;   /* an allocation was refused since the mode was set */
    long calls;     /* malloc, calloc and realloc asked for, refused or not */
    long live;      /* blocks given and not freed yet */
    bool misused;   /* a call broke a promise of ivrsm.h (size 0, NULL freed...) */
} failing_mem;

/* An allocator that never fails yet, its counters at 0. */
void failing_mem_init(failing_mem *fm);
/* The n-th allocation from now (0: the next one) and every later one fail. */
void failing_mem_fail_from(failing_mem *fm, long n);
/* Only the n-th allocation from now fails. */
void failing_mem_fail_one(failing_mem *fm, long n);
/* No more failures. */
void failing_mem_off(failing_mem *fm);

/*
 * jansson's allocations are refused with fm's (same countdown; not counted
 * in calls or live) until failing_mem_jansson_release(). Process-wide, as
 * json_set_alloc_funcs() is: one fm at a time.
 */
void failing_mem_jansson_route(failing_mem *fm);
void failing_mem_jansson_release(void);

#endif
